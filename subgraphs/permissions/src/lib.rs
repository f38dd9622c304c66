//! The permissions subgraph: employees and the org hierarchy, groups, grants, roles and
//! scopes; login issuing RS256 JWTs with rotating refresh tokens; the JWKS.
//!
//! The hierarchy is a closure table ([`hierarchy`]); who may see whom is answered by
//! [`visibility`], which is also the [`braid_access::Source`] behind cached lookups. Every
//! change publishes its event with the viewers it affected ([`write`]).

// Functions over 80 lines (clippy.toml) are split into named steps.
#![warn(clippy::too_many_lines)]

pub mod entity;
pub mod graphql;
pub mod hierarchy;
pub mod keys;
pub mod password;
pub mod read;
pub mod seed;
pub mod session;
pub mod visibility;
pub mod write;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use braid_access::cache::AccessCache;
use braid_access::invalidate::Invalidator;
use braid_kit::auth::Verifier;
use braid_kit::{Infra, KitError, Service};
use braid_migrations::MigratorTrait;

use crate::keys::KeyStore;

/// The subgraph's name (metrics label, CLI argument).
pub const NAME: &str = "permissions";

/// Migrates (if configured), makes sure a signing key exists, and wires the service.
pub async fn service(mut infra: Infra) -> Result<Service, KitError> {
    if infra.config.database.migrate {
        braid_migrations::permissions::Migrator::up(&infra.db, None).await?;
    }
    let config = infra.config.clone();
    // A token may be presented until it expires, plus the verifiers' leeway.
    let token_lifetime = Duration::from_secs(config.issuer.access_ttl_secs + config.auth.leeway_secs);
    let publish_ahead = Duration::from_secs(config.issuer.key_publish_ahead_secs);
    let keys = Arc::new(KeyStore::new(infra.db.clone(), token_lifetime, publish_ahead));
    keys.ensure().await?;
    if config.auth.jwks_url.is_none() && config.auth.public_key_pem.is_none() {
        // The issuer checks its own tokens against its own keys.
        let mut auth = config.auth.clone();
        auth.issuer.get_or_insert(config.issuer.issuer.clone());
        auth.audience.get_or_insert(config.issuer.audience.clone());
        infra.verifier = Some(Verifier::with_resolver(keys.clone(), &auth)?);
    }
    let cache = AccessCache::new(infra.cache.clone(), Duration::from_secs(config.cache.ttl_secs));
    let invalidator = Arc::new(Invalidator { service: NAME, cache, token_lifetime });
    let reader = read::Reader { db: infra.db.clone() };
    let writer =
        write::Writer { db: infra.db.clone(), outbox: infra.outbox.clone(), invalidator: Some(invalidator.clone()) };
    let sessions = Arc::new(session::Sessions::new(infra.db.clone(), keys.clone(), config.issuer.clone()));
    let schema = graphql::build(Some(graphql::Parts { reader, writer, sessions, keys: keys.clone() }));
    let router = infra.router(schema).route("/.well-known/jwks.json", get(jwks).with_state(keys));
    let handlers: Vec<Arc<dyn braid_kit::events::Handler>> = vec![invalidator];
    Ok(Service::new(infra, router, handlers))
}

/// `GET /.well-known/jwks.json`: every key that can verify a live token.
async fn jwks(State(keys): State<Arc<KeyStore>>) -> axum::response::Response {
    match keys.jwks().await {
        Ok(doc) => ([(http::header::CACHE_CONTROL, "public, max-age=60")], axum::Json(doc)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "JWKS unavailable");
            http::StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
