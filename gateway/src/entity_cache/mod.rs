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
mod memory;
mod redis;
pub mod schema;
pub mod selection;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use bytes::Bytes;

use crate::config::{EntityCacheBackend, EntityCacheConfig};
use crate::error::GatewayError;
use control::CacheControl;
use entry::{Entry, now_ms};
use memory::Local;
use redis::Shared;
use schema::CacheSchema;

/// One answer to look up: its key and the tags its freshness depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub key: u128,
    pub tags: Vec<String>,
}

/// What a lookup found, and the generations its misses are stored with.
#[derive(Debug, Default)]
pub struct Lookup {
    /// Per item, the cached answer's JSON.
    pub hits: Vec<Option<Bytes>>,
    local: Vec<Vec<u64>>,
    /// Per item, when Redis answered.
    shared: Option<Vec<Vec<u64>>>,
    /// A tag of an item was invalidated moments ago: fetch past the subgraphs' caches.
    pub uncached: bool,
}

impl Lookup {
    /// The generations the lookup saw, as one number: fetches that agree on it may share.
    pub fn epoch(&self) -> u64 {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        for generation in self.local.iter().chain(self.shared.iter().flatten()).flatten() {
            hasher.update(&generation.to_le_bytes());
        }
        hasher.digest()
    }
}

/// The configured cache and its tiers.
pub struct EntityCache {
    config: EntityCacheConfig,
    local: Option<Arc<Local>>,
    shared: Option<Arc<Shared>>,
    /// Ends the listener of invalidations announced by other instances.
    stop: tokio_util::sync::CancellationToken,
    /// Fetches (by query text) whose answers came back private: looked up per viewer.
    private: moka::sync::Cache<u64, ()>,
    /// Tags invalidated within the last `refill_uncached_ms`.
    recent: Arc<moka::sync::Cache<String, ()>>,
    /// The `l:` tags of each fetch's answers (see [`selection`]), by schema, fetch and field.
    lists: moka::sync::Cache<u64, Arc<[String]>>,
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
            lists: moka::sync::Cache::builder().max_capacity(10_000).build(),
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

    /// Reads `items` (unless `read` is false: a request that asked to bypass caches) and notes
    /// the generations their answers will be stored with.
    pub async fn lookup(&self, subgraph: &str, items: &[Item], read: bool) -> Lookup {
        let local: Vec<Vec<u64>> = match &self.local {
            Some(tier) => items.iter().map(|item| tier.generations(&item.tags)).collect(),
            None => Vec::new(),
        };
        let mut hits: Vec<Option<Bytes>> = vec![None; items.len()];
        if let (Some(tier), true) = (&self.local, read) {
            for ((hit, item), generations) in hits.iter_mut().zip(items).zip(&local) {
                *hit = tier.get(item.key, generations);
            }
        }
        let shared = match &self.shared {
            Some(tier) => self.read_shared(tier, subgraph, items, &local, &mut hits, read).await,
            None => None,
        };
        let found = hits.iter().filter(|h| h.is_some()).count() as u64;
        if read {
            let subgraph = subgraph.to_string();
            metrics::counter!("braid_gateway_entity_cache_lookups_total", "subgraph" => subgraph.clone(), "result" => "hit")
                .increment(found);
            metrics::counter!("braid_gateway_entity_cache_lookups_total", "subgraph" => subgraph, "result" => "miss")
                .increment(items.len() as u64 - found);
        }
        let uncached = items.iter().flat_map(|item| &item.tags).any(|tag| self.recent.contains_key(tag));
        Lookup { hits, local, shared, uncached }
    }

    /// Reads from Redis what the local tier did not have; copies what it finds into that tier.
    async fn read_shared(
        &self,
        tier: &Shared,
        subgraph: &str,
        items: &[Item],
        local: &[Vec<u64>],
        hits: &mut [Option<Bytes>],
        read: bool,
    ) -> Option<Vec<Vec<u64>>> {
        let wanted: Vec<usize> = (0..items.len()).filter(|&i| hits[i].is_none()).collect();
        if wanted.is_empty() {
            return None;
        }
        let mut positions: HashMap<&str, usize> = HashMap::new();
        let mut tags: Vec<&str> = Vec::new();
        for tag in wanted.iter().flat_map(|&i| &items[i].tags) {
            positions.entry(tag).or_insert_with(|| {
                tags.push(tag);
                tags.len() - 1
            });
        }
        let keys: Vec<String> =
            if read { wanted.iter().map(|&i| tier.entry_key(subgraph, items[i].key)).collect() } else { Vec::new() };
        let (entries, found) = match tier.get(&keys, &tags).await {
            Ok(answer) => answer,
            Err(e) => {
                ERRORS.increment(1);
                tracing::warn!(error = %e, "entity cache: Redis cannot be read; fetching from the subgraph");
                return None;
            }
        };
        let generations: Vec<Vec<u64>> = items
            .iter()
            .map(|item| item.tags.iter().map(|t| positions.get(t.as_str()).map_or(0, |&p| found[p])).collect())
            .collect();
        let now = now_ms();
        for (slot, raw) in wanted.iter().zip(entries) {
            let Some(entry) = raw.as_deref().and_then(Entry::decode) else { continue };
            if !entry.is_fresh(&generations[*slot], now) {
                continue;
            }
            if let Some(tier) = &self.local {
                let copy = Entry { generations: local[*slot].clone().into(), ..entry.clone() };
                tier.put(items[*slot].key, copy);
            }
            hits[*slot] = Some(entry.data);
        }
        Some(generations)
    }

    /// Stores `answers` (item index, JSON) for `ttl`, with the generations `lookup` noted.
    pub async fn store(
        &self,
        subgraph: &str,
        items: &[Item],
        lookup: &Lookup,
        answers: Vec<(usize, Bytes)>,
        ttl: Duration,
    ) {
        let expires_ms = now_ms() + ttl.as_millis() as u64;
        let mut shared = Vec::new();
        for (index, data) in answers {
            let Some(item) = items.get(index) else { continue };
            if let (Some(tier), Some(generations)) = (&self.local, lookup.local.get(index)) {
                tier.put(item.key, Entry { generations: generations.clone().into(), expires_ms, data: data.clone() });
            }
            if let (Some(tier), Some(generations)) = (&self.shared, lookup.shared.as_ref().and_then(|g| g.get(index))) {
                let entry = Entry { generations: generations.clone().into(), expires_ms, data };
                shared.push((tier.entry_key(subgraph, item.key), entry.encode(), ttl.as_millis() as u64));
            }
        }
        if let Some(tier) = &self.shared
            && let Err(e) = tier.put(&shared).await
        {
            ERRORS.increment(1);
            tracing::warn!(error = %e, "entity cache: Redis cannot be written");
        }
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
