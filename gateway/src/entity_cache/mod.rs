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
use crate::execute::client::SubgraphResponse;
use control::CacheControl;
use entry::now_ms;
use memory::Local;
use redis::Shared;
use schema::CacheSchema;

/// A cached answer, decoded once and shared by every request it answers (for an entity, a
/// response whose body is the entity's object).
pub type Answer = Arc<SubgraphResponse>;

/// What a lookup found, and what storing its misses needs.
#[derive(Default)]
pub struct Lookup {
    /// Per key, the answer found.
    pub hits: Vec<Option<Answer>>,
    /// Per key not found: its tags and their generations when the lookup began.
    misses: Vec<Option<Missed>>,
    /// A tag of a missing answer was invalidated moments ago: fetch past the subgraphs' caches.
    pub uncached: bool,
}

/// The tags of a missing answer and their generations before it was fetched.
struct Missed {
    tags: Arc<[String]>,
    bumps: u64,
    local: Box<[u64]>,
    /// When Redis answered.
    shared: Option<Box<[u64]>>,
}

impl Missed {
    /// The in-process entry of `answer`, fetched after this miss was noted.
    fn local_entry(&self, expires_ms: u64, answer: Answer) -> memory::Entry {
        memory::Entry {
            tags: self.tags.clone(),
            generations: self.local.clone(),
            checked: std::sync::atomic::AtomicU64::new(self.bumps),
            expires_ms,
            answer,
        }
    }
}

impl Lookup {
    /// The generations the lookup saw, as one number: fetches that agree on it may share.
    pub fn epoch(&self) -> u64 {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        for missed in self.misses.iter().flatten() {
            for generation in missed.local.iter().chain(missed.shared.iter().flatten()) {
                hasher.update(&generation.to_le_bytes());
            }
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
            lists: moka::sync::Cache::builder().max_capacity(10_000).build(),
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

    /// Reads the answers under `keys` (unless `read` is false: a request that asked past
    /// caches) and, for each one missing, notes its tags (`tags` of its index) and their
    /// generations now, which its answer will be stored with.
    pub async fn lookup(
        &self,
        subgraph: &str,
        keys: &[u128],
        tags: impl Fn(usize) -> Vec<String>,
        read: bool,
    ) -> Lookup {
        let now = now_ms();
        let mut hits: Vec<Option<Answer>> = match (&self.local, read) {
            (Some(tier), true) => keys.iter().map(|&key| tier.get(key, now)).collect(),
            _ => vec![None; keys.len()],
        };
        let mut misses: Vec<Option<Missed>> = Vec::with_capacity(keys.len());
        let mut uncached = false;
        for (index, hit) in hits.iter().enumerate() {
            if hit.is_some() {
                misses.push(None);
                continue;
            }
            let tags: Arc<[String]> = tags(index).into();
            uncached |= tags.iter().any(|tag| self.recent.contains_key(tag));
            let (bumps, local) = match &self.local {
                Some(tier) => (tier.bumps(), tier.generations(&tags)),
                None => (0, Box::default()),
            };
            misses.push(Some(Missed { tags, bumps, local, shared: None }));
        }
        if let Some(tier) = &self.shared {
            self.read_shared(tier, subgraph, keys, &mut hits, &mut misses, read).await;
        }
        if read {
            let found = hits.iter().filter(|h| h.is_some()).count() as u64;
            let (hit, miss) = self.counters(subgraph);
            hit.increment(found);
            miss.increment(keys.len() as u64 - found);
        }
        Lookup { hits, misses, uncached }
    }

    /// The lookup counters of `subgraph`, registered once.
    fn counters(&self, subgraph: &str) -> (metrics::Counter, metrics::Counter) {
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        counters
            .entry(subgraph.to_string())
            .or_insert_with(|| {
                let name = subgraph.to_string();
                let count = |result| {
                    metrics::counter!("braid_gateway_entity_cache_lookups_total", "subgraph" => name.clone(), "result" => result)
                };
                (count("hit"), count("miss"))
            })
            .clone()
    }

    /// Reads from Redis the answers missing here, with their tags' generations (one round
    /// trip); copies what it finds into the local tier.
    async fn read_shared(
        &self,
        tier: &Shared,
        subgraph: &str,
        keys: &[u128],
        hits: &mut [Option<Answer>],
        misses: &mut [Option<Missed>],
        read: bool,
    ) {
        let wanted: Vec<usize> = (0..keys.len()).filter(|&i| misses[i].is_some()).collect();
        if wanted.is_empty() {
            return;
        }
        let mut positions: HashMap<String, usize> = HashMap::new();
        let mut tags: Vec<String> = Vec::new();
        for tag in wanted.iter().filter_map(|&i| misses[i].as_ref()).flat_map(|m| m.tags.iter()) {
            if !positions.contains_key(tag) {
                positions.insert(tag.clone(), tags.len());
                tags.push(tag.clone());
            }
        }
        let entry_keys: Vec<String> =
            if read { wanted.iter().map(|&i| tier.entry_key(subgraph, keys[i])).collect() } else { Vec::new() };
        let tag_refs: Vec<&str> = tags.iter().map(String::as_str).collect();
        let (entries, found) = match tier.get(&entry_keys, &tag_refs).await {
            Ok(answer) => answer,
            Err(e) => {
                ERRORS.increment(1);
                tracing::warn!(error = %e, "entity cache: Redis cannot be read; fetching from the subgraph");
                return;
            }
        };
        for &i in &wanted {
            if let Some(missed) = misses[i].as_mut() {
                missed.shared = Some(missed.tags.iter().map(|t| positions.get(t).map_or(0, |&p| found[p])).collect());
            }
        }
        let now = now_ms();
        for (&i, raw) in wanted.iter().zip(entries) {
            let Some(missed) = misses[i].as_ref() else { continue };
            let Some(entry) = raw.as_deref().and_then(entry::Entry::decode) else { continue };
            if !entry.is_fresh(missed.shared.as_deref().unwrap_or_default(), now) {
                continue;
            }
            let Ok(value) = sonic_rs::from_slice::<sonic_rs::Value>(&entry.data) else { continue };
            let answer: Answer = Arc::new(SubgraphResponse::from_value(value));
            if let Some(local) = &self.local {
                local.put(keys[i], missed.local_entry(entry.expires_ms, answer.clone()));
            }
            hits[i] = Some(answer);
            misses[i] = None;
        }
    }

    /// Stores `answers` (key index, answer) for `ttl`, with the generations `lookup` noted
    /// before they were fetched.
    pub async fn store(
        &self,
        subgraph: &str,
        keys: &[u128],
        lookup: &Lookup,
        answers: Vec<(usize, Answer)>,
        ttl: Duration,
    ) {
        let expires_ms = now_ms() + ttl.as_millis() as u64;
        let mut shared = Vec::new();
        for (index, answer) in answers {
            let (Some(&key), Some(Some(missed))) = (keys.get(index), lookup.misses.get(index)) else { continue };
            if let (Some(tier), Some(generations)) = (&self.shared, &missed.shared) {
                let data = sonic_rs::to_vec(answer.body()).map(Bytes::from).unwrap_or_default();
                let entry = entry::Entry { generations: generations.clone(), expires_ms, data };
                shared.push((tier.entry_key(subgraph, key), entry.encode(), ttl.as_millis() as u64));
            }
            if let Some(tier) = &self.local {
                tier.put(key, missed.local_entry(expires_ms, answer));
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
