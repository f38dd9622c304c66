//! Lookups: cache first, then one source round trip for whatever missed; batched across
//! callers by a DataLoader over [`Check`] keys.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::Loader;
use chrono::Utc;

use crate::AccessError;
use crate::cache::{AccessCache, Stamp};
use crate::source::{Source, Viewer, Visible};

#[cfg(test)]
mod tests;

/// One question: may `viewer` see `target`? Equal keys ignore the token (any valid token of
/// the viewer answers the same question).
#[derive(Debug, Clone)]
pub struct Check {
    pub viewer: Viewer,
    pub target: i64,
}

impl Check {
    /// The key of `viewer`'s question about `target`.
    pub fn key(viewer: &Viewer, target: i64) -> Self {
        Self { viewer: viewer.clone(), target }
    }
}

impl PartialEq for Check {
    fn eq(&self, other: &Self) -> bool {
        self.viewer.id == other.viewer.id && self.target == other.target
    }
}

impl Eq for Check {}

impl Hash for Check {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.viewer.id.hash(state);
        self.target.hash(state);
    }
}

/// What the cache holds for a batch of questions.
struct Cached {
    stamps: Vec<Stamp>,
    keys: Vec<Vec<String>>,
    answers: Vec<Vec<Option<bool>>>,
}

/// The lookup service: a source behind a cache.
#[derive(Clone)]
pub struct Lookup {
    source: Arc<dyn Source>,
    cache: Option<AccessCache>,
    /// Decoded visible sets by their cache key: a key names one version of one viewer's
    /// answer, so a copy in the process is exactly as fresh as the shared entry, and a
    /// viewer paging through 100,000 visible employees decodes their set once.
    near: moka::sync::Cache<String, Arc<Visible>>,
}

/// Employee ids held in decoded sets, over all viewers (about 8 bytes each).
const NEAR_IDS: u64 = 4_000_000;

fn ttl_until(default: Duration, until: Option<chrono::DateTime<Utc>>) -> Option<Duration> {
    match until {
        None => Some(default),
        Some(t) => {
            let left = (t - Utc::now()).to_std().ok()?;
            (left >= Duration::from_secs(1)).then(|| left.min(default))
        }
    }
}

/// Writes answers to the cache off the request path (the answer does not wait for it), for
/// no longer than the grants they relied on hold.
fn fill(cache: &AccessCache, entries: Vec<(String, Vec<u8>)>, until: Option<chrono::DateTime<Utc>>) {
    let Some(ttl) = ttl_until(cache.ttl(), until) else { return };
    let cache = cache.clone();
    tokio::spawn(async move {
        if let Err(e) = cache.put_many(&entries, ttl).await {
            cache_failed(&e);
        }
    });
}

fn cache_failed(e: &braid_kit::cache::CacheError) {
    metrics::counter!("braid_access_cache_errors_total").increment(1);
    tracing::warn!(error = %e, "permission cache unavailable; asking the source");
}

impl Lookup {
    /// `cache: None` asks the source every time.
    pub fn new(source: Arc<dyn Source>, cache: Option<AccessCache>) -> Self {
        // The series exist from the start, at zero, for dashboards and alerts.
        metrics::counter!("braid_access_cache_hits_total").increment(0);
        metrics::counter!("braid_access_cache_misses_total").increment(0);
        for kind in ["visible", "managers", "check"] {
            metrics::counter!("braid_access_source_requests_total", "kind" => kind).increment(0);
        }
        let ttl = cache.as_ref().map_or(Duration::from_secs(60), AccessCache::ttl);
        let near = moka::sync::Cache::builder()
            .max_capacity(NEAR_IDS)
            .weigher(|_: &String, v: &Arc<Visible>| u32::try_from(v.ids.len() + v.groups.len() + 1).unwrap_or(u32::MAX))
            .time_to_live(ttl)
            .build();
        Self { source, cache, near }
    }

    pub fn cache(&self) -> Option<&AccessCache> {
        self.cache.as_ref()
    }

    /// May `viewer` see each of `targets`? At most one source round trip.
    pub async fn check(&self, viewer: &Viewer, targets: &[i64]) -> Result<Vec<bool>, AccessError> {
        let mut answers = self.check_many(&[(viewer.clone(), targets.to_vec())]).await?;
        Ok(answers.pop().unwrap_or_default())
    }

