//! Buckets in Redis, shared by every gateway instance: one Lua script refills and takes from all
//! of a request's buckets atomically, on Redis's clock (instances' clocks may disagree).

use std::time::Duration;

use redis::aio::ConnectionManager;

use crate::config::Bucket;

/// KEYS: the buckets; ARGV: capacity and tokens per millisecond of each, in turn. Each bucket is
/// a hash of its level `l` and the time `t` (ms) it was measured, expiring once it would be full.
/// Returns whether tokens were taken, then each level after, as text (Lua numbers would be
/// truncated to integers).
const TAKE: &str = r"
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local levels = {}
local allowed = 1
for i = 1, #KEYS do
  local capacity = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', KEYS[i], 'l', 't')
  local level = capacity
  if state[1] then
    level = math.min(capacity, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * rate)
  end
  levels[i] = level
  if level < 1 then allowed = 0 end
end
local out = { tostring(allowed) }
for i = 1, #KEYS do
  local capacity = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  if allowed == 1 then levels[i] = levels[i] - 1 end
  redis.call('HSET', KEYS[i], 'l', tostring(levels[i]), 't', now)
  redis.call('PEXPIRE', KEYS[i], math.ceil((capacity - levels[i]) / rate) + 1000)
  out[i + 1] = tostring(levels[i])
end
return out
";

pub struct RedisBuckets {
    conn: ConnectionManager,
    script: redis::Script,
    prefix: String,
}

impl RedisBuckets {
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_millis(500)));
        let conn = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self { conn, script: redis::Script::new(TAKE), prefix: prefix.to_string() })
    }

    /// As [`super::memory::MemoryBuckets::take`], in one round trip.
    pub async fn take(&self, keys: &[String], buckets: &[Bucket]) -> Result<(bool, Vec<f64>), redis::RedisError> {
        let mut invocation = self.script.prepare_invoke();
        for (key, bucket) in keys.iter().zip(buckets) {
            invocation.key(format!("{}{key}", self.prefix));
            invocation.arg(bucket.capacity).arg(bucket.per_second / 1000.0);
        }
        let mut conn = self.conn.clone();
        let reply: Vec<String> = invocation.invoke_async(&mut conn).await?;
        let allowed = reply.first().is_some_and(|a| a == "1");
        let levels = reply.iter().skip(1).map(|level| level.parse().unwrap_or(0.0)).collect();
        Ok((allowed, levels))
    }
}
