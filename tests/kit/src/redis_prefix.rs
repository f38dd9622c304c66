//! A Redis key prefix per test; its keys are deleted with the guard.

/// Where the machine's Redis is.
pub fn url() -> String {
    std::env::var("BRAID_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

pub struct RedisPrefix {
    pub prefix: String,
}

impl RedisPrefix {
    pub fn new() -> Self {
        Self { prefix: format!("{}:", crate::unique("braid-test-")) }
    }
}

impl Default for RedisPrefix {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for RedisPrefix {
    fn drop(&mut self) {
        let pattern = format!("{}*", self.prefix);
        let Ok(client) = redis::Client::open(url()) else { return };
        let Ok(mut conn) = client.get_connection() else { return };
        let keys: Vec<String> = redis::cmd("KEYS").arg(&pattern).query(&mut conn).unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<(), _> = redis::cmd("DEL").arg(keys).query(&mut conn);
        }
    }
}
