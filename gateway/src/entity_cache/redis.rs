//! The shared tier: entries and tag generations in Redis, seen by every gateway instance. A
//! lookup reads the entries and their tags' generations in one round trip; an invalidation
//! increments generations, so it costs the same whatever number of entries it makes stale.

use std::time::Duration;

use futures::StreamExt;
use redis::aio::ConnectionManager;
use tokio_util::sync::CancellationToken;

pub struct Shared {
    client: redis::Client,
    conn: ConnectionManager,
    prefix: String,
    /// How long a generation is kept after its last bump: longer than any entry lives.
    generation_ttl_ms: u64,
}

impl Shared {
    pub async fn connect(url: &str, prefix: &str, max_ttl: Duration) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_millis(500)));
        let conn = ConnectionManager::new_with_config(client.clone(), config).await?;
        let generation_ttl_ms = (max_ttl + Duration::from_secs(60)).as_millis() as u64;
        Ok(Self { client, conn, prefix: prefix.to_string(), generation_ttl_ms })
    }

    /// Where invalidations are announced to every instance's in-process tier.
    fn channel(&self) -> String {
        format!("{}invalidations", self.prefix)
    }

    /// The Redis key of an entry of `subgraph`.
    pub fn entry_key(&self, subgraph: &str, key: u128) -> String {
        format!("{}{subgraph}:{key:032x}", self.prefix)
    }

    fn generation_key(&self, tag: &str) -> String {
        format!("{}g:{tag}", self.prefix)
    }

    /// The raw entries under `keys` and the generations of `tags`, in one round trip.
    pub async fn get(
        &self,
        keys: &[String],
        tags: &[&str],
    ) -> Result<(Vec<Option<Vec<u8>>>, Vec<u64>), redis::RedisError> {
        let mut conn = self.conn.clone();
        let generation_keys: Vec<String> = tags.iter().map(|t| self.generation_key(t)).collect();
        let (entries, generations): (Vec<Option<Vec<u8>>>, Vec<Option<u64>>) = match (keys.is_empty(), tags.is_empty())
        {
            (true, true) => return Ok((Vec::new(), Vec::new())),
            (false, true) => (redis::cmd("MGET").arg(keys).query_async(&mut conn).await?, Vec::new()),
            (true, false) => (Vec::new(), redis::cmd("MGET").arg(&generation_keys).query_async(&mut conn).await?),
            (false, false) => {
                redis::pipe().cmd("MGET").arg(keys).cmd("MGET").arg(&generation_keys).query_async(&mut conn).await?
            }
        };
        Ok((entries, generations.into_iter().map(Option::unwrap_or_default).collect()))
    }

    /// Stores each `(key, encoded entry, ttl in ms)`.
    pub async fn put(&self, items: &[(String, Vec<u8>, u64)]) -> Result<(), redis::RedisError> {
        if items.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for (key, value, ttl_ms) in items {
            pipe.cmd("SET").arg(key).arg(value).arg("PX").arg(*ttl_ms).ignore();
        }
        pipe.query_async::<()>(&mut self.conn.clone()).await
    }

    /// Invalidates every entry carrying one of `tags`, in every instance.
    pub async fn bump(&self, tags: &[String]) -> Result<(), redis::RedisError> {
        if tags.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for tag in tags {
            let key = self.generation_key(tag);
            pipe.cmd("INCR").arg(&key).ignore();
            pipe.cmd("PEXPIRE").arg(&key).arg(self.generation_ttl_ms).ignore();
        }
        pipe.cmd("PUBLISH").arg(self.channel()).arg(tags.join("\n")).ignore();
        pipe.query_async::<()>(&mut self.conn.clone()).await
    }

    /// Hands `bumped` the tags every instance announces, until `stop`. Whenever it
    /// (re)connects it calls `reconnected`: what was announced while it was not listening is
    /// unknown.
    pub async fn listen(&self, bumped: impl Fn(&str), reconnected: impl Fn(), stop: CancellationToken) {
        let channel = self.channel();
        loop {
            let subscribed = async {
                let mut pubsub = self.client.get_async_pubsub().await?;
                pubsub.subscribe(&channel).await?;
                Ok::<_, redis::RedisError>(pubsub)
            };
            let subscribed = tokio::select! {
                () = stop.cancelled() => return,
                subscribed = subscribed => subscribed,
            };
            match subscribed {
                Ok(pubsub) => {
                    reconnected();
                    let mut messages = pubsub.into_on_message();
                    loop {
                        let message = tokio::select! {
                            () = stop.cancelled() => return,
                            message = messages.next() => message,
                        };
                        let Some(message) = message else { break };
                        let tags: String = message.get_payload().unwrap_or_default();
                        tags.lines().for_each(&bumped);
                    }
                    tracing::warn!("entity cache: the invalidation channel closed; listening again");
                }
                Err(e) => tracing::warn!(error = %e, "entity cache: cannot listen for invalidations; retrying"),
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }
}
