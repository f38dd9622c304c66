//! Order throughput and saga latency: 50 buyers place orders against the orders service for
//! `BENCH_SECONDS` (default 20), every service its own process on PostgreSQL, Redis and a
//! tansu broker, the simulated provider and carrier at zero latency. Each buyer places an
//! order and waits for it to end (polling its status every 100 ms, as an order page would)
//! before the next, so 50 orders are in flight at a time. Prints orders per second, the
//! p50/p99 time from `placeOrder` to COMPLETED (from the orders' own timelines) and where that
//! time goes, then the hot-product case: 200 buyers racing for a product with 50 units.
//!
//! `cargo bench --bench orders` (needs PostgreSQL, Redis and tansu; `scripts/test.sh` installs
//! and starts them). `BENCH_BUYERS` (default 50) sets the concurrency.

#[path = "../tests/chaos/procs.rs"]
#[allow(dead_code)] // the chaos test's builder; the benchmark injects no faults
mod procs;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use braid_orders::view::{OrderStatus, OrderView};
use braid_testkit::{broker::Tansu, db::TestDb, jwt, redis_prefix::RedisPrefix};
use procs::{Call, Cluster};
use sea_orm::EntityTrait;
use serde_json::json;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const ADDRESS: &str =
    r#"{ "name": "Bench", "line1": "1 Load Road", "city": "Berlin", "postalCode": "10115", "country": "DE" }"#;

async fn product(cluster: &Cluster, sku: &str, stock: i64) -> String {
    let token = jwt::token("admin", &["catalog:write"]);
    let input = json!({
        "sku": sku, "name": format!("Bench {sku}"), "price": { "amount": "1.00", "currency": "EUR" },
        "categoryId": braid_catalog::seed::category_id("books"), "initialStock": stock, "lowStockThreshold": 1
    });
    let q = "mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }";
    let reply = cluster.catalog_call(&token, q, json!({ "input": input })).await.expect("catalog answers");
    reply["data"]["createProduct"]["id"].as_str().expect("a product").to_string()
}

/// Adds one unit of `product` and places the cart; the order id, or the error code.
async fn buy(cluster: &Cluster, buyer: &str, product: &str) -> Result<String, String> {
    let token = jwt::token(buyer, &[]);
    let add = "mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { itemCount } }";
    if let Call::Error(code) = cluster.orders_call(&token, add, json!({ "p": product })).await {
        return Err(code);
    }
    let place = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }";
    let address: serde_json::Value = serde_json::from_str(ADDRESS).expect("an address");
    let vars = json!({ "i": { "idempotencyKey": uuid::Uuid::new_v4().to_string(), "shippingAddress": address } });
    match cluster.orders_call(&token, place, vars).await {
        Call::Data(d) => Ok(d["placeOrder"]["id"].as_str().unwrap_or_default().to_string()),
        Call::Error(code) => Err(code),
        Call::Down => Err("DOWN".into()),
    }
}

/// Waits, as the buyer's order page does, until the order has ended.
async fn ended(cluster: &Cluster, buyer: &str, id: &str) {
    let token = jwt::token(buyer, &[]);
    let q = "query($id: ID!) { order(id: $id) { status } }";
    loop {
        if let Call::Data(d) = cluster.orders_call(&token, q, json!({ "id": id })).await
            && matches!(d["order"]["status"].as_str(), Some("COMPLETED" | "FAILED" | "CANCELLED"))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
    }
}

/// How often a waiting buyer asks for its order's status.
const POLL_MS: u64 = 100;

