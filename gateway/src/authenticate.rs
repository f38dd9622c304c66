//! Stage: authenticate. The bearer token, when there is one, verified against the configured
//! keys (a JWKS or a shared secret) and checked against revoked subjects.

use std::sync::Arc;

use braid_access::Viewer;
use braid_access::cache::AccessCache;
use braid_kit::auth::Verifier;
use http::{HeaderMap, StatusCode};

use crate::config::GatewayConfig;
use crate::error::{Code, GatewayError, RequestError};
use crate::policy::Claims;

/// Who sent a request.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub claims: Claims,
    /// For permission lookups: the subject as an employee id, with the token.
    pub viewer: Option<Viewer>,
    /// When the verified token expires (seconds since the Unix epoch); `None` without one.
    pub expires_at: Option<u64>,
}

/// Verifies tokens.
pub struct Authenticator {
    /// `None` without a key source: tokens are passed on to subgraphs, never trusted here.
    verifier: Option<Arc<Verifier>>,
    /// Where revoked subjects are recorded.
    cache: AccessCache,
}

impl Authenticator {
    /// From `auth` in the config.
    pub fn new(config: &GatewayConfig, cache: AccessCache) -> Result<Self, GatewayError> {
        let verifier = Verifier::from_config(&config.auth, &config.client_tls)?;
        Ok(Self { verifier, cache })
    }

    /// The request's identity; a bad, expired or revoked token is a 401.
    pub async fn identity(&self, headers: &HeaderMap) -> Result<Identity, RequestError> {
        let Some(header) = headers.get(http::header::AUTHORIZATION) else { return Ok(Identity::default()) };
        let Some(verifier) = &self.verifier else { return Ok(Identity::default()) };
        let refused = |message: String| RequestError::new(StatusCode::UNAUTHORIZED, Code::InvalidToken, message);
        let header = header.to_str().map_err(|_| refused("the Authorization header is not text".into()))?;
        let token = braid_kit::auth::bearer(header).map_err(|e| refused(e.to_string()))?;
        let viewer = verifier.verify(token).await.map_err(|e| refused(e.to_string()))?;
        let id = viewer.subject.parse::<i64>().ok();
        if let Some(id) = id
            && self.cache.is_revoked(id).await.unwrap_or(false)
        {
            return Err(refused("the token's subject no longer exists".into()));
        }
        Ok(Identity {
            viewer: id.map(|id| Viewer::with_token(id, token)),
            claims: Claims { subject: Some(viewer.subject), scopes: viewer.scopes.into_iter().collect() },
            expires_at: Some(viewer.expires_at),
        })
    }
}
