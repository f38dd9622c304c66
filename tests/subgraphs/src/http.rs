//! The HTTP side of a subgraph: `POST /graphql` (JSON body, single or batched), `GET /graphql`
//! (`query`, `operationName`, `variables` in the query string), subscriptions over WebSocket on
//! `GET /graphql` (graphql-transport-ws or the older graphql-ws) and `GET /health`.

use std::{collections::HashMap, time::Duration};

use crate::entities::with_entity_state;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{BatchRequest, BatchResponse, Executor, Request, Variables};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    Router,
    body::Bytes,
    extract::{Query, State, WebSocketUpgrade, ws::rejection::WebSocketUpgradeRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

#[derive(Clone)]
struct Served<E> {
    executor: E,
    delay: Option<Duration>,
    cache_tags: bool,
}

/// How requests are answered, besides the schema.
#[derive(Clone, Copy)]
pub(crate) struct Serving {
    /// Every GraphQL request is answered after it.
    pub delay: Option<Duration>,
    /// Answers carry cache tags (see [`crate::Options::cache_tags`]).
    pub cache_tags: bool,
}

/// An axum router serving `executor` at `/graphql`.
pub(crate) fn router<E: Executor>(executor: E, serving: Serving) -> Router {
    let Serving { delay, cache_tags } = serving;
    Router::new()
        .route("/graphql", get(get_graphql::<E>).post(post_graphql::<E>))
        .route("/health", get(|| async { "ok" }))
        .with_state(Served { executor, delay, cache_tags })
}

async fn post_graphql<E: Executor>(State(served): State<Served<E>>, headers: HeaderMap, body: Bytes) -> Response {
    // accounts' `me` is whoever `x-user` names (a stand-in for a token's subject).
    let viewer = headers.get("x-user").and_then(|v| v.to_str().ok()).map(|v| Viewer(v.to_string()));
    let prepare = |request: Request| {
        let request = with_entity_state(request);
        match &viewer {
            Some(viewer) => request.data(viewer.clone()),
            None => request,
        }
    };
    let batch = match serde_json::from_slice(&body) {
        Ok(BatchRequest::Single(request)) => BatchRequest::Single(prepare(request)),
        Ok(BatchRequest::Batch(requests)) => BatchRequest::Batch(requests.into_iter().map(prepare).collect()),
        Err(error) => return bad_request(&format!("invalid GraphQL request body: {error}")),
    };
    if let Some(delay) = served.delay {
        tokio::time::sleep(delay).await;
    }
    let representations = match &batch {
        BatchRequest::Single(request) if served.cache_tags => Some(representations(request)),
        _ => None,
    };
    let mut answer = served.executor.execute_batch(batch).await;
    if let (BatchResponse::Single(single), Some(representations)) = (&mut answer, representations) {
        tag(single, &representations);
    }
    let mut response = json(&answer);
    // The fields' `cache_control` hints, as a subgraph built on async-graphql sends them.
    if let BatchResponse::Single(single) = &answer
        && single.errors.is_empty()
        && let Some(value) = single.cache_control.value().and_then(|v| HeaderValue::from_str(&v).ok())
    {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// The representations a request's variables hold (one list of them, as a gateway sends for
/// an `_entities` fetch), as the tags of their entities: `Product-2` (type and `upc` or `id`).
fn representations(request: &Request) -> Vec<String> {
    let variables = serde_json::to_value(&request.variables).unwrap_or_default();
    let lists: Vec<&Vec<serde_json::Value>> = variables
        .as_object()
        .into_iter()
        .flat_map(|v| v.values())
        .filter_map(|v| v.as_array())
        .filter(|list| list.iter().all(|item| item.get("__typename").is_some()))
        .collect();
    let [list] = lists.as_slice() else { return Vec::new() };
    list.iter()
        .map(|rep| {
            let key =
                rep.get("upc").or_else(|| rep.get("id")).map(|k| k.as_str().map_or(k.to_string(), str::to_string));
            format!("{}-{}", rep["__typename"].as_str().unwrap_or_default(), key.unwrap_or_default())
        })
        .collect()
}

/// Puts cache tags on `response`: its root fields' response keys, and `entities` for
/// `_entities`.
fn tag(response: &mut async_graphql::Response, entities: &[String]) {
    let async_graphql::Value::Object(data) = &response.data else { return };
    let roots: Vec<String> =
        data.keys().map(|k| k.to_string()).filter(|k| k != "_entities" && k != "_service").collect();
    if data.contains_key("_entities") && !entities.is_empty() {
        let lists: Vec<Vec<String>> = entities.iter().map(|tag| vec![tag.clone()]).collect();
        let value = async_graphql::Value::from_json(serde_json::json!(lists)).unwrap_or_default();
        response.extensions.insert("apolloEntityCacheTags".to_string(), value);
    }
    if !roots.is_empty() {
        let value = async_graphql::Value::from_json(serde_json::json!(roots)).unwrap_or_default();
        response.extensions.insert("apolloCacheTags".to_string(), value);
    }
}

/// The viewer a request names in `x-user`.
#[derive(Debug, Clone)]
pub(crate) struct Viewer(pub String);

async fn get_graphql<E: Executor>(
    State(served): State<Served<E>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    protocol: Result<GraphQLProtocol, StatusCode>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let (Ok(upgrade), Ok(protocol)) = (upgrade, protocol) {
        let executor = served.executor.clone();
        return upgrade
            .protocols(ALL_WEBSOCKET_PROTOCOLS)
            .on_upgrade(move |socket| GraphQLWebSocket::new(socket, executor, protocol).serve())
            .into_response();
    }
    let Some(query) = params.get("query") else {
        return bad_request("missing `query` parameter");
    };
    let mut request = with_entity_state(Request::new(query.as_str()));
    if let Some(name) = params.get("operationName") {
        request = request.operation_name(name.as_str());
    }
    if let Some(variables) = params.get("variables") {
        match serde_json::from_str::<serde_json::Value>(variables) {
            Ok(value) => request = request.variables(Variables::from_json(value)),
            Err(error) => return bad_request(&format!("invalid `variables` parameter: {error}")),
        }
    }
    if let Some(delay) = served.delay {
        tokio::time::sleep(delay).await;
    }
    json(&served.executor.execute(request).await)
}

fn json(body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

fn bad_request(message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }] });
    let mut response = json(&body);
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
}