/// Every order, once none is open any more.
async fn settled(cluster: &Cluster) -> Vec<OrderView> {
    loop {
        let rows = braid_orders::entity::order::Entity::find().all(&cluster.orders_db).await.expect("orders");
        let orders: Vec<OrderView> = rows.into_iter().map(|r| OrderView::from_row(r).expect("an order")).collect();
        if orders.iter().all(|o| o.status.is_terminal()) {
            return orders;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The median time from `placeOrder` to each kind of timeline entry: which step waits.
fn where_the_time_goes(orders: &[OrderView]) {
    let mut by_step: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    for o in orders {
        for e in &o.timeline {
            let ms = (e.at - o.placed_at).num_microseconds().unwrap_or(0) as f64 / 1000.0;
            by_step.entry(format!("{} {:?}", e.step, e.outcome)).or_default().push(ms);
        }
    }
    let mut rows: Vec<(f64, String)> = by_step
        .into_iter()
        .map(|(step, mut ms)| {
            ms.sort_by(f64::total_cmp);
            (percentile(&ms, 0.5), format!("{step} (x{})", ms.len()))
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!("median ms from placeOrder to each timeline entry:");
    for (ms, step) in rows {
        println!("  {ms:>9.0}  {step}");
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let broker = Tansu::start();
    let (catalog_db, orders_db, redis) = (TestDb::create().await, TestDb::create().await, RedisPrefix::new());
    let zero = [("BRAID_SHIPPING__STEP_MS", "0")];
    let cluster =
        Arc::new(Cluster::start(&broker.address(), &catalog_db.url, &orders_db.url, &redis.prefix, &zero).await);
    let products: Vec<String> = {
        let mut ids = Vec::new();
        for i in 0..50 {
            ids.push(product(&cluster, &format!("BENCH-{i}"), 1_000_000).await);
        }
        ids
    };
    let (seconds, buyers) = (env_or("BENCH_SECONDS", 20), env_or("BENCH_BUYERS", 50) as usize);
    println!("orders: {buyers} buyers for {seconds} s, every service its own process (catalog, orders, provider)");
    let placed = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..buyers)
        .map(|b| {
            let (cluster, products, placed) = (cluster.clone(), products.clone(), placed.clone());
            tokio::spawn(async move {
                let mut i = b;
                let me = format!("{}", 50_000 + b);
                while Instant::now() < deadline {
                    if let Ok(id) = buy(&cluster, &me, &products[i % products.len()]).await {
                        placed.fetch_add(1, Ordering::Relaxed);
                        ended(&cluster, &me, &id).await;
                    }
                    i += 1;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("a buyer");
    }
    let orders = settled(&cluster).await;
    let mut latencies: Vec<f64> = orders
        .iter()
        .filter(|o| o.status == OrderStatus::Completed)
        .map(|o| (o.updated_at - o.placed_at).num_microseconds().unwrap_or(0) as f64 / 1000.0)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let completed = latencies.len();
    println!(
        "| placed | per second | completed | placeOrder -> COMPLETED p50 ms | p99 ms |\n| ---: | ---: | ---: | ---: | ---: |\n| {} | {:.1} | {completed} | {:.0} | {:.0} |",
        placed.load(Ordering::Relaxed),
        placed.load(Ordering::Relaxed) as f64 / seconds as f64,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    );
    assert_eq!(completed, orders.len(), "every order completes when nothing fails");
    where_the_time_goes(&orders);

    // The hot product: 200 buyers, 50 units.
    let hot = product(&cluster, "HOT-1", 50).await;
    let before: std::collections::HashSet<String> = orders.iter().map(|o| o.id.clone()).collect();
    let attempts = futures::future::join_all((0..200).map(|b| {
        let (cluster, hot) = (cluster.clone(), hot.clone());
        async move { buy(&cluster, &format!("{}", 70_000 + b), &hot).await }
    }))
    .await;
    let refused = attempts.iter().filter(|a| a.as_ref().err().map(String::as_str) == Some("OUT_OF_STOCK")).count();
    let hot_orders: Vec<OrderView> = settled(&cluster).await.into_iter().filter(|o| !before.contains(&o.id)).collect();
    let done = hot_orders.iter().filter(|o| o.status == OrderStatus::Completed).count();
    let failed = hot_orders
        .iter()
        .filter(|o| o.status == OrderStatus::Failed && o.failure_reason.as_deref() == Some("OUT_OF_STOCK"))
        .count();
    println!(
        "hot product (50 units, 200 buyers): {} orders placed, {done} COMPLETED, {failed} FAILED with OUT_OF_STOCK \
         (stock released), {refused} refused OUT_OF_STOCK at placeOrder",
        hot_orders.len()
    );
    assert_eq!(done, 50, "exactly the units there were");
    assert_eq!(done + failed, hot_orders.len(), "every other order failed for want of stock");
    let ledger = cluster.ledger().await;
    assert!(ledger.iter().all(|e| e.captures <= 1), "no order charged twice");
    cluster.stop().await;
}
