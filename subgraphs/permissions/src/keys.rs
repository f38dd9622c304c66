//! Signing keys: RSA 2048 pairs kept in the database (so every replica signs with the same
//! key), and every key that can still verify a live token in the JWKS.
//!
//! A rotation publishes the new key at once but signs with it only `publish_ahead` later, so
//! every verifier has fetched it before the first token names it; the old key keeps signing
//! until then and stays published until its last token has expired. Nobody is logged out.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use braid_kit::auth::{KeyResolver, TokenError};
use chrono::{TimeDelta, Utc};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::rand_core::OsRng;
use rsa::traits::PublicKeyParts;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use tokio::sync::RwLock;

use crate::entity::signing_key;

/// How long loaded keys are trusted before the database is read again (other replicas may
/// have rotated).
const RELOAD_AFTER: Duration = Duration::from_secs(30);

/// The key that signs now.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pub key: Arc<EncodingKey>,
}

struct Loaded {
    signing: SigningKey,
    jwks: serde_json::Value,
    public: HashMap<String, DecodingKey>,
    at: Instant,
    /// When the choice of signing key changes next (a pending rotation).
    until: Option<chrono::DateTime<Utc>>,
}

/// Keys from the database, cached.
pub struct KeyStore {
    db: DatabaseConnection,
    /// Retired keys are published this long after retirement (the access token lifetime plus
    /// clock leeway).
    publish_for: TimeDelta,
    publish_ahead: TimeDelta,
    loaded: RwLock<Option<Loaded>>,
}

fn generate() -> Result<signing_key::Model, DbErr> {
    let private = rsa::RsaPrivateKey::new(&mut OsRng, 2048).map_err(|e| DbErr::Custom(format!("RSA key: {e}")))?;
    let pem = private.to_pkcs8_pem(LineEnding::LF).map_err(|e| DbErr::Custom(format!("RSA key: {e}")))?.to_string();
    let public = private.to_public_key();
    let kid = format!("k{}", Utc::now().format("%Y%m%d%H%M%S%3f"));
    let jwk = serde_json::json!({
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    });
    Ok(signing_key::Model {
        kid,
        private_pem: pem,
        public_jwk: jwk.to_string(),
        created_at: Utc::now(),
        retired_at: None,
    })
}

impl KeyStore {
    /// `publish_for`: the longest a token lives; `publish_ahead`: how long a new key is
    /// published before it signs.
    pub fn new(db: DatabaseConnection, publish_for: Duration, publish_ahead: Duration) -> Self {
        let publish_for = TimeDelta::from_std(publish_for).unwrap_or(TimeDelta::hours(1));
        let publish_ahead = TimeDelta::from_std(publish_ahead).unwrap_or(TimeDelta::minutes(1));
        Self { db, publish_for, publish_ahead, loaded: RwLock::new(None) }
    }

    /// Creates the first key if there is none.
    pub async fn ensure(&self) -> Result<(), DbErr> {
        if self.active().await?.is_none() {
            let row = generate()?;
            signing_key::ActiveModel::from(row).insert(&self.db).await?;
            *self.loaded.write().await = None;
        }
        Ok(())
    }

    async fn active(&self) -> Result<Option<signing_key::Model>, DbErr> {
        signing_key::Entity::find()
            .filter(signing_key::Column::RetiredAt.is_null().or(signing_key::Column::RetiredAt.gt(Utc::now())))
            .order_by_desc(signing_key::Column::CreatedAt)
            .one(&self.db)
            .await
    }

    /// Publishes a new key that signs from `publish_ahead` on; returns its `kid`.
    pub async fn rotate(&self) -> Result<String, DbErr> {
        let row = generate()?;
        let kid = row.kid.clone();
        let switch = row.created_at + self.publish_ahead;
        // The keys signing now keep signing until the new one takes over.
        signing_key::Entity::update_many()
            .col_expr(signing_key::Column::RetiredAt, sea_orm::sea_query::Expr::value(switch))
            .filter(signing_key::Column::RetiredAt.is_null())
            .exec(&self.db)
            .await?;
        signing_key::ActiveModel::from(row).insert(&self.db).await?;
        *self.loaded.write().await = None;
        Ok(kid)
    }

