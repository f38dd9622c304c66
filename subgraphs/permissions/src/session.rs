//! Login, refresh and logout: short-lived RS256 access tokens, refresh tokens that rotate on
//! every use (a reused one revokes its whole family: it was stolen), and per-account
//! throttling of failed passwords.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use braid_kit::ClientError;
use braid_kit::backoff::Backoff;
use braid_kit::config::IssuerConfig;
use braid_kit::error::Code;
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, Header};
use rand::RngCore;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::entity::{credential, employee, refresh_token};
use crate::keys::KeyStore;
use crate::password;

/// What a login or a refresh returns.
#[derive(async_graphql::SimpleObject, Debug, Clone)]
pub struct TokenPair {
    /// The access JWT, sent as `Authorization: Bearer ...`.
    pub access_token: String,
    /// Single use: exchange it with `refresh` for a new pair.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub token_type: String,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    scope: &'a str,
    jti: String,
}

/// Throttle state of emails that match no account, so an unknown email is throttled the
/// same way (and its answers do not tell whether it exists).
type Strangers = moka::sync::Cache<String, (u32, Option<DateTime<Utc>>)>;

/// Issues and revokes tokens.
pub struct Sessions {
    db: DatabaseConnection,
    keys: Arc<KeyStore>,
    config: IssuerConfig,
    strangers: Strangers,
}

fn invalid_credentials() -> ClientError {
    ClientError::new(Code::InvalidCredentials, "the email or the password is wrong")
}

fn locked(until: DateTime<Utc>) -> ClientError {
    let secs = (until - Utc::now()).num_seconds().max(1);
    ClientError::new(Code::TooManyAttempts, format!("too many failed logins: try again in {secs} s"))
}

fn invalid_refresh() -> ClientError {
    ClientError::new(Code::InvalidRefreshToken, "the refresh token is invalid, expired or already used")
}

