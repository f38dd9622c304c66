//! The Braid federation gateway.
//!
//! A request meets the stages in this order, each its own module: [`authenticate`],
//! [`persisted`] operations, [`parse`], [`limits`], [`validate`], [`plan`], [`authorize`], [`rate_limit`],
//! [`variables`] (coercion), [`cost`], [`execute`] and [`respond`]. [`request`] drives them (its
//! `Gateway::run` reads as that list); [`prepare`] caches what parse to plan make of a text.
//! Around them: [`server`] is the HTTP edge, [`ws`] GraphQL over WebSocket, [`streams`] SSE and
//! multipart, [`subscriptions`] what they stream.

// Functions over 80 lines (clippy.toml) are split into named steps.
#![warn(clippy::too_many_lines)]

// The request path, in order.
mod request;
mod authenticate;
pub mod persisted;
mod parse;
mod limits;
mod validate;
mod plan;
mod authorize;
mod rate_limit;
mod cost;
mod defer;
mod variables;
mod execute;
pub mod entity_cache;
mod respond;
mod prepare;

// What the stages read.
pub mod config;
pub mod error;
mod introspection;
mod policy;
pub mod supergraph;
mod types;

// Around the path.
mod connections;
pub mod reload;
pub mod server;
mod service;
mod single_flight;
mod streams;
mod subscriptions;
mod workers;
mod ws;

pub use config::GatewayConfig;
pub use error::GatewayError;
pub use request::GraphqlRequest;
pub use service::Gateway;
pub use supergraph::Supergraph;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;

/// Loads the supergraph file named by `config`, serves it on `listener` and, when configured,
/// reloads it on change, until `shutdown` resolves.
pub async fn run(
    config: GatewayConfig,
    listener: tokio::net::TcpListener,
    metrics: PrometheusHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), GatewayError> {
    let path =
        config.supergraph.path.clone().ok_or_else(|| {
            GatewayError::Config("no supergraph file: pass --supergraph or set supergraph.path".into())
        })?;
    let supergraph = load(&path)?;
    let hot_reload = config.supergraph.hot_reload;
    let (workers, work_stealing) = (workers::count(config.server.workers), config.server.work_stealing);
    let tls = braid_kit::tls::ServerTls::load(&config.server.tls)?;
    let cache = braid_kit::cache::from_config(&config.access.cache).await?;
    let bus = events_bus(&config.events)?;
    // Bound before any loop starts, so that a taken port fails the start with nothing to stop.
    let admin = match config.server.admin_listen {
        Some(addr) => Some(tokio::net::TcpListener::bind(addr).await.map_err(GatewayError::Io)?),
        None => None,
    };
    let gateway = Gateway::new(config, supergraph, cache)?;
    gateway.connect_stores().await?;
    let stop = tokio_util::sync::CancellationToken::new();
    let watcher =
        hot_reload.then(|| tokio::spawn(reload::watch(gateway.clone(), path.clone(), stop.clone().cancelled_owned())));
    let pump = bus.map(|bus| gateway.consume_events(bus, stop.clone().cancelled_owned()));
    let admin = admin.map(|listener| {
        let router = server::admin_router(gateway.clone(), metrics.clone());
        let stopped = stop.clone().cancelled_owned();
        tokio::spawn(async move { axum::serve(listener, router).with_graceful_shutdown(stopped).await })
    });
    let router = server::router(gateway.clone(), metrics);
    // Only rate limits read the client's address; without them requests skip recording it.
    let peers = gateway.config.rate_limit.backend != config::RateLimitBackend::None;
    let shutdown = async move {
        shutdown.await;
        gateway.close_connections();
    };
    let result = if work_stealing {
        server::serve(listener, tls, router, shutdown).await
    } else {
        workers::serve(listener, tls, router, (workers, peers), shutdown).await
    };
    stop.cancel();
    if let Some(watcher) = watcher {
        let _ = watcher.await;
    }
    if let Some(pump) = pump {
        let _ = pump.await;
    }
    if let Some(admin) = admin {
        let _ = admin.await;
    }
    result.map_err(GatewayError::Io)
}

/// The bus the `[events]` section names, if any.
fn events_bus(config: &config::EventsConfig) -> Result<Option<Arc<dyn braid_kit::events::EventBus>>, GatewayError> {
    match config.backend {
        config::EventsSource::None => Ok(None),
        #[cfg(not(feature = "kafka"))]
        config::EventsSource::Kafka => {
            Err(GatewayError::Config("events: this build reads no Kafka (build with the feature `kafka`)".into()))
        }
        #[cfg(feature = "kafka")]
        config::EventsSource::Kafka => {
            let kafka = braid_kit::config::EventsConfig {
                backend: braid_kit::config::EventsBackend::Kafka,
                brokers: config.brokers.clone(),
                topic_prefix: config.topic_prefix.clone(),
                fetch_wait_ms: config.fetch_wait_ms,
                ..Default::default()
            };
            let bus = braid_kit::events::kafka::KafkaBus::new(&kafka)?;
            Ok(Some(Arc::new(bus)))
        }
    }
}

/// Reads and parses a supergraph file.
pub fn load(path: &Path) -> Result<Supergraph, GatewayError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| GatewayError::SupergraphFile { path: path.to_path_buf(), source })?;
    Supergraph::parse(&text)
}

/// Convenience for tests and the demo: a gateway over an in-memory supergraph SDL; `cache`
/// (default: the one `access.cache` names) holds permission answers.
pub async fn gateway_from_sdl(
    config: GatewayConfig,
    sdl: &str,
    cache: Option<Arc<dyn braid_kit::cache::Cache>>,
) -> Result<Arc<Gateway>, GatewayError> {
    let cache = match cache {
        Some(cache) => cache,
        None => braid_kit::cache::from_config(&config.access.cache).await?,
    };
    let gateway = Gateway::new(config, Supergraph::parse(sdl)?, cache)?;
    gateway.connect_stores().await?;
    Ok(gateway)
}
