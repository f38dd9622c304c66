//! Serving: GraphQL over HTTP, probes, metrics, and the tower layers around them.

mod graphql;
mod probes;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::Executor;
use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use graphql::{DocumentCache, GraphqlEndpoint, NoCache, error_response};
pub use probes::Probes;

use crate::auth::Verifier;

/// Everything the router needs.
pub struct RouterParts<E> {
    pub service: &'static str,
    pub executor: E,
    pub verifier: Option<Arc<Verifier>>,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    pub probes: Probes,
}

/// `POST/GET /graphql`, `/health`, `/ready`, `/metrics`.
pub fn router<E: Executor>(parts: RouterParts<E>) -> Router {
    let service = parts.service;
    let endpoint = Arc::new(GraphqlEndpoint {
        executor: parts.executor,
        verifier: parts.verifier,
        max_body_bytes: parts.max_body_bytes,
        documents: DocumentCache::new(1_000),
    });
    Router::new()
        .route("/graphql", get(graphql::get::<E>).post(graphql::post::<E>).with_state(endpoint))
        .merge(admin_router(parts.probes))
        .layer(middleware::from_fn(move |req, next| record(service, req, next)))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            http::StatusCode::REQUEST_TIMEOUT,
            parts.request_timeout,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(server_span).on_response(record_status))
        .layer(CatchPanicLayer::custom(graphql::panic_response))
}

/// `/health`, `/ready` and `/metrics`: on the main listener, and alone on the admin one
/// (`server.admin_listen`), plain HTTP for the kubelet's probes and Prometheus, which present
/// no client certificate to a listener with mutual TLS.
pub fn admin_router(probes: Probes) -> Router {
    Router::new()
        .route("/health", get(probes::health))
        .route("/ready", get(probes::ready).with_state(Arc::new(probes)))
        .route("/metrics", get(probes::metrics))
}

/// A GraphQL request's span, continuing the caller's trace (`traceparent`); the probes and
/// `/metrics` take none. Off when traces are.
fn server_span(request: &http::Request<axum::body::Body>) -> tracing::Span {
    if request.uri().path() != "/graphql" {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        "http.server",
        otel.kind = "server",
        otel.name = format!("{} /graphql", request.method()),
        http.request.method = %request.method(),
        http.route = "/graphql",
        http.response.status_code = tracing::field::Empty,
        trace_id = tracing::field::Empty,
    );
    crate::telemetry::context::continue_from_headers(&span, request.headers());
    span
}

fn record_status(response: &http::Response<axum::body::Body>, _: Duration, span: &tracing::Span) {
    span.record("http.response.status_code", response.status().as_u16());
}

async fn record(service: &'static str, req: Request, next: Next) -> Response {
    let path = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "other".into());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("braid_http_requests_total", "service" => service, "path" => path.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("braid_http_request_duration_seconds", "service" => service, "path" => path)
        .record(started.elapsed().as_secs_f64());
    response
}
