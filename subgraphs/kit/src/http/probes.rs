//! `/health` (the process answers), `/ready` (its dependencies answer), `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::cache::Cache;
use crate::events::EventBus;
use crate::replica::ReadRouter;

/// The dependencies `/ready` checks.
pub struct Probes {
    pub db: DatabaseConnection,
    /// Its standby, if any: reported, but reads go to the primary while it is unwell.
    pub reads: ReadRouter,
    pub bus: Arc<dyn EventBus>,
    pub cache: Arc<dyn Cache>,
}

pub(super) async fn health() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

pub(super) async fn ready(State(probes): State<Arc<Probes>>) -> Response {
    let limit = Duration::from_secs(3);
    let (db, bus, cache) = tokio::join!(
        tokio::time::timeout(limit, crate::db::ping(&probes.db)),
        tokio::time::timeout(limit, probes.bus.ping()),
        tokio::time::timeout(limit, probes.cache.ping()),
    );
    let verdict = |r: Result<Result<(), String>, _>| match r {
        Ok(Ok(())) => "ok".to_string(),
        Ok(Err(e)) => e,
        Err(_) => "timed out".to_string(),
    };
    let mut checks = json!({
        "database": verdict(db.map(|r| r.map_err(|e| e.to_string()))),
        "broker": verdict(bus.map(|r| r.map_err(|e| e.to_string()))),
        "cache": verdict(cache.map(|r| r.map_err(|e| e.to_string()))),
    });
    let ok = checks.as_object().is_some_and(|m| m.values().all(|v| v == "ok"));
    // A standby in trouble leaves the service ready (the primary takes its reads) but says so.
    let replica = probes.reads.has_standby().then(|| probes.reads.problem());
    if let Some(problem) = &replica {
        checks["replica"] =
            json!(problem.as_ref().map_or("ok".to_string(), |p| format!("{p}; reads go to the primary")));
    }
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let said = match (ok, replica) {
        (false, _) => "not ready",
        (true, Some(Some(_))) => "degraded",
        (true, _) => "ready",
    };
    (status, Json(json!({ "status": said, "checks": checks }))).into_response()
}

pub(super) async fn metrics() -> Response {
    let body = crate::telemetry::prometheus().render();
    ([(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
