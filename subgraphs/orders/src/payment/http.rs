//! The simulated provider over HTTP: the server `braid payment-provider` runs, and the
//! client adapter the payment participant uses when `payment.url` is set.
//!
//! API: `POST /v1/captures` `{key, amountMinor, currency}`, `POST /v1/refunds` `{key}`
//! (both answer the outcome as JSON, 503 when the call failed), `GET /v1/ledger`,
//! `GET|PUT /admin/faults`, `GET /health`.

use async_trait::async_trait;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use braid_kit::telemetry::context;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tracing::Instrument as _;

use super::provider::{Capture, CaptureRequest, PaymentProvider, ProviderError, Refund};
use super::simulated::{Faults, SimulatedProvider};

#[derive(Deserialize)]
struct RefundRequest {
    key: String,
}

fn answer<T: serde::Serialize>(result: Result<T, ProviderError>) -> Response {
    match result {
        Ok(body) => Json(body).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "error": e.to_string() }))).into_response(),
    }
}

/// The provider's HTTP API.
pub fn router(provider: SimulatedProvider) -> axum::Router {
    axum::Router::new()
        .route(
            "/v1/captures",
            post(|State(p): State<SimulatedProvider>, Json(r): Json<CaptureRequest>| async move {
                answer(p.capture(&r).await)
            }),
        )
        .route(
            "/v1/refunds",
            post(|State(p): State<SimulatedProvider>, Json(r): Json<RefundRequest>| async move {
                answer(p.refund(&r.key).await)
            }),
        )
        .route("/v1/ledger", get(|State(p): State<SimulatedProvider>| async move { Json(p.ledger()) }))
        .route(
            "/admin/faults",
            get(|State(p): State<SimulatedProvider>| async move { Json(p.faults()) }).put(
                |State(p): State<SimulatedProvider>, Json(f): Json<Faults>| async move {
                    match f.validate() {
                        Ok(()) => {
                            p.set_faults(f);
                            StatusCode::NO_CONTENT.into_response()
                        }
                        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({ "error": e }))).into_response(),
                    }
                },
            ),
        )
        .route("/health", get(|| async { "ok" }))
        .with_state(provider)
}

/// A provider reached over HTTP.
pub struct HttpProvider {
    base: String,
    client: reqwest::Client,
}

impl HttpProvider {
    /// The provider at `base`, called with `client` (its TLS and time limit).
    pub fn new(base: &str, client: reqwest::Client) -> Self {
        Self { base: base.trim_end_matches('/').to_string(), client }
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, body: serde_json::Value) -> Result<T, ProviderError> {
        let url = format!("{}{path}", self.base);
        let span = context::client_span(&format!("POST {path}"));
        let request = context::traced(self.client.post(url), &span).json(&body);
        let response = request.send().instrument(span).await.map_err(|e| {
            if e.is_timeout() { ProviderError::Timeout } else { ProviderError::Unavailable(e.to_string()) }
        })?;
        if !response.status().is_success() {
            return Err(ProviderError::Unavailable(format!("status {}", response.status())));
        }
        response.json().await.map_err(|e| ProviderError::Unavailable(e.to_string()))
    }
}

#[async_trait]
impl PaymentProvider for HttpProvider {
    async fn capture(&self, request: &CaptureRequest) -> Result<Capture, ProviderError> {
        self.post("/v1/captures", serde_json::to_value(request).expect("requests serialize")).await
    }

    async fn refund(&self, key: &str) -> Result<Refund, ProviderError> {
        self.post("/v1/refunds", json!({ "key": key })).await
    }
}
