//! Entity cache benchmark: a catalog-heavy federated query (products with their stock from
//! inventory and their reviews and authors from reviews and accounts) through two Braid
//! gateways, one with the entity cache off and one with it on (the in-process tier), measured
//! one after the other in each round, the order swapped every round.
//!
//! `cargo bench --bench entity_cache`. Nothing else to start: the four demo subgraphs run in this
//! process, each taking `BENCH_SUBGRAPH_MS` per request before it answers (as a subgraph does
//! that asks its database; 0 measures in-memory subgraphs that answer in microseconds, where
//! the gateway's own work is all there is to save), and a writer raises one product's price every `1 / BENCH_WRITES` seconds during
//! every measurement, then asks the cached gateway to evict that product (the invalidation
//! endpoint, as an event consumer would). Every answer is checked: no `errors`, and no price older
//! than one the writer had raised and evicted half a second before the answer came (longer than
//! any request takes: a stale read, counted and shown; any makes the bench exit 1). The hit rate is read off the
//! cached gateway's `/metrics`.
//!
//! `BENCH_WORKLOAD=pages` asks each product's page in turn instead (`product(upc: $upc)` with the
//! same fields), so that a price change evicts that product's page and entities only.
//!
//! Environment: `BENCH_SECONDS` (5 per measurement, after a 1 s warm-up), `BENCH_ROUNDS` (3),
//! `BENCH_CONCURRENCY` (50), `BENCH_SCALE` (4: 20 products, 40 reviews), `BENCH_WRITES` (20 per
//! second), `BENCH_SUBGRAPH_MS` (5). Everything shares this machine's cores: ratios measured in one run hold, absolute
//! numbers do not carry to another machine.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::Duration;

use braid_test_subgraphs::{Options, PriceChanges, Subgraph, Supergraph};
use braid_testkit::load::{self, LoadSpec, Report};
use braid_testkit::process::{BraidProcess, free_addr};
use serde_json::{Value, json};

const BRAID: &str = env!("CARGO_BIN_EXE_braid");
const TOKEN: &str = "the-benchmark-invalidation-token";
const SUBGRAPHS: [Subgraph; 4] = [Subgraph::Accounts, Subgraph::Products, Subgraph::Inventory, Subgraph::Reviews];

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Prices as the writer left them: per product, the change every answer must show by now.
struct Floors {
    /// Product index by upc.
    index: HashMap<String, usize>,
    /// The first answer's price of each product.
    base: Vec<i32>,
    /// The change evicted at least one writer's period ago.
    settled: Vec<AtomicI32>,
    stale: AtomicU64,
    first_stale: std::sync::Mutex<Option<String>>,
}

impl Floors {
    /// Checks one answer's prices; an older price than settled is counted.
    fn check(&self, body: &[u8]) -> Result<(), String> {
        let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
        if value.get("errors").is_some() {
            return Err(format!("errors: {value}"));
        }
        let data = &value["data"];
        let products = match (data["topProducts"].as_array(), data.get("product")) {
            (Some(list), _) => list.iter().collect::<Vec<_>>(),
            (None, Some(product)) => vec![product],
            _ => return Err("no topProducts and no product".into()),
        };
        for product in products {
            let upc = product["upc"].as_str().ok_or("no upc")?;
            let index = *self.index.get(upc).ok_or("an unknown upc")?;
            let price = product["price"].as_i64().ok_or("no price")? as i32;
            if price < self.base[index] + self.settled[index].load(Ordering::SeqCst) {
                self.stale.fetch_add(1, Ordering::Relaxed);
                let mut first = self.first_stale.lock().unwrap();
                first.get_or_insert_with(|| {
                    format!(
                        "product {upc} at {price}, evicted at {}",
                        self.base[index] + self.settled[index].load(Ordering::SeqCst)
                    )
                });
            }
        }
        Ok(())
    }
}

