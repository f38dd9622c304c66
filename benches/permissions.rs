//! Permission lookup benchmark on a generated org of 100,000 employees (9 levels) on
//! PostgreSQL, through the lookup library with its Redis cache, as the gateway and the
//! documents subgraph use it.
//!
//! `cargo bench --bench permissions` (needs PostgreSQL and Redis; `scripts/test.sh` starts
//! them). `BENCH_EMPLOYEES` (default 100000) and `BENCH_ITERATIONS` (default 200) tune it.
//!
//! - full visible set of the top manager (everyone), cold (the viewer's cached answers voided
//!   before each lookup, so it is read from the closure table) and warm (from Redis);
//! - a batch check of 1,000 (viewer, employee) pairs: 10 mid-level managers, 100 employees each,
//!   half inside their subtree, through the DataLoader's batch function, cold and warm.
//!
//! Targets (issue 4): warm batch check p99 under 2 ms, cold full visible set p99 under 50 ms.
//! Every answer is checked against the org's own shape, so a fast wrong answer fails the run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::dataloader::Loader;
use braid_access::cache::AccessCache;
use braid_access::{Check, Lookup, Viewer};
use braid_kit::cache::{Cache, RedisCache};
use braid_migrations::MigratorTrait;
use braid_permissions::seed;
use braid_permissions::visibility::SqlSource;
use braid_testkit::db::TestDb;
use braid_testkit::redis_prefix::{self, RedisPrefix};
use hdrhistogram::Histogram;
use sea_orm::ConnectionTrait;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Figures {
    name: &'static str,
    histogram: Histogram<u64>,
}

impl Figures {
    fn new(name: &'static str) -> Self {
        Self { name, histogram: Histogram::new(3).expect("histogram") }
    }

    fn record(&mut self, elapsed: Duration) {
        self.histogram.record(elapsed.as_micros().max(1) as u64).expect("in range");
    }

    fn ms(&self, q: f64) -> f64 {
        self.histogram.value_at_quantile(q) as f64 / 1000.0
    }

    fn print(&self, target: Option<(f64, &str)>) {
        let verdict = match target {
            Some((limit, what)) => {
                let ok = self.ms(0.99) < limit;
                format!("  target: {what} p99 < {limit} ms -> {}", if ok { "met" } else { "NOT MET" })
            }
            None => String::new(),
        };
        println!(
            "{:<44} n={:>5}  p50 {:>8.3} ms  p99 {:>8.3} ms{verdict}",
            self.name,
            self.histogram.len(),
            self.ms(0.5),
            self.ms(0.99)
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let employees = env_or("BENCH_EMPLOYEES", 100_000) as usize;
    let iterations = env_or("BENCH_ITERATIONS", 200) as usize;
    let db = TestDb::create().await;
    let redis = RedisPrefix::new();
    let config = braid_kit::config::DatabaseConfig {
        url: db.url.clone(),
        max_connections: 8,
        migrate: true,
        ..Default::default()
    };
    let conn = braid_kit::db::connect(&config).await.expect("database");
    braid_migrations::permissions::Migrator::up(&conn, None).await.expect("migrations");
    let org = seed::generate(employees, 5);
    let levels = org.iter().map(|e| e.level).max().unwrap_or(0) + 1;
    let started = Instant::now();
    seed::insert(&conn, &org, |_| String::new()).await.expect("seed");
    println!(
        "org: {employees} employees in {levels} levels, seeded in {:.1} s (PostgreSQL, closure table)",
        started.elapsed().as_secs_f64()
    );
    // What autovacuum does to a table in steady state: statistics and the visibility map
    // (index-only scans of the closure table skip the heap).
    conn.execute_unprepared("VACUUM ANALYZE").await.expect("vacuum");

    let redis_cache: Arc<dyn Cache> =
        Arc::new(RedisCache::connect(&redis_prefix::url(), &redis.prefix).await.expect("redis"));
    let cache = AccessCache::new(redis_cache, Duration::from_secs(300));
    let lookup = Lookup::new(Arc::new(SqlSource(conn.clone())), Some(cache.clone()));

    // The full visible set of the top manager.
    let top = Viewer::new(1);
    let mut set_cold = Figures::new("full visible set, top manager, cold");
    let mut set_warm = Figures::new("full visible set, top manager, warm");
    for i in 0..iterations.min(100) {
        cache.invalidate(&[1]).await.expect("invalidate");
        let t = Instant::now();
        let set = lookup.visible(&top).await.expect("lookup");
        set_cold.record(t.elapsed());
        assert_eq!(set.ids.len(), employees, "the top manager sees everyone (iteration {i})");
    }
    // Let the last cold lookup's cache write land.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..iterations {
        let t = Instant::now();
        let set = lookup.visible(&top).await.expect("lookup");
        set_warm.record(t.elapsed());
        assert_eq!(set.ids.len(), employees);
    }

    // 1,000 pairs: ten managers two levels down, 100 employees each (half in their subtree).
    let managers: Vec<&seed::Seeded> = org.iter().filter(|e| e.level == 2).take(10).collect();
    let mut children: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    for e in &org {
        if let Some(m) = e.manager {
            children.entry(m).or_default().push(e.id);
        }
    }
    let below = |m: i64| -> Vec<i64> {
        let mut inside = Vec::new();
        let mut frontier = vec![m];
        while let Some(x) = frontier.pop() {
            for &c in children.get(&x).into_iter().flatten() {
                inside.push(c);
                frontier.push(c);
            }
        }
        inside
    };
    let subtrees: Vec<Vec<i64>> = managers.iter().map(|m| below(m.id)).collect();
    let mut checks = Vec::new();
    let mut expected = std::collections::HashMap::new();
    for (k, m) in managers.iter().enumerate() {
        let (inside, other) = (&subtrees[k], &subtrees[(k + 1) % managers.len()]);
        for j in 0..100usize {
            // Half in the manager's subtree, half in another manager's (not visible).
            let (target, visible) = if j % 2 == 0 {
                (inside[(j * 7 + k) % inside.len()], true)
            } else {
                (other[(j * 11 + k) % other.len()], false)
            };
            let check = Check::key(&Viewer::new(m.id), target);
            expected.insert(check.clone(), visible);
            checks.push(check);
        }
    }
    let viewer_ids: Vec<i64> = managers.iter().map(|m| m.id).collect();
    let mut batch_cold = Figures::new("batch check of 1,000 pairs, cold");
    let mut batch_warm = Figures::new("batch check of 1,000 pairs, warm");
    for _ in 0..iterations.min(100) {
        cache.invalidate(&viewer_ids).await.expect("invalidate");
        let t = Instant::now();
        let answers = lookup.load(&checks).await.expect("batch");
        batch_cold.record(t.elapsed());
        assert!(expected.iter().all(|(c, v)| answers.get(c) == Some(v)), "cold answers match the org");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..iterations {
        let t = Instant::now();
        let answers = lookup.load(&checks).await.expect("batch");
        batch_warm.record(t.elapsed());
        assert!(expected.iter().all(|(c, v)| answers.get(c) == Some(v)), "warm answers match the org");
    }
    println!();
    println!("figures (one process, loopback PostgreSQL and Redis, this machine's 2 cores):");
    set_cold.print(Some((50.0, "cold full set")));
    set_warm.print(None);
    batch_cold.print(None);
    batch_warm.print(Some((2.0, "warm batch check")));
}
