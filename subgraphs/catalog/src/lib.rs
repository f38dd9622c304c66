//! The catalog subgraph: products, categories, prices, inventory and stock reservations.
//!
//! Reads are cache-first ([`read`]); writes go through [`write`] with their events in the
//! same transaction; [`invalidate`] applies those events to every instance's cache; [`stock`]
//! is the catalog's part in the order saga.

// Functions over 80 lines (clippy.toml) are split into named steps.
#![warn(clippy::too_many_lines)]

pub mod cursor;
pub mod entity;
pub mod events;
pub mod graphql;
pub mod invalidate;
pub mod read;
pub mod record;
pub mod seed;
pub mod stock;
pub mod write;

use std::sync::Arc;
use std::time::Duration;

use braid_kit::config::CacheBackend;
use braid_kit::{Infra, KitError, Service};
use braid_migrations::MigratorTrait;

/// The subgraph's name (metrics label, CLI argument).
pub const NAME: &str = "catalog";

/// Migrates (if configured) and wires the catalog service.
pub async fn service(infra: Infra) -> Result<Service, KitError> {
    if infra.config.database.migrate {
        braid_migrations::catalog::Migrator::up(&infra.db, None).await?;
    }
    let ttl = Duration::from_secs(infra.config.cache.ttl_secs);
    let cache = &infra.config.cache;
    let near = (cache.backend != CacheBackend::None && cache.near_capacity > 0)
        .then(|| Arc::new(read::NearProducts::new(cache.near_capacity, ttl)));
    let reader = read::Reader::new(infra.reads.clone(), infra.cache.clone(), ttl, near.clone());
    let writer = write::Writer { db: infra.db.clone(), outbox: infra.outbox.clone() };
    let schema = graphql::build(Some(reader.clone()), Some(writer));
    let router = infra.router(schema);
    let mut handlers: Vec<Arc<dyn braid_kit::events::Handler>> =
        vec![Arc::new(invalidate::Invalidator { cache: infra.cache.clone(), ttl, reads: infra.reads.clone() })];
    if let Some(near) = near {
        let (instance, reads) = (infra.instance.clone(), infra.reads.clone());
        handlers.push(Arc::new(invalidate::NearInvalidator { near, instance, reads }));
    }
    handlers.push(Arc::new(stock::StockHandler { outbox: infra.outbox.clone() }));
    let expiry = stock::Expiry::new(infra.db.clone(), infra.outbox.clone());
    let mut service = Service::new(infra, router, handlers);
    service.tasks.push(expiry.task());
    Ok(service)
}
