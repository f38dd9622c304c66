//! Written as SQL per backend: the search index is the part that differs, and the rest reads
//! more plainly as the DDL it is.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Shared by both backends. `documents.id` grows with creation, so "newest first" is `id DESC`
/// and a cursor is an id: keyset pages stay correct while documents are added.
const TABLES: &[&str] = &[
    "CREATE TABLE documents (
        id BIGINT_PK,
        owner_id BIGINT NOT NULL,
        title VARCHAR(500) NOT NULL,
        body TEXT NOT NULL,
        tags TEXT NOT NULL,
        version BIGINT NOT NULL,
        created_by BIGINT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )",
    // A page of one owner's (or a few owners') documents, newest first.
    "CREATE INDEX documents_owner ON documents (owner_id, id)",
    // The newest-first scan reads owners from the index alone (covering).
    "CREATE INDEX documents_recent ON documents (id, owner_id)",
    "CREATE TABLE document_tags (
        document_id BIGINT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        tag VARCHAR(64) NOT NULL,
        PRIMARY KEY (document_id, tag)
    )",
    "CREATE INDEX document_tags_tag ON document_tags (tag, document_id)",
    // Exactly one of employee_id and group_id is set (checked by the writer).
    "CREATE TABLE document_shares (
        id BIGINT_PK,
        document_id BIGINT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        employee_id BIGINT,
        group_id BIGINT,
        shared_by BIGINT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
    )",
    "CREATE UNIQUE INDEX document_shares_employee ON document_shares (employee_id, document_id)",
    "CREATE UNIQUE INDEX document_shares_group ON document_shares (group_id, document_id)",
    "CREATE INDEX document_shares_document ON document_shares (document_id)",
    // Documents per owner, kept in the writer's transactions: sizes a viewer's reach without
    // counting rows, and totals without scanning them.
    "CREATE TABLE document_owners (
        owner_id BIGINT PRIMARY KEY,
        documents BIGINT NOT NULL
    )",
];

/// Title and the first 256 KiB of the body: a tsvector holds at most 1 MiB, and a body of
/// up to 1 MiB of distinct words would not fit.
const POSTGRES_SEARCH: &[&str] = &[
    "ALTER TABLE documents ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('english', left(body, 262144)), 'B')) STORED",
    "CREATE INDEX documents_search ON documents USING GIN (search)",
];

/// FTS5 over title and body with the Porter stemmer (as PostgreSQL's `english`), kept by
/// triggers from the documents table it indexes.
const SQLITE_SEARCH: &[&str] = &[
    "CREATE VIRTUAL TABLE documents_fts USING fts5(title, body, content='documents', content_rowid='id',
        tokenize='porter unicode61')",
    "CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
        INSERT INTO documents_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
    END",
    "CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
        INSERT INTO documents_fts (documents_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    END",
    "CREATE TRIGGER documents_fts_update AFTER UPDATE OF title, body ON documents BEGIN
        INSERT INTO documents_fts (documents_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO documents_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
    END",
];

fn dialect(sql: &str, backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => sql.replace("BIGINT_PK", "BIGSERIAL PRIMARY KEY"),
        _ => sql.replace("BIGINT_PK", "INTEGER PRIMARY KEY AUTOINCREMENT").replace("TIMESTAMPTZ", "TEXT"),
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let search = if backend == DbBackend::Postgres { POSTGRES_SEARCH } else { SQLITE_SEARCH };
        for sql in TABLES.iter().chain(search) {
            db.execute_unprepared(&dialect(sql, backend)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            db.execute_unprepared("DROP TABLE IF EXISTS documents_fts").await?;
        }
        for table in ["document_owners", "document_shares", "document_tags", "documents"] {
            db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}")).await?;
        }
        Ok(())
    }
}
