//! `braid demo`: every subgraph built so far in one process, nothing installed.
//!
//! Until the gateway exists the catalog subgraph answers at `/graphql` on the demo address.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use braid_kit::config::{CacheBackend, EventsBackend};
use braid_kit::events::EventBus;
use braid_kit::events::memory::MemoryBus;
use braid_kit::{Infra, SubgraphConfig};

/// Products seeded on first start.
const DEMO_PRODUCTS: usize = 1_000;

pub async fn run(listen: SocketAddr, data_dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let bus: Arc<dyn EventBus> = Arc::new(MemoryBus::new());

    let mut config = SubgraphConfig::default();
    config.server.listen = listen;
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
    println!("Braid demo is running (data in {}).", data_dir.display());
    println!("  GraphQL (catalog subgraph): http://{addr}/graphql");
    println!("  Health: http://{addr}/health   Metrics: http://{addr}/metrics");
    println!("  Try: curl -s http://{addr}/graphql -H 'content-type: application/json' \\");
    println!(
        "         -d '{{\"query\":\"{{ products(first: 5) {{ totalCount edges {{ node {{ id name price {{ amount currency }} }} }} }} }}\"}}'"
    );
    service.serve(listener, crate::cli::shutdown_signal()).await?;
    Ok(())
}