    async fn load(&self) -> Result<(), DbErr> {
        self.load_within(RELOAD_AFTER).await
    }

    async fn load_within(&self, max_age: Duration) -> Result<(), DbErr> {
        let fresh = self
            .loaded
            .read()
            .await
            .as_ref()
            .is_some_and(|l| l.at.elapsed() < max_age && l.until.is_none_or(|u| Utc::now() < u));
        if fresh {
            return Ok(());
        }
        let now = Utc::now();
        let cutoff = now - self.publish_for;
        let rows = signing_key::Entity::find()
            .filter(signing_key::Column::RetiredAt.is_null().or(signing_key::Column::RetiredAt.gt(cutoff)))
            .order_by_desc(signing_key::Column::CreatedAt)
            .all(&self.db)
            .await?;
        // Keys still allowed to sign, newest first; the newest one published long enough signs,
        // else the oldest (a first key signs at once; right after a rotation the old one does).
        let candidates: Vec<&signing_key::Model> =
            rows.iter().filter(|r| r.retired_at.is_none_or(|t| t > now)).collect();
        let active = candidates
            .iter()
            .find(|r| r.created_at + self.publish_ahead <= now)
            .or(candidates.last())
            .copied()
            .ok_or_else(|| DbErr::Custom("no active signing key".into()))?;
        let until = candidates
            .iter()
            .filter_map(|r| match r.retired_at {
                Some(t) => Some(t),
                None if r.created_at + self.publish_ahead > now => Some(r.created_at + self.publish_ahead),
                None => None,
            })
            .min();
        let key = EncodingKey::from_rsa_pem(active.private_pem.as_bytes())
            .map_err(|e| DbErr::Custom(format!("signing key {}: {e}", active.kid)))?;
        let keys: Vec<serde_json::Value> =
            rows.iter().filter_map(|r| serde_json::from_str(&r.public_jwk).ok()).collect();
        let public = rows
            .iter()
            .filter_map(|r| {
                let jwk: Jwk = serde_json::from_str(&r.public_jwk).ok()?;
                Some((r.kid.clone(), DecodingKey::from_jwk(&jwk).ok()?))
            })
            .collect();
        *self.loaded.write().await = Some(Loaded {
            signing: SigningKey { kid: active.kid.clone(), key: Arc::new(key) },
            jwks: serde_json::json!({ "keys": keys }),
            public,
            at: Instant::now(),
            until,
        });
        Ok(())
    }

    pub async fn signing(&self) -> Result<SigningKey, DbErr> {
        self.load().await?;
        Ok(self.loaded.read().await.as_ref().expect("loaded").signing.clone())
    }

    /// The JWKS document.
    pub async fn jwks(&self) -> Result<serde_json::Value, DbErr> {
        self.load().await?;
        Ok(self.loaded.read().await.as_ref().expect("loaded").jwks.clone())
    }
}

async fn find(store: &KeyStore, kid: &str) -> Option<DecodingKey> {
    store.loaded.read().await.as_ref().and_then(|l| l.public.get(kid).cloned())
}

/// The issuer verifies its own tokens without fetching its own JWKS over HTTP.
#[async_trait::async_trait]
impl KeyResolver for KeyStore {
    async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, TokenError> {
        let kid = kid.ok_or(TokenError::UnknownKey)?;
        self.load().await.map_err(|_| TokenError::UnknownKey)?;
        if let Some(key) = find(self, kid).await {
            return Ok(key);
        }
        // Another replica may have rotated a moment ago; forged kids reload at most every 2 s.
        self.load_within(Duration::from_secs(2)).await.map_err(|_| TokenError::UnknownKey)?;
        find(self, kid).await.ok_or(TokenError::UnknownKey)
    }
}
