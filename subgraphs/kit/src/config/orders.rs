//! The orders subgraph, its saga, and the simulated payment provider and carrier.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The orders subgraph and its saga orchestrator.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OrdersConfig {
    /// The catalog subgraph's GraphQL endpoint (names, prices and stock for carts and orders).
    pub catalog_url: Option<String>,
    /// Timeout of one catalog call, in milliseconds.
    pub catalog_timeout_ms: u64,
    /// How long a saga step may wait for its participant's answer before it is retried, in ms.
    pub step_timeout_ms: u64,
    /// Attempts at a step before the saga gives up and compensates (compensations never give up).
    pub step_attempts: u32,
    /// First retry delay of a step, in ms (doubles per attempt, with jitter).
    pub retry_backoff_ms: u64,
    /// Longest retry delay, in ms.
    pub max_retry_backoff_ms: u64,
    /// How long the catalog holds reserved stock waiting for the payment, in seconds.
    pub reservation_ttl_secs: u64,
    /// How often the orchestrator looks for steps whose time is up, in ms.
    pub timer_interval_ms: u64,
    /// How long the warehouse prepares a paid order before its shipment is requested, in
    /// ms; the order can be cancelled until then.
    pub handling_ms: u64,
}

impl Default for OrdersConfig {
    fn default() -> Self {
        Self {
            catalog_url: None,
            catalog_timeout_ms: 5_000,
            step_timeout_ms: 10_000,
            step_attempts: 4,
            retry_backoff_ms: 500,
            max_retry_backoff_ms: 30_000,
            reservation_ttl_secs: 900,
            timer_interval_ms: 250,
            handling_ms: 0,
        }
    }
}

/// The simulated payment provider of the payment participant, and the faults it injects.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentConfig {
    /// The provider's base URL (`braid payment-provider`); the simulated provider runs in
    /// this process when absent, with the fault rates below.
    pub url: Option<String>,
    /// Timeout of one provider call, in milliseconds.
    pub timeout_ms: u64,
    /// Share of captures the simulated provider declines (0 to 1).
    pub decline_rate: f64,
    /// Share of calls that fail with a server error, nothing done (0 to 1).
    pub error_rate: f64,
    /// Share of calls whose answer is lost after the provider acted (0 to 1).
    pub lost_answer_rate: f64,
    /// Share of calls that hang until the caller's timeout (0 to 1).
    pub timeout_rate: f64,
    /// Added to every call, in milliseconds.
    pub latency_ms: u64,
}

impl Default for PaymentConfig {
    fn default() -> Self {
        Self {
            url: None,
            timeout_ms: 5_000,
            decline_rate: 0.0,
            error_rate: 0.0,
            lost_answer_rate: 0.0,
            timeout_rate: 0.0,
            latency_ms: 0,
        }
    }
}

/// The simulated carrier of the shipping participant.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ShippingConfig {
    /// Time between two moves of a shipment (label, in transit, out for delivery, delivered), in ms.
    pub step_ms: u64,
    /// The carrier's name on shipments.
    pub carrier: String,
}

impl Default for ShippingConfig {
    fn default() -> Self {
        Self { step_ms: 2_000, carrier: "Braid Express".into() }
    }
}
