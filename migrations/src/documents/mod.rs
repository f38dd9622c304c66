//! The documents database: documents, their tags and shares, per-owner counts, full-text
//! search (a `tsvector` column on PostgreSQL, an FTS5 table on SQLite), what is kept of deleted
//! documents for a while, and the event tables.

use sea_orm_migration::prelude::*;

mod m20261201_000001_create_documents;
mod m20261204_000001_create_document_deletions;

/// Migrator for the documents subgraph's database.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(crate::events::CreateEventTables),
            Box::new(m20261201_000001_create_documents::Migration),
            Box::new(m20261204_000001_create_document_deletions::Migration),
        ]
    }
}
