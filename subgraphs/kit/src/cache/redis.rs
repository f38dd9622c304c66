//! The Redis cache adapter: one multiplexed connection (ConnectionManager reconnects), and a
//! Lua script that makes versioned writes atomic.

use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::{Cache, CacheError, Versioned};

/// Stored form: `<version>|<value>` or `<version>!` for a tombstone.
const PUT_VERSIONED: &str = r"
local cur = redis.call('GET', KEYS[1])
local v = tonumber(ARGV[1])
if cur then
  local sep = string.find(cur, '[|!]')
  if sep then
    local cv = tonumber(string.sub(cur, 1, sep - 1))
    local ctomb = string.sub(cur, sep, sep) == '!'
    if cv > v then return 0 end
    if cv == v and not (ctomb and ARGV[2] == '|') then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. ARGV[2] .. ARGV[3], 'EX', ARGV[4])
return 1
";

/// Redis, shared by every instance of a subgraph.
#[derive(Clone)]
pub struct RedisCache {
    prefix: String,
    conn: ConnectionManager,
    script: redis::Script,
}

fn err(e: redis::RedisError) -> CacheError {
    CacheError(e.to_string())
}

impl RedisCache {
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, CacheError> {
        let client = redis::Client::open(url).map_err(err)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)));
        let conn = ConnectionManager::new_with_config(client, config).await.map_err(err)?;
        Ok(Self { prefix: prefix.to_string(), conn, script: redis::Script::new(PUT_VERSIONED) })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

fn decode(raw: Vec<u8>) -> Option<Versioned> {
    let sep = raw.iter().position(|b| *b == b'|' || *b == b'!')?;
    let version = std::str::from_utf8(&raw[..sep]).ok()?.parse().ok()?;
    let value = (raw[sep] == b'|').then(|| raw[sep + 1..].to_vec());
    Some(Versioned { version, value })
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.conn.clone().get(self.key(key)).await.map_err(err)
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        self.conn.clone().set_ex(self.key(key), value, ttl.as_secs().max(1)).await.map_err(err)
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.conn.clone().del(self.key(key)).await.map_err(err)
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // MGET always answers with an array, even for one key.
        let full: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        redis::cmd("MGET").arg(&full).query_async(&mut self.conn.clone()).await.map_err(err)
    }

    async fn set_many(&self, entries: &[(String, Vec<u8>)], ttl: Duration) -> Result<(), CacheError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for (key, value) in entries {
            pipe.set_ex(self.key(key), value.as_slice(), ttl.as_secs().max(1)).ignore();
        }
        pipe.query_async::<()>(&mut self.conn.clone()).await.map_err(err)
    }

    async fn incr(&self, key: &str) -> Result<i64, CacheError> {
        self.conn.clone().incr(self.key(key), 1).await.map_err(err)
    }

    async fn get_versioned(&self, keys: &[String]) -> Result<Vec<Option<Versioned>>, CacheError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let full: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        let raw: Vec<Option<Vec<u8>>> = if full.len() == 1 {
            vec![self.conn.clone().get(&full[0]).await.map_err(err)?]
        } else {
            self.conn.clone().mget(&full).await.map_err(err)?
        };
        Ok(raw.into_iter().map(|r| r.and_then(decode)).collect())
    }

    async fn put_versioned(&self, key: &str, entry: &Versioned, ttl: Duration) -> Result<bool, CacheError> {
        let (marker, value): (&str, &[u8]) = match &entry.value {
            Some(v) => ("|", v),
            None => ("!", b""),
        };
        let written: i64 = self
            .script
            .key(self.key(key))
            .arg(entry.version)
            .arg(marker)
            .arg(value)
            .arg(ttl.as_secs().max(1))
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(err)?;
        Ok(written == 1)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        let pong: String = redis::cmd("PING").query_async(&mut self.conn.clone()).await.map_err(err)?;
        if pong == "PONG" { Ok(()) } else { Err(CacheError(format!("unexpected PING reply {pong}"))) }
    }
}
