//! The entity cache on the real backbone: two gateway instances sharing one Redis, each reading
//! the catalog's events from Kafka, readers hammering a product through both (as a root field
//! and as an order line's entity) while a writer changes its price through one of them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use braid_gateway::GatewayConfig;
use braid_gateway::config::EntityCacheBackend;
use braid_testkit::redis_prefix::RedisPrefix;
use braid_testkit::stream::Stream;
use braid_testkit::{eventually, jwt};
use serde_json::{Value, json};

use crate::gateway::Gateway;
use crate::stack::{Stack, Tuning, WAIT};

const BY_ID: &str = "query($p: ID!) { product(id: $p) { price { amount } } }";
const UPDATE: &str =
    "mutation($p: ID!, $a: Decimal!) { updateProduct(id: $p, input: {price: {amount: $a, currency: \"EUR\"}}) { id } }";
const BY_ORDER: &str = "query($o: ID!) { order(id: $o) { lines { product { price { amount } } } } }";
const UPDATES: u32 = 10;

/// One read: which instance, when it began, and the price it saw.
struct Read {
    instance: usize,
    began: Instant,
    price: f64,
}

async fn post(client: &reqwest::Client, gateway: &Gateway, token: &str, query: &str, variables: Value) -> Value {
    let response = client
        .post(format!("http://{}/graphql", gateway.addr))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

fn amount(value: &Value) -> f64 {
    value["price"]["amount"].as_str().and_then(|a| a.parse().ok()).unwrap_or_else(|| panic!("a price in {value}"))
}

#[tokio::test]
async fn once_either_instance_has_consumed_an_update_no_reader_through_it_sees_the_old_price() {
    let stack = Stack::start(Tuning::default()).await;
    let product = stack.product("CACHED-1", "10.00", 1_000).await;
    let buyer = "cache-buyer";
    stack.add(buyer, &product, 1).await.data();
    let order = stack.place(buyer, "cache-order").await.data()["placeOrder"]["id"].as_str().unwrap().to_string();
    stack.settled(buyer, &order).await;
    let redis = RedisPrefix::new();
    let cached = |c: &mut GatewayConfig| {
        c.entity_cache.backend = EntityCacheBackend::Redis;
        c.entity_cache.key_prefix = redis.prefix.clone();
    };
    let gateways = Arc::new([Gateway::start_with(&stack, cached).await, Gateway::start_with(&stack, cached).await]);
    // A subscriber hears of an event only after its instance has invalidated the cache for it.
    let watch = "subscription($p: ID!) { productChanged(ids: [$p]) { price { amount } } }";
    let mut heard = Vec::new();
    for gateway in gateways.iter() {
        let url = format!("http://{}/graphql", gateway.addr);
        heard.push(
            Stream::open(&url, &jwt::token(buyer, &[]), "text/event-stream", watch, json!({"p": product}), None).await,
        );
    }
    let reads = Arc::new(Mutex::new(Vec::<Read>::new()));
    let stop = tokio_util::sync::CancellationToken::new();
    let mut readers = Vec::new();
    for reader in 0..4usize {
        let (gateways, reads, stop) = (gateways.clone(), reads.clone(), stop.clone());
        let (token, product, order) = (jwt::token(buyer, &[]), product.clone(), order.clone());
        readers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut n = reader;
            while !stop.is_cancelled() {
                n += 1;
                let instance = n % 2;
                let began = Instant::now();
                let price = if n % 4 < 2 {
                    amount(&post(&client, &gateways[instance], &token, BY_ID, json!({"p": product})).await["product"])
                } else {
                    let data = post(&client, &gateways[instance], &token, BY_ORDER, json!({"o": order})).await;
                    amount(&data["order"]["lines"][0]["product"])
                };
                reads.lock().unwrap().push(Read { instance, began, price });
            }
        }));
    }
    let admin = jwt::token("admin", &["catalog:write"]);
    let client = reqwest::Client::new();
    // When each instance had consumed each update, by update.
    let mut consumed: Vec<(f64, [Instant; 2])> = Vec::new();
    for k in 1..=UPDATES {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let price = 10.0 + f64::from(k);
        // The order's saga may change the product's stock at the same moment: a writer retries.
        let variables = json!({"p": product, "a": format!("{price:.2}")});
        let updated = eventually("the price to be written", WAIT, || async {
            let response = client
                .post(format!("http://{}/graphql", gateways[0].addr))
                .bearer_auth(&admin)
                .json(&json!({ "query": UPDATE, "variables": variables }))
                .send()
                .await
                .unwrap();
            let body: Value = response.json().await.unwrap();
            match body["errors"][0]["extensions"]["code"].as_str() {
                Some("CONFLICT") => None,
                _ => Some(body),
            }
        });
        let updated = updated.await;
        assert!(updated.get("errors").is_none(), "{updated}");
        // The instance the write went through reads it back at once, before its event arrives.
        let token = jwt::token(buyer, &[]);
        let read = post(&client, &gateways[0], &token, BY_ID, json!({"p": product})).await;
        assert_eq!(amount(&read["product"]), price, "a write is read back through its instance");
        let mut at = [Instant::now(); 2];
        for (instance, stream) in heard.iter_mut().enumerate() {
            loop {
                let event = stream.event(WAIT).await.expect("the update's event reaches every instance");
                if event.data["data"]["productChanged"].is_object()
                    && amount(&event.data["data"]["productChanged"]) >= price
                {
                    at[instance] = Instant::now();
                    break;
                }
            }
        }
        consumed.push((price, at));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.cancel();
    for reader in readers {
        reader.await.unwrap();
    }
    let reads = std::mem::take(&mut *reads.lock().unwrap());
    let stale: Vec<String> = reads
        .iter()
        .filter_map(|read| {
            let expected =
                consumed.iter().filter(|(_, at)| read.began > at[read.instance]).map(|(p, _)| *p).fold(10.0, f64::max);
            (read.price < expected)
                .then(|| format!("instance {} saw {} after {expected} was consumed", read.instance, read.price))
        })
        .collect();
    assert!(reads.len() > 100, "the readers read: {}", reads.len());
    assert!(stale.is_empty(), "{} stale reads of {}: {stale:?}", stale.len(), reads.len());
    let metrics = braid_kit::telemetry::prometheus().render();
    let hits: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("braid_gateway_entity_cache_lookups_total") && l.contains("result=\"hit\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(
        hits > reads.len() as f64 / 2.0,
        "most reads are answered from the cache: {hits} hits for {} reads",
        reads.len()
    );
    for gateway in Arc::try_unwrap(gateways).ok().expect("the readers are done") {
        gateway.stop();
    }
}
