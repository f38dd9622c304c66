//! Command-line interface.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use braid_kit::{Infra, SubgraphConfig};
use braid_migrations::MigratorTrait;
use clap::{Parser, Subcommand, ValueEnum};

/// Braid: a GraphQL federation gateway, its subgraphs and the event backbone between them.
#[derive(Parser)]
#[command(name = "braid", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run everything in one process with nothing installed: SQLite files, in-process events,
    /// in-memory caches and demo data.
    Demo {
        /// Where GraphQL is served.
        #[arg(long, default_value = "127.0.0.1:4000")]
        listen: SocketAddr,
        /// Directory for the SQLite files.
        #[arg(long, default_value = ".braid")]
        data_dir: PathBuf,
    },
    /// Run one subgraph for a real deployment (PostgreSQL, Kafka, Redis).
    ///
    /// Configuration comes from the TOML file, then from `BRAID_<SECTION>__<KEY>` environment
    /// variables (for example `BRAID_DATABASE__URL`). `braid config-schema` prints every key.
    Subgraph {
        name: SubgraphName,
        /// TOML configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Overrides `server.listen`.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Run the federation gateway in front of the subgraphs a supergraph names.
    ///
    /// Configuration comes from the TOML file, then from `BRAID_<SECTION>__<KEY>` environment
    /// variables. `braid config-schema gateway` prints every key.
    Gateway {
        /// The composed supergraph SDL (reloaded when it changes).
        #[arg(long)]
        supergraph: Option<PathBuf>,
        /// TOML configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Overrides `server.listen`.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Apply a subgraph's pending database migrations.
    Migrate {
        name: SubgraphName,
        #[arg(long, env = "BRAID_DATABASE__URL")]
        database_url: String,
    },
    /// Print a subgraph's schema (SDL) as the code defines it.
    Sdl { name: SubgraphName },
    /// Dump a subgraph's PostgreSQL database into a directory (`pg_dump`, custom format).
    Backup {
        name: SubgraphName,
        /// The directory to write `<subgraph>.dump` and its manifest to.
        #[arg(long)]
        to: PathBuf,
        #[arg(long, env = "BRAID_DATABASE__URL")]
        database_url: String,
    },
    /// Replace a subgraph's PostgreSQL database with a backup (`pg_restore`, one transaction).
    ///
    /// Stop the subgraph first. A restore never doubles an effect: what the backup shows as
    /// published is not published again, and consumers' inboxes drop what they had applied.
    Restore {
        name: SubgraphName,
        /// The directory `braid backup` wrote.
        #[arg(long)]
        from: PathBuf,
        #[arg(long, env = "BRAID_DATABASE__URL")]
        database_url: String,
    },
    /// Run the simulated payment provider (ledger, idempotency keys, fault injection) over HTTP.
    ///
    /// Fault rates come from the `[payment]` section of the TOML file and `BRAID_PAYMENT__*`
    /// variables, and can be changed at run time with `PUT /admin/faults`.
    PaymentProvider {
        /// TOML configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, default_value = "127.0.0.1:4110")]
        listen: SocketAddr,
    },
    /// Work on the orders subgraph's data.
    Orders {
        #[command(subcommand)]
        command: OrdersCommand,
    },
    /// Print the JSON Schema of a configuration file.
    ConfigSchema {
        #[arg(value_enum, default_value = "subgraph")]
        of: SchemaOf,
    },
}

#[derive(Subcommand)]
enum OrdersCommand {
    /// Drop the order projections and fold every order's event stream again.
    RebuildProjections {
        #[arg(long, env = "BRAID_DATABASE__URL")]
        database_url: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum SchemaOf {
    Subgraph,
    Gateway,
}

#[derive(Clone, Copy, ValueEnum)]
enum SubgraphName {
    Catalog,
    Documents,
    Orders,
    Permissions,
}

impl SubgraphName {
    fn name(self) -> &'static str {
        match self {
            Self::Catalog => braid_catalog::NAME,
            Self::Documents => braid_documents::NAME,
            Self::Orders => braid_orders::NAME,
            Self::Permissions => braid_permissions::NAME,
        }
    }
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Demo { listen, data_dir } => {
                braid_kit::telemetry::init("demo", &crate::demo::telemetry()?)?;
                crate::demo::run(listen, &data_dir, shutdown_signal()).await
            }
            Command::Subgraph { name, config, listen } => {
                let mut config = SubgraphConfig::load(config.as_deref())?;
                braid_kit::telemetry::init(name.name(), &config.telemetry)?;
                if let Some(listen) = listen {
                    config.server.listen = listen;
                }
                let listener = tokio::net::TcpListener::bind(config.server.listen)
                    .await
                    .with_context(|| format!("binding {}", config.server.listen))?;
                let infra = Infra::connect(name.name(), config, None).await?;
                let service = match name {
                    SubgraphName::Catalog => braid_catalog::service(infra).await?,
                    SubgraphName::Documents => braid_documents::service(infra, None).await?,
                    SubgraphName::Orders => braid_orders::service(infra, Default::default()).await?,
                    SubgraphName::Permissions => braid_permissions::service(infra).await?,
                };
                tracing::info!(addr = %listener.local_addr()?, subgraph = name.name(), "subgraph serving /graphql");
                service.serve(listener, shutdown_signal()).await?;
                tracing::info!(subgraph = name.name(), "subgraph stopped");
                Ok(())
            }
            Command::Migrate { name, database_url } => {
                braid_kit::telemetry::init_logging();
                let config = braid_kit::config::DatabaseConfig { url: database_url, ..Default::default() };
                let db = braid_kit::db::connect(&config).await?;
                match name {
                    SubgraphName::Catalog => braid_migrations::catalog::Migrator::up(&db, None).await?,
                    SubgraphName::Documents => braid_migrations::documents::Migrator::up(&db, None).await?,
                    SubgraphName::Orders => braid_migrations::orders::Migrator::up(&db, None).await?,
                    SubgraphName::Permissions => braid_migrations::permissions::Migrator::up(&db, None).await?,
                }
                println!("{}: migrations applied", name.name());
                Ok(())
            }
            Command::Sdl { name } => {
                match name {
                    SubgraphName::Catalog => print!("{}", braid_catalog::graphql::sdl()),
                    SubgraphName::Documents => print!("{}", braid_documents::graphql::sdl()),
                    SubgraphName::Orders => print!("{}", braid_orders::graphql::sdl()),
                    SubgraphName::Permissions => print!("{}", braid_permissions::graphql::sdl()),
                }
                Ok(())
            }
            Command::Backup { name, to, database_url } => {
                let dump = crate::backup::backup(name.name(), &database_url, &to)?;
                println!("{}: backed up to {}", name.name(), dump.display());
                Ok(())
            }
            Command::Restore { name, from, database_url } => {
                let taken_at = crate::backup::restore(name.name(), &database_url, &from)?;
                println!("{}: restored the backup taken at {taken_at}", name.name());
                Ok(())
            }
            Command::PaymentProvider { config, listen } => {
                let config = SubgraphConfig::load(config.as_deref())?;
                braid_kit::telemetry::init("payment-provider", &config.telemetry)?;
                let faults = braid_orders::payment::Faults::from_config(&config.payment);
                let provider = braid_orders::payment::SimulatedProvider::new(faults);
                let tls = braid_kit::tls::ServerTls::load(&config.server.tls)?;
                let listener =
                    tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
                tracing::info!(addr = %listener.local_addr()?, tls = tls.is_some(), "payment provider serving /v1");
                let router = braid_orders::payment::http::router(provider);
                braid_kit::tls::serve(listener, tls, router, shutdown_signal()).await?;
                Ok(())
            }
            Command::Orders { command: OrdersCommand::RebuildProjections { database_url } } => {
                braid_kit::telemetry::init_logging();
                let config = braid_kit::config::DatabaseConfig { url: database_url, ..Default::default() };
                let db = braid_kit::db::connect(&config).await?;
                let orders = braid_orders::view::rebuild(&db).await?;
                println!("orders: {orders} projections rebuilt from their event streams");
                Ok(())
            }
            Command::ConfigSchema { of } => {
                let schema = match of {
                    SchemaOf::Subgraph => braid_kit::config::json_schema(),
                    SchemaOf::Gateway => braid_gateway::config::json_schema(),
                };
                println!("{}", serde_json::to_string_pretty(&schema)?);
                Ok(())
            }
            Command::Gateway { supergraph, config, listen } => {
                let mut config = braid_gateway::GatewayConfig::load(config.as_deref())?;
                braid_kit::telemetry::init("gateway", &config.telemetry)?;
                if let Some(path) = supergraph {
                    config.supergraph.path = Some(path);
                }
                if let Some(listen) = listen {
                    config.server.listen = listen;
                }
                let listener = tokio::net::TcpListener::bind(config.server.listen)
                    .await
                    .with_context(|| format!("binding {}", config.server.listen))?;
                tracing::info!(addr = %listener.local_addr()?, "gateway serving /graphql and /graphiql");
                let metrics = braid_kit::telemetry::prometheus().clone();
                braid_gateway::run(config, listener, metrics, shutdown_signal()).await?;
                tracing::info!("gateway stopped");
                Ok(())
            }
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
