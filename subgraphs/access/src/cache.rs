//! Cached answers under versioned keys.
//!
//! Every key of viewer V embeds a global epoch and V's version. Invalidating V increments
//! its version, so entries written before (even by a slow lookup that read the database
//! before the change committed) are never read again; they expire with their TTL. Version
//! counters carry no TTL: with Redis, use a `volatile-*` eviction policy so they are kept.

use std::sync::Arc;
use std::time::Duration;

use braid_kit::cache::{Cache, CacheError};
use futures::StreamExt;

/// The versions a viewer's entries are keyed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub epoch: i64,
    pub version: i64,
}

/// Permission answers in a shared cache.
#[derive(Clone)]
pub struct AccessCache {
    cache: Arc<dyn Cache>,
    ttl: Duration,
}

const EPOCH: &str = "acl:epoch";

fn version_key(viewer: i64) -> String {
    format!("acl:v:{viewer}")
}

fn revoked_key(subject: i64) -> String {
    format!("acl:revoked:{subject}")
}

fn counter(raw: Option<&Vec<u8>>) -> i64 {
    raw.and_then(|b| std::str::from_utf8(b).ok()).and_then(|s| s.parse().ok()).unwrap_or(0)
}

impl AccessCache {
    /// `ttl` bounds every entry's life (grant expiries may shorten it).
    pub fn new(cache: Arc<dyn Cache>, ttl: Duration) -> Self {
        Self { cache, ttl }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The current stamps of `viewers` (one round trip).
    pub async fn stamps(&self, viewers: &[i64]) -> Result<Vec<Stamp>, CacheError> {
        let mut keys = Vec::with_capacity(viewers.len() + 1);
        keys.push(EPOCH.to_string());
        keys.extend(viewers.iter().map(|v| version_key(*v)));
        let raw = self.cache.get_many(&keys).await?;
        let epoch = counter(raw[0].as_ref());
        Ok(raw[1..].iter().map(|r| Stamp { epoch, version: counter(r.as_ref()) }).collect())
    }

    pub fn pair_key(stamp: Stamp, viewer: i64, target: i64) -> String {
        format!("acl:p:{}.{}:{viewer}:{target}", stamp.epoch, stamp.version)
    }

    pub fn set_key(stamp: Stamp, viewer: i64) -> String {
        format!("acl:s2:{}.{}:{viewer}", stamp.epoch, stamp.version)
    }

    pub async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        self.cache.get_many(keys).await
    }

    pub async fn put_many(&self, entries: &[(String, Vec<u8>)], ttl: Duration) -> Result<(), CacheError> {
        self.cache.set_many(entries, ttl).await
    }

    /// Voids the cached answers of `viewers`.
    pub async fn invalidate(&self, viewers: &[i64]) -> Result<(), CacheError> {
        let results: Vec<Result<i64, CacheError>> = futures::stream::iter(viewers.iter().copied())
            .map(|v| async move { self.cache.incr(&version_key(v)).await })
            .buffer_unordered(64)
            .collect()
            .await;
        results.into_iter().try_for_each(|r| r.map(|_| ()))
    }

    /// Voids every cached answer.
    pub async fn invalidate_everyone(&self) -> Result<(), CacheError> {
        self.cache.incr(EPOCH).await.map(|_| ())
    }

    /// Marks a deleted employee's tokens as revoked for `ttl` (their longest remaining life).
    pub async fn revoke_subject(&self, subject: i64, ttl: Duration) -> Result<(), CacheError> {
        self.cache.set(&revoked_key(subject), b"1", ttl).await
    }

    pub async fn is_revoked(&self, subject: i64) -> Result<bool, CacheError> {
        Ok(self.cache.get(&revoked_key(subject)).await?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use braid_kit::cache::MemoryCache;

    use super::*;

    fn cache() -> AccessCache {
        AccessCache::new(Arc::new(MemoryCache::new("t:", 1000)), Duration::from_secs(30))
    }

    #[tokio::test]
    async fn stamps_count_each_viewers_invalidations_and_everyone_s() {
        let cache = cache();
        assert_eq!(cache.ttl(), Duration::from_secs(30));
        assert_eq!(cache.stamps(&[1, 2]).await.unwrap(), [Stamp { epoch: 0, version: 0 }; 2]);
        cache.invalidate(&[1, 3]).await.unwrap();
        cache.invalidate(&[1]).await.unwrap();
        cache.invalidate_everyone().await.unwrap();
        let stamps = cache.stamps(&[1, 2, 3]).await.unwrap();
        assert_eq!(
            stamps,
            [Stamp { epoch: 1, version: 2 }, Stamp { epoch: 1, version: 0 }, Stamp { epoch: 1, version: 1 }]
        );
    }

    #[test]
    fn keys_name_the_stamp_the_viewer_and_the_target() {
        let stamp = Stamp { epoch: 4, version: 7 };
        assert_eq!(AccessCache::pair_key(stamp, 12, 34), "acl:p:4.7:12:34");
        assert_eq!(AccessCache::set_key(stamp, 12), "acl:s2:4.7:12");
    }

    #[tokio::test]
    async fn a_revoked_subject_stays_revoked_for_the_ttl_given() {
        let cache = cache();
        cache.revoke_subject(7, Duration::from_secs(60)).await.unwrap();
        assert!(cache.is_revoked(7).await.unwrap());
        assert!(!cache.is_revoked(8).await.unwrap());
    }

    #[test]
    fn a_counter_that_is_not_a_number_reads_as_zero() {
        assert_eq!(counter(Some(&b"12".to_vec())), 12);
        assert_eq!(counter(Some(&b"x".to_vec())), 0);
        assert_eq!(counter(None), 0);
    }
}
