//! A subgraph process's life and death, on PostgreSQL, Redis and tansu: SIGKILLed in the
//! middle of a stream of events, SIGTERMed under load, cut off from its broker. Each test
//! runs the catalog as a `braid subgraph catalog` process of its own (a crash or a hung
//! librdkafka client stays in that process), with its own database, key prefix and topics.

mod cut_off;
mod killed;
mod terminated;

use std::time::Duration;

use braid_testkit::client::GraphqlClient;
use braid_testkit::process::{BraidProcess, free_addr};
use braid_testkit::{db::TestDb, jwt, redis_prefix, redis_prefix::RedisPrefix};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};

const BRAID: &str = env!("CARGO_BIN_EXE_braid");

/// What one catalog process is started with: the same again after a crash.
struct Setup {
    db: TestDb,
    _redis: RedisPrefix,
    topics: String,
    brokers: String,
    env: Vec<(&'static str, String)>,
}

impl Setup {
    async fn new(brokers: &str) -> Self {
        let (db, redis, topics) = (TestDb::create().await, RedisPrefix::new(), braid_testkit::broker::topic_prefix());
        let env = vec![
            ("BRAID_DATABASE__URL", db.url.clone()),
            ("BRAID_EVENTS__BACKEND", "kafka".into()),
            ("BRAID_EVENTS__BROKERS", brokers.to_string()),
            ("BRAID_EVENTS__TOPIC_PREFIX", topics.clone()),
            ("BRAID_EVENTS__RELAY_INTERVAL_MS", "50".into()),
            ("BRAID_CACHE__BACKEND", "redis".into()),
            ("BRAID_CACHE__URL", redis_prefix::url()),
            ("BRAID_CACHE__KEY_PREFIX", redis.prefix.clone()),
            ("BRAID_AUTH__PUBLIC_KEY_PEM", jwt::PUBLIC_PEM.to_string()),
            ("BRAID_AUTH__ISSUER", jwt::ISSUER.to_string()),
            ("BRAID_AUTH__AUDIENCE", jwt::AUDIENCE.to_string()),
        ];
        Self { db, _redis: redis, topics, brokers: brokers.to_string(), env }
    }

    /// Starts a catalog process; returns it and its `/graphql` URL once it is healthy.
    fn start(&self) -> (BraidProcess, String) {
        let addr = free_addr();
        let process =
            BraidProcess::start(BRAID.as_ref(), &["subgraph", "catalog", "--listen", &addr], &self.env, &addr);
        (process, format!("http://{addr}"))
    }

    /// The catalog's database (migrated by the first process started) with its categories.
    async fn connect(&self) -> DatabaseConnection {
        let db = sea_orm::Database::connect(self.db.url.clone()).await.expect("the catalog's database");
        braid_catalog::seed::seed(&db, 0).await.expect("categories");
        db
    }
}

/// The bus the test publishes and reads with, on the setup's topics.
fn bus(setup: &Setup) -> braid_kit::events::kafka::KafkaBus {
    let config = braid_kit::config::EventsConfig {
        backend: braid_kit::config::EventsBackend::Kafka,
        brokers: setup.brokers.clone(),
        topic_prefix: setup.topics.clone(),
        ..Default::default()
    };
    braid_kit::events::kafka::KafkaBus::new(&config).expect("a Kafka client")
}

const CREATE: &str = "mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }";

/// The `createProduct` variables for `sku`.
fn product(sku: &str, stock: i64) -> Value {
    json!({ "input": {
        "sku": sku, "name": format!("Product {sku}"), "price": { "amount": "9.00", "currency": "EUR" },
        "categoryId": braid_catalog::seed::category_id("books"), "initialStock": stock, "lowStockThreshold": 1
    }})
}

/// Creates `n` products with `stock` units each; returns their ids.
async fn products(base: &str, n: usize, stock: i64) -> Vec<String> {
    let (client, token) = (GraphqlClient::new(format!("{base}/graphql")), jwt::token("admin", &["catalog:write"]));
    let mut ids = Vec::new();
    for i in 0..n {
        let reply = client.query_as(&token, CREATE, product(&format!("SKU-{i}"), stock)).await;
        ids.push(reply.data()["createProduct"]["id"].as_str().expect("a product").to_string());
    }
    ids
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// `braid_events_consumed_total` of `consumer` with `outcome` on the process at `base`.
async fn consumed(base: &str, consumer: &str, outcome: &str) -> u64 {
    let text = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    let (consumer, outcome) = (format!("consumer=\"{consumer}\""), format!("outcome=\"{outcome}\""));
    text.lines()
        .filter(|l| l.starts_with("braid_events_consumed_total{") && l.contains(&consumer) && l.contains(&outcome))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

const WAIT: Duration = Duration::from_secs(120);
