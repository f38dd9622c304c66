//! Subgraph configuration: a TOML file plus `BRAID_SECTION__KEY` environment overrides.
//!
//! Every section denies unknown keys, so a typo stops the process with the key's name rather
//! than being silently ignored. The JSON Schema comes from these structs ([`json_schema`]).

use std::net::SocketAddr;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A configuration that cannot be used: what is wrong, naming the key and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// Algorithms Braid accepts at all (`auth.algorithms` narrows this further).
pub const SUPPORTED_ALGORITHMS: &[&str] = &["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"];

/// Everything one subgraph process reads at start.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SubgraphConfig {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub events: EventsConfig,
    pub cache: CacheConfig,
    pub auth: AuthConfig,
    pub issuer: IssuerConfig,
    pub access: AccessConfig,
    pub orders: OrdersConfig,
    pub payment: PaymentConfig,
    pub shipping: ShippingConfig,
}

/// The HTTP listener and request limits.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on.
    #[schemars(with = "String")]
    pub listen: SocketAddr,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Per-request time limit, in milliseconds.
    pub request_timeout_ms: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4001)),
            max_body_bytes: 2 * 1024 * 1024,
            request_timeout_ms: 30_000,
        }
    }
}

/// The subgraph's own database.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `postgres://...` or `sqlite://path?mode=rwc`.
    pub url: String,
    pub max_connections: u32,
    /// Run pending migrations at start.
    pub migrate: bool,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: "sqlite://.braid/subgraph.db?mode=rwc".into(), max_connections: 16, migrate: true }
    }
}

/// Which event bus adapter to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EventsBackend {
    /// In-process bus: one process, nothing installed.
    Memory,
    /// A Kafka-protocol broker.
    Kafka,
}

/// Outbox relay, consumers and the broker.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    pub backend: EventsBackend,
    /// Kafka bootstrap servers.
    pub brokers: String,
    /// Prepended to every topic and consumer group name (isolates environments and tests).
    pub topic_prefix: String,
    /// Partitions for topics this process creates.
    pub partitions: i32,
    /// How often the relay looks for unpublished outbox rows when nobody wakes it, in ms.
    pub relay_interval_ms: u64,
    /// Outbox rows published per relay round.
    pub relay_batch: u64,
    /// Longest relay back-off while the broker is down, in ms.
    pub relay_max_backoff_ms: u64,
    /// How long the producer keeps trying one message before reporting it failed, in ms.
    pub publish_timeout_ms: u64,
    /// Attempts at handling one event before it goes to the dead-letter topic.
    pub max_attempts: u32,
    /// First retry delay of a failing handler, in ms (doubles per attempt).
    pub retry_backoff_ms: u64,
    /// How long an applied event id is remembered (redeliveries within it are ignored), in hours.
    pub inbox_retention_hours: u64,
    /// Events one consumer applies at once, each key (aggregate) in order through its own lane
    /// (on SQLite, which has one writer, always 1).
    pub consumer_lanes: usize,
    /// Longest a consumer's fetch waits at the broker for records, in ms. Kafka answers as soon
    /// as a record arrives; tansu holds every fetch for about half of it, on every hop.
    pub fetch_wait_ms: u64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            backend: EventsBackend::Memory,
            brokers: "127.0.0.1:9092".into(),
            topic_prefix: String::new(),
            partitions: 3,
            relay_interval_ms: 200,
            relay_batch: 256,
            relay_max_backoff_ms: 5_000,
            publish_timeout_ms: 10_000,
            max_attempts: 5,
            retry_backoff_ms: 50,
            inbox_retention_hours: 168,
            consumer_lanes: 8,
            fetch_wait_ms: 20,
        }
    }
}

/// Which cache adapter to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CacheBackend {
    /// In-process cache.
    Memory,
    /// Redis, shared by every instance.
    Redis,
    /// No cache: every read goes to the database.
    None,
}

