//! Fetches through the entity cache: a root query fetch answered whole from the cache, and the
//! entities of an `_entities` fetch found there, so that only the others are sent.

use std::sync::Arc;

use bytes::Bytes;
use hive_router_query_planner::planner::plan_nodes::FetchNode;
use sonic_rs::{JsonValueTrait, Value};

use super::client::SubgraphResponse;
use super::entities::Representations;
use super::{EntityJob, Execution};
use crate::entity_cache::keys::{self, Prefix};
use crate::entity_cache::{EntityCache, Lookup};
use crate::entity_cache::{selection, tags};
use crate::error::GraphqlError;

/// The entity cache as one execution may use it.
#[derive(Clone, Copy)]
pub struct CacheUse<'a> {
    pub cache: &'a EntityCache,
    /// False when the client asked past caches (`Cache-Control: no-cache`): answers are
    /// fetched, and stored.
    pub read: bool,
}

/// An `_entities` fetch as the cache found it.
pub(super) struct Found<'r> {
    keys: Vec<u128>,
    lookup: Lookup,
    /// Where each job's keys begin in `keys`.
    offsets: Vec<usize>,
    /// Per job, the answers found, by representation index.
    pub hits: Vec<Vec<Option<&'r Value>>>,
    /// The generations seen, for sharing an identical fetch in flight.
    pub epoch: u64,
    /// A tag was invalidated moments ago: fetch past the subgraph's caches.
    pub uncached: bool,
    /// Whether the keys are the viewer's (the fetch answered privately before).
    private: bool,
    /// The query's hash, under which a private answer is remembered.
    fetch: u64,
}

impl Found<'_> {
    /// Per job, the representation indices the cache did not have.
    pub fn missing(&self, job: usize) -> Vec<usize> {
        self.hits[job].iter().enumerate().filter(|(_, hit)| hit.is_none()).map(|(i, _)| i).collect()
    }
}

