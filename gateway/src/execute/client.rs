//! The subgraph HTTP client: pooled keep-alive connections, per-subgraph timeouts, and
//! identical in-flight fetches sent once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::FutureExt;
use http::{HeaderMap, HeaderValue, Request, header};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tracing::Instrument as _;

use crate::config::GatewayConfig;
use crate::error::GatewayError;
use crate::single_flight::SingleFlight;

pub use super::response::SubgraphResponse;

/// Why a subgraph fetch produced no response body.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("no URL is configured for subgraph '{0}'")]
    UnknownSubgraph(String),
    #[error("request to subgraph '{0}' timed out after {1} ms")]
    Timeout(String, u64),
    #[error("request to subgraph '{0}' failed: {1}")]
    Transport(String, String),
    #[error("subgraph '{0}' answered with HTTP status {1}")]
    Status(String, u16),
    #[error("subgraph '{0}' sent an invalid response: {1}")]
    Invalid(String, String),
}

type Answer = Result<Arc<SubgraphResponse>, FetchError>;

struct Endpoint {
    uri: http::Uri,
    /// Where the subgraph's own subscriptions are served (WebSocket).
    subscriptions: String,
    /// The `Host` header, made once (the HTTP client would format it for every request).
    host: Option<HeaderValue>,
    timeout: Duration,
    /// Whether answers' `Cache-Control` is read: only the entity cache needs it.
    cache_control: bool,
    metrics: EndpointMetrics,
}

/// Metric handles of one subgraph, registered once (labels are not looked up per fetch).
struct EndpointMetrics {
    ok: metrics::Histogram,
    failed: metrics::Histogram,
    errors: metrics::Counter,
    deduplicated: metrics::Counter,
}

impl EndpointMetrics {
    fn new(name: &str) -> Self {
        let name = name.to_string();
        Self {
            ok: metrics::histogram!("braid_gateway_subgraph_fetch_seconds", "subgraph" => name.clone(), "outcome" => "ok"),
            failed: metrics::histogram!("braid_gateway_subgraph_fetch_seconds", "subgraph" => name.clone(), "outcome" => "error"),
            errors: metrics::counter!("braid_gateway_subgraph_errors_total", "subgraph" => name.clone()),
            deduplicated: metrics::counter!("braid_gateway_subgraph_deduplicated_total", "subgraph" => name),
        }
    }
}

/// `http://` subgraphs over plain TCP, `https://` ones over TLS (`client_tls`).
type Http = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Sends GraphQL requests to subgraphs.
pub struct SubgraphClient {
    /// One connection pool per thread: a gateway worker (`crate::workers`) runs its own event
    /// loop, and a connection driven by another thread's loop would wake that thread twice per
    /// fetch.
    http: thread_local::ThreadLocal<Http>,
    pool_idle_per_host: usize,
    endpoints: HashMap<String, Endpoint>,
    dedupe: bool,
    in_flight: SingleFlight<Answer>,
    tls: Arc<rustls::ClientConfig>,
}

impl SubgraphClient {
    /// A client for the subgraphs `endpoints` names, with the URL and timeout overrides of
    /// `config`, speaking `tls` to `https://` and `wss://` ones.
    pub fn new(
        endpoints: &HashMap<String, String>,
        config: &GatewayConfig,
        tls: Arc<rustls::ClientConfig>,
    ) -> Result<Self, GatewayError> {
        let mut map = HashMap::new();
        for (name, url) in endpoints {
            let overrides = config.subgraphs.get(name);
            let url = overrides.and_then(|o| o.url.clone()).unwrap_or_else(|| url.clone());
            let uri = url.parse::<http::Uri>().map_err(|source| GatewayError::SubgraphUrl {
                name: name.clone(),
                url: url.clone(),
                source,
            })?;
            let timeout_ms = overrides.and_then(|o| o.timeout_ms).unwrap_or(config.traffic.subgraph_timeout_ms);
            let host = host_header(&uri);
            let subscriptions =
                overrides.and_then(|o| o.subscription_url.clone()).unwrap_or_else(|| websocket_url(&url));
            map.insert(
                name.clone(),
                Endpoint {
                    uri,
                    subscriptions,
                    host,
                    timeout: Duration::from_millis(timeout_ms),
                    cache_control: config.entity_cache.backend != crate::config::EntityCacheBackend::None,
                    metrics: EndpointMetrics::new(name),
                },
            );
        }
        Ok(Self {
            http: thread_local::ThreadLocal::new(),
            pool_idle_per_host: config.traffic.pool_idle_per_host,
            endpoints: map,
            dedupe: config.traffic.dedupe_subgraph_requests,
            in_flight: SingleFlight::default(),
            tls,
        })
    }