/// The read cache.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    pub backend: CacheBackend,
    /// Redis URL.
    pub url: String,
    /// Prepended to every key.
    pub key_prefix: String,
    /// Entry lifetime in seconds: an upper bound, events invalidate sooner.
    pub ttl_secs: u64,
    /// Entries held by the in-memory adapter.
    pub memory_capacity: u64,
    /// Entries of the per-process near cache in front of the shared one (0 turns it off).
    pub near_capacity: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            backend: CacheBackend::Memory,
            url: "redis://127.0.0.1:6379".into(),
            key_prefix: "braid:".into(),
            ttl_secs: 300,
            memory_capacity: 100_000,
            near_capacity: 10_000,
        }
    }
}

/// Bearer token verification.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// JWKS URL (keys refreshed when a token names an unknown `kid`).
    pub jwks_url: Option<String>,
    /// Alternatively, one RSA public key in PEM.
    pub public_key_pem: Option<String>,
    /// Required `iss`.
    pub issuer: Option<String>,
    /// Required `aud`.
    pub audience: Option<String>,
    /// Accepted signature algorithms.
    pub algorithms: Vec<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// A token naming an unknown `kid` refetches the JWKS at most this often, in seconds.
    pub jwks_min_refresh_secs: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwks_url: None,
            public_key_pem: None,
            issuer: None,
            audience: None,
            algorithms: vec!["RS256".into()],
            leeway_secs: 30,
            jwks_min_refresh_secs: 10,
        }
    }
}

/// Issuing tokens: used by the permissions subgraph only.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct IssuerConfig {
    /// The `iss` claim of issued tokens.
    pub issuer: String,
    /// The `aud` claim of issued tokens.
    pub audience: String,
    /// Access token lifetime, in seconds.
    pub access_ttl_secs: u64,
    /// Refresh token lifetime, in seconds (each use rotates it).
    pub refresh_ttl_secs: u64,
    /// Failed logins of one account allowed before it is locked.
    pub max_failed_logins: u32,
    /// First lockout, in seconds; each further failure doubles it.
    pub lockout_secs: u64,
    /// Longest lockout, in seconds.
    pub max_lockout_secs: u64,
    /// A new signing key is published this long before it signs, in seconds, so verifiers
    /// have it before the first token names it (keep it above their `jwks_min_refresh_secs`).
    pub key_publish_ahead_secs: u64,
}

impl Default for IssuerConfig {
    fn default() -> Self {
        Self {
            issuer: "https://braid.local/".into(),
            audience: "braid".into(),
            access_ttl_secs: 900,
            refresh_ttl_secs: 30 * 24 * 3600,
            max_failed_logins: 5,
            lockout_secs: 30,
            max_lockout_secs: 900,
            key_publish_ahead_secs: 60,
        }
    }
}

/// Where a subgraph asks who may see whom (the documents subgraph): the permissions
/// subgraph, called with the viewer's own token; answers are cached in the `cache` backend.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// The permissions subgraph's GraphQL endpoint.
    pub permissions_url: Option<String>,
    /// Timeout of one permission lookup, in milliseconds.
    pub timeout_ms: u64,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self { permissions_url: None, timeout_ms: 5_000 }
    }
}

/// The orders subgraph and its saga orchestrator.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OrdersConfig {
    /// The catalog subgraph's GraphQL endpoint (names, prices and stock for carts and orders).
    pub catalog_url: Option<String>,
    /// Timeout of one catalog call, in milliseconds.
    pub catalog_timeout_ms: u64,
    /// How long a saga step may wait for its participant's answer before it is retried, in ms.
    pub step_timeout_ms: u64,
    /// Attempts at a step before the saga gives up and compensates (compensations never give up).
    pub step_attempts: u32,
    /// First retry delay of a step, in ms (doubles per attempt, with jitter).
    pub retry_backoff_ms: u64,
    /// Longest retry delay, in ms.
    pub max_retry_backoff_ms: u64,
    /// How long the catalog holds reserved stock waiting for the payment, in seconds.
    pub reservation_ttl_secs: u64,
    /// How often the orchestrator looks for steps whose time is up, in ms.
    pub timer_interval_ms: u64,
    /// How long the warehouse prepares a paid order before its shipment is requested, in
    /// ms; the order can be cancelled until then.
    pub handling_ms: u64,
}

