//! Stage: rate limit. Each request takes a token from its client's buckets (the client's own,
//! its operation's, each subgraph's its plan fetches from) or from none and is refused 429. A
//! client is its token's subject, else its address. When Redis cannot answer, requests pass
//! (counted in `braid_gateway_rate_limit_errors_total`): a limiter must not take the gateway
//! down with it.

mod bucket;
mod memory;
mod redis;

use std::net::IpAddr;
use std::sync::LazyLock;

use http::{HeaderMap, HeaderValue, StatusCode};

use crate::config::{Bucket, RateLimitBackend, RateLimitConfig};
use crate::error::{Code, GatewayError, RequestError};
use memory::MemoryBuckets;
use redis::RedisBuckets;

/// What a client is told of its budget (the `RateLimit-*` headers and `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// The capacity of the bucket with the fewest tokens left.
    pub limit: u32,
    /// Whole tokens left in it.
    pub remaining: u32,
    /// Seconds until it is full again.
    pub reset_secs: u64,
    /// Refused: seconds until every bucket of the request holds a token again.
    pub retry_after_secs: Option<u64>,
}

impl Quota {
    /// Adds `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and, when refused,
    /// `Retry-After`.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        headers.insert("ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(self.reset_secs));
        if let Some(seconds) = self.retry_after_secs {
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
}

/// Who a budget belongs to.
pub enum Client<'a> {
    Subject(&'a str),
    Address(IpAddr),
}

enum Store {
    Memory(MemoryBuckets),
    Redis(RedisBuckets),
}

/// The configured budgets and where their buckets are kept.
pub struct RateLimiter {
    config: RateLimitConfig,
    store: Store,
}

static REFUSED: LazyLock<metrics::Counter> =
    LazyLock::new(|| metrics::counter!("braid_gateway_rate_limited_requests_total"));
static FAILED: LazyLock<metrics::Counter> =
    LazyLock::new(|| metrics::counter!("braid_gateway_rate_limit_errors_total"));

/// Registers the counters at zero, so that dashboards see "none refused" rather than no data,
/// whether or not limits are on.
pub(crate) fn register_metrics() {
    LazyLock::force(&REFUSED);
    LazyLock::force(&FAILED);
}

impl RateLimiter {
    /// The limiter `config` asks for; `None` when rate limiting is off.
    pub async fn from_config(config: &RateLimitConfig) -> Result<Option<Self>, GatewayError> {
        let store = match config.backend {
            RateLimitBackend::None => return Ok(None),
            RateLimitBackend::Memory => Store::Memory(MemoryBuckets::default()),
            RateLimitBackend::Redis => Store::Redis(
                RedisBuckets::connect(&config.redis_url, &config.key_prefix)
                    .await
                    .map_err(|e| GatewayError::Config(format!("rate_limit.redis_url: {e}")))?,
            ),
        };
        Ok(Some(Self { config: config.clone(), store }))
    }

    /// Takes a token from each bucket of this request; refused (429, `RATE_LIMITED`, with the
    /// quota for the headers) when one is empty. `None`: the store could not answer.
    pub async fn admit(
        &self,
        client: &Client<'_>,
        operation: Option<&str>,
        subgraphs: &[String],
    ) -> Result<Option<Quota>, RequestError> {
        let who = match client {
            Client::Subject(subject) => format!("sub:{subject}"),
            Client::Address(address) => format!("ip:{address}"),
        };
        let mut keys = vec![format!("client:{who}")];
        let mut buckets = vec![self.config.client];
        let mut add = |kind: &str, name: &str, bucket: Option<&Bucket>| {
            if let Some(bucket) = bucket {
                keys.push(format!("{kind}:{name}:{who}"));
                buckets.push(*bucket);
            }
        };
        if let Some(name) = operation {
            add("operation", name, self.config.operations.get(name));
        }
        for subgraph in subgraphs {
            add("subgraph", subgraph, self.config.subgraphs.get(subgraph));
        }
        let taken = match &self.store {
            Store::Memory(memory) => Ok(memory.take(&keys, &buckets)),
            Store::Redis(redis) => redis.take(&keys, &buckets).await,
        };
        let (allowed, levels) = match taken {
            Ok(taken) => taken,
            Err(error) => {
                FAILED.increment(1);
                tracing::warn!(%error, "rate limit store failed; the request passes");
                return Ok(None);
            }
        };
        let quota = bucket::quota(&buckets, &levels, allowed);
        if allowed {
            return Ok(Some(quota));
        }
        REFUSED.increment(1);
        let message = format!(
            "rate limit exceeded: at most {} requests at once, refilled over time; retry in {} s",
            quota.limit,
            quota.retry_after_secs.unwrap_or(1)
        );
        let mut error = RequestError::new(StatusCode::TOO_MANY_REQUESTS, Code::RateLimited, message);
        error.quota = Some(quota);
        Err(error)
    }
}