    /// Where the subgraph `name` serves its own subscriptions, its fetch time limit and the
    /// TLS to speak to it.
    pub fn subscription_endpoint(&self, name: &str) -> Option<UpstreamTarget<'_>> {
        self.endpoints.get(name).map(|e| UpstreamTarget {
            url: e.subscriptions.as_str(),
            timeout: e.timeout,
            tls: self.tls.clone(),
        })
    }

    /// This thread's connection pool.
    fn http(&self) -> Http {
        self.http
            .get_or(|| {
                let mut connector = HttpConnector::new();
                connector.set_nodelay(true);
                connector.set_keepalive(Some(Duration::from_secs(60)));
                connector.enforce_http(false);
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config((*self.tls).clone())
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(connector);
                Client::builder(TokioExecutor::new())
                    .pool_idle_timeout(Duration::from_secs(90))
                    .pool_max_idle_per_host(self.pool_idle_per_host)
                    .build(connector)
            })
            .clone()
    }

    /// POSTs `body` to the subgraph `name` and returns its decoded response. Identical fetches
    /// in flight share one only when their `epoch` agrees too (the entity cache's generations:
    /// a fetch begun after an invalidation never joins one begun before it).
    pub async fn fetch(&self, name: &str, body: Bytes, headers: &HeaderMap, may_dedupe: bool, epoch: u64) -> Answer {
        if braid_kit::telemetry::traces_on() {
            // Boxed: with traces off, the fetch's future is no larger for the span it carries on.
            return Box::pin(self.fetch_traced(name, body, headers, may_dedupe, epoch)).await;
        }
        self.fetch_timed(name, body, headers, may_dedupe, epoch).await
    }

    /// [`Self::fetch`] in a `subgraph.fetch` span, whose `traceparent` the subgraph is sent.
    async fn fetch_traced(&self, name: &str, body: Bytes, headers: &HeaderMap, may_dedupe: bool, epoch: u64) -> Answer {
        let span = tracing::info_span!(
            "subgraph.fetch",
            otel.kind = "client",
            subgraph.name = name,
            otel.status_code = tracing::field::Empty,
        );
        let headers = super::headers::traced(headers, &span);
        let result = self.fetch_timed(name, body, &headers, may_dedupe, epoch).instrument(span.clone()).await;
        if result.is_err() {
            span.record("otel.status_code", "ERROR");
        }
        result
    }

    /// The fetch itself, its latency and failures counted per subgraph.
    async fn fetch_timed(&self, name: &str, body: Bytes, headers: &HeaderMap, may_dedupe: bool, epoch: u64) -> Answer {
        let endpoint = self.endpoints.get(name).ok_or_else(|| FetchError::UnknownSubgraph(name.to_string()))?;
        let started = Instant::now();
        let result = if self.dedupe && may_dedupe {
            self.shared(name, endpoint, body, headers, epoch).await
        } else {
            send(self.http(), name.to_string(), endpoint.target(), body, headers.clone()).await
        };
        let elapsed = started.elapsed().as_secs_f64();
        if result.is_ok() {
            endpoint.metrics.ok.record(elapsed);
        } else {
            endpoint.metrics.failed.record(elapsed);
            endpoint.metrics.errors.increment(1);
        }
        result
    }

    /// Joins an identical fetch already in flight, or starts one that others may join.
    async fn shared(&self, name: &str, endpoint: &Endpoint, body: Bytes, headers: &HeaderMap, epoch: u64) -> Answer {
        let key = flight_key(name, &body, headers, epoch);
        let (answer, joined) = self
            .in_flight
            .run(key, || send(self.http(), name.to_string(), endpoint.target(), body, headers.clone()).boxed())
            .await;
        if joined {
            endpoint.metrics.deduplicated.increment(1);
        }
        answer
    }
}

fn fetch_key(name: &str, body: &[u8], headers: &HeaderMap) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(name.as_bytes());
    hasher.update(&[0]);
    hasher.update(body);
    // `traceparent` differs per request; a joined fetch carries the first request's trace.
    for (key, value) in headers.iter().filter(|(k, _)| k.as_str() != "traceparent") {
        hasher.update(key.as_str().as_bytes());
        hasher.update(&[0]);
        hasher.update(value.as_bytes());
        hasher.update(&[0]);
    }
    hasher.digest()
}

/// `host[:port]` of `uri`, the port left out when it is the scheme's default (as HTTP clients send it).
fn host_header(uri: &http::Uri) -> Option<HeaderValue> {
    let host = uri.host().filter(|h| !h.is_empty())?;
    let default_port = match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    };
    let value = match uri.port_u16() {
        Some(port) if port != default_port => format!("{host}:{port}"),
        _ => host.to_string(),
    };
    HeaderValue::from_str(&value).ok()
}

/// Where a subscription goes upstream (see [`SubgraphClient::subscription_endpoint`]).
pub struct UpstreamTarget<'a> {
    pub url: &'a str,
    pub timeout: Duration,
    pub tls: Arc<rustls::ClientConfig>,
}

