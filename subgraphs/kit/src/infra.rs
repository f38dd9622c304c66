//! Wiring: connect the adapters a config names, then serve a subgraph with its relay and
//! consumers, and drain all of them on shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::Executor;
use axum::Router;
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::auth::Verifier;
use crate::cache::{self, Cache};
use crate::config::{EventsBackend, SubgraphConfig};
use crate::error::KitError;
use crate::events::memory::MemoryBus;
use crate::events::{Consumer, EventBus, Handler, OutboxSignal, Relay};
use crate::http::{self, Probes, RouterParts};
use crate::replica::ReadRouter;

/// The connected adapters of one subgraph process.
#[derive(Clone)]
pub struct Infra {
    pub name: &'static str,
    pub config: SubgraphConfig,
    pub db: DatabaseConnection,
    /// Where reads that may use a streaming replica go (`database.replica_url`).
    pub reads: ReadRouter,
    pub bus: Arc<dyn EventBus>,
    pub cache: Arc<dyn Cache>,
    pub verifier: Option<Arc<Verifier>>,
    pub outbox: OutboxSignal,
    /// Unique to this process: names its own consumer groups (near-cache invalidation).
    pub instance: String,
}

impl Infra {
    /// Connects database, bus and cache. `bus` overrides the configured one (the demo shares
    /// one in-process bus between subgraphs).
    pub async fn connect(
        name: &'static str,
        config: SubgraphConfig,
        bus: Option<Arc<dyn EventBus>>,
    ) -> Result<Self, KitError> {
        crate::telemetry::prometheus(); // before any metric handle is taken
        let db = crate::db::connect(&config.database).await?;
        let reads = ReadRouter::connect(db.clone(), &config.database).await?;
        let bus: Arc<dyn EventBus> = match bus {
            Some(bus) => bus,
            None => match config.events.backend {
                EventsBackend::Memory => Arc::new(MemoryBus::new()),
                #[cfg(feature = "kafka")]
                EventsBackend::Kafka => Arc::new(crate::events::kafka::KafkaBus::new(&config.events)?),
                #[cfg(not(feature = "kafka"))]
                EventsBackend::Kafka => {
                    return Err(KitError::Config("this build has no Kafka event bus (feature `kafka`)".into()));
                }
                #[cfg(feature = "rabbitmq")]
                EventsBackend::Rabbitmq => Arc::new(crate::events::rabbitmq::RabbitBus::new(&config.events)?),
                #[cfg(not(feature = "rabbitmq"))]
                EventsBackend::Rabbitmq => {
                    return Err(KitError::Config("this build has no RabbitMQ event bus (feature `rabbitmq`)".into()));
                }
            },
        };
        let cache = cache::from_config(&config.cache).await?;
        let verifier = Verifier::from_config(&config.auth, &config.client_tls)?;
        let instance = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        Ok(Self { name, config, db, reads, bus, cache, verifier, outbox: OutboxSignal::default(), instance })
    }

    /// What `/ready` checks.
    fn probes(&self) -> Probes {
        Probes { db: self.db.clone(), reads: self.reads.clone(), bus: self.bus.clone(), cache: self.cache.clone() }
    }

    /// The HTTP router for `executor` (a GraphQL schema).
    pub fn router<E: Executor>(&self, executor: E) -> Router {
        http::router(RouterParts {
            service: self.name,
            executor,
            verifier: self.verifier.clone(),
            max_body_bytes: self.config.server.max_body_bytes,
            request_timeout: Duration::from_millis(self.config.server.request_timeout_ms),
            probes: self.probes(),
        })
    }
}

/// A loop a service runs beside serving (expiring reservations, a saga's timers); it must
/// return soon after the token is cancelled.
pub type Task = Box<dyn FnOnce(CancellationToken) -> BoxFuture<'static, ()> + Send>;

/// A subgraph ready to serve: its router, its event handlers and its background loops.
pub struct Service {
    pub infra: Infra,
    pub router: Router,
    pub handlers: Vec<Arc<dyn Handler>>,
    pub tasks: Vec<Task>,
}

impl Service {
    /// A service with no background loops.
    pub fn new(infra: Infra, router: Router, handlers: Vec<Arc<dyn Handler>>) -> Self {
        Self { infra, router, handlers, tasks: Vec::new() }
    }
}

impl Service {
    /// Serves until `shutdown` resolves; then stops accepting, finishes in-flight requests,
    /// lets the consumers finish their event and the loops their round, and only then lets
    /// the relay publish what all of them committed.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), KitError> {
        let tls = crate::tls::ServerTls::load(&self.infra.config.server.tls)?;
        let admin = match self.infra.config.server.admin_listen {
            Some(addr) => Some(TcpListener::bind(addr).await?),
            None => None,
        };
        let token = CancellationToken::new();
        let trigger = token.clone();
        tokio::spawn(async move {
            shutdown.await;
            trigger.cancel();
        });
        // The relay stops last: a request or an event finishing after the signal commits
        // outbox rows too, and they must leave before the process does.
        let relay_stop = CancellationToken::new();
        let infra = &self.infra;
        let relay = Relay::new(infra.db.clone(), infra.bus.clone(), infra.outbox.clone(), &infra.config.events);
        let relay = tokio::spawn(relay.run(relay_stop.clone().cancelled_owned()));
        let mut tasks = JoinSet::new();
        for handler in &self.handlers {
            let consumer = Consumer::new(infra.db.clone(), infra.bus.clone(), handler.clone(), &infra.config.events);
            tasks.spawn(consumer.run(token.clone().cancelled_owned()));
        }
        for task in self.tasks {
            tasks.spawn(task(token.clone()));
        }
        tasks.spawn(infra.reads.clone().watch(token.clone()));
        if let Some(admin) = admin {
            let probes = infra.probes();
            let stopped = token.clone().cancelled_owned();
            tasks.spawn(async move {
                if let Err(e) = axum::serve(admin, http::admin_router(probes)).with_graceful_shutdown(stopped).await {
                    tracing::error!(error = %e, "the admin listener stopped");
                }
            });
        }
        let served = crate::tls::serve(listener, tls, self.router, token.clone().cancelled_owned()).await;
        token.cancel();
        while tasks.join_next().await.is_some() {}
        relay_stop.cancel();
        let _ = relay.await;
        served.map_err(KitError::Io)
    }
}
