//! The gateway's state: the current schema and its subgraph connections, the caches the stages
//! keep, and the connections open on this instance. [`crate::request`] runs a request through it.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use braid_access::cache::AccessCache;
use bytes::Bytes;
use http::HeaderMap;

use crate::authenticate::Authenticator;
use crate::authorize::owners::Owners;
use crate::config::GatewayConfig;
use crate::error::{GatewayError, RequestError};
use crate::execute::client::SubgraphClient;
use crate::execute::headers::Propagate;
use crate::persisted::Persisted;
use crate::prepare::Operations;
use crate::single_flight::SingleFlight;
use crate::supergraph::Supergraph;

/// The schema and the subgraph connections that go with it; swapped as one on reload.
pub struct Runtime {
    pub supergraph: Arc<Supergraph>,
    pub client: SubgraphClient,
}

/// The gateway service.
pub struct Gateway {
    pub config: Arc<GatewayConfig>,
    runtime: ArcSwap<Runtime>,
    pub(crate) authenticator: Authenticator,
    pub(crate) persisted: Persisted,
    /// Prepared operations and their plans.
    pub(crate) operations: Operations,
    /// Permission lookups for `@ownedBy`.
    pub(crate) owners: Arc<Owners>,
    pub(crate) propagate: Propagate,
    /// Client requests in flight, by what makes two identical.
    pub(crate) in_flight: SingleFlight<Bytes>,
    /// GraphQL over WebSocket connections open on this instance.
    pub sockets: crate::connections::Connections,
    /// Event streams (SSE, multipart) open on this instance.
    pub streams: crate::connections::Connections,
    /// The subscribers to events on this instance.
    pub hub: Arc<crate::subscriptions::hub::Hub>,
    /// Answers to events shared by identical subscriptions.
    pub resolutions: crate::subscriptions::shared::Resolutions,
    /// Turns to open a subscription (`subscriptions.max_opening`).
    pub(crate) opening: tokio::sync::Semaphore,
    /// Where events are read from (see [`Gateway::consume_events`]); without, event-bound
    /// subscription fields are refused rather than left silent.
    pub(crate) events: std::sync::OnceLock<Arc<dyn braid_kit::events::EventBus>>,
    /// Request budgets per client (`rate_limit`); unset when they are off.
    pub(crate) rate_limit: std::sync::OnceLock<crate::rate_limit::RateLimiter>,
    /// Subgraph answers kept (`entity_cache`); unset when it is off.
    pub(crate) entity_cache: std::sync::OnceLock<Arc<crate::entity_cache::EntityCache>>,
    /// The TLS of calls to subgraphs (`client_tls`), read once: a reload keeps it.
    tls: Arc<rustls::ClientConfig>,
}

impl Gateway {
    /// A gateway over `supergraph`; permission answers are cached in `cache`. Install the
    /// process's metrics recorder before this.
    pub fn new(
        config: GatewayConfig,
        supergraph: Supergraph,
        cache: Arc<dyn braid_kit::cache::Cache>,
    ) -> Result<Arc<Self>, GatewayError> {
        let cache = AccessCache::new(cache, Duration::from_secs(config.access.cache.ttl_secs));
        let authenticator = Authenticator::new(&config, cache.clone())?;
        let tls = Arc::new(braid_kit::tls::client_config(&config.client_tls)?);
        crate::rate_limit::register_metrics();
        let owners = Arc::new(Owners::new(&config, &supergraph.endpoints, cache)?);
        let propagate = Propagate::new(&config)?;
        let config = Arc::new(config);
        let client = SubgraphClient::new(&supergraph.endpoints, &config, tls.clone())?;
        Ok(Arc::new(Self {
            authenticator,
            persisted: Persisted::new(&config.persisted)?,
            operations: Operations::new(config.clone()),
            owners,
            runtime: ArcSwap::from_pointee(Runtime { supergraph: Arc::new(supergraph), client }),
            propagate,
            in_flight: SingleFlight::default(),
            opening: tokio::sync::Semaphore::new(config.subscriptions.max_opening),
            config,
            sockets: crate::connections::Connections::new("braid_gateway_websocket_connections"),
            streams: crate::connections::Connections::new("braid_gateway_stream_connections"),
            hub: crate::subscriptions::hub::Hub::new(SUBSCRIBER_BUFFER, SUBSCRIBER_MAX_SKIPPED),
            resolutions: crate::subscriptions::shared::Resolutions::default(),
            events: std::sync::OnceLock::new(),
            rate_limit: std::sync::OnceLock::new(),
            entity_cache: std::sync::OnceLock::new(),
            tls,
        }))
    }

