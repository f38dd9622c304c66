//! The permissions database: employees, the org hierarchy (a closure table), groups, grants,
//! credentials, refresh tokens, signing keys, and the event tables.

use sea_orm_migration::prelude::*;

mod m20261122_000001_create_permissions;

/// Migrator for the permissions subgraph's database.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(crate::events::CreateEventTables), Box::new(m20261122_000001_create_permissions::Migration)]
    }
}
