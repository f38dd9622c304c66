//! Traces: where they are exported and how many are kept.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// OpenTelemetry traces: off unless an OTLP endpoint is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// Base URL of an OTLP/HTTP receiver (protobuf), as `OTEL_EXPORTER_OTLP_ENDPOINT` takes it:
    /// spans are posted to `<endpoint>/v1/traces` (Jaeger, the OpenTelemetry Collector and
    /// the vendors' agents listen on port 4318). Unset: no spans are made at all.
    pub otlp_endpoint: Option<String>,
    /// Headers sent with every export (a vendor's API key, for example).
    pub otlp_headers: BTreeMap<String, String>,
    /// Fraction of the traces starting here that are kept, 0.0 to 1.0. A request that comes
    /// with a `traceparent` follows its caller's decision instead.
    pub sampling_ratio: f64,
    /// The `service.name` of the spans (default: `braid-<component>`, e.g. `braid-orders`).
    pub service_name: Option<String>,
    /// How often finished spans are sent, in milliseconds.
    pub export_interval_ms: u64,
    /// Time limit of one export, in milliseconds.
    pub export_timeout_ms: u64,
    /// Finished spans held for export at most; more are dropped (and counted) rather than
    /// let memory grow while the receiver is away.
    pub max_queue: usize,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            otlp_endpoint: None,
            otlp_headers: BTreeMap::new(),
            sampling_ratio: 1.0,
            service_name: None,
            export_interval_ms: 5_000,
            export_timeout_ms: 10_000,
            max_queue: 2_048,
        }
    }
}

impl TelemetryConfig {
    /// Are traces on?
    pub fn enabled(&self) -> bool {
        self.otlp_endpoint.is_some()
    }

    /// Refuses values that cannot work, naming the key under `section`.
    pub fn check(&self, section: &'static str) -> Result<(), ConfigError> {
        let bad = |why: &str| Err(ConfigError::invalid(section, why));
        if let Some(url) = &self.otlp_endpoint
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return bad("otlp_endpoint must start with http:// or https://");
        }
        if !(0.0..=1.0).contains(&self.sampling_ratio) {
            return bad("sampling_ratio must be between 0 and 1");
        }
        if self.export_interval_ms == 0 || self.export_timeout_ms == 0 || self.max_queue == 0 {
            return bad("export_interval_ms, export_timeout_ms and max_queue must be at least 1");
        }
        Ok(())
    }
}