/// The cached gateway's lookups so far: (hits, misses).
async fn lookups(client: &reqwest::Client, addr: &str) -> (f64, f64) {
    let text = client.get(format!("http://{addr}/metrics")).send().await.unwrap().text().await.unwrap();
    let count = |result: &str| -> f64 {
        text.lines()
            .filter(|l| {
                l.starts_with("braid_gateway_entity_cache_lookups_total{")
                    && l.contains(&format!("result=\"{result}\""))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    (count("hit"), count("miss"))
}

/// How long after its eviction a raised price must show in every answer: longer than any
/// request of the run takes, so that no request begun before the eviction counts as stale.
const SETTLE: Duration = Duration::from_millis(500);

/// Raises one product's price every `period`, in turn, until `stop`: evicts it from the cached
/// gateway, and [`SETTLE`] later sets the new price as the floor every answer must reach.
async fn writer(
    prices: Arc<PriceChanges>,
    floors: Arc<Floors>,
    cached: String,
    period: Duration,
    stop: tokio_util::sync::CancellationToken,
) -> u64 {
    let client = reqwest::Client::new();
    let mut writes = 0u64;
    let products = floors.base.len();
    let mut pending = std::collections::VecDeque::new();
    while !stop.is_cancelled() {
        // Products in a scrambled order: in turn, a writer faster than the readers' misses can
        // lock onto the readers (who ask the pages in turn too) and evict each page just before
        // they all reach it.
        let index = (writes.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize % products;
        let change = prices.raise(index);
        let upc = floors.index.iter().find(|(_, i)| **i == index).map(|(u, _)| u.clone()).unwrap_or_default();
        let eviction = json!([{"kind": "entity", "subgraph": "products", "type": "Product", "key": {"upc": upc}}]);
        let response =
            client.post(format!("http://{cached}/invalidation")).bearer_auth(TOKEN).json(&eviction).send().await;
        assert!(response.is_ok_and(|r| r.status().is_success()), "the invalidation endpoint answers");
        pending.push_back((std::time::Instant::now() + SETTLE, index, change));
        while pending.front().is_some_and(|(at, _, _)| *at <= std::time::Instant::now()) {
            if let Some((_, index, change)) = pending.pop_front() {
                floors.settled[index].fetch_max(change, Ordering::SeqCst);
            }
        }
        tokio::time::sleep(period).await;
        writes += 1;
    }
    writes
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let (seconds, rounds) = (env_or("BENCH_SECONDS", 5), env_or("BENCH_ROUNDS", 3) as usize);
    let (concurrency, scale) = (env_or("BENCH_CONCURRENCY", 50) as usize, env_or("BENCH_SCALE", 4) as u32);
    let period = Duration::from_secs_f64(1.0 / env_or("BENCH_WRITES", 20).max(1) as f64);
    let delay = Some(Duration::from_millis(env_or("BENCH_SUBGRAPH_MS", 5))).filter(|d| !d.is_zero());
    let products = 5 * scale as usize;
    let prices = PriceChanges::new(products);
    let mut urls = BTreeMap::new();
    for subgraph in SUBGRAPHS {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        urls.insert(subgraph.name().to_string(), format!("http://{}/graphql", listener.local_addr().unwrap()));
        let options = Options { scale, prices: Some(prices.clone()), delay, cache_tags: false };
        tokio::spawn(braid_test_subgraphs::serve(subgraph, listener, options, std::future::pending()));
    }
    let dir = std::env::temp_dir().join(braid_testkit::unique("braid-bench-entity-cache-"));
    std::fs::create_dir_all(&dir).unwrap();
    let supergraph = dir.join("supergraph.graphql");
    std::fs::write(&supergraph, supergraph_for(&urls)).unwrap();
    let path = supergraph.display().to_string();
    let start = |cache: bool| {
        let addr = free_addr();
        let mut env = vec![("BRAID_ENTITY_CACHE__BACKEND", if cache { "memory" } else { "none" }.to_string())];
        env.push(("BRAID_ENTITY_CACHE__INVALIDATION__TOKEN", TOKEN.to_string()));
        BraidProcess::start(Path::new(BRAID), &["gateway", "--supergraph", &path, "--listen", &addr], &env, &addr)
    };
    let (off, on) = (start(false), start(true));
    const FIELDS: &str = "upc name price weight inStock shippingEstimate reviews { id body author { id username } }";
    let list_query = format!("query Catalog {{ topProducts(first: {products}) {{ {FIELDS} }} }}");
    let list_body = json!({ "query": list_query }).to_string().into_bytes();
    let client = reqwest::Client::new();
    let reference = answer(&client, &off.addr, &list_body).await;
    let cached = answer(&client, &on.addr, &list_body).await;
    assert!(reference.get("errors").is_none(), "the reference answer has errors: {reference}");
    assert_eq!(reference, cached, "both gateways answer alike before the load");
    let list = reference["data"]["topProducts"].as_array().expect("products");
    // `pages`: each product's own page in turn, a product asked by its key.
    let pages = std::env::var("BENCH_WORKLOAD").is_ok_and(|w| w == "pages");
    let bodies: Vec<Vec<u8>> = match pages {
        false => vec![list_body],
        true => list
            .iter()
            .map(|p| {
                let query = format!("query Page($upc: String!) {{ product(upc: $upc) {{ {FIELDS} }} }}");
                json!({ "query": query, "variables": { "upc": p["upc"] } }).to_string().into_bytes()
            })
            .collect(),
    };
    let floors = Arc::new(Floors {
        index: list.iter().enumerate().map(|(i, p)| (p["upc"].as_str().unwrap().to_string(), i)).collect(),
        base: list.iter().map(|p| p["price"].as_i64().unwrap() as i32).collect(),
        settled: (0..list.len()).map(|_| AtomicI32::new(0)).collect(),
        stale: AtomicU64::new(0),
        first_stale: std::sync::Mutex::new(None),
    });
    println!(
        "entity cache benchmark: {products} products ({}), subgraphs answering after {} ms, concurrency \
         {concurrency}, {seconds} s x {rounds} rounds, a price raised and evicted every {} ms",
        if pages { "each product's page in turn" } else { "all in one list" },
        delay.unwrap_or_default().as_millis(),
        period.as_millis()
    );
    let mut results: BTreeMap<&str, Vec<Report>> = BTreeMap::new();
    let (mut hits, mut misses, mut writes) = (0.0, 0.0, 0);
    for round in 0..rounds {
        let order: [(&str, &BraidProcess); 2] = if round % 2 == 0 {
            [("cache off", &off), ("cache on", &on)]
        } else {
            [("cache on", &on), ("cache off", &off)]
        };
        for (name, gateway) in order {
            let before = lookups(&client, &on.addr).await;
            let stop = tokio_util::sync::CancellationToken::new();
            let writing = tokio::spawn(writer(prices.clone(), floors.clone(), on.addr.clone(), period, stop.clone()));
            let spec = LoadSpec {
                addr: gateway.addr.clone(),
                path: "/graphql".into(),
                bodies: bodies.clone(),
                concurrency,
                warmup: Duration::from_secs(1),
                duration: Duration::from_secs(seconds),
            };
            let checking = floors.clone();
            let report = load::run(
                &spec,
                Arc::new(move |_, status, body| {
                    if status != 200 {
                        return Err(format!("status {status}"));
                    }
                    checking.check(body)
                }),
            )
            .await;
            stop.cancel();
            writes += writing.await.unwrap();
            if name == "cache on" {
                let after = lookups(&client, &on.addr).await;
                hits += after.0 - before.0;
                misses += after.1 - before.1;
            }
            println!(
                "round {}: {name:9} {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  failures {}",
                round + 1,
                report.rps,
                ms(report.p50),
                ms(report.p99),
                report.failures
            );
            if let Some(failure) = &report.first_failure {
                println!("  first failure: {failure}");
            }
            results.entry(name).or_default().push(report);
        }
    }
    let median = |name: &str, f: fn(&Report) -> f64| {
        let mut values: Vec<f64> = results[name].iter().map(f).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let (rps_off, rps_on) = (median("cache off", |r| r.rps), median("cache on", |r| r.rps));
    let (p99_off, p99_on) = (median("cache off", |r| ms(r.p99)), median("cache on", |r| ms(r.p99)));
    let stale = floors.stale.load(Ordering::Relaxed);
    let failures: u64 = results.values().flatten().map(|r| r.failures).sum();
    println!("\nmedians over {rounds} rounds:");
    println!("  cache off: {rps_off:>8.0} req/s  p99 {p99_off:.2} ms");
    println!("  cache on:  {rps_on:>8.0} req/s  p99 {p99_on:.2} ms");
    println!("  RPS ratio (on / off): {:.2}x   p99 ratio (on / off): {:.2}", rps_on / rps_off, p99_on / p99_off);
    println!(
        "  hit rate with the cache on: {:.1}% ({hits:.0} hits, {misses:.0} misses)",
        100.0 * hits / (hits + misses).max(1.0)
    );
    println!("  writes (price raised and evicted): {writes}; stale reads: {stale}; failed requests: {failures}");
    if let Some(first) = floors.first_stale.lock().unwrap().as_ref() {
        println!("  first stale read: {first}");
    }
    let metrics = client.get(format!("http://{}/metrics", on.addr)).send().await.unwrap().text().await.unwrap();
    let shown = [
        "braid_gateway_entity_cache_lookups_total{",
        "braid_gateway_subgraph_fetch_seconds_sum{",
        "braid_gateway_subgraph_fetch_seconds_count{",
        "braid_gateway_subgraph_deduplicated_total{",
    ];
    for line in metrics.lines().filter(|l| shown.iter().any(|s| l.starts_with(s))) {
        println!("  {line}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    // Exiting skips destructors: the gateways are stopped first.
    drop((off, on));
    if stale > 0 || failures > 0 {
        std::process::exit(1);
    }
}

/// One answer outside the load.
async fn answer(client: &reqwest::Client, addr: &str, body: &[u8]) -> Value {
    let request = client.post(format!("http://{addr}/graphql")).header("content-type", "application/json");
    request.body(body.to_vec()).send().await.unwrap().json().await.unwrap()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The demo supergraph with every `@join__graph` URL replaced by the running subgraph's.
fn supergraph_for(urls: &BTreeMap<String, String>) -> String {
    Supergraph::Demo.sdl_with_urls(urls.iter().map(|(name, url)| (name.as_str(), url.as_str())))
}
