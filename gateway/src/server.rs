//! HTTP: GraphQL over HTTP at `/graphql` (POST and GET, status codes and media types chosen by
//! `Accept` as the specification asks), GraphiQL at `/graphiql`, the probes, and the web app
//! at `/` (every other path).

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::Connected;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{ConnectInfo, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::IncomingStream;
use axum::{Extension, Router};
use braid_kit::accept::{Format, GRAPHQL_RESPONSE, JSON, accepted_media};
use braid_kit::tls::{ServerTls, TlsListener};
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::{Map, Value};

use crate::error::{Code, GraphqlError, RequestError};
use crate::request::{GraphqlRequest, Origin};
use crate::service::Gateway;
use crate::{respond, streams, ws};

struct AppState {
    gateway: Arc<Gateway>,
    metrics: PrometheusHandle,
}

/// The gateway's HTTP routes.
pub fn router(gateway: Arc<Gateway>, metrics: PrometheusHandle) -> Router {
    let graphiql = gateway.config.graphiql.enabled;
    let timeout = Duration::from_millis(gateway.config.server.request_timeout_ms);
    let mut router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post).fallback(method_not_allowed))
        .merge(probes::routes());
    if graphiql {
        router = router
            .route("/graphiql", get(|| async { asset("text/html; charset=utf-8", GRAPHIQL_HTML) }))
            .route("/graphiql/graphiql.js", get(|| async { asset("text/javascript; charset=utf-8", GRAPHIQL_JS) }))
            .route("/graphiql/graphiql.css", get(|| async { asset("text/css; charset=utf-8", GRAPHIQL_CSS) }));
    }
    if let Some(path) =
        gateway.entity_cache.get().filter(|c| c.invalidation().token.is_some()).map(|c| c.invalidation().path.clone())
    {
        router = router.route(&path, axum::routing::post(invalidate));
    }
    if gateway.config.web.enabled {
        router = router.fallback(get(|uri: Uri| async move { web::web_file(uri.path()) }));
    }
    router
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, timeout))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panic_response))
        .with_state(Arc::new(AppState { gateway, metrics }))
}

/// Serves `router` on `listener` (over `tls` when given) until `shutdown` resolves, then lets
/// requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    tls: Option<ServerTls>,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = router.into_make_service_with_connect_info::<PeerAddr>();
    match tls {
        Some(tls) => axum::serve(tls.listener(listener), service).with_graceful_shutdown(shutdown).await,
        None => axum::serve(listener, service).with_graceful_shutdown(shutdown).await,
    }
}

const GRAPHIQL_HTML: &[u8] = include_bytes!("../graphiql/dist/index.html");
const GRAPHIQL_JS: &[u8] = include_bytes!("../graphiql/dist/graphiql.js");
const GRAPHIQL_CSS: &[u8] = include_bytes!("../graphiql/dist/graphiql.css");

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// Evicts what the JSON list in the body names from the entity cache, in every instance.
async fn invalidate(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(cache) = state.gateway.entity_cache.get() else { return StatusCode::NOT_FOUND.into_response() };
    let token = cache.invalidation().token.as_deref().unwrap_or_default();
    if !crate::entity_cache::invalidation::authorized(&headers, token) {
        let error = RequestError::new(
            StatusCode::UNAUTHORIZED,
            Code::Unauthenticated,
            "invalidation needs the configured bearer token",
        );
        let mut response = refusal(Format::Json, error);
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let tags = match crate::entity_cache::invalidation::tags(&body, &state.gateway.runtime().supergraph.endpoints) {
        Ok(tags) => tags,
        Err(error) => return refusal(Format::Json, error),
    };
    if let Err(e) = cache.invalidate(&tags).await {
        tracing::warn!(error = %e, "entity cache: an invalidation request did not reach Redis");
        let error = RequestError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            Code::InternalServerError,
            "the cache's store cannot be written; retry",
        );
        return refusal(Format::Json, error);
    }
    ([(header::CONTENT_TYPE, JSON)], serde_json::json!({ "count": tags.len() }).to_string()).into_response()
}

async fn method_not_allowed() -> Response {
    let mut response = refusal(
        Format::Json,
        RequestError::new(StatusCode::METHOD_NOT_ALLOWED, Code::MethodNotAllowed, "use GET or POST"),
    );
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
    response
}

