//! One checkout, one trace: a gateway, the catalog, the orders service and the payment provider
//! as processes of their own on PostgreSQL, Redis and the shared broker, every one exporting
//! its spans to an OTLP receiver in this test. The client's `traceparent` on `placeOrder` must
//! reach every span the checkout causes, through HTTP, the outbox rows, the broker's headers,
//! the consumers and the carrier's moves, each span a child of the one that caused it, and the
//! gateway's live answers to a subscriber continue it too.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use braid_testkit::otlp::{OtlpReceiver, ReceivedSpan};
use braid_testkit::process::{BraidProcess, free_addr};
use braid_testkit::stream::Stream;
use braid_testkit::{broker, db::TestDb, jwt, redis_prefix};
use serde_json::{Value, json};

const BRAID: &str = env!("CARGO_BIN_EXE_braid");

/// The settings every process shares: traces to `receiver`, sent every 100 ms.
fn traced(receiver: &OtlpReceiver) -> Vec<(&'static str, String)> {
    vec![
        ("BRAID_TELEMETRY__OTLP_ENDPOINT", receiver.endpoint.clone()),
        ("BRAID_TELEMETRY__EXPORT_INTERVAL_MS", "100".into()),
        ("BRAID_AUTH__PUBLIC_KEY_PEM", jwt::PUBLIC_PEM.to_string()),
        ("BRAID_AUTH__ISSUER", jwt::ISSUER.to_string()),
        ("BRAID_AUTH__AUDIENCE", jwt::AUDIENCE.to_string()),
    ]
}

fn subgraph(receiver: &OtlpReceiver, db: &TestDb, topics: &str, redis: &str) -> Vec<(&'static str, String)> {
    let mut env = traced(receiver);
    env.extend([
        ("BRAID_DATABASE__URL", db.url.clone()),
        ("BRAID_EVENTS__BACKEND", "kafka".into()),
        ("BRAID_EVENTS__BROKERS", broker::shared()),
        ("BRAID_EVENTS__TOPIC_PREFIX", topics.to_string()),
        ("BRAID_EVENTS__RELAY_INTERVAL_MS", "50".into()),
        ("BRAID_CACHE__BACKEND", "redis".into()),
        ("BRAID_CACHE__URL", redis_prefix::url()),
        ("BRAID_CACHE__KEY_PREFIX", redis.to_string()),
    ]);
    env
}

struct Cluster {
    gateway: String,
    catalog: String,
    /// The orders service's log (JSON lines).
    orders_log: std::path::PathBuf,
    _processes: Vec<BraidProcess>,
    _dbs: (TestDb, TestDb),
    _redis: redis_prefix::RedisPrefix,
}

async fn start(receiver: &OtlpReceiver) -> Cluster {
    let (catalog_db, orders_db, redis) =
        (TestDb::create().await, TestDb::create().await, redis_prefix::RedisPrefix::new());
    let topics = broker::topic_prefix();
    let [provider, catalog, orders, gateway] = [free_addr(), free_addr(), free_addr(), free_addr()];
    let provider_process =
        BraidProcess::start(BRAID.as_ref(), &["payment-provider", "--listen", &provider], &traced(receiver), &provider);
    let catalog_env = subgraph(receiver, &catalog_db, &topics, &redis.prefix);
    let catalog_process =
        BraidProcess::start(BRAID.as_ref(), &["subgraph", "catalog", "--listen", &catalog], &catalog_env, &catalog);
    let mut orders_env = subgraph(receiver, &orders_db, &topics, &redis.prefix);
    orders_env.extend([
        ("BRAID_ORDERS__CATALOG_URL", format!("http://{catalog}/graphql")),
        ("BRAID_ORDERS__TIMER_INTERVAL_MS", "100".into()),
        ("BRAID_PAYMENT__URL", format!("http://{provider}")),
        ("BRAID_SHIPPING__STEP_MS", "200".into()),
        ("BRAID_LOG_FORMAT", "json".into()),
    ]);
    let orders_log = std::env::temp_dir().join(format!("{}.log", braid_testkit::unique("braid-orders-")));
    let orders_process = BraidProcess::start_logged(
        BRAID.as_ref(),
        &["subgraph", "orders", "--listen", &orders],
        &orders_env,
        &orders,
        (&orders_log, "info"),
    );
    let mut gateway_env = traced(receiver);
    gateway_env.extend([
        ("BRAID_SUBGRAPHS__CATALOG__URL", format!("http://{catalog}/graphql")),
        ("BRAID_SUBGRAPHS__ORDERS__URL", format!("http://{orders}/graphql")),
        ("BRAID_EVENTS__BACKEND", "kafka".into()),
        ("BRAID_EVENTS__BROKERS", broker::shared()),
        ("BRAID_EVENTS__TOPIC_PREFIX", topics.clone()),
    ]);
    let supergraph = braid_testkit::repo_root().join("schema/supergraph.graphql");
    let args = ["gateway", "--supergraph", supergraph.to_str().unwrap(), "--listen", &gateway];
    let gateway_process = BraidProcess::start(BRAID.as_ref(), &args, &gateway_env, &gateway);
    let connect = sea_orm::Database::connect(catalog_db.url.clone()).await.expect("catalog database");
    braid_catalog::seed::seed(&connect, 0).await.expect("categories");
    Cluster {
        gateway: format!("http://{gateway}/graphql"),
        catalog: format!("http://{catalog}/graphql"),
        orders_log,
        _processes: vec![gateway_process, orders_process, catalog_process, provider_process],
        _dbs: (catalog_db, orders_db),
        _redis: redis,
    }
}

