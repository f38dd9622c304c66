//! Gateway configuration: a TOML file plus `BRAID_SECTION__KEY` environment overrides.
//!
//! Every section denies unknown keys, so a typo stops the gateway with the key's name. The JSON
//! Schema comes from these structs ([`json_schema`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::Serialized;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::GatewayError;

mod cost;
mod entity_cache;
mod rate_limit;
mod subscriptions;
pub use cost::{CostConfig, CostMode};
pub use entity_cache::{EntityCacheBackend, EntityCacheConfig, InvalidationConfig, SubgraphCache};
pub use rate_limit::{Bucket, RateLimitBackend, RateLimitConfig};
pub use subscriptions::{EventsConfig, EventsSource, StreamsConfig, SubscriptionsConfig, WebsocketConfig};

/// Everything the gateway reads at start.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    pub server: ServerConfig,
    pub supergraph: SupergraphConfig,
    /// Per-subgraph settings, by subgraph name (as in `join__graph(name:)`).
    pub subgraphs: BTreeMap<String, SubgraphConfig>,
    pub limits: LimitsConfig,
    pub headers: HeadersConfig,
    pub traffic: TrafficConfig,
    pub persisted: PersistedConfig,
    pub introspection: IntrospectionConfig,
    pub graphiql: GraphiqlConfig,
    pub web: WebConfig,
    pub websocket: WebsocketConfig,
    pub streams: StreamsConfig,
    pub subscriptions: SubscriptionsConfig,
    pub events: EventsConfig,
    /// Bearer token verification (the same keys as a subgraph's `[auth]`).
    pub auth: braid_kit::config::AuthConfig,
    pub access: AccessConfig,
    pub rate_limit: RateLimitConfig,
    pub cost: CostConfig,
    pub entity_cache: EntityCacheConfig,
    /// TLS of the calls to subgraphs (HTTP and WebSocket), the permissions lookups and the JWKS.
    pub client_tls: braid_kit::config::ClientTlsConfig,
    /// Traces exported over OTLP.
    pub telemetry: braid_kit::config::TelemetryConfig,
}

/// Permission lookups for `@ownedBy` objects.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// The permissions subgraph's GraphQL URL (default: the subgraph named `permissions`).
    pub permissions_url: Option<String>,
    /// Where answers are cached: `redis` with the permissions subgraph's Redis and key prefix
    /// (it invalidates them there when the org, a group or a grant changes), or `none` (the
    /// default: every response asks). `memory` is refused: nothing could invalidate it.
    pub cache: braid_kit::config::CacheConfig,
    /// Time limit of one lookup, in milliseconds.
    pub timeout_ms: u64,
    /// How long checks wait to share one lookup with concurrent requests, in milliseconds.
    pub batch_delay_ms: u64,
}

impl Default for AccessConfig {
    fn default() -> Self {
        let cache = braid_kit::config::CacheConfig {
            backend: braid_kit::config::CacheBackend::None,
            ..braid_kit::config::CacheConfig::default()
        };
        Self { permissions_url: None, cache, timeout_ms: 2_000, batch_delay_ms: 1 }
    }
}

/// The HTTP listener.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    #[schemars(with = "String")]
    pub listen: SocketAddr,
    /// Time limit for one client request, in milliseconds.
    pub request_timeout_ms: u64,
    /// Threads serving requests, each with its own event loop and subgraph connections; 0 means
    /// one per available core.
    pub workers: usize,
    /// Serve on one work-stealing runtime shared by all cores instead (`workers` is then
    /// ignored): it keeps every core busy when the gateway shares its cores with other busy
    /// processes, at the price of threads waking one another on every request.
    pub work_stealing: bool,
    /// TLS on the listener (off unless a certificate is given).
    pub tls: braid_kit::config::ServerTlsConfig,
    /// A second listener, plain HTTP, serving only `/health`, `/ready` and `/metrics` (for probes
    /// and Prometheus when the main one asks for client certificates); off when unset.
    #[schemars(with = "Option<String>")]
    pub admin_listen: Option<SocketAddr>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            request_timeout_ms: 30_000,
            workers: 0,
            work_stealing: false,
            tls: braid_kit::config::ServerTlsConfig::default(),
            admin_listen: None,
        }
    }
}

/// Where the supergraph comes from.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SupergraphConfig {
    /// The supergraph SDL file (`--supergraph` overrides it).
    pub path: Option<PathBuf>,
    /// Watch the file and swap in a new schema when it changes.
    pub hot_reload: bool,
}

impl Default for SupergraphConfig {
    fn default() -> Self {
        Self { path: None, hot_reload: true }
    }
}

/// One subgraph's connection settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SubgraphConfig {
    /// Replaces the URL from `join__graph`.
    pub url: Option<String>,
    /// Time limit for one fetch, in milliseconds (default: `traffic.subgraph_timeout_ms`).
    pub timeout_ms: Option<u64>,
    /// Where the subgraph serves the subscriptions it declares itself, over WebSocket
    /// (graphql-transport-ws); default: its URL with `ws://` or `wss://`.
    pub subscription_url: Option<String>,
}

/// Protection against expensive or hostile requests.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Deepest selection nesting.
    pub max_depth: usize,
    /// Most aliased fields in one operation.
    pub max_aliases: usize,
    /// Most fields at the root of the operation.
    pub max_root_fields: usize,
    /// Most lexical tokens in the query text.
    pub max_tokens: usize,
    /// Longest time spent planning one operation, in milliseconds.
    pub max_planning_ms: u64,
    /// Most deferred fragments an operation answered incrementally may have.
    pub max_defers: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 2 * 1024 * 1024,
            max_depth: 32,
            max_aliases: 200,
            max_root_fields: 64,
            max_tokens: 15_000,
            max_planning_ms: 2_000,
            max_defers: 16,
        }
    }
}