impl Default for OrdersConfig {
    fn default() -> Self {
        Self {
            catalog_url: None,
            catalog_timeout_ms: 5_000,
            step_timeout_ms: 10_000,
            step_attempts: 4,
            retry_backoff_ms: 500,
            max_retry_backoff_ms: 30_000,
            reservation_ttl_secs: 900,
            timer_interval_ms: 250,
            handling_ms: 0,
        }
    }
}

/// The simulated payment provider of the payment participant, and the faults it injects.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentConfig {
    /// The provider's base URL (`braid payment-provider`); the simulated provider runs in
    /// this process when absent, with the fault rates below.
    pub url: Option<String>,
    /// Timeout of one provider call, in milliseconds.
    pub timeout_ms: u64,
    /// Share of captures the simulated provider declines (0 to 1).
    pub decline_rate: f64,
    /// Share of calls that fail with a server error, nothing done (0 to 1).
    pub error_rate: f64,
    /// Share of calls whose answer is lost after the provider acted (0 to 1).
    pub lost_answer_rate: f64,
    /// Share of calls that hang until the caller's timeout (0 to 1).
    pub timeout_rate: f64,
    /// Added to every call, in milliseconds.
    pub latency_ms: u64,
}

impl Default for PaymentConfig {
    fn default() -> Self {
        Self {
            url: None,
            timeout_ms: 5_000,
            decline_rate: 0.0,
            error_rate: 0.0,
            lost_answer_rate: 0.0,
            timeout_rate: 0.0,
            latency_ms: 0,
        }
    }
}

/// The simulated carrier of the shipping participant.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ShippingConfig {
    /// Time between two moves of a shipment (label, in transit, out for delivery, delivered), in ms.
    pub step_ms: u64,
    /// The carrier's name on shipments.
    pub carrier: String,
}

impl Default for ShippingConfig {
    fn default() -> Self {
        Self { step_ms: 2_000, carrier: "Braid Express".into() }
    }
}

impl SubgraphConfig {
    /// Reads defaults, then `file` (which must exist if given), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(Figment::from(Serialized::defaults(Self::default())), file)
    }

    /// Like [`load`](Self::load) but starting from the given base (for `braid demo`).
    pub fn load_from(base: Figment, file: Option<&Path>) -> Result<Self, ConfigError> {
        let config: Self = extract(base, file)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks values that types alone do not.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| Err(ConfigError(format!("{key}: {why}")));
        let url = &self.database.url;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://") || url.starts_with("sqlite:")) {
            return bad("database.url", "must start with postgres://, postgresql:// or sqlite:");
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1");
        }
        if self.events.max_attempts == 0 {
            return bad("events.max_attempts", "must be at least 1");
        }
        if !(1..=10_000).contains(&self.events.fetch_wait_ms) {
            return bad("events.fetch_wait_ms", "must be 1-10000");
        }
        if !(1..=256).contains(&self.events.consumer_lanes) {
            return bad("events.consumer_lanes", "must be 1-256");
        }
        if self.events.partitions < 1 {
            return bad("events.partitions", "must be at least 1");
        }
        if self.events.inbox_retention_hours == 0 {
            return bad("events.inbox_retention_hours", "must be at least 1");
        }
        if self.events.relay_batch == 0 {
            return bad("events.relay_batch", "must be at least 1");
        }
        if self.cache.backend == CacheBackend::Redis && !self.cache.url.starts_with("redis://") {
            return bad("cache.url", "must start with redis://");
        }
        if self.cache.ttl_secs == 0 {
            return bad("cache.ttl_secs", "must be at least 1");
        }
        if self.server.max_body_bytes < 1024 {
            return bad("server.max_body_bytes", "must be at least 1024");
        }
        if self.issuer.access_ttl_secs < 10 || self.issuer.refresh_ttl_secs < self.issuer.access_ttl_secs {
            return bad("issuer", "access_ttl_secs is at least 10 and refresh_ttl_secs at least access_ttl_secs");
        }
        if self.access.timeout_ms == 0 {
            return bad("access.timeout_ms", "must be at least 1");
        }
        if let Some(url) = &self.access.permissions_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return bad("access.permissions_url", "must start with http:// or https://");
        }
        for (key, url) in [("orders.catalog_url", &self.orders.catalog_url), ("payment.url", &self.payment.url)] {
            if let Some(url) = url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return bad(key, "must start with http:// or https://");
            }
        }
        let payment = &self.payment;
        for (key, rate) in [
            ("payment.decline_rate", payment.decline_rate),
            ("payment.error_rate", payment.error_rate),
            ("payment.lost_answer_rate", payment.lost_answer_rate),
            ("payment.timeout_rate", payment.timeout_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return bad(key, "must be between 0 and 1");
            }
        }
        if self.orders.step_attempts == 0 || self.orders.step_timeout_ms == 0 || self.orders.timer_interval_ms == 0 {
            return bad("orders", "step_attempts, step_timeout_ms and timer_interval_ms must be at least 1");
        }
        if self.auth.algorithms.is_empty() {
            return bad("auth.algorithms", "must name at least one algorithm");
        }
        for alg in &self.auth.algorithms {
            if !SUPPORTED_ALGORITHMS.contains(&alg.as_str()) {
                return bad("auth.algorithms", &format!("unsupported algorithm {alg:?}"));
            }
        }
        Ok(())
    }
}

