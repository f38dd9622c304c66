//! Documents benchmark: `visibleDocuments` through the gateway on 100,000 employees and
//! 1,000,000 documents on PostgreSQL, with the permission answers cached in Redis.
//!
//! `cargo bench --bench documents` (needs PostgreSQL and Redis; `scripts/test.sh` starts
//! them). Seeding takes minutes, so the two databases are kept between runs
//! (`braid_bench_permissions_<employees>`, `braid_bench_documents_<employees>_<documents>`)
//! and reused when complete; `BENCH_FRESH=1` seeds them again. `BENCH_EMPLOYEES` (100000),
//! `BENCH_DOCUMENTS` (1000000) and `BENCH_ITERATIONS` (200 warm, a quarter of it cold) tune it.
//!
//! For the top manager (sees everyone), a level-2 manager (about 4,000 people below them) and
//! a level-3 manager (about 800), the first and the tenth page of
//! `visibleDocuments(first: 50) { edges { node { title owner { name manager { name } } } } ... }`:
//! warm (the viewer's permission answers cached) and cold (voided before every request, so
//! the visible set is read from the closure table again). Every page is checked against SQL
//! over the org's own shape, so a fast wrong answer fails the run.
//!
//! Targets (issue 5): first page p99 under 50 ms warm and under 200 ms cold.

#[path = "../tests/documents/gateway.rs"]
#[allow(dead_code)] // shared with the documents tests
mod gateway;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use braid_migrations::MigratorTrait;
use braid_permissions::seed::{self, Seeded};
use hdrhistogram::Histogram;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};

const PAGE: &str = "query($after: String) { visibleDocuments(first: 50, after: $after) {
    edges { node { title owner { name manager { name } } } } pageInfo { endCursor hasNextPage } } }";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Figures {
    name: String,
    histogram: Histogram<u64>,
}

impl Figures {
    fn new(name: String) -> Self {
        Self { name, histogram: Histogram::new(3).expect("histogram") }
    }

    fn record(&mut self, elapsed: Duration) {
        self.histogram.record(elapsed.as_micros().max(1) as u64).expect("in range");
    }

    fn ms(&self, q: f64) -> f64 {
        self.histogram.value_at_quantile(q) as f64 / 1000.0
    }

    fn print(&self, target: Option<f64>) {
        let verdict = match target {
            Some(limit) => {
                format!("  target p99 < {limit} ms: {}", if self.ms(0.99) < limit { "met" } else { "NOT MET" })
            }
            None => String::new(),
        };
        println!(
            "{:<46} n={:>4}  p50 {:>7.2} ms  p99 {:>7.2} ms{verdict}",
            self.name,
            self.histogram.len(),
            self.ms(0.5),
            self.ms(0.99)
        );
    }
}

/// A database of the server kept between runs; `seed` fills it when it is new, incomplete
/// (a run stopped while seeding) or `fresh` is asked for. A table marks it complete.
async fn kept_database<F: Future<Output = ()>>(name: &str, fresh: bool, seed: impl FnOnce(String) -> F) -> String {
    let server = braid_testkit::db::server_url();
    let url = format!("{server}/{name}");
    let complete = match Database::connect(&url).await {
        Ok(db) if !fresh => {
            let marked = "SELECT 1 FROM information_schema.tables WHERE table_name = 'bench_complete'";
            let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), marked.to_string())).await;
            matches!(row, Ok(Some(_)))
        }
        _ => false,
    };
    if complete {
        return url;
    }
    let admin = Database::connect(format!("{server}/postgres")).await.expect("PostgreSQL is reachable");
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.expect("drop");
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create");
    admin.close().await.ok();
    seed(url.clone()).await;
    let db = Database::connect(&url).await.expect("database");
    db.execute_unprepared("VACUUM ANALYZE").await.expect("vacuum");
    db.execute_unprepared("CREATE TABLE bench_complete (at timestamptz DEFAULT now())").await.expect("mark");
    url
}

async fn connect(url: &str) -> DatabaseConnection {
    let config =
        braid_kit::config::DatabaseConfig { url: url.into(), max_connections: 4, migrate: true, ..Default::default() };
    braid_kit::db::connect(&config).await.expect("database")
}

async fn seed_org(url: String, org: &[Seeded]) {
    let db = connect(&url).await;
    braid_migrations::permissions::Migrator::up(&db, None).await.expect("migrations");
    let started = Instant::now();
    seed::insert(&db, org, |e| if e.id == 1 { "admin".into() } else { String::new() }).await.expect("seed org");
    println!("seeded {} employees in {:.0} s", org.len(), started.elapsed().as_secs_f64());
}

/// `docs` documents over the org in batches (ids grow with time), one in 100 shared.
async fn seed_documents(url: String, org: &[Seeded], docs: usize) {
    let db = connect(&url).await;
    braid_migrations::documents::Migrator::up(&db, None).await.expect("migrations");
    let started = Instant::now();
    let owners: Vec<i64> = org.iter().map(|e| e.id).collect();
    let batch = 50_000;
    for (i, start) in (0..docs).step_by(batch).enumerate() {
        let n = batch.min(docs - start);
        let at = chrono::Utc::now() - chrono::TimeDelta::days(365 * (docs - start - n) as i64 / docs as i64);
        let generated = braid_documents::seed::generate(&owners, n, i as u64, at);
        braid_documents::seed::insert(&db, &generated, 100, i as u64).await.expect("seed documents");
        println!("seeded {}/{docs} documents ({:.0} s)", start + n, started.elapsed().as_secs_f64());
    }
}

