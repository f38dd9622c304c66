//! The read cache.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which cache adapter to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CacheBackend {
    /// In-process cache.
    Memory,
    /// Redis, shared by every instance.
    Redis,
    /// No cache: every read goes to the database.
    None,
}

/// The read cache.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    pub backend: CacheBackend,
    /// Redis URL.
    pub url: String,
    /// Prepended to every key.
    pub key_prefix: String,
    /// Entry lifetime in seconds: an upper bound, events invalidate sooner.
    pub ttl_secs: u64,
    /// Entries held by the in-memory adapter.
    pub memory_capacity: u64,
    /// Entries of the per-process near cache in front of the shared one (0 turns it off).
    pub near_capacity: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            backend: CacheBackend::Memory,
            url: "redis://127.0.0.1:6379".into(),
            key_prefix: "braid:".into(),
            ttl_secs: 300,
            memory_capacity: 100_000,
            near_capacity: 10_000,
        }
    }
}
