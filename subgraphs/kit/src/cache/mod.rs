//! The cache port: plain entries, counters, and versioned entries whose writes are monotonic
//! in the aggregate version, so a slow reader can never put an older row back after an
//! invalidation.

mod memory;
pub mod near;
#[cfg(feature = "redis")]
mod redis;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use memory::MemoryCache;
#[cfg(feature = "redis")]
pub use redis::RedisCache;

use crate::config::{CacheBackend, CacheConfig};

#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct CacheError(pub String);

/// A versioned entry; `value: None` is a tombstone left by an invalidation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    pub version: i64,
    pub value: Option<Vec<u8>>,
}

impl Versioned {
    /// Does writing `self` over `current` keep the entry monotonic?
    ///
    /// A newer version always wins; at the same version only a value replaces a tombstone
    /// (the read that follows an invalidation refills it).
    pub fn replaces(&self, current: Option<&Versioned>) -> bool {
        monotonic((self.version, self.value.is_some()), current.map(|c| (c.version, c.value.is_some())))
    }
}

/// The rule of every versioned tier, on (version, holds a value) pairs.
pub(crate) fn monotonic(new: (i64, bool), current: Option<(i64, bool)>) -> bool {
    match current {
        None => true,
        Some((v, _)) if new.0 > v => true,
        Some((v, has_value)) if new.0 == v => !has_value && new.1,
        Some(_) => false,
    }
}

/// Where cached reads live.
#[async_trait]
pub trait Cache: Send + Sync + 'static {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError>;
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError>;
    async fn delete(&self, key: &str) -> Result<(), CacheError>;
    /// Reads plain entries (one round trip for all keys).
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, CacheError>;
    /// Writes plain entries with one lifetime (one round trip for all).
    async fn set_many(&self, entries: &[(String, Vec<u8>)], ttl: Duration) -> Result<(), CacheError>;
    /// Adds one and returns the new value (a missing counter counts from 0).
    async fn incr(&self, key: &str) -> Result<i64, CacheError>;
    /// Reads versioned entries (one round trip for all keys).
    async fn get_versioned(&self, keys: &[String]) -> Result<Vec<Option<Versioned>>, CacheError>;
    /// Writes `entry` if [`Versioned::replaces`] the current one, atomically; `true` if written.
    async fn put_versioned(&self, key: &str, entry: &Versioned, ttl: Duration) -> Result<bool, CacheError>;
    async fn ping(&self) -> Result<(), CacheError>;
}

/// No cache at all: every read misses, every write is dropped.
pub struct NoCache;

#[async_trait]
impl Cache for NoCache {
    async fn get(&self, _: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(None)
    }
    async fn set(&self, _: &str, _: &[u8], _: Duration) -> Result<(), CacheError> {
        Ok(())
    }
    async fn delete(&self, _: &str) -> Result<(), CacheError> {
        Ok(())
    }
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        Ok(vec![None; keys.len()])
    }
    async fn set_many(&self, _: &[(String, Vec<u8>)], _: Duration) -> Result<(), CacheError> {
        Ok(())
    }
    async fn incr(&self, _: &str) -> Result<i64, CacheError> {
        Ok(0)
    }
    async fn get_versioned(&self, keys: &[String]) -> Result<Vec<Option<Versioned>>, CacheError> {
        Ok(vec![None; keys.len()])
    }
    async fn put_versioned(&self, _: &str, _: &Versioned, _: Duration) -> Result<bool, CacheError> {
        Ok(false)
    }
    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
}

/// Builds the adapter the config names.
pub async fn from_config(config: &CacheConfig) -> Result<Arc<dyn Cache>, CacheError> {
    Ok(match config.backend {
        CacheBackend::Memory => Arc::new(MemoryCache::new(&config.key_prefix, config.memory_capacity)),
        #[cfg(feature = "redis")]
        CacheBackend::Redis => Arc::new(RedisCache::connect(&config.url, &config.key_prefix).await?),
        #[cfg(not(feature = "redis"))]
        CacheBackend::Redis => return Err(CacheError("this build has no Redis cache (feature `redis`)".into())),
        CacheBackend::None => Arc::new(NoCache),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(version: i64, value: Option<&str>) -> Versioned {
        Versioned { version, value: value.map(|s| s.as_bytes().to_vec()) }
    }

    #[test]
    fn versioned_writes_are_monotonic() {
        assert!(v(1, Some("a")).replaces(None));
        assert!(v(2, Some("b")).replaces(Some(&v(1, Some("a")))));
        assert!(v(2, None).replaces(Some(&v(1, Some("a")))));
        // The refill after an invalidation at the same version.
        assert!(v(2, Some("b")).replaces(Some(&v(2, None))));
        // A slow reader holding version 1 loses against the version-2 tombstone.
        assert!(!v(1, Some("a")).replaces(Some(&v(2, None))));
        assert!(!v(2, None).replaces(Some(&v(2, Some("b")))));
        assert!(!v(2, Some("x")).replaces(Some(&v(2, Some("b")))));
    }
}