impl<'a, 'r: 'a> Execution<'a, 'r> {
    /// Names a fetch's field under this schema, for memos.
    fn memo_key(&self, operation: u64, response_key: &str) -> u64 {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(&self.supergraph.id.to_le_bytes());
        hasher.update(&operation.to_le_bytes());
        hasher.update(response_key.as_bytes());
        hasher.digest()
    }

    /// The cache, when it covers `service`.
    pub(super) fn cache_for(&self, service: &str) -> Option<CacheUse<'a>> {
        self.cache.filter(|c| c.cache.covers(service))
    }

    /// A root fetch answered from the cache, or fetched and stored when the subgraph allows.
    pub(super) async fn cached_root(
        &self,
        cache: CacheUse<'a>,
        fetch: &FetchNode,
        body: Bytes,
    ) -> Result<&'r SubgraphResponse, GraphqlError> {
        let service = fetch.service_name.as_str();
        let query = xxhash_rust::xxh3::xxh3_64(fetch.operation.document_str.as_bytes());
        let private = cache.cache.is_private(query);
        let key =
            |private: bool| Prefix::new(b'r', service, &body, private.then(|| keys::viewer(self.headers))).key(b"");
        let tags = |_| {
            let memo = self.memo_key(fetch.operation.hash, "");
            let document = &fetch.operation.document;
            let lookup = cache.cache.key_lookup(memo, || {
                selection::key_lookup(&self.supergraph.all_types, &self.supergraph.cache, document)
            });
            if let Some(lookup) = lookup
                && let Some(entity) = lookup.entity(self.variables)
            {
                let named = [keys::subgraph_tag(service), keys::type_tag(&lookup.ty), keys::entity_tag(&entity)];
                return named.into_iter().chain(lookup.below.iter().cloned()).collect();
            }
            let lists = cache.cache.list_tags(memo, || selection::root_tags(&self.supergraph.all_types, document));
            std::iter::once(keys::subgraph_tag(service)).chain(lists.iter().cloned()).collect()
        };
        let mut keys = [key(private)];
        let lookup = cache.cache.lookup(service, &keys, tags, cache.read).await;
        if let Some(Some(hit)) = lookup.hits.first() {
            return Ok(self.arena.response(hit.clone()));
        }
        let response = self.send_shared(service, body.clone(), (lookup.epoch(), lookup.uncached)).await?;
        let storable = response.errors().is_empty() && response.data().is_some();
        let cache_tags = tags::root(response.body()).and_then(|tags| cache_tags(service, tags));
        if storable
            && let Some(cache_tags) = cache_tags
            && let Some((ttl, private_now)) = cache.cache.ttl(service, response.cache_control())
        {
            if private_now && !private {
                cache.cache.learn_private(query);
                keys[0] = key(true);
            }
            cache.cache.store(service, &keys, &lookup, vec![(0, response.clone(), cache_tags)], ttl).await;
        }
        Ok(self.arena.response(response))
    }

    /// Looks up the entities of `jobs` (their distinct representations in `collected`).
    pub(super) async fn find_entities(
        &self,
        cache: CacheUse<'a>,
        service: &str,
        query_text: &[u8],
        jobs: &[EntityJob<'_>],
        collected: &[&Representations],
    ) -> Found<'r> {
        let fetch = xxhash_rust::xxh3::xxh3_64(query_text);
        let private = cache.cache.is_private(fetch);
        let viewer = private.then(|| keys::viewer(self.headers));
        let mut keys = Vec::new();
        let mut offsets = Vec::with_capacity(jobs.len());
        let mut texts: Vec<(&[u8], usize)> = Vec::new();
        for (j, (job, reps)) in jobs.iter().zip(collected).enumerate() {
            offsets.push(keys.len());
            let prefix = entity_prefix(service, query_text, job, viewer);
            for rep in reps.texts() {
                keys.push(prefix.key(rep));
                texts.push((rep, j));
            }
        }
        // Tags are read off the representations only for the answers the cache lacks.
        let tags = |index: usize| {
            let (rep, j) = texts[index];
            let job = &jobs[j];
            let lists = cache.cache.list_tags(self.memo_key(job.operation.hash, job.response_key), || {
                selection::entity_tags(&self.supergraph.all_types, &job.operation.document, job.response_key)
            });
            keys::entity_tags(&self.supergraph.cache, service, rep, &lists)
                .unwrap_or_else(|| vec![keys::subgraph_tag(service)])
        };
        let lookup = cache.cache.lookup(service, &keys, tags, cache.read).await;
        let mut hits = Vec::with_capacity(jobs.len());
        for (j, reps) in collected.iter().enumerate() {
            let found = lookup.hits[offsets[j]..offsets[j] + reps.len()]
                .iter()
                .map(|hit| hit.as_ref().map(|answer| self.arena.response(answer.clone()).body()));
            hits.push(found.collect());
        }
        let (epoch, uncached) = (lookup.epoch(), lookup.uncached);
        Found { keys, lookup, offsets, hits, epoch, uncached, private, fetch }
    }

    /// Stores the entities fetched for `jobs` that came back whole, when the subgraph allows.
    /// `fetched[job]` holds (representation index, position in the answers, answer) of each one
    /// without errors.
    pub(super) async fn store_entities(
        &self,
        cache: CacheUse<'a>,
        (service, query_text): (&str, &[u8]),
        (jobs, collected): (&[EntityJob<'_>], &[&Representations]),
        found: Found<'r>,
        response: &SubgraphResponse,
        fetched: Vec<Vec<(usize, usize, &Value)>>,
    ) {
        let Some((ttl, private_now)) = cache.cache.ttl(service, response.cache_control()) else { return };
        let Found { mut keys, lookup, offsets, private, fetch, .. } = found;
        if private_now && !private {
            // Learnt now: the answers are the viewer's, keyed as the next lookup will key them.
            cache.cache.learn_private(fetch);
            let viewer = Some(keys::viewer(self.headers));
            for ((job, reps), &offset) in jobs.iter().zip(collected).zip(&offsets) {
                let prefix = entity_prefix(service, query_text, job, viewer);
                for (key, rep) in keys[offset..].iter_mut().zip(reps.texts()) {
                    *key = prefix.key(rep);
                }
            }
        }
        let mut answers = Vec::new();
        let single = jobs.len() == 1;
        for (job, entities) in fetched.into_iter().enumerate() {
            for (index, position, answer) in entities {
                let cache_tags = tags::entity(response.body(), jobs[job].response_key, single, position)
                    .and_then(|tags| cache_tags(service, tags));
                if answer.is_object()
                    && let Some(cache_tags) = cache_tags
                {
                    let answer = Arc::new(SubgraphResponse::from_value(answer.clone()));
                    answers.push((offsets[job] + index, answer, cache_tags));
                }
            }
        }
        cache.cache.store(service, &keys, &lookup, answers, ttl).await;
    }
}

/// A subgraph's cache tags as the cache keeps them; `None` when one is too long to keep.
fn cache_tags(service: &str, tags: Vec<String>) -> Option<Vec<String>> {
    let tags: Vec<String> = tags.iter().map(|tag| keys::cache_tag(service, tag)).collect();
    tags.iter().all(|tag| tag.len() <= usize::from(u8::MAX)).then_some(tags)
}

/// What the keys of one job's entities share: the subgraph, the fetch's query and variables, the
/// job's field in it, and the viewer for private answers.
fn entity_prefix(service: &str, query_text: &[u8], job: &EntityJob<'_>, viewer: Option<u64>) -> Prefix {
    let mut text = Vec::with_capacity(query_text.len() + job.response_key.len() + 1);
    text.extend_from_slice(query_text);
    text.push(0);
    text.extend_from_slice(job.response_key.as_bytes());
    Prefix::new(b'e', service, &text, viewer)
}
