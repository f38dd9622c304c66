//! Lookups: cache first, then one source round trip for whatever missed; batched across
//! callers by a DataLoader over [`Check`] keys.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::Loader;
use chrono::Utc;

use crate::AccessError;
use crate::cache::AccessCache;
use crate::source::{Source, Viewer, VisibleSet};

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

/// The lookup service: a source behind a cache.
#[derive(Clone)]
pub struct Lookup {
    source: Arc<dyn Source>,
    cache: Option<AccessCache>,
}

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
        Self { source, cache }
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
    /// every pair), and one source round trip per viewer with misses, concurrently.
    pub async fn check_many(&self, questions: &[(Viewer, Vec<i64>)]) -> Result<Vec<Vec<bool>>, AccessError> {
        let cached = match &self.cache {
            Some(cache) => self.cached(cache, questions).await,
            None => None,
        };
        let Some((keys, mut answers)) = cached else {
            let asked = questions
                .iter()
                .map(|(viewer, targets)| async move { self.ask(viewer, targets).await.map(|(allowed, _)| allowed) });
            return futures::future::try_join_all(asked).await;
        };
        let cache = self.cache.as_ref().expect("answers were cached");
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

    /// The cache keys of every question and what the cache holds for them; `None` when the
    /// cache cannot be read (the source answers everything then).
    async fn cached(
        &self,
        cache: &AccessCache,
        questions: &[(Viewer, Vec<i64>)],
    ) -> Option<(Vec<Vec<String>>, Vec<Vec<Option<bool>>>)> {
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
        Some((keys, answers))
    }

    /// Everything `viewer` may see. At most one source round trip.
    pub async fn visible(&self, viewer: &Viewer) -> Result<Arc<VisibleSet>, AccessError> {
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
            match cache.get_many(std::slice::from_ref(key)).await {
                Ok(mut found) => {
                    if let Some(set) = found.pop().flatten().and_then(|b| VisibleSet::decode(&b)) {
                        metrics::counter!("braid_access_cache_hits_total").increment(1);
                        return Ok(Arc::new(set));
                    }
                }
                Err(e) => cache_failed(&e),
            }
            metrics::counter!("braid_access_cache_misses_total").increment(1);
        }
        metrics::counter!("braid_access_source_requests_total", "kind" => "visible").increment(1);
        let visible = self.source.visible(viewer).await?;
        if let (Some(cache), Some(key)) = (&self.cache, key) {
            fill(cache, vec![(key, visible.ids.encode())], visible.valid_until);
        }
        Ok(Arc::new(visible.ids))
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
