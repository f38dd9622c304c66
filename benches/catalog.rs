//! Catalog read benchmark: product by id and a filtered product page, served directly by the
//! catalog subgraph on PostgreSQL, with the Redis cache and without any cache.
//!
//! `cargo bench --bench catalog` (needs PostgreSQL and Redis; `scripts/test.sh` starts them).
//! `BENCH_SECONDS` (default 5 per measurement), `BENCH_ROUNDS` (default 3) and
//! `BENCH_CONCURRENCY` (default 50) tune the run. Cached and uncached alternate within each
//! round and the summary gives medians over rounds, so a noisy moment on this shared machine
//! moves one round, not the verdict.
//! Every response is compared byte for byte with the answer fetched before the load, so a
//! fast wrong answer counts as a failure, not as a result.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use braid_migrations::MigratorTrait;
use braid_testkit::load::{self, LoadSpec, Report};
use braid_testkit::process::{BraidProcess, free_addr};
use braid_testkit::{db::TestDb, redis_prefix};
use serde_json::json;

const BRAID: &str = env!("CARGO_BIN_EXE_braid");
const PRODUCTS: usize = 1_000;

/// A name, the request bodies, and their expected answers.
type Scenario<'a> = (&'a str, &'a [Vec<u8>], &'a Arc<Vec<Vec<u8>>>);

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn start(db: &TestDb, cache: &str, prefix: &str) -> BraidProcess {
    let addr = free_addr();
    let env = [
        ("BRAID_SERVER__LISTEN", addr.clone()),
        ("BRAID_DATABASE__URL", db.url.clone()),
        ("BRAID_DATABASE__MAX_CONNECTIONS", "32".to_string()),
        ("BRAID_EVENTS__BACKEND", "memory".to_string()),
        ("BRAID_CACHE__BACKEND", cache.to_string()),
        ("BRAID_CACHE__URL", redis_prefix::url()),
        ("BRAID_CACHE__KEY_PREFIX", prefix.to_string()),
    ];
    BraidProcess::start(Path::new(BRAID), &["subgraph", "catalog"], &env, &addr)
}

