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
use braid_kit::config::{CacheBackend, EventsBackend};
use braid_kit::events::EventBus;
use braid_kit::events::memory::MemoryBus;
use braid_kit::{Infra, SubgraphConfig};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The composed supergraph of the subgraphs the demo runs.
const SUPERGRAPH: &str = include_str!("../schema/supergraph.graphql");

/// Products seeded on first start.
const DEMO_PRODUCTS: usize = 1_000;

/// One subgraph of the demo: its own SQLite file and loopback port.
async fn subgraph(
    name: &'static str,
    data_dir: &Path,
    bus: &Arc<dyn EventBus>,
    cache: &Arc<dyn Cache>,
) -> anyhow::Result<(Infra, TcpListener)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let mut config = SubgraphConfig::default();
    config.server.listen = listener.local_addr()?;
    config.database.url = format!("sqlite://{}?mode=rwc", data_dir.join(format!("{name}.db")).display());
    config.database.max_connections = 4;
    config.events.backend = EventsBackend::Memory;
    config.cache.backend = CacheBackend::Memory;
    config.validate()?;
    let mut infra = Infra::connect(name, config, Some(bus.clone())).await?;
    infra.cache = cache.clone();
    Ok((infra, listener))
}

fn stopped(stop: &watch::Receiver<bool>) -> impl Future<Output = ()> + Send + 'static {
    let mut stop = stop.clone();
    async move {
        let _ = stop.wait_for(|s| *s).await;
    }
}

pub async fn run(listen: SocketAddr, data_dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let bus: Arc<dyn EventBus> = Arc::new(MemoryBus::new());
    let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new("braid:", 200_000));

    let (infra, catalog_listener) = subgraph(braid_catalog::NAME, data_dir, &bus, &cache).await?;
    let catalog = braid_catalog::service(infra).await?;
    if braid_catalog::seed::seed(&catalog.infra.db, DEMO_PRODUCTS).await? {
        tracing::info!(products = DEMO_PRODUCTS, "seeded the demo catalog");
    }
    let (infra, permissions_listener) = subgraph(braid_permissions::NAME, data_dir, &bus, &cache).await?;
    let permissions = braid_permissions::service(infra).await?;
    let writer = braid_permissions::write::Writer {
        db: permissions.infra.db.clone(),
        outbox: permissions.infra.outbox.clone(),
        invalidator: None,
    };
    if braid_permissions::seed::demo(&writer).await.map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))? {
        tracing::info!("seeded the demo org");
    }

    let (mut infra, documents_listener) = subgraph(braid_documents::NAME, data_dir, &bus, &cache).await?;
    infra.config.access.permissions_url = Some(format!("http://{}/graphql", permissions_listener.local_addr()?));
    // Tokens are verified against the permissions subgraph's keys, as in the gateway.
    let issuer = &permissions.infra.config.issuer;
    infra.config.auth.jwks_url = Some(format!("http://{}/.well-known/jwks.json", permissions_listener.local_addr()?));
    infra.config.auth.issuer = Some(issuer.issuer.clone());
    infra.config.auth.audience = Some(issuer.audience.clone());
    infra.verifier = braid_kit::auth::Verifier::from_config(&infra.config.auth)?;
    let documents = braid_documents::service(infra, None).await?;
    let employees = braid_permissions::seed::DEMO_EMPLOYEES as i64;
    if braid_documents::seed::demo(&documents.infra.db, employees).await? {
        tracing::info!("seeded the demo documents");
    }

    let listener = TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    let mut gateway_config = braid_gateway::GatewayConfig::default();
    gateway_config.server.listen = addr;
    // Tokens are the permissions subgraph's; its JWKS is where the gateway finds their keys.
    gateway_config.auth.jwks_url = Some(format!("http://{}/.well-known/jwks.json", permissions_listener.local_addr()?));
    gateway_config.auth.issuer = Some(issuer.issuer.clone());
    gateway_config.auth.audience = Some(issuer.audience.clone());
    for (name, sub) in [
        (braid_catalog::NAME, catalog_listener.local_addr()?),
        (braid_documents::NAME, documents_listener.local_addr()?),
        (braid_permissions::NAME, permissions_listener.local_addr()?),
    ] {
        gateway_config.subgraphs.entry(name.to_string()).or_default().url = Some(format!("http://{sub}/graphql"));
    }
    let gateway = braid_gateway::gateway_from_sdl(gateway_config, SUPERGRAPH, Some(cache.clone())).await?;
    let router = braid_gateway::server::router(gateway, braid_kit::telemetry::prometheus().clone());

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

    let (stop, stop_rx) = watch::channel(false);
    let tasks = [
        tokio::spawn(catalog.serve(catalog_listener, stopped(&stop_rx))),
        tokio::spawn(permissions.serve(permissions_listener, stopped(&stop_rx))),
        tokio::spawn(documents.serve(documents_listener, stopped(&stop_rx))),
    ];
    let gateway = tokio::spawn(braid_gateway::server::serve(listener, router, stopped(&stop_rx)));
    crate::cli::shutdown_signal().await;
    let _ = stop.send(true);
    gateway.await?.context("gateway")?;
    for task in tasks {
        task.await?.context("subgraph")?;
    }
    Ok(())
}