    /// Connects the stores of the request budgets (`rate_limit`) and of the entity cache
    /// (`entity_cache`), when they are on. Before [`crate::server::router`]: the invalidation
    /// endpoint is routed only when the cache is on.
    pub async fn connect_stores(&self) -> Result<(), GatewayError> {
        if let Some(limiter) = crate::rate_limit::RateLimiter::from_config(&self.config.rate_limit).await? {
            let _ = self.rate_limit.set(limiter);
        }
        if let Some(cache) = crate::entity_cache::EntityCache::from_config(&self.config.entity_cache).await? {
            let _ = self.entity_cache.set(Arc::new(cache));
        }
        Ok(())
    }

    /// The schema and connections requests start on now.
    pub fn runtime(&self) -> Arc<Runtime> {
        self.runtime.load_full()
    }

    /// Swaps in a new schema; requests already running finish on the old one.
    pub fn replace_supergraph(&self, supergraph: Supergraph) -> Result<(), GatewayError> {
        let client = SubgraphClient::new(&supergraph.endpoints, &self.config, self.tls.clone())?;
        self.runtime.store(Arc::new(Runtime { supergraph: Arc::new(supergraph), client }));
        Ok(())
    }

    /// Ends every WebSocket and event stream, and refuses new ones (the server is shutting down).
    pub fn close_connections(&self) {
        self.sockets.close_all();
        self.streams.close_all();
        if let Some(cache) = self.entity_cache.get() {
            cache.close();
        }
    }

    /// Whether shutdown has begun: the port is closed and what is in flight drains.
    pub fn stopping(&self) -> bool {
        self.sockets.is_closing()
    }

    /// Feeds the event-bound subscription fields from `bus`, reading with a consumer group of
    /// this instance's own from the latest offsets, until `shutdown` resolves. Each event first
    /// invalidates what the entity cache holds of it, then reaches the subscribers.
    pub fn consume_events(
        self: &Arc<Self>,
        bus: Arc<dyn braid_kit::events::EventBus>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let mut topics: Vec<String> = self.runtime().supergraph.events.values().map(|b| b.topic.clone()).collect();
        let cache = self.entity_cache.get().cloned();
        topics.extend(cache.iter().flat_map(|c| c.topics().cloned()));
        topics.sort();
        topics.dedup();
        let group = format!("braid-gateway-{:016x}", rand::random::<u64>());
        let _ = self.events.set(bus.clone());
        let invalidate = cache.map(|cache| {
            let gateway = Arc::downgrade(self);
            let invalidate: crate::subscriptions::pump::Invalidate = Arc::new(move |topic, key| {
                let (cache, gateway) = (cache.clone(), gateway.clone());
                Box::pin(async move {
                    let Some(gateway) = gateway.upgrade() else { return };
                    cache.on_event(&gateway.runtime().supergraph.cache, &topic, &key).await;
                })
            });
            invalidate
        });
        let pump = crate::subscriptions::pump::pump(self.hub.clone(), bus, group, topics, invalidate, shutdown);
        tokio::spawn(pump)
    }

    /// Verifies the bearer token in `headers`, if any (a WebSocket's `connection_init`);
    /// answers when the token expires (seconds since the Unix epoch).
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Option<u64>, RequestError> {
        self.authenticator.identity(headers).await.map(|identity| identity.expires_at)
    }
}

/// Events a subscriber's feed holds before further ones are skipped.
const SUBSCRIBER_BUFFER: usize = 64;
/// Events skipped in a row after which a subscriber's feed ends.
const SUBSCRIBER_MAX_SKIPPED: u64 = 256;
