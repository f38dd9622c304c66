//! Shared setup of the end-to-end tests: a catalog stack on the real services.
#![allow(dead_code)] // each test binary uses a different part

use std::sync::Arc;

use braid_kit::config::{CacheBackend, EventsBackend};
use braid_kit::{Infra, SubgraphConfig};
use braid_testkit::client::GraphqlClient;
use braid_testkit::{broker, jwt, redis_prefix};
use tokio::sync::oneshot;

/// A subgraph config for tests: the given database, the shared broker with `topic_prefix`,
/// Redis under `key_prefix`, and the test key for tokens.
pub fn config(database_url: &str, brokers: &str, topic_prefix: &str, key_prefix: &str) -> SubgraphConfig {
    let mut config = SubgraphConfig::default();
    config.database.url = database_url.to_string();
    config.database.max_connections = 8;
    config.events.backend = EventsBackend::Kafka;
    config.events.brokers = brokers.to_string();
    config.events.topic_prefix = topic_prefix.to_string();
    config.events.partitions = 3;
    config.events.relay_interval_ms = 50;
    config.events.retry_backoff_ms = 10;
    config.cache.backend = CacheBackend::Redis;
    config.cache.url = redis_prefix::url();
    config.cache.key_prefix = key_prefix.to_string();
    config.auth.public_key_pem = Some(jwt::PUBLIC_PEM.to_string());
    config.auth.issuer = Some(jwt::ISSUER.to_string());
    config.auth.audience = Some(jwt::AUDIENCE.to_string());
    config
}

/// One catalog instance serving on a loopback port.
pub struct Catalog {
    pub url: String,
    pub base: String,
    pub infra: Infra,
    pub client: GraphqlClient,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Catalog {
    /// Starts an instance with `config` and seeds `products` products when the database is empty.
    pub async fn start(config: SubgraphConfig, products: usize) -> Self {
        let infra = Infra::connect(braid_catalog::NAME, config, None).await.expect("infra connects");
        let service = braid_catalog::service(infra.clone()).await.expect("catalog starts");
        braid_catalog::seed::seed(&infra.db, products).await.expect("seed");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            service
                .serve(listener, async move {
                    let _ = stopped.await;
                })
                .await
                .expect("serve");
        });
        let base = format!("http://{addr}");
        let url = format!("{base}/graphql");
        Self { client: GraphqlClient::new(url.clone()), url, base, infra, stop: Some(stop), task: Some(task) }
    }

    /// Graceful shutdown: waits for the relay and consumers to drain.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// A test's private resources on the shared services.
pub struct Env {
    pub db: braid_testkit::db::TestDb,
    pub redis: redis_prefix::RedisPrefix,
    pub topic_prefix: String,
}

impl Env {
    pub async fn new() -> Self {
        Self {
            db: braid_testkit::db::TestDb::create().await,
            redis: redis_prefix::RedisPrefix::new(),
            topic_prefix: broker::topic_prefix(),
        }
    }

    pub fn config(&self) -> SubgraphConfig {
        config(&self.db.url, &broker::shared(), &self.topic_prefix, &self.redis.prefix)
    }
}

/// The event schemas of `schema/events/`.
pub fn event_schemas() -> Arc<braid_kit::events::schema::EventSchemas> {
    let dir = braid_testkit::repo_root().join("schema/events");
    Arc::new(braid_kit::events::schema::EventSchemas::load(&dir).expect("event schemas load"))
}
