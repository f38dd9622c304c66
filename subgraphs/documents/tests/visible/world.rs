//! A documents database on SQLite (in memory) or PostgreSQL (a database per test), filled
//! with known documents and shares, and the statements a read sent to it.

use std::sync::{Arc, Mutex};

use braid_documents::seed::{self, Generated};
use braid_kit::sql::Sql;
use braid_migrations::MigratorTrait;
use braid_testkit::db::TestDb;
use chrono::{Duration, TimeZone, Utc};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One document as the test wrote it.
#[derive(Debug, Clone)]
pub struct Doc {
    pub owner: i64,
    pub tags: Vec<String>,
    /// The words of its title and body.
    pub words: Vec<String>,
}

/// Shared with an employee or with a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Audience {
    Employee(i64),
    Group(i64),
}

pub struct World {
    pub db: DatabaseConnection,
    /// Ids of the documents written, oldest first.
    pub ids: Vec<i64>,
    log: Arc<Mutex<Vec<Statement>>>,
    _pg: Option<TestDb>,
}

impl World {
    /// A migrated, empty documents database whose statements are recorded.
    pub async fn open(backend: Backend) -> Self {
        let (url, pg) = match backend {
            Backend::Sqlite => ("sqlite::memory:".to_string(), None),
            Backend::Postgres => {
                let db = TestDb::create().await;
                (db.url.clone(), Some(db))
            }
        };
        // One connection: every statement meets the same in-memory SQLite database.
        let mut options = ConnectOptions::new(url);
        options.max_connections(1).sqlx_logging(false);
        let mut db = Database::connect(options).await.unwrap();
        braid_migrations::documents::Migrator::up(&db, None).await.unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        db.set_metric_callback(move |info| sink.lock().unwrap().push(info.statement.clone()));
        Self { db, ids: Vec::new(), log, _pg: pg }
    }

    /// Writes `docs` (older first) through the seeder, which also keeps the owners' totals.
    pub async fn write(&mut self, docs: &[Doc]) {
        if docs.is_empty() {
            return;
        }
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let generated: Vec<Generated> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let (title, body) = d.words.split_at(d.words.len() / 2);
                Generated {
                    owner: d.owner,
                    title: title.join(" "),
                    body: body.join(" "),
                    tags: d.tags.clone(),
                    created_at: start + Duration::seconds((self.ids.len() + i) as i64),
                }
            })
            .collect();
        let first = seed::insert(&self.db, &generated, 0, 1).await.unwrap();
        self.ids.extend((0..docs.len() as i64).map(|i| first + i));
    }

    /// Shares the `doc`-th document written.
    pub async fn share(&self, doc: usize, with: Audience) {
        let (employee, group) = match with {
            Audience::Employee(e) => (Some(e), None),
            Audience::Group(g) => (None, Some(g)),
        };
        let mut sql = Sql::new(self.db.get_database_backend());
        sql.push("INSERT INTO document_shares (document_id, employee_id, group_id, shared_by, created_at) VALUES (")
            .bind(self.ids[doc])
            .push(", ")
            .bind(employee)
            .push(", ")
            .bind(group)
            .push(", 0, ")
            .bind(Utc::now())
            .push(")");
        self.db.execute_raw(sql.build()).await.unwrap();
    }

    /// The statements sent since the last call.
    pub fn statements(&self) -> Vec<Statement> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

/// The row limit a statement ends with (its last value), if it has one.
pub fn limit(statement: &Statement) -> Option<i64> {
    if !statement.sql.contains(" LIMIT ") {
        return None;
    }
    match statement.values.as_ref()?.0.last()? {
        Value::BigInt(n) => *n,
        _ => None,
    }
}
