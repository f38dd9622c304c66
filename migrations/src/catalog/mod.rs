//! The catalog database: categories, products, inventory, and the event tables.

use sea_orm_migration::prelude::*;

mod m20261122_000001_create_catalog;

/// Migrator for the catalog subgraph's database.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(crate::events::CreateEventTables), Box::new(m20261122_000001_create_catalog::Migration)]
    }
}
