//! The entity cache: the subgraphs' answers to `_entities` items and to root query fields,
//! kept per subgraph, selection, key (or arguments) and, for private answers, viewer, for as long
//! as the subgraph's `Cache-Control` allows.
//!
//! Freshness is by generations rather than by finding entries: every entry carries tags (its
//! subgraph, its type, its entity, or for a root field the types its answer can hold) and the
//! generation each tag had when the fetch that filled it began. A domain event, an invalidation
//! request or a type's event bumps the tags it concerns; an entry whose tags moved on is never
//! served again. Because the generations are read before the fetch, an answer fetched before a
//! write but stored after its event is stale at birth, and is never served either.

pub mod control;
mod entry;
pub mod invalidation;
pub mod keys;
mod lookup;
mod memory;
mod redis;
pub mod schema;
mod store;
pub mod selection;
pub mod tags;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use crate::config::{EntityCacheBackend, EntityCacheConfig};
use crate::error::GatewayError;
use crate::execute::client::SubgraphResponse;
use control::CacheControl;
pub use lookup::Lookup;
use memory::Local;
use redis::Shared;
use schema::CacheSchema;

/// A cached answer, decoded once and shared by every request it answers (for an entity, a
/// response whose body is the entity's object).
pub type Answer = Arc<SubgraphResponse>;

/// The configured cache and its tiers.
pub struct EntityCache {
    config: EntityCacheConfig,
    local: Option<Arc<Local>>,
    shared: Option<Arc<Shared>>,
    /// Ends the listener of invalidations announced by other instances.
    stop: tokio_util::sync::CancellationToken,
    /// Fetches (by query text) whose answers came back private: looked up per viewer.
    private: moka::sync::Cache<u64, ()>,
    /// Subgraphs that put cache tags on their answers: their lookups read the guard.
    tagging: moka::sync::Cache<String, ()>,
    /// Tags invalidated within the last `refill_uncached_ms`.
    recent: Arc<moka::sync::Cache<String, ()>>,
    /// The `l:` tags of each fetch's answers (see [`selection`]), by schema, fetch and field.
    lists: moka::sync::Cache<u64, Arc<[String]>>,
    /// Which root fetches are key lookups, by schema and fetch.
    lookups: moka::sync::Cache<u64, Option<Arc<selection::KeyLookup>>>,
    /// Lookup counters (hits, misses) by subgraph.
    counters: std::sync::Mutex<HashMap<String, (metrics::Counter, metrics::Counter)>>,
}

static ERRORS: LazyLock<metrics::Counter> =
    LazyLock::new(|| metrics::counter!("braid_gateway_entity_cache_errors_total"));
static INVALIDATIONS: LazyLock<metrics::Counter> =
    LazyLock::new(|| metrics::counter!("braid_gateway_entity_cache_invalidated_tags_total"));

impl EntityCache {
    /// The cache `config` asks for; `None` when it is off.
    pub async fn from_config(config: &EntityCacheConfig) -> Result<Option<Self>, GatewayError> {
        let max_ttl = Duration::from_secs(config.max_ttl_secs);
        let shared = match config.backend {
            EntityCacheBackend::None => return Ok(None),
            EntityCacheBackend::Memory => None,
            EntityCacheBackend::Redis => Some(Arc::new(
                Shared::connect(&config.redis_url, &config.key_prefix, max_ttl)
                    .await
                    .map_err(|e| GatewayError::Config(format!("entity_cache.redis_url: {e}")))?,
            )),
        };
        let local = (config.memory_entries > 0).then(|| Arc::new(Local::new(config.memory_entries, max_ttl)));
        let stop = tokio_util::sync::CancellationToken::new();
        let window = Duration::from_millis(config.refill_uncached_ms.max(1));
        let recent = Arc::new(moka::sync::Cache::builder().time_to_live(window).build());
        if let Some(shared) = &shared {
            let (shared, stop, recent) = (shared.clone(), stop.clone(), recent.clone());
            let (tier, emptied) = (local.clone(), local.clone());
            let bumped = move |tag: &str| {
                recent.insert(tag.to_string(), ());
                if let Some(tier) = &tier {
                    tier.bump(tag);
                }
            };
            // What was announced while not listening is unknown: the in-process tier starts over.
            let reconnected = move || emptied.iter().for_each(|tier| tier.clear());
            tokio::spawn(async move { shared.listen(bumped, reconnected, stop).await });
        }
        Ok(Some(Self {
            config: config.clone(),
            local,
            shared,
            stop,
            recent,
            private: moka::sync::Cache::builder().max_capacity(100_000).build(),
            tagging: moka::sync::Cache::builder().max_capacity(10_000).build(),
            lists: moka::sync::Cache::builder().max_capacity(10_000).build(),
            lookups: moka::sync::Cache::builder().max_capacity(10_000).build(),
            counters: std::sync::Mutex::default(),
        }))
    }

