//! Reading the cache: the in-process tier, then Redis for what it lacks, noting for every
//! miss the generations its answer will be stored with.

use std::collections::HashMap;
use std::sync::Arc;

use super::entry::{self, now_ms};
use super::redis::Shared;
use super::{Answer, ERRORS, EntityCache, keys, memory};
use crate::execute::client::SubgraphResponse;

/// What a lookup found, and what storing its misses needs.
#[derive(Default)]
pub struct Lookup {
    /// Per key, the answer found.
    pub hits: Vec<Option<Answer>>,
    /// Per key not found: its tags and their generations when the lookup began.
    pub(super) misses: Vec<Option<Missed>>,
    /// A tag of a missing answer was invalidated moments ago: fetch past the subgraphs' caches.
    pub uncached: bool,
    /// The subgraph's cache-tags guard when the lookup began, when it sends cache tags.
    pub(super) guard: Option<Guard>,
}

/// The generations of a subgraph's [`keys::cache_tags_guard`] before a fetch: if they are the
/// same once its answer is back, none of the cache tags it carries was invalidated meanwhile.
#[derive(Clone, Copy)]
pub(super) struct Guard {
    pub(super) local: u64,
    /// When Redis answered.
    pub(super) shared: Option<u64>,
}

/// The tags of a missing answer and their generations before it was fetched.
pub(super) struct Missed {
    tags: Arc<[String]>,
    bumps: u64,
    local: Box<[u64]>,
    /// When Redis answered.
    pub(super) shared: Option<Box<[u64]>>,
}