/// Fetches the expected answer of every body once, before any load.
async fn expected(addr: &str, bodies: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let client = reqwest::Client::new();
    let mut out = Vec::new();
    for body in bodies {
        let reply = client
            .post(format!("http://{addr}/graphql"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("reference request");
        let bytes = reply.bytes().await.expect("reference body").to_vec();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("\"errors\""), "reference answer has errors: {text}");
        out.push(bytes);
    }
    out
}

async fn measure(addr: &str, bodies: &[Vec<u8>], answers: &Arc<Vec<Vec<u8>>>) -> Report {
    let spec = LoadSpec {
        addr: addr.to_string(),
        path: "/graphql".into(),
        bodies: bodies.to_vec(),
        concurrency: env_or("BENCH_CONCURRENCY", 50) as usize,
        warmup: Duration::from_secs(2),
        duration: Duration::from_secs(env_or("BENCH_SECONDS", 5)),
    };
    let answers = answers.clone();
    let check: load::Check = Arc::new(move |which, status, body| {
        if status != 200 {
            return Err(format!("status {status}"));
        }
        if body != answers[which].as_slice() {
            return Err(format!("unexpected body: {}", String::from_utf8_lossy(body)));
        }
        Ok(())
    });
    load::run(&spec, check).await
}

fn row(name: &str, cache: &str, r: &Report) {
    println!(
        "{name:<16} {cache:<7} {:>10.0} {:>10.2} {:>10.2} {:>9} {:>8}",
        r.rps,
        r.p50.as_secs_f64() * 1e3,
        r.p99.as_secs_f64() * 1e3,
        r.requests,
        r.failures
    );
    if let Some(f) = &r.first_failure {
        println!("  first failure: {f}");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let db = TestDb::create().await;
    let redis = redis_prefix::RedisPrefix::new();
    {
        let conn =
            braid_kit::db::connect(&braid_kit::config::DatabaseConfig { url: db.url.clone(), ..Default::default() })
                .await
                .expect("database");
        braid_migrations::catalog::Migrator::up(&conn, None).await.expect("migrations");
        braid_catalog::seed::seed(&conn, PRODUCTS).await.expect("seed");
    }
    let cached = start(&db, "redis", &redis.prefix);
    let uncached = start(&db, "none", &redis.prefix);

    let ids: Vec<String> = {
        let reply = reqwest::Client::new()
            .post(format!("http://{}/graphql", uncached.addr))
            .json(&json!({ "query": "{ products(first: 100) { edges { node { id } } } }" }))
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        reply["data"]["products"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    let by_id: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| {
            json!({ "query": "query($id: ID!) { product(id: $id) { id sku name price { amount currency } category { name } inventory { available lowStock } } }",
                    "variables": { "id": id } })
            .to_string()
            .into_bytes()
        })
        .collect();
    let searches = ["lamp", "chair", "tent", "kettle", "guitar", "drill", "puzzle", "scooter", "planter", "lantern"];
    let pages: Vec<Vec<u8>> = searches
        .iter()
        .map(|s| {
            json!({ "query": "query($f: ProductFilter) { products(first: 20, filter: $f, sort: PRICE_ASC) { totalCount pageInfo { hasNextPage endCursor } edges { node { id name price { amount currency } } } } }",
                    "variables": { "f": { "search": s, "minPrice": "5.00", "maxPrice": "400.00" } } })
            .to_string()
            .into_bytes()
        })
        .collect();
    let baseline = vec![json!({ "query": "{ __typename }" }).to_string().into_bytes()];
    let baseline_answers = Arc::new(expected(&uncached.addr, &baseline).await);
    let by_id_answers = Arc::new(expected(&uncached.addr, &by_id).await);
    let page_answers = Arc::new(expected(&uncached.addr, &pages).await);

    let rounds = env_or("BENCH_ROUNDS", 3).max(1);
    println!();
    println!(
        "catalog subgraph on PostgreSQL, {PRODUCTS} products, {} concurrent clients, {} s per measurement, {rounds} rounds",
        env_or("BENCH_CONCURRENCY", 50),
        env_or("BENCH_SECONDS", 5)
    );
    println!(
        "{:<16} {:<7} {:>10} {:>10} {:>10} {:>9} {:>8}",
        "query", "cache", "req/s", "p50 ms", "p99 ms", "requests", "failed"
    );
    let floor = measure(&cached.addr, &baseline, &baseline_answers).await;
    row("{ __typename }", "-", &floor);
    let mut all_ok = floor.ok();
    let scenarios: [Scenario<'_>; 2] =
        [("product by id", &by_id, &by_id_answers), ("filtered page", &pages, &page_answers)];
    let mut results: Vec<Vec<(Report, Report)>> = vec![Vec::new(); scenarios.len()];
    for round in 1..=rounds {
        println!("round {round}");
        for (i, (name, bodies, answers)) in scenarios.iter().enumerate() {
            let hit = measure(&cached.addr, bodies, answers).await;
            row(name, "cached", &hit);
            let miss = measure(&uncached.addr, bodies, answers).await;
            row(name, "none", &miss);
            all_ok &= hit.ok() && miss.ok();
            results[i].push((hit, miss));
        }
    }
    println!();
    println!("median over {rounds} rounds:");
    for (i, (name, _, _)) in scenarios.iter().enumerate() {
        let hit = median(results[i].iter().map(|r| r.0.rps).collect());
        let miss = median(results[i].iter().map(|r| r.1.rps).collect());
        let ratio = median(results[i].iter().map(|r| r.0.rps / r.1.rps).collect());
        let hit_p99 = median(results[i].iter().map(|r| r.0.p99.as_secs_f64() * 1e3).collect());
        let miss_p99 = median(results[i].iter().map(|r| r.1.p99.as_secs_f64() * 1e3).collect());
        println!(
            "  {name:<14} cached {hit:>8.0} req/s (p99 {hit_p99:.2} ms), uncached {miss:>7.0} req/s (p99 {miss_p99:.2} ms), cached/uncached {ratio:.1}x"
        );
    }
    println!("every response correct: {}", if all_ok { "yes" } else { "NO" });
    drop(cached);
    drop(uncached);
    if !all_ok {
        std::process::exit(1);
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}
