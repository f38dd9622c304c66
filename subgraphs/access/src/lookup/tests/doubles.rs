//! Test doubles: a source that counts its round trips, a cache that is down, a cache that
//! counts its reads.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use braid_kit::cache::{Cache, CacheError, MemoryCache, Versioned};
use chrono::{DateTime, Utc};

use crate::AccessError;
use crate::source::{Checked, Source, Viewer, Visible, VisibleSet};

/// Employees 1 to 60; viewer `v` sees the multiples of `v` and is in group `100 * v`.
#[derive(Default)]
pub struct Multiples {
    pub checks: AtomicUsize,
    pub sets: AtomicUsize,
    pub asked: Mutex<Vec<(i64, Vec<i64>)>>,
    pub valid_until: Mutex<Option<DateTime<Utc>>>,
    /// Answers one answer short.
    pub short: AtomicBool,
}

impl Multiples {
    fn sees(viewer: i64, target: i64) -> bool {
        target % viewer == 0
    }

    fn until(&self) -> Option<DateTime<Utc>> {
        *self.valid_until.lock().unwrap()
    }

    pub fn checks(&self) -> usize {
        self.checks.load(Ordering::SeqCst)
    }

    pub fn sets(&self) -> usize {
        self.sets.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl Source for Multiples {
    async fn check(&self, viewer: &Viewer, targets: &[i64]) -> Result<Checked, AccessError> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        self.asked.lock().unwrap().push((viewer.id, targets.to_vec()));
        let mut allowed: Vec<bool> = targets.iter().map(|t| Self::sees(viewer.id, *t)).collect();
        if self.short.load(Ordering::SeqCst) {
            allowed.pop();
        }
        Ok(Checked { allowed, valid_until: self.until() })
    }

    async fn visible(&self, viewer: &Viewer) -> Result<Visible, AccessError> {
        self.sets.fetch_add(1, Ordering::SeqCst);
        let ids = (1..=60).filter(|e| Self::sees(viewer.id, *e)).collect();
        Ok(Visible { ids: VisibleSet::new(ids), groups: vec![100 * viewer.id], valid_until: self.until() })
    }

    async fn managers(&self, _viewer: &Viewer, employee: i64) -> Result<Option<Vec<i64>>, AccessError> {
        Ok((employee > 0).then(|| vec![employee + 1, employee + 2]))
    }
}

/// A cache that is down.
pub struct Down;

#[async_trait::async_trait]
impl Cache for Down {
    async fn get(&self, _: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Err(CacheError("down".into()))
    }
    async fn set(&self, _: &str, _: &[u8], _: Duration) -> Result<(), CacheError> {
        Err(CacheError("down".into()))
    }
    async fn delete(&self, _: &str) -> Result<(), CacheError> {
        Err(CacheError("down".into()))
    }
    async fn get_many(&self, _: &[String]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        Err(CacheError("down".into()))
    }
    async fn set_many(&self, _: &[(String, Vec<u8>)], _: Duration) -> Result<(), CacheError> {
        Err(CacheError("down".into()))
    }
    async fn incr(&self, _: &str) -> Result<i64, CacheError> {
        Err(CacheError("down".into()))
    }
    async fn get_versioned(&self, _: &[String]) -> Result<Vec<Option<Versioned>>, CacheError> {
        Err(CacheError("down".into()))
    }
    async fn put_versioned(&self, _: &str, _: &Versioned, _: Duration) -> Result<bool, CacheError> {
        Err(CacheError("down".into()))
    }
    async fn ping(&self) -> Result<(), CacheError> {
        Err(CacheError("down".into()))
    }
}

/// A process-local cache that counts its read round trips.
pub struct Counting {
    pub inner: MemoryCache,
    pub reads: AtomicUsize,
}

#[async_trait::async_trait]
impl Cache for Counting {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get(key).await
    }
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        self.inner.set(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.inner.delete(key).await
    }
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get_many(keys).await
    }
    async fn set_many(&self, entries: &[(String, Vec<u8>)], ttl: Duration) -> Result<(), CacheError> {
        self.inner.set_many(entries, ttl).await
    }
    async fn incr(&self, key: &str) -> Result<i64, CacheError> {
        self.inner.incr(key).await
    }
    async fn get_versioned(&self, keys: &[String]) -> Result<Vec<Option<Versioned>>, CacheError> {
        self.inner.get_versioned(keys).await
    }
    async fn put_versioned(&self, key: &str, entry: &Versioned, ttl: Duration) -> Result<bool, CacheError> {
        self.inner.put_versioned(key, entry, ttl).await
    }
    async fn ping(&self) -> Result<(), CacheError> {
        self.inner.ping().await
    }
}
