//! Subgraph configuration: a TOML file plus `BRAID_SECTION__KEY` environment overrides.
//!
//! Every section denies unknown keys, so a typo stops the process with the key's name rather
//! than being silently ignored. The JSON Schema comes from these structs ([`json_schema`]).
//!
//! Each section has its file (`service`, `events`, `cache`, `auth`, `orders`, `tls`, `telemetry`); `load` reads,
//! checks and describes a configuration. This module depends on nothing else in the kit.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod auth;
mod cache;
mod events;
mod load;
mod orders;
mod service;
mod telemetry;
mod tls;
#[cfg(test)]
mod tests;

pub use auth::{AccessConfig, AuthConfig, IssuerConfig};
pub use cache::{CacheBackend, CacheConfig};
pub use events::{EventsBackend, EventsConfig};
pub use load::{describe, extract, json_schema};
pub use orders::{OrdersConfig, PaymentConfig, ShippingConfig};
pub use service::{DatabaseConfig, ServerConfig};
pub use telemetry::TelemetryConfig;
pub use tls::{ClientTlsConfig, ServerTlsConfig};

/// A configuration that cannot be used: what is wrong, naming the key and where it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The defaults, file and environment do not make settings (unknown keys, wrong types):
    /// every problem, each with its key and where its value came from.
    #[error("configuration: {}", describe(.0))]
    Parse(figment::Error),
    /// A config file was named that does not exist.
    #[error("configuration: config file {} does not exist", .0.display())]
    MissingFile(std::path::PathBuf),
    /// A setting whose value cannot work.
    #[error("configuration: {key}: {why}")]
    Invalid { key: &'static str, why: String },
}

impl ConfigError {
    /// `key` has a value that cannot work, for the reason `why`.
    pub fn invalid(key: &'static str, why: impl Into<String>) -> Self {
        Self::Invalid { key, why: why.into() }
    }
}

/// Algorithms Braid accepts at all (`auth.algorithms` narrows this further).
pub const SUPPORTED_ALGORITHMS: &[&str] = &["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"];

/// Everything one subgraph process reads at start.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SubgraphConfig {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub events: EventsConfig,
    pub cache: CacheConfig,
    pub auth: AuthConfig,
    pub issuer: IssuerConfig,
    pub access: AccessConfig,
    pub orders: OrdersConfig,
    pub payment: PaymentConfig,
    pub shipping: ShippingConfig,
    /// TLS of the calls this process makes (to the catalog, the payment provider, the JWKS).
    pub client_tls: ClientTlsConfig,
    /// Traces exported over OTLP.
    pub telemetry: TelemetryConfig,
}
