//! Loading: defaults, then the file, then the environment; checking what types alone do not;
//! describing what went wrong; the JSON Schema.

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};

use super::{CacheBackend, ConfigError, SUPPORTED_ALGORITHMS, SubgraphConfig};

impl SubgraphConfig {
    /// Reads defaults, then `file` (which must exist if given), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(Figment::from(Serialized::defaults(Self::default())), file)
    }

    /// Like [`load`](Self::load) but starting from the given base (for `braid demo`).
    pub fn load_from(base: Figment, file: Option<&Path>) -> Result<Self, ConfigError> {
        let config: Self = extract(base, file)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks values that types alone do not.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &'static str, why: &str| Err(ConfigError::invalid(key, why));
        let url = &self.database.url;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://") || url.starts_with("sqlite:")) {
            return bad("database.url", "must start with postgres://, postgresql:// or sqlite:");
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1");
        }
        if self.events.max_attempts == 0 {
            return bad("events.max_attempts", "must be at least 1");
        }
        if !(1..=10_000).contains(&self.events.fetch_wait_ms) {
            return bad("events.fetch_wait_ms", "must be 1-10000");
        }
        if !(1..=256).contains(&self.events.consumer_lanes) {
            return bad("events.consumer_lanes", "must be 1-256");
        }
        if self.events.partitions < 1 {
            return bad("events.partitions", "must be at least 1");
        }
        if self.events.inbox_retention_hours == 0 {
            return bad("events.inbox_retention_hours", "must be at least 1");
        }
        if self.events.relay_batch == 0 {
            return bad("events.relay_batch", "must be at least 1");
        }
        if self.cache.backend == CacheBackend::Redis && !self.cache.url.starts_with("redis://") {
            return bad("cache.url", "must start with redis://");
        }
        if self.cache.ttl_secs == 0 {
            return bad("cache.ttl_secs", "must be at least 1");
        }
        self.server.tls.check("server.tls")?;
        self.client_tls.check("client_tls")?;
        self.telemetry.check("telemetry")?;
        if self.server.max_body_bytes < 1024 {
            return bad("server.max_body_bytes", "must be at least 1024");
        }
        if self.issuer.access_ttl_secs < 10 || self.issuer.refresh_ttl_secs < self.issuer.access_ttl_secs {
            return bad("issuer", "access_ttl_secs is at least 10 and refresh_ttl_secs at least access_ttl_secs");
        }
        if self.access.timeout_ms == 0 {
            return bad("access.timeout_ms", "must be at least 1");
        }
        if let Some(url) = &self.access.permissions_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return bad("access.permissions_url", "must start with http:// or https://");
        }
        for (key, url) in [("orders.catalog_url", &self.orders.catalog_url), ("payment.url", &self.payment.url)] {
            if let Some(url) = url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return bad(key, "must start with http:// or https://");
            }
        }
        let payment = &self.payment;
        for (key, rate) in [
            ("payment.decline_rate", payment.decline_rate),
            ("payment.error_rate", payment.error_rate),
            ("payment.lost_answer_rate", payment.lost_answer_rate),
            ("payment.timeout_rate", payment.timeout_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return bad(key, "must be between 0 and 1");
            }
        }
        if self.orders.step_attempts == 0 || self.orders.step_timeout_ms == 0 || self.orders.timer_interval_ms == 0 {
            return bad("orders", "step_attempts, step_timeout_ms and timer_interval_ms must be at least 1");
        }
        if self.auth.algorithms.is_empty() {
            return bad("auth.algorithms", "must name at least one algorithm");
        }
        for alg in &self.auth.algorithms {
            if !SUPPORTED_ALGORITHMS.contains(&alg.as_str()) {
                return bad("auth.algorithms", &format!("unsupported algorithm {alg:?}"));
            }
        }
        Ok(())
    }
}

/// Reads a configuration: `base`, then `file` (which must exist if given), then the
/// `BRAID_SECTION__KEY` environment variables. The gateway's and every subgraph's loading.
pub fn extract<T: serde::de::DeserializeOwned>(base: Figment, file: Option<&Path>) -> Result<T, ConfigError> {
    let mut figment = base;
    if let Some(path) = file {
        if !path.exists() {
            return Err(ConfigError::MissingFile(path.to_path_buf()));
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    // Only `BRAID_SECTION__KEY` variables are configuration; other BRAID_* names are not.
    figment = figment.merge(Env::prefixed("BRAID_").filter(|k| k.as_str().contains("__")).split("__"));
    figment.extract().map_err(ConfigError::Parse)
}

/// Every problem figment found, each with its key and where the value came from.
pub fn describe(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|e| {
            let key = if e.path.is_empty() { String::from("(top level)") } else { e.path.join(".") };
            let source = e
                .metadata
                .as_ref()
                .map(|m| match &m.source {
                    Some(src) => format!(" (from {} {src})", m.name),
                    None => format!(" (from {})", m.name),
                })
                .unwrap_or_default();
            format!("{key}: {}{source}", e.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The JSON Schema of [`SubgraphConfig`], generated from the structs.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(SubgraphConfig)).expect("schema serializes")
}