    /// Answers for several viewers at once: two cache round trips in all (their stamps, then
    /// every pair), a third for the visible sets of viewers with misses, and one source round
    /// trip per viewer whose misses no cached set answers, concurrently.
    pub async fn check_many(&self, questions: &[(Viewer, Vec<i64>)]) -> Result<Vec<Vec<bool>>, AccessError> {
        let cached = match &self.cache {
            Some(cache) => self.cached(cache, questions).await,
            None => None,
        };
        let Some(Cached { stamps, keys, mut answers }) = cached else {
            let asked = questions
                .iter()
                .map(|(viewer, targets)| async move { self.ask(viewer, targets).await.map(|(allowed, _)| allowed) });
            return futures::future::try_join_all(asked).await;
        };
        let cache = self.cache.as_ref().expect("answers were cached");
        self.answer_from_sets(cache, questions, &stamps, &mut answers).await;
        let total: usize = questions.iter().map(|(_, t)| t.len()).sum();
        let missing: usize = answers.iter().flatten().filter(|a| a.is_none()).count();
        metrics::counter!("braid_access_cache_hits_total").increment((total - missing) as u64);
        if missing > 0 {
            metrics::counter!("braid_access_cache_misses_total").increment(missing as u64);
        }
        let fills = questions.iter().zip(answers.iter_mut()).zip(keys.iter()).filter_map(
            |(((viewer, targets), answers), keys)| {
                let misses: Vec<usize> = (0..targets.len()).filter(|i| answers[*i].is_none()).collect();
                (!misses.is_empty()).then_some(async move {
                    let asked: Vec<i64> = misses.iter().map(|i| targets[*i]).collect();
                    let (allowed, until) = self.ask(viewer, &asked).await?;
                    let mut entries = Vec::with_capacity(misses.len());
                    for (i, ok) in misses.iter().zip(allowed) {
                        answers[*i] = Some(ok);
                        entries.push((keys[*i].clone(), if ok { b"1".to_vec() } else { b"0".to_vec() }));
                    }
                    fill(cache, entries, until);
                    Ok::<_, AccessError>(())
                })
            },
        );
        futures::future::try_join_all(fills).await?;
        Ok(answers.into_iter().map(|a| a.into_iter().map(|a| a.unwrap_or(false)).collect()).collect())
    }

    /// The stamps of every viewer, the cache keys of every question and what the cache holds
    /// for them; `None` when the cache cannot be read (the source answers everything then).
    async fn cached(&self, cache: &AccessCache, questions: &[(Viewer, Vec<i64>)]) -> Option<Cached> {
        let viewers: Vec<i64> = questions.iter().map(|(v, _)| v.id).collect();
        let stamps = cache.stamps(&viewers).await.map_err(|e| cache_failed(&e)).ok()?;
        let keys: Vec<Vec<String>> = questions
            .iter()
            .zip(&stamps)
            .map(|((viewer, targets), stamp)| {
                targets.iter().map(|t| AccessCache::pair_key(*stamp, viewer.id, *t)).collect()
            })
            .collect();
        let flat: Vec<String> = keys.iter().flatten().cloned().collect();
        let values = cache.get_many(&flat).await.map_err(|e| cache_failed(&e)).ok()?;
        let mut values = values.into_iter();
        let answers =
            keys.iter().map(|k| k.iter().map(|_| values.next().flatten().map(|b| b == b"1")).collect()).collect();
        Some(Cached { stamps, keys, answers })
    }

    /// Answers what the pair entries missed from the viewers' visible sets, when a lookup
    /// (of any service sharing the cache) left one: a page of documents fetched the set, so
    /// the gateway's checks of the same page cost no source round trip.
    async fn answer_from_sets(
        &self,
        cache: &AccessCache,
        questions: &[(Viewer, Vec<i64>)],
        stamps: &[Stamp],
        answers: &mut [Vec<Option<bool>>],
    ) {
        let answer = |answers: &mut Vec<Option<bool>>, targets: &[i64], set: &Visible| {
            for (a, t) in answers.iter_mut().zip(targets) {
                a.get_or_insert_with(|| set.ids.contains(*t));
            }
        };
        let mut far = Vec::new();
        for (i, ((viewer, targets), stamp)) in questions.iter().zip(stamps).enumerate() {
            if answers[i].iter().all(Option::is_some) {
                continue;
            }
            let key = AccessCache::set_key(*stamp, viewer.id);
            match self.near_set(&key) {
                Some(set) => answer(&mut answers[i], targets, &set),
                None => far.push((i, key)),
            }
        }
        if far.is_empty() {
            return;
        }
        let keys: Vec<String> = far.iter().map(|(_, k)| k.clone()).collect();
        let found = match cache.get_many(&keys).await {
            Ok(found) => found,
            Err(e) => return cache_failed(&e),
        };
        for ((i, key), bytes) in far.into_iter().zip(found) {
            let Some(set) = bytes.and_then(|b| Visible::decode(&b)) else { continue };
            if set.valid_until.is_some_and(|t| t <= Utc::now()) {
                continue;
            }
            let set = Arc::new(set);
            answer(&mut answers[i], &questions[i].1, &set);
            self.near.insert(key, set);
        }
    }

