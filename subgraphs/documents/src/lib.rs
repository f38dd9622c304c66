//! The documents subgraph: corporate documents owned by employees, with hierarchical
//! visibility, sharing, full-text search and cursor pagination.
//!
//! Who may see what comes from the permission lookup library ([`braid_access`]) with its
//! Redis cache, invalidated by the permissions service on every change; [`visible`] turns a
//! viewer's visible set into pages in the database. Changes go through [`write`] with their
//! events in the same transaction.

// Functions over 80 lines (clippy.toml) are split into named steps.
#![warn(clippy::too_many_lines)]

pub mod cursor;
pub mod deleted;
pub mod entity;
pub mod events;
pub mod graphql;
pub mod read;
pub mod record;
pub mod seed;
pub mod visible;
pub mod write;

use std::sync::Arc;
use std::time::Duration;

use braid_access::cache::AccessCache;
use braid_access::http::GraphqlSource;
use braid_access::{Lookup, Source};
use braid_kit::config::CacheBackend;
use braid_kit::{Infra, KitError, Service};
use braid_migrations::MigratorTrait;

/// The subgraph's name (metrics label, CLI argument).
pub const NAME: &str = "documents";

/// Migrates (if configured) and wires the service. Permission lookups go to
/// `access.permissions_url` unless `source` is given (tests, benchmarks).
pub async fn service(infra: Infra, source: Option<Arc<dyn Source>>) -> Result<Service, KitError> {
    if infra.config.database.migrate {
        braid_migrations::documents::Migrator::up(&infra.db, None).await?;
    }
    let config = &infra.config;
    let source = match source {
        Some(source) => source,
        None => {
            let url = config.access.permissions_url.clone().ok_or_else(|| {
                KitError::Config("access.permissions_url: the documents subgraph needs the permissions service".into())
            })?;
            let timeout = Duration::from_millis(config.access.timeout_ms);
            Arc::new(GraphqlSource::new(url, braid_kit::tls::http_client(&config.client_tls, timeout)?))
        }
    };
    // Answers are kept only where the permissions service invalidates them: in Redis. An
    // in-memory cache of this process is out of its reach, so without Redis every lookup
    // asks the source.
    let cache = (config.cache.backend == CacheBackend::Redis)
        .then(|| AccessCache::new(infra.cache.clone(), Duration::from_secs(config.cache.ttl_secs)));
    let access = Arc::new(Lookup::new(source, cache));
    let reader = read::Reader { db: infra.db.clone(), access: access.clone() };
    let writer = write::Writer { db: infra.db.clone(), outbox: infra.outbox.clone(), access };
    let schema = graphql::build(Some(graphql::Parts { reader, writer }));
    let router = infra.router(schema);
    Ok(Service::new(infra, router, Vec::new()))
}
