//! `/health` (the process serves), `/ready` (it serves the current supergraph), `/metrics`,
//! and the admin listener that serves only them.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use braid_kit::accept::JSON;
use metrics_exporter_prometheus::PrometheusHandle;

use super::AppState;
use crate::service::Gateway;

/// `/health`, `/ready` and `/metrics` alone, for the admin listener (`server.admin_listen`).
pub fn admin_router(gateway: Arc<Gateway>, metrics: PrometheusHandle) -> Router {
    routes().with_state(Arc::new(AppState { gateway, metrics }))
}

/// The three routes, on the main listener and on the admin one.
pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/health", get(health)).route("/ready", get(ready)).route("/metrics", get(render_metrics))
}

/// 200 while this instance serves `/graphql`; 503 once it is shutting down, on connections
/// still open while it drains (closed after the answer), so a probe never counts a stopping
/// instance as one that serves.
async fn health(State(state): State<Arc<AppState>>) -> Response {
    if state.gateway.stopping() {
        return stopping();
    }
    ([(header::CONTENT_TYPE, JSON)], "{\"status\":\"ok\"}").into_response()
}

fn stopping() -> Response {
    let headers = [(header::CONTENT_TYPE, JSON), (header::CONNECTION, "close")];
    (StatusCode::SERVICE_UNAVAILABLE, headers, "{\"status\":\"stopping\"}").into_response()
}

async fn ready(State(state): State<Arc<AppState>>) -> Response {
    if state.gateway.stopping() {
        return stopping();
    }
    let runtime = state.gateway.runtime();
    let body = serde_json::json!({ "status": "ready", "subgraphs": runtime.supergraph.endpoints.len() });
    ([(header::CONTENT_TYPE, JSON)], body.to_string()).into_response()
}

async fn render_metrics(State(state): State<Arc<AppState>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}
