//! Writing the cache: the answers of a fetch, with the generations noted before it.

use std::time::Duration;

use bytes::Bytes;

use super::entry::{self, now_ms};
use super::lookup::Lookup;
use super::{Answer, ERRORS, EntityCache, keys};

impl EntityCache {
    /// Stores `answers` (key index, answer, its cache tags as [`keys::cache_tag`] writes them)
    /// for `ttl`, with the generations `lookup` noted before they were fetched. An answer with
    /// cache tags is stored only when the subgraph's guard shows none was invalidated since.
    pub async fn store(
        &self,
        subgraph: &str,
        keys: &[u128],
        lookup: &Lookup,
        answers: Vec<(usize, Answer, Vec<String>)>,
        ttl: Duration,
    ) {
        let tagged = self.tagged_generations(subgraph, lookup, &answers).await;
        let expires_ms = now_ms() + ttl.as_millis() as u64;
        let mut shared = Vec::new();
        let mut offset = 0;
        for (index, answer, cache_tags) in answers {
            let count = cache_tags.len();
            let generations = match (&tagged, count) {
                (_, 0) => (&[][..], &[][..]),
                (Some((local, shared)), _) => (&local[offset..offset + count], &shared[offset..offset + count]),
                (None, _) => continue,
            };
            offset += count;
            let (Some(&key), Some(Some(missed))) = (keys.get(index), lookup.misses.get(index)) else { continue };
            if let (Some(tier), Some(implied)) = (&self.shared, &missed.shared) {
                let data = sonic_rs::to_vec(answer.body()).map(Bytes::from).unwrap_or_default();
                let generations = implied.iter().chain(generations.1).copied().collect();
                let entry = entry::Entry { generations, cache_tags: cache_tags.clone().into(), expires_ms, data };
                shared.push((tier.entry_key(subgraph, key), entry.encode(), ttl.as_millis() as u64));
            }
            if let Some(tier) = &self.local {
                tier.put(key, missed.local_entry(expires_ms, answer, (&cache_tags, generations.0)));
            }
        }
        if let Some(tier) = &self.shared
            && let Err(e) = tier.put(&shared).await
        {
            ERRORS.increment(1);
            tracing::warn!(error = %e, "entity cache: Redis cannot be written");
        }
    }

    /// The generations now of the cache tags of `answers`, in their order (in process, in
    /// Redis); `None` when they may not be stored: the subgraph's guard moved since `lookup`
    /// read it (a cache tag was invalidated during the fetch, perhaps one of these), or was not
    /// read (the subgraph had not been seen sending cache tags: from now on it is).
    async fn tagged_generations(
        &self,
        subgraph: &str,
        lookup: &Lookup,
        answers: &[(usize, Answer, Vec<String>)],
    ) -> Option<(Vec<u64>, Vec<u64>)> {
        let tags: Vec<&str> = answers.iter().flat_map(|(_, _, tags)| tags.iter().map(String::as_str)).collect();
        if tags.is_empty() {
            return Some((Vec::new(), Vec::new()));
        }
        self.tagging.insert(subgraph.to_string(), ());
        let before = lookup.guard?;
        let guard = keys::cache_tags_guard(subgraph);
        let with_guard: Vec<&str> = std::iter::once(guard.as_str()).chain(tags.iter().copied()).collect();
        let local = self.local_generations(&with_guard);
        let shared = match &self.shared {
            Some(tier) => match tier.get(&[], &with_guard).await {
                Ok((_, now)) if Some(now[0]) == before.shared => now[1..].to_vec(),
                Ok(_) => return None,
                Err(e) => {
                    ERRORS.increment(1);
                    tracing::warn!(error = %e, "entity cache: Redis cannot be read; answers with cache tags not kept");
                    return None;
                }
            },
            None => vec![0; tags.len()],
        };
        (local[0] == before.local).then(|| (local[1..].to_vec(), shared))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::{EntityCacheBackend, EntityCacheConfig};
    use crate::execute::client::SubgraphResponse;

    const TTL: Duration = Duration::from_secs(60);

    fn tags(_: usize) -> Vec<String> {
        vec![keys::subgraph_tag("catalog")]
    }

    fn tagged(tag: &str) -> Vec<(usize, Answer, Vec<String>)> {
        let answer = Arc::new(SubgraphResponse::from_value(sonic_rs::json!({ "name": "Lamp" })));
        vec![(0, answer, vec![keys::cache_tag("catalog", tag)])]
    }

    async fn kept(cache: &EntityCache) -> bool {
        cache.lookup("catalog", &[1], tags, true).await.hits[0].is_some()
    }

    /// What `POST /invalidation` bumps for a cache tag of catalog.
    async fn evict(cache: &EntityCache, tag: &str) {
        let tags = [keys::cache_tag("catalog", tag), keys::cache_tags_guard("catalog")];
        cache.invalidate(&tags).await.unwrap();
    }

    #[tokio::test]
    async fn an_answer_whose_cache_tags_may_have_been_invalidated_while_it_was_fetched_is_not_kept() {
        let config = EntityCacheConfig { backend: EntityCacheBackend::Memory, ..EntityCacheConfig::default() };
        let cache = EntityCache::from_config(&config).await.unwrap().unwrap();
        // The first tagged answer of a subgraph: its lookup did not read the guard.
        let lookup = cache.lookup("catalog", &[1], tags, true).await;
        cache.store("catalog", &[1], &lookup, tagged("sale"), TTL).await;
        assert!(!kept(&cache).await, "kept without knowing whether a tag moved during the fetch");
        let lookup = cache.lookup("catalog", &[1], tags, true).await;
        cache.store("catalog", &[1], &lookup, tagged("sale"), TTL).await;
        assert!(kept(&cache).await);
        evict(&cache, "spring").await;
        assert!(kept(&cache).await, "another tag");
        evict(&cache, "sale").await;
        assert!(!kept(&cache).await, "its tag");
        // A tag of the subgraph invalidated while the answer was fetched: perhaps one of its own.
        let lookup = cache.lookup("catalog", &[1], tags, true).await;
        evict(&cache, "sale").await;
        cache.store("catalog", &[1], &lookup, tagged("sale"), TTL).await;
        assert!(!kept(&cache).await, "an answer older than its tag's invalidation");
        // An answer without cache tags does not depend on the guard.
        let lookup = cache.lookup("catalog", &[1], tags, true).await;
        evict(&cache, "sale").await;
        let untagged = tagged("sale").into_iter().map(|(i, a, _)| (i, a, Vec::new())).collect();
        cache.store("catalog", &[1], &lookup, untagged, TTL).await;
        assert!(kept(&cache).await);
    }
}
