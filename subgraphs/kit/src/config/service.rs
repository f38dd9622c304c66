//! The HTTP listener and the subgraph's own database.

use std::net::SocketAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The HTTP listener and request limits.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on.
    #[schemars(with = "String")]
    pub listen: SocketAddr,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Per-request time limit, in milliseconds.
    pub request_timeout_ms: u64,
    /// TLS on the listener (off unless a certificate is given).
    pub tls: super::ServerTlsConfig,
    /// A second listener, plain HTTP, serving only `/health`, `/ready` and `/metrics` (for probes
    /// and Prometheus when the main one asks for client certificates); off when unset.
    #[schemars(with = "Option<String>")]
    pub admin_listen: Option<SocketAddr>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4001)),
            max_body_bytes: 2 * 1024 * 1024,
            request_timeout_ms: 30_000,
            tls: super::ServerTlsConfig::default(),
            admin_listen: None,
        }
    }
}

/// The subgraph's own database.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `postgres://...` or `sqlite://path?mode=rwc`.
    pub url: String,
    pub max_connections: u32,
    /// Run pending migrations at start.
    pub migrate: bool,
    /// A hot standby of `url` for reads (`postgres://...`; the catalog reads there while it
    /// keeps up, and the primary otherwise).
    pub replica_url: Option<String>,
    /// How long the standby may trail the primary before reads go to the primary, in ms.
    pub replica_max_lag_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://.braid/subgraph.db?mode=rwc".into(),
            max_connections: 16,
            migrate: true,
            replica_url: None,
            replica_max_lag_ms: 1_000,
        }
    }
}
