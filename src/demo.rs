//! `braid demo`: the gateway and every subgraph built so far in one process, nothing installed.
//!
//! The gateway serves the composed supergraph (`schema/supergraph.graphql`) on the demo address
//! and talks to the subgraphs over loopback HTTP, so federation is real in the demo too. The
//! subgraphs share one in-process event bus and one in-memory cache (the permission lookups'
//! versions must be seen by every reader).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use braid_kit::cache::{Cache, MemoryCache};
use braid_kit::config::{AuthConfig, CacheBackend, EventsBackend};
use braid_kit::events::EventBus;
use braid_kit::events::memory::MemoryBus;
use braid_kit::{Infra, SubgraphConfig};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The composed supergraph of the subgraphs the demo runs.
const SUPERGRAPH: &str = include_str!("../schema/supergraph.graphql");

/// The demo's traces (`BRAID_TELEMETRY__*`; every other setting of the demo is fixed).
pub fn telemetry() -> anyhow::Result<braid_kit::config::TelemetryConfig> {
    #[derive(Default, serde::Deserialize)]
    #[serde(default)]
    struct Settings {
        telemetry: braid_kit::config::TelemetryConfig,
    }
    let settings: Settings = braid_kit::config::extract(figment::Figment::new(), None)?;
    settings.telemetry.check("telemetry")?;
    Ok(settings.telemetry)
}

/// Products seeded on first start.
const DEMO_PRODUCTS: usize = 1_000;

/// One subgraph of the demo: its own SQLite file and loopback port; tokens are verified
/// against the permissions subgraph's keys (`auth`), as the gateway verifies them.
async fn subgraph(
    name: &'static str,
    data_dir: &Path,
    listener: &TcpListener,
    auth: &AuthConfig,
    shared: &Shared,
) -> anyhow::Result<Infra> {
    let mut config = SubgraphConfig::default();
    config.server.listen = listener.local_addr()?;
    config.database.url = format!("sqlite://{}?mode=rwc", data_dir.join(format!("{name}.db")).display());
    config.database.max_connections = 4;
    config.events.backend = EventsBackend::Memory;
    // One process: the relay may look often, and the saga moves at demo speed.
    config.events.relay_interval_ms = 50;
    config.cache.backend = CacheBackend::Memory;
    config.auth = auth.clone();
    // A window to cancel a paid order in, then a parcel that arrives in a few seconds.
    config.orders.handling_ms = 5_000;
    config.shipping.step_ms = 700;
    config.orders.step_timeout_ms = 5_000;
    config.orders.catalog_url = Some(format!("http://{}/graphql", shared.catalog));
    config.access.permissions_url = Some(format!("http://{}/graphql", shared.permissions));
    config.validate()?;
    let mut infra = Infra::connect(name, config, Some(shared.bus.clone())).await?;
    infra.cache = shared.cache.clone();
    Ok(infra)
}

/// What the demo's subgraphs share: one bus, one cache, and each other's addresses.
struct Shared {
    bus: Arc<dyn EventBus>,
    cache: Arc<dyn Cache>,
    catalog: SocketAddr,
    permissions: SocketAddr,
}

async fn loopback() -> anyhow::Result<TcpListener> {
    Ok(TcpListener::bind("127.0.0.1:0").await?)
}