/// SHA-256 hex of a refresh token (what the database keeps).
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl Sessions {
    pub fn new(db: DatabaseConnection, keys: Arc<KeyStore>, config: IssuerConfig) -> Self {
        let strangers = moka::sync::Cache::builder()
            .max_capacity(100_000)
            .time_to_idle(Duration::from_secs(config.max_lockout_secs.max(60)))
            .build();
        Self { db, keys, config, strangers }
    }

    /// The lockout after `failures` consecutive failures, if any.
    fn lockout(&self, failures: u32) -> Option<DateTime<Utc>> {
        let over = failures.checked_sub(self.config.max_failed_logins.saturating_add(1))?;
        // The ceiling, not the jittered delay: lockouts double exactly as configured. A literal,
        // as `Backoff::new` would raise a `max_lockout_secs` below `lockout_secs` to it.
        let lockouts = Backoff {
            base: Duration::from_secs(self.config.lockout_secs),
            max: Duration::from_secs(self.config.max_lockout_secs),
        };
        let secs = lockouts.ceiling(over.saturating_add(1)).as_secs();
        Some(Utc::now() + TimeDelta::seconds(secs as i64))
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<TokenPair, ClientError> {
        let email = email.trim().to_lowercase();
        let found = employee::Entity::find().filter(employee::Column::Email.eq(&email)).one(&self.db).await?;
        let account = match found {
            Some(e) => credential::Entity::find_by_id(e.id).one(&self.db).await?.map(|c| (e, c)),
            None => None,
        };
        let Some((employee, cred)) = account else {
            return Err(self.stranger_failed(&email, password));
        };
        if let Some(until) = cred.locked_until.filter(|t| *t > Utc::now()) {
            return Err(locked(until));
        }
        if !password::verify(password, &cred.password_hash) {
            let failures = cred.failed_attempts.saturating_add(1);
            let until = self.lockout(failures as u32);
            let mut row = cred.into_active_model();
            row.failed_attempts = Set(failures);
            row.locked_until = Set(until);
            row.update(&self.db).await?;
            metrics::counter!("braid_login_failures_total").increment(1);
            return Err(until.map_or_else(invalid_credentials, locked));
        }
        if cred.failed_attempts != 0 {
            let mut row = cred.into_active_model();
            row.failed_attempts = Set(0);
            row.locked_until = Set(None);
            row.update(&self.db).await?;
        }
        let family = uuid::Uuid::new_v4().to_string();
        self.issue(&employee, &family).await
    }

    fn stranger_failed(&self, email: &str, password: &str) -> ClientError {
        let (failures, until) = self.strangers.get(email).unwrap_or((0, None));
        if let Some(until) = until.filter(|t| *t > Utc::now()) {
            return locked(until);
        }
        // As slow as checking a real password.
        let _ = password::verify(password, password::decoy());
        let failures = failures.saturating_add(1);
        let until = self.lockout(failures);
        self.strangers.insert(email.to_string(), (failures, until));
        metrics::counter!("braid_login_failures_total").increment(1);
        until.map_or_else(invalid_credentials, locked)
    }

    /// Exchanges a refresh token for a new pair; a token used twice revokes its family.
    pub async fn refresh(&self, token: &str) -> Result<TokenPair, ClientError> {
        let hash = token_hash(token);
        let txn = braid_kit::db::begin_write(&self.db).await?;
        let row = refresh_token::Entity::find_by_id(hash).one(&txn).await?.ok_or_else(invalid_refresh)?;
        let now = Utc::now();
        if row.used_at.is_some() {
            refresh_token::Entity::update_many()
                .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
                .filter(refresh_token::Column::Family.eq(&row.family))
                .filter(refresh_token::Column::RevokedAt.is_null())
                .exec(&txn)
                .await?;
            txn.commit().await?;
            tracing::warn!(employee = row.employee_id, "refresh token reused: its family is revoked");
            return Err(invalid_refresh());
        }
        if row.revoked_at.is_some() || row.expires_at <= now {
            return Err(invalid_refresh());
        }
        let employee = employee::Entity::find_by_id(row.employee_id).one(&txn).await?.ok_or_else(invalid_refresh)?;
        let family = row.family.clone();
        let mut used = row.into_active_model();
        used.used_at = Set(Some(now));
        used.update(&txn).await?;
        txn.commit().await?;
        self.issue(&employee, &family).await
    }

    /// Revokes the refresh token's whole family (this session); unknown tokens are ignored.
    pub async fn logout(&self, token: &str) -> Result<(), ClientError> {
        if let Some(row) = refresh_token::Entity::find_by_id(token_hash(token)).one(&self.db).await? {
            refresh_token::Entity::update_many()
                .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
                .filter(refresh_token::Column::Family.eq(&row.family))
                .filter(refresh_token::Column::RevokedAt.is_null())
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    async fn issue(&self, employee: &employee::Model, family: &str) -> Result<TokenPair, ClientError> {
        let signing = self.keys.signing().await?;
        let now = Utc::now().timestamp();
        let ttl = self.config.access_ttl_secs as i64;
        let claims = Claims {
            iss: &self.config.issuer,
            aud: &self.config.audience,
            sub: employee.id.to_string(),
            iat: now,
            nbf: now,
            exp: now + ttl,
            scope: &employee.scopes,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(signing.kid.clone());
        let access = jsonwebtoken::encode(&header, &claims, &signing.key).map_err(|e| ClientError::internal(&e))?;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let refresh = URL_SAFE_NO_PAD.encode(bytes);
        refresh_token::ActiveModel {
            token_hash: Set(token_hash(&refresh)),
            employee_id: Set(employee.id),
            family: Set(family.to_string()),
            expires_at: Set(Utc::now() + TimeDelta::seconds(self.config.refresh_ttl_secs as i64)),
            used_at: Set(None),
            revoked_at: Set(None),
            created_at: Set(Utc::now()),
        }
        .insert(&self.db)
        .await?;
        metrics::counter!("braid_tokens_issued_total").increment(1);
        Ok(TokenPair { access_token: access, refresh_token: refresh, expires_in: ttl, token_type: "Bearer".into() })
    }
}