async fn call(url: &str, token: &str, headers: &[(&str, &str)], query: &str, variables: Value) -> Value {
    let mut request = reqwest::Client::new().post(url).bearer_auth(token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body: Value =
        request.json(&json!({ "query": query, "variables": variables })).send().await.unwrap().json().await.unwrap();
    assert!(body.get("errors").is_none(), "{query}: {body}");
    body["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_is_one_trace_from_the_click_to_the_shipment() {
    let receiver = OtlpReceiver::start().await;
    let cluster = start(&receiver).await;
    let admin = jwt::token("admin", &["catalog:write"]);
    let input = json!({
        "sku": "TRACE-1", "name": "Traced", "price": { "amount": "4.50", "currency": "EUR" },
        "categoryId": braid_catalog::seed::category_id("books"), "initialStock": 10, "lowStockThreshold": 1
    });
    let create = "mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }";
    let product = call(&cluster.catalog, &admin, &[], create, json!({ "input": input })).await;
    let product = product["createProduct"]["id"].as_str().unwrap().to_string();

    let buyer = jwt::token("7001", &[]);
    // The buyer's page follows their orders live: the gateway answers each order event with a
    // query of its own, which continues the event's trace.
    let live = "subscription Live { myOrders { id status } }";
    let mut stream = Stream::open(&cluster.gateway, &buyer, "text/event-stream", live, json!({}), None).await;
    let add = "mutation($p: ID!) { addToCart(productId: $p, quantity: 2) { itemCount } }";
    call(&cluster.gateway, &buyer, &[], add, json!({ "p": product })).await;
    // The browser's click: a span of the web app's, sampled.
    let (trace, click) =
        (format!("{:032x}", rand::random::<u128>() | 1), format!("{:016x}", rand::random::<u64>() | 1));
    let traceparent = format!("00-{trace}-{click}-01");
    let place = "mutation Checkout($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }";
    let address =
        json!({ "name": "Trace", "line1": "1 Span Street", "city": "Berlin", "postalCode": "10115", "country": "DE" });
    let vars = json!({ "i": { "idempotencyKey": uuid::Uuid::new_v4().to_string(), "shippingAddress": address } });
    let placed = call(&cluster.gateway, &buyer, &[("traceparent", &traceparent)], place, vars).await;
    let order = placed["placeOrder"]["id"].as_str().unwrap().to_string();

    let first = stream.event(Duration::from_secs(60)).await.expect("the order's first update, live");
    assert_eq!(first.data["data"]["myOrders"]["id"], order.as_str(), "{first:?}");
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = "query($id: ID!) { order(id: $id) { status } }";
    loop {
        let data = call(&cluster.gateway, &buyer, &[], status, json!({ "id": order })).await;
        if data["order"]["status"] == "COMPLETED" {
            break;
        }
        assert!(Instant::now() < deadline, "the order did not complete: {data}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The saga's last answer (the shipment delivered) is consumed by orders; each process
    // sends its spans within 100 ms of their end.
    let spans = eventually_trace(&receiver, &trace, |spans| {
        delivered(spans).is_some() && live_answer(spans).is_some() && all_parented(spans, &click)
    })
    .await;
    check_the_chain(&spans, &click);
    logs_carry_the_trace_id(&cluster, &buyer).await;
}

/// A log line written inside a request's spans (here a resolver's error, which async-graphql's
/// tracing extension logs) names the trace, so logs and traces can be joined.
async fn logs_carry_the_trace_id(cluster: &Cluster, buyer: &str) {
    let trace = format!("{:032x}", rand::random::<u128>() | 1);
    let traceparent = format!("00-{trace}-{:016x}-01", rand::random::<u64>() | 1);
    let body = json!({ "query": "query Missing { order(id: \"no-such-order\") { status } }" });
    let request = reqwest::Client::new().post(&cluster.gateway).bearer_auth(buyer).header("traceparent", traceparent);
    let answer: Value = request.json(&body).send().await.unwrap().json().await.unwrap();
    assert!(answer["errors"][0]["message"].is_string(), "{answer}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = std::fs::read_to_string(&cluster.orders_log).unwrap_or_default();
        let line = log.lines().find(|line| line.contains(&trace));
        if let Some(line) = line {
            let line: Value = serde_json::from_str(line).expect("a JSON log line");
            let spans = line["spans"].as_array().expect("the line's spans");
            assert!(spans.iter().any(|s| s["trace_id"] == trace.as_str()), "{line}");
            break;
        }
        assert!(Instant::now() < deadline, "no log line of orders names the trace {trace}:\n{log}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = std::fs::remove_file(&cluster.orders_log);
}

/// The parent of `span` among `spans`.
fn parent<'a>(spans: &'a [ReceivedSpan], span: &ReceivedSpan) -> Option<&'a ReceivedSpan> {
    spans.iter().find(|p| p.span_id == span.parent_span_id)
}

/// Whether `span` is below `ancestor`.
fn descends<'a>(spans: &'a [ReceivedSpan], mut span: &'a ReceivedSpan, ancestor: &ReceivedSpan) -> bool {
    while let Some(p) = parent(spans, span) {
        if p.span_id == ancestor.span_id {
            return true;
        }
        span = p;
    }
    false
}

fn attribute<'a>(span: &'a ReceivedSpan, key: &str) -> &'a str {
    span.attributes.get(key).map_or("", String::as_str)
}

/// Orders' consumption of the carrier's news that the shipment was delivered.
fn delivered(spans: &[ReceivedSpan]) -> Option<&ReceivedSpan> {
    spans.iter().find(|s| {
        s.kind == "consumer"
            && s.service == "braid-orders"
            && attribute(s, "messaging.destination.name").ends_with("shipping.shipment")
            && spans.iter().any(|m| {
                m.name == "shipment.move" && attribute(m, "shipment.status") == "DELIVERED" && descends(spans, s, m)
            })
    })
}

/// The gateway's answer to a subscriber for an order event: its request span, a child of the
/// gateway's reading of the event.
fn live_answer(spans: &[ReceivedSpan]) -> Option<&ReceivedSpan> {
    spans.iter().find(|s| {
        s.service == "braid-gateway"
            && s.kind == "server"
            && parent(spans, s).is_some_and(|p| p.kind == "consumer" && p.service == "braid-gateway")
    })
}

/// Every span's parent is in the trace, but the first one's (the click, in the browser).
fn all_parented(spans: &[ReceivedSpan], click: &str) -> bool {
    spans.iter().all(|s| s.parent_span_id == click || parent(spans, s).is_some())
}
/// The spans of `trace` once `done` holds for them (within 30 s).
async fn eventually_trace(
    receiver: &OtlpReceiver,
    trace: &str,
    done: impl Fn(&[ReceivedSpan]) -> bool,
) -> Vec<ReceivedSpan> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let spans = receiver.trace(trace);
        if done(&spans) {
            return spans;
        }
        assert!(Instant::now() < deadline, "the trace is incomplete: {}", outline(&spans));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The trace's spans as `service: name (kind) <- parent name`, one per line, for failures.
fn outline(spans: &[ReceivedSpan]) -> String {
    let by_id: HashMap<&str, &ReceivedSpan> = spans.iter().map(|s| (s.span_id.as_str(), s)).collect();
    spans
        .iter()
        .map(|s| {
            let parent = by_id.get(s.parent_span_id.as_str()).map_or(s.parent_span_id.as_str(), |p| p.name.as_str());
            format!("  {}: {} ({}) <- {parent}", s.service, s.name, s.kind)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The checkout's causal chain, each link found among the spans and checked against its parent.
fn check_the_chain(spans: &[ReceivedSpan], click: &str) {
    let trace = outline(spans);
    let find = |what: &str, test: &dyn Fn(&ReceivedSpan) -> bool| -> &ReceivedSpan {
        spans.iter().find(|s| test(s)).unwrap_or_else(|| panic!("no span {what} in the trace:\n{trace}"))
    };
    let under = |s: &ReceivedSpan, ancestor: &ReceivedSpan| descends(spans, s, ancestor);
    let topic = |s: &ReceivedSpan, suffix: &str| attribute(s, "messaging.destination.name").ends_with(suffix);

    // The gateway's request, a child of the click, through its stages to the fetch to orders.
    let request = find("gateway request", &|s| s.service == "braid-gateway" && s.kind == "server");
    assert_eq!(request.parent_span_id, click, "the gateway continues the client's span:\n{trace}");
    assert_eq!(request.name, "mutation Checkout", "named after the operation:\n{trace}");
    for stage in ["graphql.prepare", "graphql.execute", "graphql.respond"] {
        let stage = find(stage, &|s| s.service == "braid-gateway" && s.name == stage);
        assert_eq!(stage.parent_span_id, request.span_id, "{} under the request:\n{trace}", stage.name);
    }
    let fetch = find("fetch to orders", &|s| s.name == "subgraph.fetch" && attribute(s, "subgraph.name") == "orders");
    assert!(under(fetch, request), "the fetch under the request:\n{trace}");

    // Orders serves the fetch: its request span is the fetch's child; the resolver and its
    // database calls are under it.
    let served = find("orders request", &|s| s.service == "braid-orders" && s.kind == "server");
    assert_eq!(served.parent_span_id, fetch.span_id, "orders continues the fetch:\n{trace}");
    let resolver =
        find("placeOrder resolver", &|s| s.service == "braid-orders" && attribute(s, "path") == "placeOrder");
    assert!(under(resolver, served), "the resolver under the request:\n{trace}");
    let insert = find("an INSERT by placeOrder", &|s| {
        s.service == "braid-orders" && attribute(s, "db.operation") == "INSERT" && under(s, resolver)
    });
    assert_eq!(insert.kind, "client");

    // The saga's first command, written with the order: published by orders' relay under the
    // request that wrote it, consumed by the catalog (the stock reservation) under the publishing.
    let reserved = find("the catalog's consumer of the saga's command", &|s| {
        s.kind == "consumer" && s.service == "braid-catalog" && topic(s, "stock.command") && under(s, served)
    });
    let published = parent(spans, reserved).unwrap();
    assert_eq!((published.service.as_str(), published.kind), ("braid-orders", "producer"), "{trace}");
    assert!(under(published, resolver), "published under the resolver that wrote the row:\n{trace}");

    // Payment: orders' payment participant calls the provider within the checkout's trace.
    let capture = find("the capture call", &|s| s.kind == "client" && s.name == "POST /v1/captures");
    assert!(under(capture, request), "the capture under the click's request:\n{trace}");

    // The shipment: the carrier's moves continue the trace to the saga's last answer.
    let shipped = delivered(spans).unwrap();
    assert!(under(shipped, request), "the delivery under the click's request:\n{trace}");
    // The live subscription: the gateway's reading of an order event, a child of orders'
    // publishing, and the subscriber's answer under it, fetching from orders.
    let answer = live_answer(spans).unwrap();
    let reading = parent(spans, answer).unwrap();
    let published = parent(spans, reading).expect("the event's publishing");
    assert!(topic(reading, "orders.order") && published.kind == "producer", "{trace}");
    assert!(under(reading, request), "the event under the click's request:\n{trace}");
    assert!(spans.iter().any(|s| s.name == "subgraph.fetch" && under(s, answer)), "the answer's fetch:\n{trace}");
    for service in ["braid-gateway", "braid-orders", "braid-catalog"] {
        assert!(spans.iter().any(|s| s.service == service), "{service} in the trace:\n{trace}");
    }
}
