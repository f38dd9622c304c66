//! The runtime every Braid subgraph shares.
//!
//! Ports and adapters: [`events::EventBus`] (Kafka, in-process) and [`cache::Cache`]
//! (Redis, in-memory, none) are traits with their implementations side by side, so the same
//! subgraph code runs in `braid demo` (SQLite, in-process events, memory cache) and in a real
//! deployment (PostgreSQL, Kafka, Redis).

// Functions over 80 lines (clippy.toml) are split into named steps.
#![warn(clippy::too_many_lines)]

pub mod accept;
pub mod auth;
pub mod backoff;
pub mod cache;
pub mod config;
pub mod connection;
pub mod contracts;
#[cfg(feature = "db")]
pub mod db;
pub mod error;
pub mod events;
pub mod federation;
#[cfg(feature = "db")]
pub mod http;
#[cfg(feature = "db")]
pub mod infra;
#[cfg(feature = "db")]
pub mod replica;
#[cfg(feature = "db")]
pub mod sql;
pub mod telemetry;
pub mod text;
pub mod tls;

pub use config::SubgraphConfig;
pub use error::{ClientError, KitError};
#[cfg(feature = "db")]
pub use infra::{Infra, Service};
