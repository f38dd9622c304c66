//! Subscriptions at scale: `BENCH_SUBSCRIBERS` (10,000) WebSocket clients on one gateway
//! process, each subscribed to `orderUpdated` of an order of its own, while `BENCH_RATE`
//! (1,000) order events a second are written to an outbox on PostgreSQL for `BENCH_SECONDS`
//! (20), and the outbox relay publishes them to a tansu broker the gateway reads. Prints the
//! gateway's memory with every subscriber idle and under load, how many events were published
//! and delivered, and p50/p99/max from the outbox write until the client has the event.
//!
//! The orders subgraph is a stub answering `order(id:)` at once, so that what is measured is
//! the relay, the broker, the gateway's reading, fan-out, per-event query and socket.
//!
//! `cargo bench --bench subscriptions` (needs PostgreSQL and tansu; `scripts/test.sh` installs
//! and starts them). For a heap profile of the idle subscribers: `BENCH_IDLE_ONLY=1
//! BENCH_GATEWAY_WRAPPER="heaptrack -o /tmp/gateway" cargo bench --bench subscriptions
//! --features system-alloc`: the gateway is killed once they are idle, so what heaptrack
//! reports as leaked is what they held.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::{EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject};
use braid_kit::events::{DomainEvent, Envelope, EventBus, OutboxSignal, Relay, outbox};
use braid_migrations::MigratorTrait;
use braid_testkit::{broker::Tansu, db::TestDb, jwt};
use futures::{SinkExt, StreamExt};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// An order's status change, as the orders service writes it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderUpdated {
    order_id: String,
    buyer_id: String,
    status: String,
}

impl DomainEvent for OrderUpdated {
    const TYPE: &'static str = "orders.order.updated.v1";
    fn subject(&self) -> String {
        self.order_id.clone()
    }
}

/// The stub orders subgraph: every order exists and is PENDING (the events' own status is
/// what subscribers see).
struct Query;

#[derive(SimpleObject)]
struct Order {
    id: ID,
    status: String,
}

#[Object]
impl Query {
    async fn order(&self, id: ID) -> Option<Order> {
        Some(Order { id, status: "PENDING".into() })
    }
}