/// The address a connection comes from, as the listeners record it for each request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, tokio::net::TcpListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

impl<L: axum::serve::Listener<Addr = SocketAddr>> Connected<IncomingStream<'_, TlsListener<L>>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, TlsListener<L>>) -> Self {
        Self(*stream.remote_addr())
    }
}

/// The client's address, where the listener recorded it.
type Peer = Option<Extension<ConnectInfo<PeerAddr>>>;

/// Where a request comes from; `Cache-Control: no-cache` from the client asks past the entity
/// cache and the subgraphs' caches, as it asks an HTTP cache to revalidate.
fn origin(peer: Peer, read_only: bool, headers: &HeaderMap) -> Origin {
    let uncached = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|directive| directive.trim().eq_ignore_ascii_case("no-cache"));
    Origin { read_only, peer: peer.map(|Extension(ConnectInfo(PeerAddr(address)))| address.ip()), uncached }
}

async fn graphql_post(State(state): State<Arc<AppState>>, peer: Peer, headers: HeaderMap, body: Body) -> Response {
    let transport = accepted_media(&headers).and_then(|media| streams::Transport::from_accepted(&media));
    let format = match Format::from_headers(&headers) {
        Some(format) => format,
        None if transport.is_some() => Format::Json,
        None => return not_acceptable(),
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media != JSON && media != GRAPHQL_RESPONSE {
        return refusal(
            format,
            RequestError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Code::UnsupportedMediaType,
                "send the request as application/json",
            ),
        );
    }
    let limit = state.gateway.config.limits.max_body_bytes;
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            return refusal(
                format,
                RequestError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    Code::PayloadTooLarge,
                    format!("the request body is larger than the maximum of {limit} bytes"),
                ),
            );
        }
        Err(_) => return refusal(format, RequestError::bad(Code::BadRequest, "the request body could not be read")),
    };
    let request = match request_from_json(&bytes) {
        Ok(request) => request,
        Err(error) => return refusal(format, error),
    };
    let origin = origin(peer, false, &headers);
    if let Some(answer) = crate::defer::deliver::multipart(&state.gateway, &request, &headers, origin).await {
        return answer.unwrap_or_else(|error| refusal(Format::Json, error));
    }
    match transport {
        Some(transport) => stream(&state, transport, format, request, &headers, origin).await,
        None => run(&state, format, request, &headers, origin).await,
    }
}

async fn graphql_get(
    State(state): State<Arc<AppState>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    peer: Peer,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let Ok(upgrade) = upgrade {
        return ws::upgrade(state.gateway.clone(), upgrade, &headers);
    }
    let transport = accepted_media(&headers).and_then(|media| streams::Transport::from_accepted(&media));
    let format = match Format::from_headers(&headers) {
        Some(format) => format,
        None if transport.is_some() => Format::Json,
        None => return not_acceptable(),
    };
    let parse_object = |name: &str| -> Result<Option<Map<String, Value>>, RequestError> {
        let value = params.get(name).map(|text| serde_json::from_str::<Value>(text)).transpose();
        let value =
            value.map_err(|_| RequestError::bad(Code::BadRequest, format!("`{name}` must be a JSON object")))?;
        object_member(value, name)
    };
    let request = match (parse_object("variables"), parse_object("extensions")) {
        (Ok(variables), Ok(extensions)) => GraphqlRequest {
            query: params.get("query").cloned(),
            operation_name: params.get("operationName").cloned().filter(|n| !n.is_empty()),
            variables,
            extensions,
        },
        (Err(e), _) | (_, Err(e)) => return refusal(format, e),
    };
    match transport {
        Some(transport) => stream(&state, transport, format, request, &headers, origin(peer, true, &headers)).await,
        None => run(&state, format, request, &headers, origin(peer, true, &headers)).await,
    }
}

/// A request in a streaming transport; what does not stream is answered as any other.
async fn stream(
    state: &AppState,
    transport: streams::Transport,
    format: Format,
    request: GraphqlRequest,
    headers: &HeaderMap,
    origin: Origin,
) -> Response {
    match streams::respond(&state.gateway, transport, request, headers, origin).await {
        Ok(response) => response,
        Err(streams::Unstreamed::NotSubscription(request)) => run(state, format, request, headers, origin).await,
        Err(streams::Unstreamed::Refused(error)) => refusal(format, error),
    }
}