    /// A decoded set of this process, if still valid.
    fn near_set(&self, key: &str) -> Option<Arc<Visible>> {
        let set = self.near.get(key)?;
        if set.valid_until.is_none_or(|t| t > Utc::now()) {
            return Some(set);
        }
        self.near.invalidate(key);
        None
    }

    /// Everything `viewer` may see, and the viewer's groups. At most one source round trip.
    pub async fn visible(&self, viewer: &Viewer) -> Result<Arc<Visible>, AccessError> {
        let key = match &self.cache {
            Some(cache) => match cache.stamps(&[viewer.id]).await {
                Ok(stamps) => Some(AccessCache::set_key(stamps[0], viewer.id)),
                Err(e) => {
                    cache_failed(&e);
                    None
                }
            },
            None => None,
        };
        if let (Some(cache), Some(key)) = (&self.cache, &key) {
            if let Some(set) = self.near_set(key) {
                metrics::counter!("braid_access_cache_hits_total").increment(1);
                return Ok(set);
            }
            match cache.get_many(std::slice::from_ref(key)).await {
                Ok(mut found) => {
                    if let Some(set) = found.pop().flatten().and_then(|b| Visible::decode(&b)) {
                        metrics::counter!("braid_access_cache_hits_total").increment(1);
                        let set = Arc::new(set);
                        self.near.insert(key.clone(), set.clone());
                        return Ok(set);
                    }
                }
                Err(e) => cache_failed(&e),
            }
            metrics::counter!("braid_access_cache_misses_total").increment(1);
        }
        metrics::counter!("braid_access_source_requests_total", "kind" => "visible").increment(1);
        let visible = self.source.visible(viewer).await?;
        let visible = Arc::new(visible);
        if let (Some(cache), Some(key)) = (&self.cache, key) {
            // Written before answering, not off the path: the checks the gateway makes of the
            // page this set is for come next and should find it.
            if let Some(ttl) = ttl_until(cache.ttl(), visible.valid_until)
                && let Err(e) = cache.put_many(&[(key.clone(), visible.encode())], ttl).await
            {
                cache_failed(&e);
            }
            self.near.insert(key, visible.clone());
        }
        Ok(visible)
    }

    /// `employee`'s managers, nearest first (`None`: no such employee), always from the
    /// source: the authority to change something is never taken from a cache.
    pub async fn managers(&self, viewer: &Viewer, employee: i64) -> Result<Option<Vec<i64>>, AccessError> {
        metrics::counter!("braid_access_source_requests_total", "kind" => "managers").increment(1);
        self.source.managers(viewer, employee).await
    }

    async fn ask(
        &self,
        viewer: &Viewer,
        targets: &[i64],
    ) -> Result<(Vec<bool>, Option<chrono::DateTime<Utc>>), AccessError> {
        metrics::counter!("braid_access_source_requests_total", "kind" => "check").increment(1);
        let checked = self.source.check(viewer, targets).await?;
        if checked.allowed.len() != targets.len() {
            return Err(AccessError::Source(format!(
                "asked about {} employees, got {} answers",
                targets.len(),
                checked.allowed.len()
            )));
        }
        Ok((checked.allowed, checked.valid_until))
    }
}

impl Loader<Check> for Lookup {
    type Value = bool;
    type Error = AccessError;

    async fn load(&self, keys: &[Check]) -> Result<HashMap<Check, bool>, AccessError> {
        let mut by_viewer: HashMap<i64, (Viewer, Vec<i64>)> = HashMap::new();
        for key in keys {
            by_viewer.entry(key.viewer.id).or_insert_with(|| (key.viewer.clone(), Vec::new())).1.push(key.target);
        }
        let questions: Vec<(Viewer, Vec<i64>)> = by_viewer.into_values().collect();
        let allowed = self.check_many(&questions).await?;
        let answers = questions.into_iter().zip(allowed).map(|((viewer, targets), allowed)| (viewer, targets, allowed));
        let mut out = HashMap::with_capacity(keys.len());
        for (viewer, targets, allowed) in answers {
            for (target, ok) in targets.into_iter().zip(allowed) {
                out.insert(Check { viewer: viewer.clone(), target }, ok);
            }
        }
        Ok(out)
    }
}