/// Where one fetch goes.
struct Target {
    uri: http::Uri,
    host: Option<HeaderValue>,
    timeout: Duration,
    /// Read the answer's `Cache-Control` (the entity cache is on).
    cache_control: bool,
}

/// `url` with `ws://` for `http://` and `wss://` for `https://`.
fn websocket_url(url: &str) -> String {
    match url.split_once("://") {
        Some(("https", rest)) => format!("wss://{rest}"),
        Some(("http", rest)) => format!("ws://{rest}"),
        _ => url.to_string(),
    }
}

impl Endpoint {
    fn target(&self) -> Target {
        Target {
            uri: self.uri.clone(),
            host: self.host.clone(),
            timeout: self.timeout,
            cache_control: self.cache_control,
        }
    }
}

async fn send(http: Http, name: String, target: Target, body: Bytes, headers: HeaderMap) -> Answer {
    let Target { uri, host, timeout, cache_control } = target;
    let mut request =
        Request::post(uri).body(Full::new(body)).map_err(|e| FetchError::Transport(name.clone(), e.to_string()))?;
    *request.headers_mut() = headers;
    let request_headers = request.headers_mut();
    if let Some(host) = host {
        request_headers.insert(header::HOST, host);
    }
    request_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    request_headers
        .insert(header::ACCEPT, HeaderValue::from_static("application/graphql-response+json, application/json"));
    let exchange = async {
        let response = http.request(request).await.map_err(|e| FetchError::Transport(name.clone(), error_chain(&e)))?;
        let status = response.status();
        let cache_control = if cache_control {
            crate::entity_cache::control::CacheControl::from_headers(response.headers())
        } else {
            None
        };
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| FetchError::Transport(name.clone(), e.to_string()))?
            .to_bytes();
        // A GraphQL response with a 4xx/5xx status still carries errors worth showing.
        if !status.is_success() && !looks_like_graphql(&body) {
            return Err(FetchError::Status(name.clone(), status.as_u16()));
        }
        let mut decoded = SubgraphResponse::decode(&body).map_err(|e| FetchError::Invalid(name.clone(), e))?;
        decoded.cache_control = cache_control;
        Ok(Arc::new(decoded))
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Timeout(name, timeout.as_millis() as u64)),
    }
}

fn looks_like_graphql(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The key fetches in flight are shared under: the same subgraph, body and headers (but the
/// `traceparent`), in the same epoch.
fn flight_key(name: &str, body: &[u8], headers: &HeaderMap, epoch: u64) -> u64 {
    fetch_key(name, body, headers) ^ epoch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetches_share_a_key_only_in_the_same_epoch_with_the_same_headers() {
        let headers = |user: &str, trace: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("x-user", HeaderValue::from_str(user).unwrap());
            headers.insert("traceparent", HeaderValue::from_str(trace).unwrap());
            headers
        };
        let body = br#"{"query":"{ me { id } }"}"#;
        let key = |user, trace, epoch| flight_key("accounts", body, &headers(user, trace), epoch);
        assert_eq!(key("1", "a", 7), key("1", "b", 7), "the traceparent is left out");
        assert_ne!(key("1", "a", 7), key("2", "a", 7));
        assert_ne!(
            flight_key("accounts", body, &HeaderMap::new(), 0),
            flight_key("products", body, &HeaderMap::new(), 0)
        );
        let epochs: std::collections::HashSet<u64> = (0..=64).map(|epoch| key("1", "a", epoch)).collect();
        assert_eq!(epochs.len(), 65, "every epoch its own key");
    }

    #[test]
    fn subscriptions_go_to_the_websocket_form_of_the_url() {
        assert_eq!(websocket_url("http://reviews:4002/graphql"), "ws://reviews:4002/graphql");
        assert_eq!(websocket_url("https://reviews/graphql"), "wss://reviews/graphql");
        assert_eq!(websocket_url("ws://reviews/ws"), "ws://reviews/ws");
    }

    #[test]
    fn the_host_header_leaves_out_only_the_default_port() {
        let host = |url: &str| host_header(&url.parse().unwrap()).map(|v| v.to_str().unwrap().to_string());
        assert_eq!(host("http://127.0.0.1:4002/graphql").as_deref(), Some("127.0.0.1:4002"));
        assert_eq!(host("http://products.internal/graphql").as_deref(), Some("products.internal"));
        assert_eq!(host("http://products.internal:80/graphql").as_deref(), Some("products.internal"));
        assert_eq!(host("https://products.internal:443/").as_deref(), Some("products.internal"));
        assert_eq!(host("https://products.internal:80/").as_deref(), Some("products.internal:80"));
        assert_eq!(host("http://[::1]:8080/graphql").as_deref(), Some("[::1]:8080"));
        assert_eq!(host("/graphql"), None);
    }
}