/// The page rows SQL expects for `viewer`: the documents of `owners` or shared with the
/// viewer, newest first, from `offset`.
async fn expected(db: &DatabaseConnection, org: &[Seeded], viewer: i64, owners: &[i64], offset: usize) -> Vec<Value> {
    let list = owners.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let sql = format!(
        "SELECT d.title, d.owner_id FROM documents d WHERE d.owner_id IN ({list}) OR d.id IN \
         (SELECT document_id FROM document_shares WHERE employee_id = {viewer}) ORDER BY d.id DESC LIMIT 50 OFFSET {offset}"
    );
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect("expected rows");
    rows.iter()
        .map(|r| {
            let title: String = r.try_get_by_index(0).unwrap();
            let owner = &org[r.try_get_by_index::<i64>(1).unwrap() as usize - 1];
            let manager = owner.manager.map(|m| json!({ "name": org[m as usize - 1].name }));
            json!({ "node": { "title": title, "owner": { "name": owner.name, "manager": manager } } })
        })
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let employees = env_or("BENCH_EMPLOYEES", 100_000) as usize;
    let docs = env_or("BENCH_DOCUMENTS", 1_000_000) as usize;
    let iterations = env_or("BENCH_ITERATIONS", 200) as usize;
    let fresh = std::env::var_os("BENCH_FRESH").is_some();
    let org = seed::generate(employees, 5);

    let permissions_url =
        kept_database(&format!("braid_bench_permissions_{employees}"), fresh, |url| seed_org(url, &org)).await;
    let documents_url = kept_database(&format!("braid_bench_documents_{employees}_{docs}"), fresh, |url| {
        seed_documents(url, &org, docs)
    })
    .await;
    let stack = gateway::Stack::on(&permissions_url, &documents_url, None, gateway::Events::Memory).await;
    println!("org: {employees} employees (five reports each); {docs} documents (1 in 100 shared)");

    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for e in &org {
        if let Some(m) = e.manager {
            children.entry(m).or_default().push(e.id);
        }
    }
    let subtree = |m: i64| {
        let mut all = vec![m];
        let mut i = 0;
        while i < all.len() {
            all.extend(children.get(&all[i]).into_iter().flatten().copied());
            i += 1;
        }
        all
    };
    let at_level = |level: usize| org.iter().find(|e| e.level == level).expect("level exists").id;
    let viewers = [("top manager", 1), ("level-2 manager", at_level(2)), ("level-3 manager", at_level(3))];

    let mut table = Vec::new();
    for (who, viewer) in viewers {
        let owners = subtree(viewer);
        let token = stack.token(viewer, "");
        // The cursors of pages 1 to 10, each page checked against SQL.
        let mut cursors = vec![Value::Null];
        for page in 0..10 {
            let reply = stack.gateway.query_as(&token, PAGE, json!({ "after": cursors[page] })).await;
            let got = &reply.data()["visibleDocuments"];
            let want = expected(&stack.documents_db, &org, viewer, &owners, page * 50).await;
            assert_eq!(got["edges"].as_array().unwrap(), &want, "{who}: page {}", page + 1);
            cursors.push(got["pageInfo"]["endCursor"].clone());
        }
        println!("{who} (employee {viewer}): {} people below or equal, pages checked", owners.len());
        for (page, after) in [(1, &cursors[0]), (10, &cursors[9])] {
            let variables = json!({ "after": after });
            let mut warm = Figures::new(format!("{who}, page {page}, warm"));
            let mut cold = Figures::new(format!("{who}, page {page}, cold"));
            for _ in 0..iterations.div_ceil(4) {
                stack.access.invalidate(&[viewer]).await.expect("invalidate");
                let t = Instant::now();
                let reply = stack.gateway.query_as(&token, PAGE, variables.clone()).await;
                cold.record(t.elapsed());
                assert_eq!(reply.data()["visibleDocuments"]["edges"].as_array().unwrap().len(), 50);
            }
            for _ in 0..iterations {
                let t = Instant::now();
                let reply = stack.gateway.query_as(&token, PAGE, variables.clone()).await;
                warm.record(t.elapsed());
                assert_eq!(reply.data()["visibleDocuments"]["edges"].as_array().unwrap().len(), 50);
            }
            let targets = if page == 1 { (Some(50.0), Some(200.0)) } else { (None, None) };
            table.push((warm, targets.0));
            table.push((cold, targets.1));
        }
    }
    println!();
    println!(
        "figures (one process: gateway, permissions and documents subgraphs; loopback PostgreSQL and Redis; 2 cores):"
    );
    for (figures, target) in &table {
        figures.print(*target);
    }
}