pub async fn run(listen: SocketAddr, data_dir: &Path, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let listeners = Listeners {
        catalog: loopback().await?,
        permissions: loopback().await?,
        documents: loopback().await?,
        orders: loopback().await?,
    };
    let shared = Shared {
        bus: Arc::new(MemoryBus::new()),
        cache: Arc::new(MemoryCache::new("braid:", 200_000)),
        catalog: listeners.catalog.local_addr()?,
        permissions: listeners.permissions.local_addr()?,
    };
    // Tokens are the permissions subgraph's; its JWKS is where everyone finds their keys.
    let issuer = braid_kit::config::IssuerConfig::default();
    let auth = AuthConfig {
        jwks_url: Some(format!("http://{}/.well-known/jwks.json", shared.permissions)),
        issuer: Some(issuer.issuer.clone()),
        audience: Some(issuer.audience.clone()),
        ..AuthConfig::default()
    };

    let infra = subgraph(braid_catalog::NAME, data_dir, &listeners.catalog, &auth, &shared).await?;
    let catalog = braid_catalog::service(infra).await?;
    if braid_catalog::seed::seed(&catalog.infra.db, DEMO_PRODUCTS).await? {
        tracing::info!(products = DEMO_PRODUCTS, "seeded the demo catalog");
    }
    // The permissions subgraph verifies tokens with its own keys.
    let infra =
        subgraph(braid_permissions::NAME, data_dir, &listeners.permissions, &AuthConfig::default(), &shared).await?;
    let permissions = braid_permissions::service(infra).await?;
    let writer = braid_permissions::write::Writer {
        db: permissions.infra.db.clone(),
        outbox: permissions.infra.outbox.clone(),
        invalidator: None,
    };
    if braid_permissions::seed::demo(&writer).await.map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))? {
        tracing::info!("seeded the demo org");
    }
    let infra = subgraph(braid_documents::NAME, data_dir, &listeners.documents, &auth, &shared).await?;
    let documents = braid_documents::service(infra, None).await?;
    let employees = braid_permissions::seed::DEMO_EMPLOYEES as i64;
    if braid_documents::seed::demo(&documents.infra.db, employees).await? {
        tracing::info!("seeded the demo documents");
    }
    let infra = subgraph(braid_orders::NAME, data_dir, &listeners.orders, &auth, &shared).await?;
    let orders = braid_orders::service(infra, Default::default()).await?;
    let buyers = [1.to_string(), employees.to_string()]; // the CEO and the individual contributor
    if braid_orders::seed::demo(&orders.infra.db, &buyers, &demo_products(&catalog.infra.db).await?).await? {
        tracing::info!("seeded the demo orders");
    }

    let listener = TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    let mut gateway_config = braid_gateway::GatewayConfig::default();
    gateway_config.server.listen = addr;
    // Tokens are the permissions subgraph's; its JWKS is where the gateway finds their keys.
    gateway_config.auth.jwks_url = auth.jwks_url.clone();
    gateway_config.auth.issuer = auth.issuer.clone();
    gateway_config.auth.audience = auth.audience.clone();
    // Budgets per client in this process: the demo has no Redis to share them through.
    gateway_config.rate_limit.backend = braid_gateway::config::RateLimitBackend::Memory;
    // Catalog answers kept in this process, evicted by the catalog's events on the in-process bus.
    gateway_config.entity_cache.backend = braid_gateway::config::EntityCacheBackend::Memory;
    for (name, sub) in [
        (braid_catalog::NAME, shared.catalog),
        (braid_documents::NAME, listeners.documents.local_addr()?),
        (braid_permissions::NAME, shared.permissions),
        (braid_orders::NAME, listeners.orders.local_addr()?),
    ] {
        gateway_config.subgraphs.entry(name.to_string()).or_default().url = Some(format!("http://{sub}/graphql"));
    }
    let gateway = braid_gateway::gateway_from_sdl(gateway_config, SUPERGRAPH, Some(shared.cache.clone())).await?;
    let router = braid_gateway::server::router(gateway.clone(), braid_kit::telemetry::prometheus().clone());

    let password = braid_permissions::seed::DEMO_PASSWORD;
    println!("Braid demo is running (data in {}).", data_dir.display());
    println!("  GraphQL (gateway): http://{addr}/graphql   GraphiQL: http://{addr}/graphiql");
    println!("  Health: http://{addr}/health   Metrics: http://{addr}/metrics");
    println!(
        "  Demo logins (password {password}): {} (top of the org), {} (individual contributor)",
        braid_permissions::seed::DEMO_CEO,
        braid_permissions::seed::DEMO_IC
    );
    println!(
        "  Log in: mutation {{ login(email: \"{}\", password: \"{password}\") {{ accessToken }} }}",
        braid_permissions::seed::DEMO_CEO
    );
    println!("  then, with the header Authorization: Bearer <accessToken>: {{ me {{ name reports {{ name }} }} }}");

    let stop = CancellationToken::new();
    let tasks = [
        tokio::spawn(catalog.serve(listeners.catalog, stop.clone().cancelled_owned())),
        tokio::spawn(permissions.serve(listeners.permissions, stop.clone().cancelled_owned())),
        tokio::spawn(documents.serve(listeners.documents, stop.clone().cancelled_owned())),
        tokio::spawn(orders.serve(listeners.orders, stop.clone().cancelled_owned())),
    ];
    // Subscriptions and the entity cache: the gateway reads the demo's in-process bus with a
    // group of its own.
    let events = gateway.consume_events(shared.bus.clone(), stop.clone().cancelled_owned());
    let sockets_closed = {
        let stopped = stop.clone().cancelled_owned();
        async move {
            stopped.await;
            gateway.close_connections();
        }
    };
    let gateway = tokio::spawn(braid_gateway::server::serve(listener, None, router, sockets_closed));
    shutdown.await;
    stop.cancel();
    gateway.await?.context("gateway")?;
    events.await?;
    for task in tasks {
        task.await?.context("subgraph")?;
    }
    Ok(())
}

/// The subgraphs' listeners, bound first so each knows the others' addresses.
struct Listeners {
    catalog: TcpListener,
    permissions: TcpListener,
    documents: TcpListener,
    orders: TcpListener,
}

/// A few catalog products in stock, for the seeded past orders.
async fn demo_products(
    catalog: &sea_orm::DatabaseConnection,
) -> anyhow::Result<Vec<braid_orders::catalog::ProductInfo>> {
    use braid_catalog::entity::inventory;
    use sea_orm::sea_query::{Expr, ExprTrait, Order};
    let statement = braid_catalog::record::select()
        .and_where(Expr::col((inventory::Entity, inventory::Column::OnHand)).gt(20))
        .order_by((braid_catalog::entity::product::Entity, braid_catalog::entity::product::Column::Sku), Order::Asc)
        .limit(6)
        .to_owned();
    let products = braid_catalog::record::fetch(catalog, &statement).await?;
    Ok(products
        .into_iter()
        .map(|p| braid_orders::catalog::ProductInfo {
            available: p.inventory.available(),
            id: p.id,
            sku: p.sku,
            name: p.name,
            price_minor: p.price_cents,
            currency: p.currency,
        })
        .collect())
}
