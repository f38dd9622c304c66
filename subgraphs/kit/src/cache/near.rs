//! The near cache: a process-local tier of typed, versioned entries in front of the shared
//! cache. A hit costs no network round trip and no decoding. Each instance keeps it current
//! with a consumer of its own (every instance sees every event), and entries obey the same
//! monotonic rule as the shared tier, so a fill racing an invalidation cannot win with an
//! older version.

use std::time::Duration;

use moka::ops::compute::{CompResult, Op};

use super::monotonic;

#[derive(Clone)]
struct Entry<V> {
    version: i64,
    value: Option<V>,
}

/// Versioned values of type `V` by key.
pub struct NearCache<V> {
    inner: moka::sync::Cache<String, Entry<V>>,
}

impl<V: Clone + Send + Sync + 'static> NearCache<V> {
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        Self { inner: moka::sync::Cache::builder().max_capacity(capacity).time_to_live(ttl).build() }
    }

    /// The value under `key`, unless absent or invalidated.
    pub fn get(&self, key: &str) -> Option<V> {
        self.inner.get(key).and_then(|e| e.value)
    }

    /// Writes `value` (`None`: a tombstone) at `version` if that keeps the entry monotonic.
    pub fn put(&self, key: &str, version: i64, value: Option<V>) -> bool {
        let result = self.inner.entry(key.to_string()).and_compute_with(|current| {
            let current = current.map(|c| {
                let e = c.into_value();
                (e.version, e.value.is_some())
            });
            if monotonic((version, value.is_some()), current) { Op::Put(Entry { version, value }) } else { Op::Nop }
        });
        matches!(result, CompResult::Inserted(_) | CompResult::ReplacedWith(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_entries_are_monotonic() {
        let near = NearCache::<&'static str>::new(10, Duration::from_secs(60));
        assert!(near.put("p", 1, Some("v1")));
        assert_eq!(near.get("p"), Some("v1"));
        assert!(near.put("p", 2, None));
        assert_eq!(near.get("p"), None);
        assert!(!near.put("p", 1, Some("v1")), "a slow reader's older version loses");
        assert!(near.put("p", 2, Some("v2")));
        assert_eq!(near.get("p"), Some("v2"));
    }
}
