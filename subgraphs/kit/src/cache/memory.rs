//! The in-memory cache adapter (moka), with per-entry lifetimes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::Expiry;
use moka::future::Cache as Moka;
use moka::ops::compute::Op;

use super::{Cache, CacheError, Versioned};

#[derive(Debug)]
enum Data {
    Plain(Vec<u8>),
    Counter(i64),
    Versioned(Versioned),
}

#[derive(Debug)]
struct Entry {
    data: Data,
    ttl: Option<Duration>,
}

struct PerEntryTtl;

impl Expiry<String, Arc<Entry>> for PerEntryTtl {
    fn expire_after_create(&self, _: &String, value: &Arc<Entry>, _: Instant) -> Option<Duration> {
        value.ttl
    }
    fn expire_after_update(&self, _: &String, value: &Arc<Entry>, _: Instant, _: Option<Duration>) -> Option<Duration> {
        value.ttl
    }
}

/// A process-local cache; clones share entries.
#[derive(Clone)]
pub struct MemoryCache {
    prefix: String,
    inner: Moka<String, Arc<Entry>>,
}

impl MemoryCache {
    pub fn new(prefix: &str, capacity: u64) -> Self {
        Self {
            prefix: prefix.to_string(),
            inner: Moka::builder().max_capacity(capacity).expire_after(PerEntryTtl).build(),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self.inner.get(&self.key(key)).await.and_then(|e| match &e.data {
            Data::Plain(v) => Some(v.clone()),
            Data::Counter(n) => Some(n.to_string().into_bytes()),
            Data::Versioned(_) => None,
        }))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        let entry = Arc::new(Entry { data: Data::Plain(value.to_vec()), ttl: Some(ttl) });
        self.inner.insert(self.key(key), entry).await;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.inner.invalidate(&self.key(key)).await;
        Ok(())
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.get(key).await?);
        }
        Ok(out)
    }

    async fn set_many(&self, entries: &[(String, Vec<u8>)], ttl: Duration) -> Result<(), CacheError> {
        for (key, value) in entries {
            self.set(key, value, ttl).await?;
        }
        Ok(())
    }

    async fn incr(&self, key: &str) -> Result<i64, CacheError> {
        let result = self
            .inner
            .entry(self.key(key))
            .and_compute_with(|current| {
                let n = match current.as_ref().map(|e| &e.value().data) {
                    Some(Data::Counter(n)) => n + 1,
                    // A number stored with `set` counts on, as in Redis.
                    Some(Data::Plain(v)) => {
                        std::str::from_utf8(v).ok().and_then(|v| v.parse::<i64>().ok()).unwrap_or(0) + 1
                    }
                    _ => 1,
                };
                std::future::ready(Op::Put(Arc::new(Entry { data: Data::Counter(n), ttl: None })))
            })
            .await;
        match result.into_entry().map(|e| e.into_value()) {
            Some(e) => match e.data {
                Data::Counter(n) => Ok(n),
                _ => Err(CacheError("counter overwritten".into())),
            },
            None => Err(CacheError("counter vanished".into())),
        }
    }

    async fn get_versioned(&self, keys: &[String]) -> Result<Vec<Option<Versioned>>, CacheError> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.inner.get(&self.key(key)).await.and_then(|e| match &e.data {
                Data::Versioned(v) => Some(v.clone()),
                _ => None,
            }));
        }
        Ok(out)
    }

    async fn put_versioned(&self, key: &str, entry: &Versioned, ttl: Duration) -> Result<bool, CacheError> {
        let new = entry.clone();
        let result = self
            .inner
            .entry(self.key(key))
            .and_compute_with(|current| {
                let cur = current.as_ref().and_then(|e| match &e.value().data {
                    Data::Versioned(v) => Some(v.clone()),
                    _ => None,
                });
                let op = if new.replaces(cur.as_ref()) {
                    Op::Put(Arc::new(Entry { data: Data::Versioned(new), ttl: Some(ttl) }))
                } else {
                    Op::Nop
                };
                std::future::ready(op)
            })
            .await;
        Ok(matches!(
            result,
            moka::ops::compute::CompResult::Inserted(_) | moka::ops::compute::CompResult::ReplacedWith(_)
        ))
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_cache_honours_versions_and_counters() {
        let cache = MemoryCache::new("t:", 100);
        let ttl = Duration::from_secs(60);
        let value = |v: i64, s: Option<&str>| Versioned { version: v, value: s.map(|s| s.as_bytes().to_vec()) };
        assert!(cache.put_versioned("p", &value(1, Some("a")), ttl).await.unwrap());
        assert!(cache.put_versioned("p", &value(2, None), ttl).await.unwrap());
        assert!(!cache.put_versioned("p", &value(1, Some("a")), ttl).await.unwrap());
        assert!(cache.put_versioned("p", &value(2, Some("b")), ttl).await.unwrap());
        let got = cache.get_versioned(&["p".into(), "q".into()]).await.unwrap();
        assert_eq!(got, vec![Some(value(2, Some("b"))), None]);
        assert_eq!(cache.incr("n").await.unwrap(), 1);
        assert_eq!(cache.incr("n").await.unwrap(), 2);
        cache.set("k", b"v", ttl).await.unwrap();
        assert_eq!(cache.get("k").await.unwrap(), Some(b"v".to_vec()));
        cache.delete("k").await.unwrap();
        assert_eq!(cache.get("k").await.unwrap(), None);
    }
}
