//! Database connections: PostgreSQL or SQLite, chosen by URL.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::DatabaseConfig;

/// Connects, creating the SQLite file's directory when needed.
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(config.url.clone());
    options.acquire_timeout(Duration::from_secs(10));
    connect_with(config, options).await
}

/// Connects to a standby: lazily (one that is down must not keep the service from starting),
/// and a query waits at most `acquire` for a connection (reads go to the primary meanwhile).
pub async fn connect_standby(config: &DatabaseConfig, acquire: Duration) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(config.url.clone());
    options.acquire_timeout(acquire).connect_lazy(true);
    connect_with(config, options).await
}

async fn connect_with(config: &DatabaseConfig, mut options: ConnectOptions) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_path(&config.url)
        && let Some(dir) = std::path::Path::new(&path).parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| DbErr::Custom(format!("creating {}: {e}", dir.display())))?;
    }
    options
        .max_connections(config.max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers run while the single writer commits.
        db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;").await?;
    }
    Ok(db)
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a transaction that reads first and writes later cannot wait for the
/// lock, and fails with "database is locked" when another writer committed in between.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    db.begin_with_options(options).await
}

/// Cheap liveness probe for `/ready`.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

/// `text` for a `LIKE ... ESCAPE '\\'` pattern: `%`, `_` and `\\` match themselves.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn sqlite_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(super::escape_like(r"50%_off\"), r"50\%\_off\\");
    }
}
