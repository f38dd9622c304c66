//! What is kept of a deleted document for a while: enough to tell those who could see it that
//! it is gone (the `documentDeleted` subscription), with the shares it had when deleted.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    // The shares as JSON arrays of ids: read only by id, never searched.
    "CREATE TABLE document_deletions (
        document_id BIGINT PRIMARY KEY,
        owner_id BIGINT NOT NULL,
        title VARCHAR(500) NOT NULL,
        version BIGINT NOT NULL,
        shared_employees TEXT NOT NULL,
        shared_groups TEXT NOT NULL,
        deleted_by BIGINT NOT NULL,
        deleted_at TIMESTAMPTZ NOT NULL
    )",
    // Old deletions are dropped by age.
    "CREATE INDEX document_deletions_at ON document_deletions (deleted_at)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        for sql in TABLES {
            let sql =
                if backend == DbBackend::Postgres { (*sql).to_owned() } else { sql.replace("TIMESTAMPTZ", "TEXT") };
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP TABLE IF EXISTS document_deletions").await?;
        Ok(())
    }
}