async fn stub_orders() -> String {
    let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(move |body: axum::Json<async_graphql::Request>| {
            let schema = schema.clone();
            async move { axum::Json(schema.execute(body.0).await) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/graphql", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// The gateway process's resident memory, in MiB.
fn rss_mib(pid: u32) -> f64 {
    proc_mib(&format!("/proc/{pid}/status"), "VmRSS:")
}

/// Of the resident memory, what is the process's own (heap, stacks), not the binary's pages.
fn anonymous_mib(pid: u32) -> f64 {
    proc_mib(&format!("/proc/{pid}/smaps_rollup"), "Anonymous:")
}

/// A `kB` field of a /proc file, in MiB.
fn proc_mib(path: &str, field: &str) -> f64 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let kib: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// The `braid` process listening on `port` (under a wrapper, not the wrapper).
fn gateway_pid(port: u16) -> Option<String> {
    let listen = format!("127.0.0.1:{port}");
    std::fs::read_dir("/proc").into_iter().flatten().flatten().find_map(|entry| {
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        (comm.trim() == "braid" && String::from_utf8_lossy(&cmdline).contains(&listen))
            .then(|| entry.file_name().to_string_lossy().into_owned())
    })
}

/// The gateway process (and the wrapper it may run under), killed when dropped: a panic in the
/// bench does not leave it running. Killed, under a profiler too: no shutdown frees what the
/// subscribers hold.
struct Running {
    child: std::process::Child,
    port: u16,
}

impl Running {
    /// The `braid` process's id (not its wrapper's).
    fn pid(&self) -> u32 {
        gateway_pid(self.port).and_then(|pid| pid.parse().ok()).unwrap_or(self.child.id())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-KILL", &self.pid().to_string()]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A gauge or counter from the gateway's `/metrics`.
async fn metric(http: &reqwest::Client, base: &str, name: &str) -> f64 {
    let text = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines().filter(|l| l.starts_with(name)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
}

/// When each (order, n-th event) was written.
type Written = Arc<Mutex<HashMap<(u32, u32), Instant>>>;

/// One subscriber: connects, subscribes to `orderUpdated(id: o{i})` and records, for every
/// event it gets, the time since it was written.
async fn subscriber(
    ws: String,
    token: String,
    i: u32,
    written: Written,
    latencies: Arc<Mutex<Vec<u32>>>,
    delivered: Arc<AtomicU64>,
) {
    let mut request = ws.into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("a socket");
    let init = json!({"type": "connection_init", "payload": {"token": token}});
    socket.send(Message::Text(init.to_string().into())).await.unwrap();
    let query = format!("subscription {{ orderUpdated(id: \"o{i}\") {{ status }} }}");
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": query}});
    socket.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    let mut n = 0u32;
    while let Some(Ok(frame)) = socket.next().await {
        let Message::Text(text) = frame else { continue };
        let message: Value = serde_json::from_str(&text).unwrap_or_default();
        match message["type"].as_str() {
            Some("next") => {
                let at = written.lock().unwrap().get(&(i, n)).copied();
                if let Some(at) = at {
                    latencies.lock().unwrap().push(at.elapsed().as_micros() as u32);
                }
                delivered.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
            Some("ping") => {
                let _ = socket.send(Message::Text(r#"{"type":"pong"}"#.into())).await;
            }
            Some("error") => panic!("subscriber {i}: {message}"),
            _ => {}
        }
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let subscribers = env_or("BENCH_SUBSCRIBERS", 10_000) as u32;
    let rate = env_or("BENCH_RATE", 1_000);
    let seconds = env_or("BENCH_SECONDS", 20);
    let connect_rate = env_or("BENCH_CONNECT_RATE", 10_000);
    let mut tansu = Tansu::start();
    let prefix = format!("bench{}.", std::process::id());
    let orders_url = stub_orders().await;

    // The gateway, its own process.
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("braid-bench-subscriptions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let supergraph = braid_testkit::repo_root().join("schema/supergraph.graphql");
    let config = format!(
        "[supergraph]\npath = {supergraph:?}\nhot_reload = false\n\n[subgraphs.orders]\nurl = {orders_url:?}\n\n\
         [auth]\npublic_key_pem = {pem:?}\nissuer = {issuer:?}\naudience = {audience:?}\n\n\
         [events]\nbackend = \"kafka\"\nbrokers = {brokers:?}\ntopic_prefix = {prefix:?}\n\n\
         [websocket]\nmax_connections = {max}\n",
        pem = jwt::PUBLIC_PEM,
        issuer = jwt::ISSUER,
        audience = jwt::AUDIENCE,
        brokers = tansu.address(),
        max = subscribers + 100,
    );
    std::fs::write(dir.join("gateway.toml"), config).unwrap();
    let wrapper = std::env::var("BENCH_GATEWAY_WRAPPER").unwrap_or_default();
    let mut command = match wrapper.split_whitespace().collect::<Vec<_>>().split_first() {
        Some((program, args)) => {
            let mut command = std::process::Command::new(program);
            command.args(args).arg(env!("CARGO_BIN_EXE_braid"));
            command
        }
        None => std::process::Command::new(env!("CARGO_BIN_EXE_braid")),
    };
    let child = command
        .args(["gateway", "--config"])
        .arg(dir.join("gateway.toml"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("braid gateway starts");
    let gateway = Running { child, port };
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(format!("{base}/health")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = rss_mib(gateway.pid());

    // The outbox and its relay.
    let db_test = TestDb::create().await;
    let db = braid_kit::db::connect(&braid_kit::config::DatabaseConfig {
        url: db_test.url.clone(),
        max_connections: 8,
        migrate: true,
        ..Default::default()
    })
    .await
    .unwrap();
    braid_migrations::orders::Migrator::up(&db, None).await.unwrap();
    let events = braid_kit::config::EventsConfig {
        backend: braid_kit::config::EventsBackend::Kafka,
        brokers: tansu.address(),
        topic_prefix: prefix.clone(),
        ..Default::default()
    };
    let bus: Arc<dyn EventBus> = Arc::new(braid_kit::events::kafka::KafkaBus::new(&events).unwrap());
    let signal = OutboxSignal::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let relay = Relay::new(db.clone(), bus.clone(), signal.clone(), &events);
    let relay = tokio::spawn(relay.run(async move {
        let mut stopped = stopped;
        let _ = stopped.wait_for(|s| *s).await;
    }));
    let write = |batch: Vec<OrderUpdated>| {
        let (db, signal) = (db.clone(), signal.clone());
        async move {
            let txn = db.begin().await.unwrap();
            for event in &batch {
                outbox::append(&txn, &Envelope::new("/bench", event)).await.unwrap();
            }
            txn.commit().await.unwrap();
            signal.committed();
        }
    };

    // The subscribers, and one more on an order of its own for the warm-up.
    let written: Written = Arc::default();
    let latencies: Arc<Mutex<Vec<u32>>> = Arc::default();
    let delivered = Arc::new(AtomicU64::new(0));
    let ws = format!("ws://127.0.0.1:{port}/graphql");
    let started = Instant::now();
    let tokens: Vec<String> = {
        let chunks: Vec<Vec<u32>> = (0..=subscribers).collect::<Vec<_>>().chunks(1_000).map(<[u32]>::to_vec).collect();
        let signed = chunks.into_iter().map(|chunk| {
            tokio::task::spawn_blocking(move || {
                chunk.iter().map(|i| jwt::token(&format!("b{i}"), &[])).collect::<Vec<_>>()
            })
        });
        futures::future::join_all(signed).await.into_iter().flat_map(Result::unwrap).collect()
    };
    let warm_delivered = Arc::new(AtomicU64::new(0));
    // Clients connect at `connect_rate` a second, in ticks of 20 ms.
    let per_tick = (connect_rate / 50).max(1) as u32;
    for (i, token) in tokens.into_iter().enumerate() {
        let i = i as u32;
        let counted = if i == subscribers { warm_delivered.clone() } else { delivered.clone() };
        tokio::spawn(subscriber(ws.clone(), token, i, written.clone(), latencies.clone(), counted));
        if i % per_tick == per_tick - 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    while metric(&http, &base, "braid_gateway_subscriptions_active").await < f64::from(subscribers + 1) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(started.elapsed() < Duration::from_secs(300), "subscribers did not all register");
    }
    println!(
        "subscriptions: {subscribers} WebSocket subscribers registered in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = rss_mib(gateway.pid());
    let idle_anonymous = anonymous_mib(gateway.pid());
    if std::env::var_os("BENCH_IDLE_ONLY").is_some() {
        let pid = gateway.pid();
        let files = std::fs::read_dir(format!("/proc/{pid}/fd")).map(Iterator::count).unwrap_or(0);
        println!(
            "  gateway memory: {before:.0} MiB before any subscriber, {idle:.0} MiB with {subscribers} idle subscribers ({idle_anonymous:.0} MiB anonymous), {files} open files"
        );
        drop(gateway);
        tansu.stop();
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }

    // The gateway's group reads from the latest offsets once assigned: events for the warm-up
    // order until its subscriber has one.
    let warm = format!("o{subscribers}");
    let mut tries = 0u32;
    while warm_delivered.load(Ordering::Relaxed) == 0 {
        tries += 1;
        let status = if tries.is_multiple_of(2) { "PAID" } else { "SHIPPING" };
        write(vec![OrderUpdated {
            order_id: warm.clone(),
            buyer_id: format!("b{subscribers}"),
            status: status.into(),
        }])
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    latencies.lock().unwrap().clear();

    // The load: `rate` events a second in ticks of 10 ms, round-robin over the orders; each
    // order's events alternate their status, so every one changes what its subscriber sees.
    let per_tick = (rate / 100).max(1);
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let mut next: HashMap<u32, u32> = HashMap::new();
    let (mut published, mut cursor, mut peak) = (0u64, 0u32, idle);
    let until = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < until {
        tick.tick().await;
        let mut batch = Vec::new();
        {
            let mut written = written.lock().unwrap();
            for _ in 0..per_tick {
                let i = cursor % subscribers;
                cursor += 1;
                let n = next.entry(i).or_default();
                let status = if n.is_multiple_of(2) { "PAID" } else { "SHIPPING" };
                written.insert((i, *n), Instant::now());
                *n += 1;
                batch.push(OrderUpdated {
                    order_id: format!("o{i}"),
                    buyer_id: format!("b{i}"),
                    status: status.into(),
                });
            }
        }
        published += batch.len() as u64;
        write(batch).await;
        if published % (rate * 2) < per_tick {
            peak = peak.max(rss_mib(gateway.pid()));
        }
    }
    let drained = Instant::now();
    while delivered.load(Ordering::Relaxed) < published && drained.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut sorted = latencies.lock().unwrap().clone();
    sorted.sort_unstable();
    println!("subscriptions: {rate} events/s for {seconds} s (outbox on PostgreSQL, relay, tansu, one gateway)");
    println!(
        "  gateway memory: {before:.0} MiB before any subscriber, {idle:.0} MiB with {subscribers} idle subscribers ({idle_anonymous:.0} MiB of it anonymous: heap and stacks), {peak:.0} MiB at most under load"
    );
    println!("  published {published}, delivered {}", delivered.load(Ordering::Relaxed));
    println!(
        "  outbox write -> client: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&sorted, 0.50),
        percentile(&sorted, 0.99),
        percentile(&sorted, 1.0)
    );
    let _ = stop.send(true);
    let _ = relay.await;
    drop(gateway);
    tansu.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
