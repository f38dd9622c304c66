//! The `[rate_limit]` section: request budgets per client, as token buckets.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::GatewayError;

/// Request budgets per client (its token's subject, else its address). Each request takes one
/// token from every bucket that applies to it, or from none: over budget it is answered 429
/// with `Retry-After`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// `none` (the default), `memory` (this instance alone: the demo) or `redis` (buckets
    /// shared by every gateway instance on the same Redis).
    pub backend: RateLimitBackend,
    /// The Redis server of backend `redis`.
    pub redis_url: String,
    /// Prefix of every bucket's key in Redis.
    pub key_prefix: String,
    /// Every request of a client takes a token from the client's bucket.
    pub client: Bucket,
    /// A request with one of these operation names also takes one from the client's bucket for
    /// that operation.
    pub operations: BTreeMap<String, Bucket>,
    /// A request whose plan fetches from one of these subgraphs also takes one from the
    /// client's bucket for that subgraph.
    pub subgraphs: BTreeMap<String, Bucket>,
}

/// Where buckets are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RateLimitBackend {
    None,
    Memory,
    Redis,
}

/// A token bucket: holds at most `capacity` tokens (the burst), refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    pub capacity: u32,
    pub per_second: f64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            backend: RateLimitBackend::None,
            redis_url: "redis://127.0.0.1:6379".into(),
            key_prefix: "braid:rate:".into(),
            client: Bucket { capacity: 200, per_second: 100.0 },
            operations: BTreeMap::new(),
            subgraphs: BTreeMap::new(),
        }
    }
}

impl RateLimitConfig {
    /// Every bucket holds at least one token and refills at a positive, finite rate.
    pub fn validate(&self) -> Result<(), GatewayError> {
        let named = self.operations.iter().map(|(name, b)| (format!("rate_limit.operations.{name}"), b));
        let subgraphs = self.subgraphs.iter().map(|(name, b)| (format!("rate_limit.subgraphs.{name}"), b));
        for (key, bucket) in
            std::iter::once(("rate_limit.client".to_string(), &self.client)).chain(named).chain(subgraphs)
        {
            if bucket.capacity == 0 {
                return Err(GatewayError::Config(format!("{key}.capacity must be greater than 0")));
            }
            if !(bucket.per_second.is_finite() && bucket.per_second > 0.0) {
                return Err(GatewayError::Config(format!("{key}.per_second must be a number greater than 0")));
            }
        }
        Ok(())
    }
}
