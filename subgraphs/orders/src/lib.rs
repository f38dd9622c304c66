//! The orders subgraph: the viewer's cart, orders placed from it, and the saga that takes
//! each order through stock, payment and shipping, compensating when a step fails.
//!
//! An order's event stream ([`history`]) is the source of truth; [`view`] is its projection.
//! The orchestrator ([`saga`]) talks to the participants only through the event backbone:
//! the catalog holds stock, and the [`payment`] and [`shipping`] participants (in this
//! process, with their own consumers and tables) answer like any other service would.

// Functions over 80 lines (clippy.toml) are split into named steps.
#![warn(clippy::too_many_lines)]

pub mod cart;
pub mod catalog;
pub mod entity;
pub mod events;
pub mod graphql;
pub mod history;
pub mod payment;
pub mod place;
pub mod read;
pub mod saga;
pub mod seed;
pub mod shipping;
pub mod view;

use std::sync::Arc;
use std::time::Duration;

use braid_kit::backoff::Backoff;
use braid_kit::events::Handler;
use braid_kit::{Infra, KitError, Service};
use braid_migrations::MigratorTrait;

use crate::catalog::{Catalog, HttpCatalog};
use crate::payment::{Faults, PaymentProvider, SimulatedProvider};
use crate::saga::Orchestrator;
use crate::saga::machine::Policy;

/// The subgraph's name (metrics label, CLI argument).
pub const NAME: &str = "orders";

/// What the service talks to besides its database and bus; `None` builds them from config.
#[derive(Default)]
pub struct Adapters {
    pub catalog: Option<Arc<dyn Catalog>>,
    pub provider: Option<Arc<dyn PaymentProvider>>,
}

/// The orchestrator as the config describes it.
pub fn orchestrator(infra: &Infra) -> Orchestrator {
    let c = &infra.config.orders;
    Orchestrator {
        db: infra.db.clone(),
        outbox: infra.outbox.clone(),
        policy: Policy { attempts: c.step_attempts },
        step_timeout: Duration::from_millis(c.step_timeout_ms),
        backoff: Backoff::new(Duration::from_millis(c.retry_backoff_ms), Duration::from_millis(c.max_retry_backoff_ms)),
        reservation_ttl_secs: c.reservation_ttl_secs,
        handling: Duration::from_millis(c.handling_ms),
    }
}

/// Migrates (if configured) and wires the service: GraphQL, the saga's reply consumer and
/// timer, the payment and shipping participants and the simulated carrier.
pub async fn service(infra: Infra, adapters: Adapters) -> Result<Service, KitError> {
    if infra.config.database.migrate {
        braid_migrations::orders::Migrator::up(&infra.db, None).await?;
    }
    let config = infra.config.clone();
    let catalog: Arc<dyn Catalog> = match adapters.catalog {
        Some(c) => c,
        None => {
            let url = config.orders.catalog_url.clone().ok_or_else(|| {
                KitError::Config("orders.catalog_url: the orders subgraph needs the catalog service".into())
            })?;
            let timeout = Duration::from_millis(config.orders.catalog_timeout_ms);
            Arc::new(HttpCatalog::new(url, braid_kit::tls::http_client(&config.client_tls, timeout)?))
        }
    };
    let provider: Arc<dyn PaymentProvider> = match adapters.provider {
        Some(p) => p,
        None => match &config.payment.url {
            Some(url) => {
                let timeout = Duration::from_millis(config.payment.timeout_ms);
                Arc::new(payment::http::HttpProvider::new(
                    url,
                    braid_kit::tls::http_client(&config.client_tls, timeout)?,
                ))
            }
            None => Arc::new(SimulatedProvider::new(Faults::from_config(&config.payment))),
        },
    };
    let orchestrator = orchestrator(&infra);
    let carts = cart::Carts { db: infra.db.clone(), outbox: infra.outbox.clone(), catalog };
    let parts = graphql::Parts {
        placing: place::Placing { carts: carts.clone(), orchestrator: orchestrator.clone() },
        carts,
        reader: read::Reader { db: infra.db.clone() },
        orchestrator: orchestrator.clone(),
    };
    let router = infra.router(graphql::build(Some(parts)));
    let step = Duration::from_millis(config.shipping.step_ms);
    let handlers: Vec<Arc<dyn Handler>> = vec![
        Arc::new(saga::replies::Replies(orchestrator.clone())),
        Arc::new(payment::participant::Payments {
            provider,
            timeout: Duration::from_millis(config.payment.timeout_ms),
            outbox: infra.outbox.clone(),
        }),
        Arc::new(shipping::Shipping { carrier: config.shipping.carrier.clone(), step, outbox: infra.outbox.clone() }),
    ];
    let mut service = Service::new(infra, router, handlers);
    let timer_interval = Duration::from_millis(config.orders.timer_interval_ms);
    service.tasks.push(Box::new(move |token| Box::pin(saga::timer::run(orchestrator, timer_interval, token))));
    let (db, outbox) = (service.infra.db.clone(), service.infra.outbox.clone());
    service.tasks.push(Box::new(move |token| Box::pin(shipping::carrier::run(db, outbox, step, token))));
    Ok(service)
}
