//! The permissions and documents subgraphs on PostgreSQL and Redis, with the gateway in front:
//! what a client of Braid's documents talks to.

use std::sync::Arc;
use std::time::Duration;

use braid_access::cache::AccessCache;
use braid_kit::cache::{Cache, RedisCache};
use braid_kit::config::{CacheBackend, EventsBackend};
use braid_kit::{Infra, SubgraphConfig};
use braid_permissions::seed::Seeded;
use braid_testkit::client::{GraphqlClient, Reply};
use braid_testkit::db::TestDb;
use braid_testkit::redis_prefix::{self, RedisPrefix};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Value, json};

const ISSUER: &str = "https://braid.local/";

/// Where the subgraphs' events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Events {
    /// Each service's own in-process bus.
    Memory,
    /// The shared Kafka-protocol broker (tansu), under topics of this stack's own.
    Kafka,
}

pub struct Stack {
    pub gateway: GraphqlClient,
    /// The gateway's `/graphql`.
    pub url: String,
    pub documents_db: DatabaseConnection,
    pub permissions_db: DatabaseConnection,
    /// The stack's topic prefix on the shared broker, with [`Events::Kafka`].
    pub topic_prefix: Option<String>,
    /// The permission answers every service of the stack caches (to void them: cold runs).
    pub access: AccessCache,
    key_pem: String,
    kid: String,
    _dbs: Vec<TestDb>,
    _redis: RedisPrefix,
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn config(db: &str, redis: &RedisPrefix, topic_prefix: Option<&str>) -> SubgraphConfig {
    let mut config = SubgraphConfig::default();
    config.database.url = db.to_string();
    config.database.max_connections = 8;
    config.events.backend = EventsBackend::Memory;
    if let Some(prefix) = topic_prefix {
        config.events.backend = EventsBackend::Kafka;
        config.events.brokers = braid_testkit::broker::shared();
        config.events.topic_prefix = prefix.to_string();
        config.events.relay_interval_ms = 50;
    }
    config.cache.backend = CacheBackend::Redis;
    config.cache.url = redis_prefix::url();
    config.cache.key_prefix = redis.prefix.clone();
    config
}

async fn serve(service: braid_kit::Service) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(service.serve(listener, std::future::pending()));
    url
}

impl Stack {
    /// `org` in the permissions subgraph (employee 1 is an admin), no documents yet; fresh
    /// databases, dropped with the stack.
    pub async fn start(org: &[Seeded]) -> Self {
        Self::start_with(org, Events::Memory).await
    }

    /// As [`Stack::start`], the events going where `events` says.
    pub async fn start_with(org: &[Seeded], events: Events) -> Self {
        let dbs = vec![TestDb::create().await, TestDb::create().await];
        let mut stack = Self::on(&dbs[0].url, &dbs[1].url, Some(org), events).await;
        stack._dbs = dbs;
        stack
    }

    /// The stack on existing databases (migrated if needed), seeding `org` when given.
    pub async fn on(permissions_db: &str, documents_db: &str, org: Option<&[Seeded]>, events: Events) -> Self {
        let redis = RedisPrefix::new();
        let topic_prefix = (events == Events::Kafka).then(braid_testkit::broker::topic_prefix);
        let shared: Arc<dyn Cache> = Arc::new(RedisCache::connect(&redis_prefix::url(), &redis.prefix).await.unwrap());
        let access = AccessCache::new(shared, Duration::from_secs(300));
        let permissions_config = config(permissions_db, &redis, topic_prefix.as_deref());
        let cache_config = permissions_config.cache.clone();
        let infra = Infra::connect(braid_permissions::NAME, permissions_config, None).await.unwrap();
        let permissions = braid_permissions::service(infra).await.unwrap();
        if let Some(org) = org {
            let scopes = |e: &Seeded| if e.id == 1 { "admin".into() } else { String::new() };
            braid_permissions::seed::insert(&permissions.infra.db, org, scopes).await.unwrap();
        }
        let key = braid_permissions::entity::signing_key::Entity::find()
            .one(&permissions.infra.db)
            .await
            .unwrap()
            .expect("the permissions service made its signing key");
        let permissions_db = permissions.infra.db.clone();
        let permissions = serve(permissions).await;
        let jwks = format!("{permissions}/.well-known/jwks.json");

        let mut documents_config = config(documents_db, &redis, topic_prefix.as_deref());
        documents_config.access.permissions_url = Some(format!("{permissions}/graphql"));
        documents_config.auth.jwks_url = Some(jwks.clone());
        documents_config.auth.issuer = Some(ISSUER.into());
        documents_config.auth.audience = Some("braid".into());
        let infra = Infra::connect(braid_documents::NAME, documents_config, None).await.unwrap();
        let documents = braid_documents::service(infra, None).await.unwrap();
        let db = documents.infra.db.clone();
        let events = documents.infra.bus.clone();
        let documents = serve(documents).await;

        let mut gw = braid_gateway::GatewayConfig::default();
        gw.subgraphs.entry("permissions".into()).or_default().url = Some(format!("{permissions}/graphql"));
        gw.subgraphs.entry("documents".into()).or_default().url = Some(format!("{documents}/graphql"));
        gw.auth.jwks_url = Some(jwks);
        gw.auth.issuer = Some(ISSUER.into());
        gw.auth.audience = Some("braid".into());
        gw.access.cache = cache_config;
        let sdl = std::fs::read_to_string(braid_testkit::repo_root().join("schema/supergraph.graphql")).unwrap();
        let gateway = braid_gateway::gateway_from_sdl(gw, &sdl, None).await.unwrap();
        // documentChanged: the gateway reads the documents' events.
        gateway.consume_events(events, std::future::pending());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/graphql", listener.local_addr().unwrap());
        let router = braid_gateway::server::router(gateway, braid_kit::telemetry::prometheus().clone());
        tokio::spawn(braid_gateway::server::serve(listener, None, router, std::future::pending()));
        Self {
            gateway: GraphqlClient::new(url.clone()),
            url,
            documents_db: db,
            permissions_db,
            topic_prefix,
            access,
            key_pem: key.private_pem,
            kid: key.kid,
            _dbs: Vec::new(),
            _redis: redis,
        }
    }

    /// A token the permissions subgraph could have issued to `employee`.
    pub fn token(&self, employee: i64, scopes: &str) -> String {
        let claims = json!({
            "sub": employee.to_string(), "scope": scopes, "iss": ISSUER, "aud": "braid",
            "exp": now() + 600, "nbf": now() - 5, "iat": now(),
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(self.key_pem.as_bytes()).unwrap()).unwrap()
    }

    /// `query` as `employee`, who may write documents.
    pub async fn as_writer(&self, employee: i64, query: &str, variables: Value) -> Reply {
        self.gateway.query_as(&self.token(employee, "documents:write"), query, variables).await
    }

    /// `query` as the admin; panics on errors.
    pub async fn admin(&self, query: &str, variables: Value) -> Reply {
        let reply = self.gateway.query_as(&self.token(1, "admin"), query, variables).await;
        assert!(reply.body.get("errors").is_none(), "{query}: {}", reply.body);
        reply
    }
}

/// The sum of a counter's samples in this process (`name{labels}`, see `braid_testkit::metrics`).
pub fn counter(series: &str) -> u64 {
    braid_testkit::metrics::sum(&braid_kit::telemetry::prometheus().render(), series)
}

/// Permission lookups that went to their source (any kind, any service of this process).
pub fn lookups() -> u64 {
    counter("braid_access_source_requests_total")
}
