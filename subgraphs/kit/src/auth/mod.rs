//! Bearer JWTs: verification against a JWKS URL or a configured public key, the viewer in the
//! GraphQL context, and guards for "authenticated" and "has scope X".

mod guard;
mod jwks;

use std::sync::Arc;

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

pub use guard::{Authenticated, RequireScope, viewer};
pub use jwks::JwksKeys;

pub use crate::config::SUPPORTED_ALGORITHMS;
use crate::config::{AuthConfig, ClientTlsConfig, ConfigError};

/// The verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub subject: String,
    pub scopes: Vec<String>,
    /// The verified compact JWT, for calls made on the viewer's behalf.
    pub token: Arc<str>,
    /// When the token expires (its `exp`, seconds since the Unix epoch).
    pub expires_at: u64,
}

impl Viewer {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

/// Why a token was refused (each maps to a 401 with `INVALID_TOKEN`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the Authorization header is not a bearer token")]
    NotBearer,
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    #[error("the token's signing key is unknown")]
    UnknownKey,
    #[error("the token has expired")]
    Expired,
    #[error("the token is invalid: {0}")]
    Invalid(String),
}

/// Finds the public key a token names.
#[async_trait]
pub trait KeyResolver: Send + Sync + 'static {
    async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, TokenError>;
}

enum Keys {
    Static(DecodingKey),
    Resolver(Arc<dyn KeyResolver>),
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer(header: &str) -> Result<&str, TokenError> {
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or(TokenError::NotBearer)
}

/// Verifies bearer tokens.
pub struct Verifier {
    keys: Keys,
    algorithms: Vec<Algorithm>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: u64,
}

impl Verifier {
    /// `None` when the config names no key source (every request is anonymous); `tls` is the
    /// TLS of the JWKS fetch.
    pub fn from_config(config: &AuthConfig, tls: &ClientTlsConfig) -> Result<Option<Arc<Self>>, ConfigError> {
        let keys = match (&config.jwks_url, &config.public_key_pem) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::invalid("auth", "set jwks_url or public_key_pem, not both"));
            }
            (Some(url), None) => {
                let client = crate::tls::http_client(tls, std::time::Duration::from_secs(5))
                    .map_err(|e| ConfigError::invalid("client_tls", e.to_string()))?;
                let min_refresh = std::time::Duration::from_secs(config.jwks_min_refresh_secs);
                Keys::Resolver(Arc::new(JwksKeys::new(url.clone(), min_refresh, client)))
            }
            (None, Some(pem)) => Keys::Static(
                DecodingKey::from_rsa_pem(pem.as_bytes())
                    .map_err(|e| ConfigError::invalid("auth.public_key_pem", e.to_string()))?,
            ),
            (None, None) => return Ok(None),
        };
        Self::build(keys, config).map(Some)
    }

    /// A verifier whose keys come from `resolver` (the issuer's own key store, say).
    pub fn with_resolver(resolver: Arc<dyn KeyResolver>, config: &AuthConfig) -> Result<Arc<Self>, ConfigError> {
        Self::build(Keys::Resolver(resolver), config)
    }

    fn build(keys: Keys, config: &AuthConfig) -> Result<Arc<Self>, ConfigError> {
        let algorithms = config
            .algorithms
            .iter()
            .map(|a| {
                a.parse::<Algorithm>().map_err(|_| ConfigError::invalid("auth.algorithms", format!("unknown {a:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(Self {
            keys,
            algorithms,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            leeway: config.leeway_secs,
        }))
    }

    /// Verifies the value of an `Authorization` header.
    pub async fn verify_header(&self, header: &str) -> Result<Viewer, TokenError> {
        self.verify(bearer(header)?).await
    }

    /// Verifies a compact JWT.
    pub async fn verify(&self, token: &str) -> Result<Viewer, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        // The allowlist is checked before any key is touched: `none` and HS* never get further.
        if !self.algorithms.contains(&header.alg) {
            return Err(TokenError::Algorithm);
        }
        let key = match &self.keys {
            Keys::Static(key) => key.clone(),
            Keys::Resolver(resolver) => resolver.key(header.kid.as_deref()).await?,
        };
        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![header.alg];
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        match &self.issuer {
            Some(iss) => validation.set_issuer(&[iss]),
            None => validation.iss = None,
        }
        match &self.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
                    TokenError::Malformed
                }
                ErrorKind::InvalidSignature => TokenError::Invalid("bad signature".into()),
                ErrorKind::InvalidAudience => TokenError::Invalid("wrong audience".into()),
                ErrorKind::InvalidIssuer => TokenError::Invalid("wrong issuer".into()),
                ErrorKind::ImmatureSignature => TokenError::Invalid("not valid yet".into()),
                ErrorKind::MissingRequiredClaim(c) => TokenError::Invalid(format!("missing claim {c}")),
                _ => TokenError::Invalid("rejected".into()),
            }
        })?;
        let mut scopes: Vec<String> = data.claims.scopes.unwrap_or_default();
        if let Some(s) = data.claims.scope {
            scopes.extend(s.split_whitespace().map(str::to_string));
        }
        Ok(Viewer { subject: data.claims.sub, scopes, token: Arc::from(token), expires_at: data.claims.exp })
    }
}
