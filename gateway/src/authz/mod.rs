//! Authorization at the gateway: bearer tokens verified against a JWKS, `@authenticated` and
//! `@requiresScopes` enforced by taking unauthorized fields out of the plan, and `@ownedBy`
//! enforced on every object of a response with batched, cached permission lookups.

pub mod policy;
pub mod rewrite;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::DataLoader;
use braid_access::cache::AccessCache;
use braid_access::http::GraphqlSource;
use braid_access::{Check, Lookup, Viewer};
use braid_kit::auth::Verifier;
use braid_kit::cache::Cache;
use http::{HeaderMap, StatusCode};
use sonic_rs::JsonValueTrait;

use crate::config::GatewayConfig;
use crate::error::{GatewayError, RequestError, codes};
use crate::execute::tree::{Node, ObjRef, Ref};
pub use policy::{Claims, OwnedBy, Policies, Requirement};
pub use rewrite::{OWNER_KEY, SHARED_KEY};

/// Who sent a request.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub claims: Claims,
    /// For permission lookups: the subject as an employee id, with the token.
    pub viewer: Option<Viewer>,
    /// When the verified token expires (seconds since the Unix epoch); `None` without one.
    pub expires_at: Option<u64>,
}

/// Verification and lookups for every request.
pub struct Authz {
    verifier: Option<Arc<Verifier>>,
    cache: AccessCache,
    loader: Option<DataLoader<Lookup>>,
}

impl Authz {
    /// From `auth` and `access` in the config; `endpoints` name the permissions subgraph.
    pub fn new(
        config: &GatewayConfig,
        endpoints: &HashMap<String, String>,
        cache: Arc<dyn Cache>,
    ) -> Result<Self, GatewayError> {
        let verifier = Verifier::from_config(&config.auth).map_err(|e| GatewayError::Config(e.to_string()))?;
        let access = &config.access;
        let cache = AccessCache::new(cache, Duration::from_secs(access.cache.ttl_secs));
        let url = access
            .permissions_url
            .clone()
            .or_else(|| config.subgraphs.get("permissions").and_then(|s| s.url.clone()))
            .or_else(|| endpoints.get("permissions").cloned());
        let loader = url.map(|url| {
            let source = GraphqlSource::new(url, Duration::from_millis(access.timeout_ms));
            let lookup = Lookup::new(Arc::new(source), Some(cache.clone()));
            DataLoader::new(lookup, tokio::spawn)
                .delay(Duration::from_millis(access.batch_delay_ms))
                .max_batch_size(10_000)
        });
        Ok(Self { verifier, cache, loader })
    }

    /// The request's identity; a bad, expired or revoked token is a 401.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Identity, RequestError> {
        let Some(header) = headers.get(http::header::AUTHORIZATION) else { return Ok(Identity::default()) };
        let Some(verifier) = &self.verifier else {
            // No key source configured: tokens are passed on, never trusted here.
            return Ok(Identity::default());
        };
        let refused = |message: String| RequestError::new(StatusCode::UNAUTHORIZED, codes::INVALID_TOKEN, message);
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

    /// Of `owners`, those the identity may not see. Lookups that fail deny (never allow).
    pub async fn denied_owners(&self, identity: &Identity, owners: HashSet<i64>) -> HashSet<i64> {
        let (Some(viewer), Some(loader)) = (&identity.viewer, &self.loader) else { return owners };
        let checks = owners.iter().map(|&target| Check { viewer: viewer.clone(), target });
        match loader.load_many(checks).await {
            Ok(answers) => owners.into_iter().filter(|o| answers.get(&Check::key(viewer, *o)) != Some(&true)).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "permission lookup failed: owned objects denied");
                owners
            }
        }
    }
}

/// Every owner id fetched under [`OWNER_KEY`] anywhere in `data`, except those of objects
/// shared with the viewer (see [`is_shared`]): those are shown without asking.
pub fn owners(data: &Node<'_>) -> HashSet<i64> {
    fn walk(value: Ref<'_>, out: &mut HashSet<i64>) {
        if let Some(object) = value.object() {
            for (key, v) in object.members() {
                if key == OWNER_KEY {
                    if let Some(id) = v.leaf().and_then(owner_id)
                        && !is_shared(object)
                    {
                        out.insert(id);
                    }
                } else if key != SHARED_KEY {
                    walk(v, out);
                }
            }
        } else if let Some(items) = value.list() {
            items.iter().for_each(|v| walk(v, out));
        }
    }
    let mut out = HashSet::new();
    walk(Ref::from(data), &mut out);
    out
}

/// Did the subgraph say, under [`SHARED_KEY`], that `object` is shared with the viewer? Only
/// objects whose marks have an `unless` fetch it (all their type's marks honour it, and
/// clients may not use the key themselves).
pub fn is_shared(object: ObjRef<'_>) -> bool {
    object.get(SHARED_KEY).and_then(Ref::as_bool) == Some(true)
}

/// An owner id as subgraphs send it (an ID string or a number).
pub fn owner_id(value: &sonic_rs::Value) -> Option<i64> {
    match value.as_str() {
        Some(s) => s.parse().ok(),
        None => value.as_i64(),
    }
}

/// What the projector enforces for one response.
#[derive(Debug, Default)]
pub struct Verdict<'a> {
    /// Fields taken out for a missing token or scope, by parent type, then field: `true` when
    /// a token was missing.
    pub fields: HashMap<String, HashMap<String, bool>>,
    pub owned_types: Option<&'a HashMap<String, OwnedBy>>,
    pub owned_fields: Option<&'a HashMap<String, HashMap<String, OwnedBy>>>,
    pub denied_owners: HashSet<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonic_rs::json;

    #[test]
    fn owners_of_shared_objects_are_not_asked_about() {
        let data = json!({
            "memos": [
                { "_braidOwner": "1", "_braidShared": false },
                { "_braidOwner": "2", "_braidShared": true, "inner": { "_braidOwner": 3 } },
                { "_braidOwner": "4" },
                { "_braidOwner": "5", "_braidShared": "true" },
            ]
        });
        assert_eq!(owners(&Node::Value(&data)), HashSet::from([1, 3, 4, 5]));
    }
}
