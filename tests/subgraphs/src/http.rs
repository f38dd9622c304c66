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
}

/// An axum router serving `executor` at `/graphql`, every GraphQL request answered after `delay`.
pub(crate) fn router<E: Executor>(executor: E, delay: Option<Duration>) -> Router {
    Router::new()
        .route("/graphql", get(get_graphql::<E>).post(post_graphql::<E>))
        .route("/health", get(|| async { "ok" }))
        .with_state(Served { executor, delay })
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
    let answer = served.executor.execute_batch(batch).await;
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
