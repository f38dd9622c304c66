//! A JWKS fetched over HTTP, cached, and refreshed when a token names an unknown `kid`
//! (at most once per `min_refresh`, so forged kids cannot hammer the issuer).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use tokio::sync::RwLock;

use super::{KeyResolver, TokenError};

struct State {
    keys: HashMap<String, DecodingKey>,
    fetched: Option<Instant>,
}

/// Keys of one JWKS URL.
pub struct JwksKeys {
    url: String,
    min_refresh: Duration,
    client: reqwest::Client,
    state: RwLock<State>,
}

impl JwksKeys {
    /// Keys of `url` fetched with `client`, refetched for an unknown `kid` at most every
    /// `min_refresh`.
    pub fn new(url: String, min_refresh: Duration, client: reqwest::Client) -> Self {
        Self { url, min_refresh, client, state: RwLock::new(State { keys: HashMap::new(), fetched: None }) }
    }

    /// The key for `kid` (a JWKS with one key also serves tokens without a `kid`).
    async fn lookup(&self, kid: Option<&str>) -> Option<DecodingKey> {
        let state = self.state.read().await;
        match kid {
            Some(kid) => state.keys.get(kid).cloned(),
            None if state.keys.len() == 1 => state.keys.values().next().cloned(),
            None => None,
        }
    }

    async fn refresh(&self) {
        let mut state = self.state.write().await;
        if state.fetched.is_some_and(|t| t.elapsed() < self.min_refresh) {
            return;
        }
        state.fetched = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => state.keys = keys,
            Err(e) => tracing::warn!(url = %self.url, error = %e, "JWKS fetch failed"),
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, String> {
        let set: JwkSet = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .error_for_status()
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let mut keys = HashMap::new();
        for (i, jwk) in set.keys.iter().enumerate() {
            let kid = jwk.common.key_id.clone().unwrap_or_else(|| format!("#{i}"));
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    keys.insert(kid, key);
                }
                Err(e) => tracing::warn!(kid, error = %e, "JWKS key skipped"),
            }
        }
        Ok(keys)
    }
}

#[async_trait::async_trait]
impl KeyResolver for JwksKeys {
    async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, TokenError> {
        if let Some(key) = self.lookup(kid).await {
            return Ok(key);
        }
        self.refresh().await;
        self.lookup(kid).await.ok_or(TokenError::UnknownKey)
    }
}