impl Missed {
    /// The in-process entry of `answer`, fetched after this miss was noted, with its cache tags
    /// and their in-process generations from before they were checked.
    pub(super) fn local_entry(
        &self,
        expires_ms: u64,
        answer: Answer,
        (cache_tags, generations): (&[String], &[u64]),
    ) -> memory::Entry {
        let (tags, generations) = match cache_tags.is_empty() {
            true => (self.tags.clone(), self.local.clone()),
            false => (
                self.tags.iter().chain(cache_tags).cloned().collect(),
                self.local.iter().chain(generations).copied().collect(),
            ),
        };
        memory::Entry { tags, generations, checked: std::sync::atomic::AtomicU64::new(self.bumps), expires_ms, answer }
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

impl EntityCache {
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
        let guard_tag = self.tagging.contains_key(subgraph).then(|| keys::cache_tags_guard(subgraph));
        let mut uncached = guard_tag.as_ref().is_some_and(|tag| self.recent.contains_key(tag));
        let mut guard = guard_tag.as_ref().map(|tag| Guard {
            local: self.local.as_ref().map_or(0, |tier| tier.generations(std::slice::from_ref(tag))[0]),
            shared: None,
        });
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
            let shared_guard =
                self.read_shared(tier, subgraph, keys, (&mut hits, &mut misses), guard_tag.as_deref(), read).await;
            if let Some(guard) = guard.as_mut() {
                guard.shared = shared_guard;
            }
        }
        if read {
            let found = hits.iter().filter(|h| h.is_some()).count() as u64;
            let (hit, miss) = self.counters(subgraph);
            hit.increment(found);
            miss.increment(keys.len() as u64 - found);
        }
        Lookup { hits, misses, uncached, guard }
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
    /// trip, and a second for the cache tags of the entries that have some) and the generation
    /// of `guard`; copies what it finds into the local tier.
    async fn read_shared(
        &self,
        tier: &Shared,
        subgraph: &str,
        keys: &[u128],
        (hits, misses): (&mut [Option<Answer>], &mut [Option<Missed>]),
        guard: Option<&str>,
        read: bool,
    ) -> Option<u64> {
        let wanted: Vec<usize> = (0..keys.len()).filter(|&i| misses[i].is_some()).collect();
        if wanted.is_empty() {
            return None;
        }
        let mut positions: HashMap<&str, usize> = HashMap::new();
        let mut tags: Vec<&str> = Vec::new();
        let implied = wanted.iter().filter_map(|&i| misses[i].as_ref()).flat_map(|m| m.tags.iter());
        for tag in implied.map(String::as_str).chain(guard) {
            if !positions.contains_key(tag) {
                positions.insert(tag, tags.len());
                tags.push(tag);
            }
        }
        let entry_keys: Vec<String> =
            if read { wanted.iter().map(|&i| tier.entry_key(subgraph, keys[i])).collect() } else { Vec::new() };
        let (entries, found) = match tier.get(&entry_keys, &tags).await {
            Ok(answer) => answer,
            Err(e) => {
                ERRORS.increment(1);
                tracing::warn!(error = %e, "entity cache: Redis cannot be read; fetching from the subgraph");
                return None;
            }
        };
        let guard = guard.and_then(|tag| positions.get(tag)).map(|&p| found[p]);
        let generations: Vec<Box<[u64]>> = wanted
            .iter()
            .filter_map(|&i| misses[i].as_ref())
            .map(|m| m.tags.iter().map(|t| positions.get(t.as_str()).map_or(0, |&p| found[p])).collect())
            .collect();
        drop(positions);
        for (&i, generations) in wanted.iter().zip(generations) {
            if let Some(missed) = misses[i].as_mut() {
                missed.shared = Some(generations);
            }
        }
        let now = now_ms();
        let mut fresh: Vec<(usize, entry::Entry)> = Vec::new();
        for (&i, raw) in wanted.iter().zip(entries) {
            let Some(missed) = misses[i].as_ref() else { continue };
            let Some(entry) = raw.as_deref().and_then(entry::Entry::decode) else { continue };
            if entry.is_fresh_but_for_cache_tags(missed.shared.as_deref().unwrap_or_default(), now) {
                fresh.push((i, entry));
            }
        }
        let Some(tagged) = self.cache_tag_generations(tier, &fresh).await else { return guard };
        let mut offset = 0;
        for (i, entry) in fresh {
            let count = entry.cache_tags.len();
            let (local_now, shared_now) = (&tagged.0[offset..offset + count], &tagged.1[offset..offset + count]);
            offset += count;
            let Some(missed) = misses[i].as_ref() else { continue };
            if entry.tagged_generations() != shared_now {
                continue;
            }
            let Ok(value) = sonic_rs::from_slice::<sonic_rs::Value>(&entry.data) else { continue };
            let answer: Answer = Arc::new(SubgraphResponse::from_value(value));
            if let Some(local) = &self.local {
                let entry = missed.local_entry(entry.expires_ms, answer.clone(), (&entry.cache_tags, local_now));
                local.put(keys[i], entry);
            }
            hits[i] = Some(answer);
            misses[i] = None;
        }
        guard
    }

    /// The generations of the cache tags of `entries`, in their order: in process (read first)
    /// and in Redis; `None` when Redis cannot tell.
    async fn cache_tag_generations(
        &self,
        tier: &Shared,
        entries: &[(usize, entry::Entry)],
    ) -> Option<(Vec<u64>, Vec<u64>)> {
        let tags: Vec<&str> = entries.iter().flat_map(|(_, e)| e.cache_tags.iter().map(String::as_str)).collect();
        if tags.is_empty() {
            return Some((Vec::new(), Vec::new()));
        }
        let local = self.local_generations(&tags);
        match tier.get(&[], &tags).await {
            Ok((_, shared)) => Some((local, shared)),
            Err(e) => {
                ERRORS.increment(1);
                tracing::warn!(error = %e, "entity cache: Redis cannot be read; fetching from the subgraph");
                None
            }
        }
    }

    /// The in-process generations of `tags` (zeros without that tier).
    pub(super) fn local_generations(&self, tags: &[&str]) -> Vec<u64> {
        match &self.local {
            Some(tier) => tier.generations_of(tags),
            None => vec![0; tags.len()],
        }
    }
}
