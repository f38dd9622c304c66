//! The `[entity_cache]` section: subgraph answers (`_entities` items and root query fields)
//! cached by the gateway, invalidated by domain events, by type or entity, and on request.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::GatewayError;

/// The entity cache. An answer is kept only when its subgraph allows it: `Cache-Control:
/// max-age=N` on the response (async-graphql's `cache_control` hints), or a subgraph's
/// `default_ttl_secs` here when it sends none; `private` answers are kept per viewer, `no-store`
/// and `no-cache` ones never.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EntityCacheConfig {
    /// `none` (the default), `memory` (this instance alone: the demo) or `redis` (shared by
    /// every gateway instance on the same Redis, with an in-process tier in front).
    pub backend: EntityCacheBackend,
    /// The Redis server of backend `redis`.
    pub redis_url: String,
    /// Prefix of every key in Redis.
    pub key_prefix: String,
    /// Longest an answer is kept, whatever the subgraph says, in seconds.
    pub max_ttl_secs: u64,
    /// Answers kept in this instance's memory (the whole cache for `memory`, the tier in front
    /// of Redis for `redis`; 0 turns that tier off).
    pub memory_entries: u64,
    /// For this long after an entry's tag is invalidated, it is refilled past the subgraphs' own
    /// caches (`Cache-Control: no-cache`), whose invalidation by the same event may lag behind
    /// the gateway's; in milliseconds.
    pub refill_uncached_ms: u64,
    /// Per subgraph, by name: whether its answers are cached and for how long by default.
    pub subgraphs: BTreeMap<String, SubgraphCache>,
    /// Topics whose every event evicts every entry of the named types (for events that change
    /// what a type's entries hold without naming one of them, as a new grant changes which
    /// documents a viewer sees). Events of topics bound by `@event` evict their entity anyway.
    pub type_events: BTreeMap<String, Vec<String>>,
    pub invalidation: InvalidationConfig,
}

/// Where cached answers are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EntityCacheBackend {
    None,
    Memory,
    Redis,
}

/// One subgraph's caching.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SubgraphCache {
    /// `false`: nothing of this subgraph is cached (default true).
    pub enabled: Option<bool>,
    /// How long an answer without `Cache-Control` is kept, in seconds (default: not kept).
    pub default_ttl_secs: Option<u64>,
}

/// `POST` to `path` with `Authorization: Bearer <token>` and a JSON list of what to evict, in
/// the shape of Apollo Router's invalidation requests.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct InvalidationConfig {
    /// The shared secret; without one the endpoint is not served.
    pub token: Option<String>,
    pub path: String,
}

impl Default for EntityCacheConfig {
    fn default() -> Self {
        Self {
            backend: EntityCacheBackend::None,
            redis_url: "redis://127.0.0.1:6379".into(),
            key_prefix: "braid:entities:".into(),
            max_ttl_secs: 3_600,
            memory_entries: 100_000,
            refill_uncached_ms: 2_000,
            subgraphs: BTreeMap::new(),
            type_events: BTreeMap::new(),
            invalidation: InvalidationConfig::default(),
        }
    }
}

impl Default for InvalidationConfig {
    fn default() -> Self {
        Self { token: None, path: "/invalidation".into() }
    }
}

impl EntityCacheConfig {
    /// A TTL cap and, for the endpoint, a token worth the name and a path of its own.
    pub fn validate(&self) -> Result<(), GatewayError> {
        if self.max_ttl_secs == 0 {
            return Err(GatewayError::Config("entity_cache.max_ttl_secs must be greater than 0".into()));
        }
        if self.invalidation.token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(GatewayError::Config("entity_cache.invalidation.token must be at least 16 characters".into()));
        }
        let path = &self.invalidation.path;
        if !path.starts_with('/') || ["/graphql", "/health", "/ready", "/metrics"].contains(&path.as_str()) {
            return Err(GatewayError::Config(format!(
                "entity_cache.invalidation.path must be a path of its own beginning with '/': {path}"
            )));
        }
        Ok(())
    }
}