    /// Whether the answers of `subgraph` may be cached at all.
    pub fn covers(&self, subgraph: &str) -> bool {
        self.config.subgraphs.get(subgraph).and_then(|s| s.enabled).unwrap_or(true)
    }

    /// How long an answer of `subgraph` with `control` may be kept, and whether it is private;
    /// `None`: not at all.
    pub fn ttl(&self, subgraph: &str, control: Option<CacheControl>) -> Option<(Duration, bool)> {
        let default = self.config.subgraphs.get(subgraph).and_then(|s| s.default_ttl_secs);
        let (seconds, private) = match control {
            Some(c) if c.no_store => return None,
            Some(c) => (c.max_age.or(default), c.private),
            None => (default, false),
        };
        let seconds = seconds.filter(|s| *s > 0)?.min(self.config.max_ttl_secs);
        Some((Duration::from_secs(seconds), private))
    }

    /// Whether the root fetch `key` names is a key lookup (see [`selection::key_lookup`]),
    /// found once.
    pub fn key_lookup(
        &self,
        key: u64,
        compute: impl FnOnce() -> Option<selection::KeyLookup>,
    ) -> Option<Arc<selection::KeyLookup>> {
        self.lookups.get_with(key, || compute().map(Arc::new))
    }

    /// The `l:` tags `compute` finds for the fetch `key` names, computed once.
    pub fn list_tags(&self, key: u64, compute: impl FnOnce() -> Vec<String>) -> Arc<[String]> {
        self.lists.get_with(key, || compute().into())
    }

    /// Whether the fetch with query hash `fetch` answered privately before.
    pub fn is_private(&self, fetch: u64) -> bool {
        self.private.contains_key(&fetch)
    }

    pub fn learn_private(&self, fetch: u64) {
        self.private.insert(fetch, ());
    }

    /// Invalidates every entry carrying one of `tags`, here and (with Redis) in every instance.
    pub async fn invalidate(&self, tags: &[String]) -> Result<(), GatewayError> {
        INVALIDATIONS.increment(tags.len() as u64);
        tags.iter().for_each(|tag| self.recent.insert(tag.clone(), ()));
        if let Some(tier) = &self.local {
            tags.iter().for_each(|tag| tier.bump(tag));
        }
        if let Some(tier) = &self.shared
            && let Err(e) = tier.bump(tags).await
        {
            ERRORS.increment(1);
            return Err(GatewayError::Config(format!("entity cache: Redis cannot be written: {e}")));
        }
        Ok(())
    }

    /// Invalidates what a domain event on `topic` about the aggregate `key` changes: that
    /// entity and every root answer that can hold its type, and every entry of the types
    /// `type_events` names for the topic.
    pub async fn on_event(&self, schema: &CacheSchema, topic: &str, key: &str) {
        let mut tags = Vec::new();
        for ty in schema.topic_types(topic) {
            tags.push(keys::entity_tag(&format!("{ty}:{key}")));
            tags.push(keys::list_tag(ty));
        }
        for ty in self.config.type_events.get(topic).into_iter().flatten() {
            tags.push(keys::type_tag(ty));
            tags.push(keys::list_tag(ty));
        }
        if tags.is_empty() {
            return;
        }
        if let Err(e) = self.invalidate(&tags).await {
            tracing::warn!(error = %e, topic, key, "entity cache: an event's invalidation did not reach Redis");
        }
    }

    /// Evicts the entities a mutation's response `body` returns (see [`invalidation::written`]).
    pub async fn on_write(&self, supergraph: &crate::supergraph::Supergraph, body: &[u8]) {
        let tags = invalidation::written(&supergraph.cache, &supergraph.types, body);
        if !tags.is_empty()
            && let Err(e) = self.invalidate(&tags).await
        {
            tracing::warn!(error = %e, "entity cache: a write's invalidation did not reach Redis");
        }
    }

    /// Topics the cache needs to read, besides those `@event` binds.
    pub fn topics(&self) -> impl Iterator<Item = &String> {
        self.config.type_events.keys()
    }

    /// Stops listening for other instances' invalidations (the gateway is going away).
    pub fn close(&self) {
        self.stop.cancel();
    }

    /// The invalidation endpoint's settings.
    pub fn invalidation(&self) -> &crate::config::InvalidationConfig {
        &self.config.invalidation
    }
}

impl Drop for EntityCache {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
