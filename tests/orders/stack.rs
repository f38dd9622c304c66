//! A catalog and an orders service wired together over the broker, and helpers to drive them.

use std::sync::Arc;
use std::time::Duration;

use braid_kit::{Infra, SubgraphConfig};
use braid_orders::payment::{Faults, SimulatedProvider};
use braid_testkit::client::{GraphqlClient, Reply};
use braid_testkit::db::TestDb;
use braid_testkit::{broker, eventually, jwt, redis_prefix};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::support;

pub const WAIT: Duration = Duration::from_secs(60);

/// How the saga is tuned for a test.
#[derive(Clone)]
pub struct Tuning {
    pub handling_ms: u64,
    pub step_timeout_ms: u64,
    pub step_attempts: u32,
    pub faults: Faults,
}

impl Default for Tuning {
    fn default() -> Self {
        Self { handling_ms: 0, step_timeout_ms: 3_000, step_attempts: 3, faults: Faults::default() }
    }
}

/// A running service and how to stop it.
pub struct Running {
    pub infra: Infra,
    pub client: GraphqlClient,
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    async fn serve(service: braid_kit::Service) -> Self {
        let infra = service.infra.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/graphql", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            service.serve(listener, shutdown).await.expect("serve");
        });
        Self { infra, client: GraphqlClient::new(url.clone()), url, stop: Some(stop), task: Some(task) }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Catalog and orders on their own databases, one topic prefix, one Redis prefix.
pub struct Stack {
    pub catalog: Running,
    pub orders: Running,
    pub provider: SimulatedProvider,
    _catalog_db: TestDb,
    _orders_db: TestDb,
    _redis: redis_prefix::RedisPrefix,
}

fn config(db: &TestDb, topics: &str, redis: &str) -> SubgraphConfig {
    let mut config = support::config(&db.url, &broker::shared(), topics, redis);
    config.orders.timer_interval_ms = 50;
    config.shipping.step_ms = 100;
    config
}

impl Stack {
    pub async fn start(tuning: Tuning) -> Self {
        let (catalog_db, orders_db) = (TestDb::create().await, TestDb::create().await);
        let redis = redis_prefix::RedisPrefix::new();
        let topics = broker::topic_prefix();
        let infra = Infra::connect(braid_catalog::NAME, config(&catalog_db, &topics, &redis.prefix), None)
            .await
            .expect("catalog infra");
        let service = braid_catalog::service(infra).await.expect("catalog service");
        braid_catalog::seed::seed(&service.infra.db, 0).await.expect("categories");
        let catalog = Running::serve(service).await;
        let mut c = config(&orders_db, &topics, &redis.prefix);
        c.orders.catalog_url = Some(catalog.url.clone());
        c.orders.handling_ms = tuning.handling_ms;
        c.orders.step_timeout_ms = tuning.step_timeout_ms;
        c.orders.step_attempts = tuning.step_attempts;
        c.orders.retry_backoff_ms = 50;
        c.orders.max_retry_backoff_ms = 500;
        c.payment.timeout_ms = 1_000;
        let provider = SimulatedProvider::new(tuning.faults);
        let infra = Infra::connect(braid_orders::NAME, c, None).await.expect("orders infra");
        let adapters = braid_orders::Adapters { catalog: None, provider: Some(Arc::new(provider.clone())) };
        let orders = Running::serve(braid_orders::service(infra, adapters).await.expect("orders service")).await;
        Self { catalog, orders, provider, _catalog_db: catalog_db, _orders_db: orders_db, _redis: redis }
    }

    /// Creates a product with `stock` units at `price` EUR; returns its id.
    pub async fn product(&self, sku: &str, price: &str, stock: i64) -> String {
        let input = json!({
            "sku": sku, "name": format!("Product {sku}"), "price": { "amount": price, "currency": "EUR" },
            "categoryId": braid_catalog::seed::category_id("books"), "initialStock": stock, "lowStockThreshold": 2
        });
        let token = jwt::token("admin", &["catalog:write"]);
        let q = "mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }";
        let reply = self.catalog.client.query_as(&token, q, json!({ "input": input })).await;
        reply.data()["createProduct"]["id"].as_str().expect("a product id").to_string()
    }

    /// The product's (on hand, reserved, available), from the catalog's database.
    pub async fn stock(&self, product: &str) -> (i64, i64, i64) {
        let sql = format!("SELECT on_hand, reserved FROM inventory WHERE product_id = '{product}'");
        let row = one(&self.catalog.infra.db, &sql).await;
        let (on_hand, reserved) = (row.0, row.1);
        (on_hand, reserved, on_hand - reserved)
    }

    pub async fn orders_query(&self, buyer: &str, query: &str, variables: Value) -> Reply {
        self.orders.client.query_as(&jwt::token(buyer, &[]), query, variables).await
    }

    pub async fn add(&self, buyer: &str, product: &str, quantity: i64) -> Reply {
        let q = "mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { itemCount } }";
        self.orders_query(buyer, q, json!({ "p": product, "q": quantity })).await
    }

    pub async fn place(&self, buyer: &str, key: &str) -> Reply {
        let q = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id number status total { amount } } }";
        let address =
            json!({ "name": "Ada", "line1": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE" });
        self.orders_query(buyer, q, json!({ "i": { "idempotencyKey": key, "shippingAddress": address } })).await
    }

    pub async fn status(&self, buyer: &str, order: &str) -> Value {
        let q = "query($id: ID!) { order(id: $id) { status failureReason canCancel timeline { step outcome detail } \
                 shipment { status } } }";
        self.orders_query(buyer, q, json!({ "id": order })).await.data()["order"].clone()
    }

    /// Waits until the order reaches a terminal status; returns the order.
    pub async fn settled(&self, buyer: &str, order: &str) -> Value {
        eventually("the order to settle", WAIT, || async {
            let o = self.status(buyer, order).await;
            matches!(o["status"].as_str(), Some("COMPLETED" | "CANCELLED" | "FAILED")).then_some(o)
        })
        .await
    }
}

/// Two integer columns of one row.
pub async fn one(db: &DatabaseConnection, sql: &str) -> (i64, i64) {
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap().expect("a row");
    (row.try_get_by_index::<i64>(0).unwrap(), row.try_get_by_index::<i64>(1).unwrap_or_default())
}

/// The first column of a count query.
pub async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    one(db, sql).await.0
}

/// The steps and outcomes of a timeline, as "step:OUTCOME".
pub fn steps(order: &Value) -> Vec<String> {
    order["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .map(|e| format!("{}:{}", e["step"].as_str().unwrap(), e["outcome"].as_str().unwrap()))
        .collect()
}