/// One line per problem, each naming the key and where its value came from.
/// Reads a configuration: `base`, then `file` (which must exist if given), then the
/// `BRAID_SECTION__KEY` environment variables. The gateway's and every subgraph's loading.
pub fn extract<T: serde::de::DeserializeOwned>(base: Figment, file: Option<&Path>) -> Result<T, ConfigError> {
    let mut figment = base;
    if let Some(path) = file {
        if !path.exists() {
            return Err(ConfigError(format!("config file {} does not exist", path.display())));
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    // Only `BRAID_SECTION__KEY` variables are configuration; other BRAID_* names are not.
    figment = figment.merge(Env::prefixed("BRAID_").filter(|k| k.as_str().contains("__")).split("__"));
    figment.extract().map_err(|e| ConfigError(describe(e)))
}

/// Every problem figment found, each with its key and where the value came from.
pub fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let key = if e.path.is_empty() { String::from("(top level)") } else { e.path.join(".") };
            let source = e
                .metadata
                .as_ref()
                .map(|m| match &m.source {
                    Some(src) => format!(" (from {} {src})", m.name),
                    None => format!(" (from {})", m.name),
                })
                .unwrap_or_default();
            format!("{key}: {}{source}", e.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The JSON Schema of [`SubgraphConfig`], generated from the structs.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(SubgraphConfig)).expect("schema serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_toml(text: &str) -> Result<SubgraphConfig, ConfigError> {
        let figment = Figment::from(Serialized::defaults(SubgraphConfig::default())).merge(Toml::string(text));
        let config: SubgraphConfig = figment.extract().map_err(|e| ConfigError(describe(e)))?;
        config.validate()?;
        Ok(config)
    }

    #[test]
    fn unknown_key_is_named() {
        let err = from_toml("[database]\nurl = \"sqlite::memory:\"\nmax_conections = 3\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("max_conections"), "{text}");
        assert!(text.contains("database"), "{text}");
    }

    #[test]
    fn unknown_section_is_named() {
        let err = from_toml("[databse]\nurl = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("databse"), "{err}");
    }

    #[test]
    fn bad_value_is_named() {
        let err = from_toml("[events]\nmax_attempts = 0\n").unwrap_err();
        assert!(err.to_string().contains("events.max_attempts"), "{err}");
        let err = from_toml("[cache]\nbackend = \"memcached\"\n").unwrap_err();
        assert!(err.to_string().contains("cache.backend"), "{err}");
        let err = from_toml("[server]\nlisten = \"not an address\"\n").unwrap_err();
        assert!(err.to_string().contains("server.listen"), "{err}");
    }

    #[test]
    fn file_values_apply() {
        let config = from_toml("[cache]\nbackend = \"redis\"\nttl_secs = 9\n").unwrap();
        assert_eq!(config.cache.backend, CacheBackend::Redis);
        assert_eq!(config.cache.ttl_secs, 9);
    }

    #[test]
    fn schema_lists_every_section() {
        let schema = json_schema().to_string();
        for key in ["server", "database", "events", "cache", "auth", "relay_batch", "key_prefix"] {
            assert!(schema.contains(key), "{key} missing");
        }
    }
}
