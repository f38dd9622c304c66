//! The catalog database: categories, products, inventory, stock reservations, and the event tables.

use sea_orm_migration::prelude::*;

mod m20261122_000001_create_catalog;
mod m20261203_000001_create_reservations;

/// Migrator for the catalog subgraph's database.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(crate::events::CreateEventTables),
            Box::new(m20261122_000001_create_catalog::Migration),
            Box::new(m20261203_000001_create_reservations::Migration),
        ]
    }
}
