//! Verifying tokens, issuing them, and asking who may see whom.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Bearer token verification.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// JWKS URL (keys refreshed when a token names an unknown `kid`).
    pub jwks_url: Option<String>,
    /// Alternatively, one RSA public key in PEM.
    pub public_key_pem: Option<String>,
    /// Required `iss`.
    pub issuer: Option<String>,
    /// Required `aud`.
    pub audience: Option<String>,
    /// Accepted signature algorithms.
    pub algorithms: Vec<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// A token naming an unknown `kid` refetches the JWKS at most this often, in seconds.
    pub jwks_min_refresh_secs: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwks_url: None,
            public_key_pem: None,
            issuer: None,
            audience: None,
            algorithms: vec!["RS256".into()],
            leeway_secs: 30,
            jwks_min_refresh_secs: 10,
        }
    }
}

/// Issuing tokens: used by the permissions subgraph only.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct IssuerConfig {
    /// The `iss` claim of issued tokens.
    pub issuer: String,
    /// The `aud` claim of issued tokens.
    pub audience: String,
    /// Access token lifetime, in seconds.
    pub access_ttl_secs: u64,
    /// Refresh token lifetime, in seconds (each use rotates it).
    pub refresh_ttl_secs: u64,
    /// Failed logins of one account allowed before it is locked.
    pub max_failed_logins: u32,
    /// First lockout, in seconds; each further failure doubles it.
    pub lockout_secs: u64,
    /// Longest lockout, in seconds.
    pub max_lockout_secs: u64,
    /// A new signing key is published this long before it signs, in seconds, so verifiers
    /// have it before the first token names it (keep it above their `jwks_min_refresh_secs`).
    pub key_publish_ahead_secs: u64,
}

impl Default for IssuerConfig {
    fn default() -> Self {
        Self {
            issuer: "https://braid.local/".into(),
            audience: "braid".into(),
            access_ttl_secs: 900,
            refresh_ttl_secs: 30 * 24 * 3600,
            max_failed_logins: 5,
            lockout_secs: 30,
            max_lockout_secs: 900,
            key_publish_ahead_secs: 60,
        }
    }
}

/// Where a subgraph asks who may see whom (the documents subgraph): the permissions
/// subgraph, called with the viewer's own token; answers are cached in the `cache` backend.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// The permissions subgraph's GraphQL endpoint.
    pub permissions_url: Option<String>,
    /// Timeout of one permission lookup, in milliseconds.
    pub timeout_ms: u64,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self { permissions_url: None, timeout_ms: 5_000 }
    }
}