/// Client headers passed on to subgraphs.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HeadersConfig {
    /// Header names forwarded to every subgraph (case-insensitive). `authorization` is always on
    /// this list unless `forward_authorization` is false.
    pub propagate: Vec<String>,
    pub forward_authorization: bool,
}

impl Default for HeadersConfig {
    fn default() -> Self {
        Self { propagate: Vec::new(), forward_authorization: true }
    }
}

/// Connection pooling, timeouts and deduplication.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TrafficConfig {
    /// Default time limit for one subgraph fetch, in milliseconds.
    pub subgraph_timeout_ms: u64,
    /// Identical subgraph fetches in flight at the same time are sent once.
    pub dedupe_subgraph_requests: bool,
    /// Identical client requests in flight at the same time are executed once.
    pub dedupe_client_requests: bool,
    /// Idle keep-alive connections kept per subgraph.
    pub pool_idle_per_host: usize,
    /// Operations whose plan and parsed form are cached.
    pub plan_cache_size: u64,
}

impl Default for TrafficConfig {
    fn default() -> Self {
        Self {
            subgraph_timeout_ms: 10_000,
            dedupe_subgraph_requests: true,
            dedupe_client_requests: false,
            pool_idle_per_host: 256,
            plan_cache_size: 1_000,
        }
    }
}

/// Which operation documents are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PersistedMode {
    /// Any valid operation, plus automatic persisted queries.
    Open,
    /// Only operations in the allowlist, by hash or by text.
    Allowlist,
}

/// Automatic persisted queries and the allowlist.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PersistedConfig {
    pub mode: PersistedMode,
    /// Accept `extensions.persistedQuery` (APQ) registrations and lookups.
    pub apq: bool,
    /// Operations remembered by APQ.
    pub apq_capacity: u64,
    /// A JSON file: an object of sha256 hex hash to operation text, or an array of texts.
    pub allowlist_path: Option<PathBuf>,
}

impl Default for PersistedConfig {
    fn default() -> Self {
        Self { mode: PersistedMode::Open, apq: true, apq_capacity: 10_000, allowlist_path: None }
    }
}

/// Schema introspection.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct IntrospectionConfig {
    pub enabled: bool,
}

impl Default for IntrospectionConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// The GraphiQL page at `/graphiql`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GraphiqlConfig {
    pub enabled: bool,
}

impl Default for GraphiqlConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// The web app (built into `web/dist` and embedded in the binary) at `/` and its client routes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    pub enabled: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

impl GatewayConfig {
    /// Reads defaults, then `file` (which must exist if given), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, GatewayError> {
        let config: Self = braid_kit::config::extract(Figment::from(Serialized::defaults(Self::default())), file)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks values serde cannot: non-zero limits and parseable URLs.
    pub fn validate(&self) -> Result<(), GatewayError> {
        let limits = &self.limits;
        for (name, value) in [
            ("limits.max_body_bytes", limits.max_body_bytes),
            ("limits.max_depth", limits.max_depth),
            ("limits.max_aliases", limits.max_aliases),
            ("limits.max_root_fields", limits.max_root_fields),
            ("limits.max_tokens", limits.max_tokens),
            ("limits.max_defers", limits.max_defers),
            ("websocket.max_connections", self.websocket.max_connections),
            ("websocket.max_operations", self.websocket.max_operations),
            ("websocket.max_message_bytes", self.websocket.max_message_bytes),
            ("websocket.init_timeout_ms", self.websocket.init_timeout_ms as usize),
            ("websocket.keepalive_ms", self.websocket.keepalive_ms as usize),
            ("streams.heartbeat_ms", self.streams.heartbeat_ms as usize),
            ("streams.max_streams", self.streams.max_streams),
            ("subscriptions.max_opening", self.subscriptions.max_opening),
            ("events.fetch_wait_ms", self.events.fetch_wait_ms as usize),
        ] {
            if value == 0 {
                return Err(GatewayError::Config(format!("{name} must be greater than 0")));
            }
        }
        for (name, subgraph) in &self.subgraphs {
            if let Some(url) = &subgraph.url
                && url.parse::<http::Uri>().map(|u| u.scheme().is_none()).unwrap_or(true)
            {
                return Err(GatewayError::Config(format!("subgraphs.{name}.url is not an absolute URL: {url}")));
            }
            if let Some(url) = &subgraph.subscription_url
                && !url.parse::<http::Uri>().is_ok_and(|u| matches!(u.scheme_str(), Some("ws" | "wss")))
            {
                return Err(GatewayError::Config(format!(
                    "subgraphs.{name}.subscription_url is not a ws:// or wss:// URL: {url}"
                )));
            }
        }
        if self.access.cache.backend == braid_kit::config::CacheBackend::Memory {
            return Err(GatewayError::Config(
                "access.cache.backend = \"memory\" would never see the permissions subgraph's invalidations: use \"redis\" (its Redis and key_prefix) or \"none\"".into(),
            ));
        }
        self.rate_limit.validate()?;
        self.entity_cache.validate()?;
        self.server.tls.check("server.tls")?;
        self.client_tls.check("client_tls")?;
        self.telemetry.check("telemetry")?;
        if self.persisted.mode == PersistedMode::Allowlist && self.persisted.allowlist_path.is_none() {
            return Err(GatewayError::Config("persisted.mode = \"allowlist\" needs persisted.allowlist_path".into()));
        }
        Ok(())
    }
}

/// The JSON Schema of the configuration file.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(GatewayConfig)).unwrap_or_default()
}

#[cfg(test)]
mod tests;