async fn run(
    state: &AppState,
    format: Format,
    request: GraphqlRequest,
    headers: &HeaderMap,
    origin: Origin,
) -> Response {
    let result = crate::request::execute(&state.gateway, request, headers, origin).await;
    static OK: LazyLock<metrics::Counter> =
        LazyLock::new(|| metrics::counter!("braid_gateway_requests_total", "outcome" => "ok"));
    static REFUSED: LazyLock<metrics::Counter> =
        LazyLock::new(|| metrics::counter!("braid_gateway_requests_total", "outcome" => "refused"));
    if result.is_ok() { &OK } else { &REFUSED }.increment(1);
    match result {
        Ok(answer) => {
            let mut response =
                (StatusCode::OK, [(header::CONTENT_TYPE, format.content_type())], answer.body).into_response();
            if let Some(quota) = answer.quota {
                quota.write_headers(response.headers_mut());
            }
            response
        }
        Err(error) => refusal(format, error),
    }
}

/// The members of a POST body; each is read as any JSON value first so that a wrong type gets
/// an error naming the member. Other members are ignored.
#[derive(serde::Deserialize)]
struct PostBody {
    #[serde(default)]
    query: Option<Value>,
    #[serde(default, rename = "operationName")]
    operation_name: Option<Value>,
    #[serde(default)]
    variables: Option<Value>,
    #[serde(default)]
    extensions: Option<Value>,
}

/// Decodes a POST body, checking each member's type.
fn request_from_json(bytes: &Bytes) -> Result<GraphqlRequest, RequestError> {
    let not_json =
        |e: serde_json::Error| RequestError::bad(Code::BadRequest, format!("the request body is not valid JSON: {e}"));
    // A struct also decodes from a JSON array; only an object is a request.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(not_json)?;
        return Err(RequestError::bad(Code::BadRequest, "the request body must be a JSON object"));
    }
    let body: PostBody = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        // Valid JSON that is no request, such as a member given twice.
        serde_json::error::Category::Data => {
            RequestError::bad(Code::BadRequest, format!("the request body is not a GraphQL request: {e}"))
        }
        _ => not_json(e),
    })?;
    let string = |value: Option<Value>, name: &str| match value {
        Some(Value::String(s)) => Ok(Some(s)),
        None | Some(Value::Null) => Ok(None),
        Some(_) => Err(RequestError::bad(Code::BadRequest, format!("`{name}` must be a string"))),
    };
    Ok(GraphqlRequest {
        query: string(body.query, "query")?,
        operation_name: string(body.operation_name, "operationName")?,
        variables: object_member(body.variables, "variables")?,
        extensions: object_member(body.extensions, "extensions")?,
    })
}

/// A request member that must be a JSON object when present and not null.
fn object_member(value: Option<Value>, name: &str) -> Result<Option<Map<String, Value>>, RequestError> {
    match value {
        Some(Value::Object(map)) => Ok(Some(map)),
        None | Some(Value::Null) => Ok(None),
        Some(_) => Err(RequestError::bad(Code::BadRequest, format!("`{name}` must be an object"))),
    }
}

/// A request refused before execution. With `application/json`, errors about the document
/// (parse, validation, variables) keep status 200, as the specification's legacy mode asks.
fn refusal(format: Format, error: RequestError) -> Response {
    let document_error = error.status == StatusCode::BAD_REQUEST
        && error.errors.first().and_then(GraphqlError::code) != Some(Code::BadRequest.as_str());
    let status = if format == Format::Json && document_error { StatusCode::OK } else { error.status };
    let mut response =
        (status, [(header::CONTENT_TYPE, format.content_type())], respond::errors_only(&error.errors)).into_response();
    if error.status == StatusCode::METHOD_NOT_ALLOWED {
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    if let Some(quota) = error.quota {
        quota.write_headers(response.headers_mut());
    }
    response
}

fn not_acceptable() -> Response {
    let error = GraphqlError::new(Code::NotAcceptable, braid_kit::accept::NOT_ACCEPTABLE);
    (StatusCode::NOT_ACCEPTABLE, [(header::CONTENT_TYPE, JSON)], respond::errors_only(&[error])).into_response()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let error = GraphqlError::new(Code::InternalServerError, "internal error");
    (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, JSON)], respond::errors_only(&[error])).into_response()
}

mod probes;
mod web;

pub use probes::admin_router;

#[cfg(test)]
mod tests;
