//! `braid demo`: the gateway and every subgraph built so far in one process, nothing installed.
//!
//! The gateway serves the composed supergraph (`schema/supergraph.graphql`) on the demo address
//! and talks to the subgraphs over loopback HTTP, so federation is real in the demo too.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use braid_kit::config::{CacheBackend, EventsBackend};
use braid_kit::events::EventBus;
use braid_kit::events::memory::MemoryBus;
use braid_kit::{Infra, SubgraphConfig};

/// The composed supergraph of the subgraphs the demo runs.
const SUPERGRAPH: &str = include_str!("../schema/supergraph.graphql");

/// Products seeded on first start.
const DEMO_PRODUCTS: usize = 1_000;

pub async fn run(listen: SocketAddr, data_dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let bus: Arc<dyn EventBus> = Arc::new(MemoryBus::new());

    // The subgraph listens on a loopback port of its own; the gateway owns the demo address.
    let subgraph_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let subgraph_addr = subgraph_listener.local_addr()?;
    let mut config = SubgraphConfig::default();
    config.server.listen = subgraph_addr;
    config.database.url = format!("sqlite://{}?mode=rwc", data_dir.join("catalog.db").display());
    config.database.max_connections = 4;
    config.events.backend = EventsBackend::Memory;
    config.cache.backend = CacheBackend::Memory;
    config.validate()?;

    let infra = Infra::connect(braid_catalog::NAME, config, Some(bus)).await?;
    let service = braid_catalog::service(infra).await?;
    if braid_catalog::seed::seed(&service.infra.db, DEMO_PRODUCTS).await? {
        tracing::info!(products = DEMO_PRODUCTS, "seeded the demo catalog");
    }
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;

    let mut gateway_config = braid_gateway::GatewayConfig::default();
    gateway_config.server.listen = addr;
    gateway_config.subgraphs.entry(braid_catalog::NAME.to_string()).or_default().url =
        Some(format!("http://{subgraph_addr}/graphql"));
    let gateway = braid_gateway::gateway_from_sdl(gateway_config, SUPERGRAPH)?;
    let router = braid_gateway::server::router(gateway, braid_kit::telemetry::prometheus().clone());

    println!("Braid demo is running (data in {}).", data_dir.display());
    println!("  GraphQL (gateway): http://{addr}/graphql   GraphiQL: http://{addr}/graphiql");
    println!("  Health: http://{addr}/health   Metrics: http://{addr}/metrics");
    println!("  Try: curl -s http://{addr}/graphql -H 'content-type: application/json' \\");
    println!(
        "         -d '{{\"query\":\"{{ products(first: 5) {{ totalCount edges {{ node {{ id name price {{ amount currency }} }} }} }} }}\"}}'"
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let gateway_stopped = {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let subgraph_stopped = {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let subgraph = tokio::spawn(async move { service.serve(subgraph_listener, subgraph_stopped).await });
    let gateway = tokio::spawn(braid_gateway::server::serve(listener, router, gateway_stopped));
    crate::cli::shutdown_signal().await;
    let _ = stop.send(true);
    gateway.await?.context("gateway")?;
    subgraph.await?.context("catalog subgraph")?;
    Ok(())
}
