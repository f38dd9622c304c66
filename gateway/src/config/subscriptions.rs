//! The sections for subscriptions: where events come from, and the WebSocket and HTTP stream
//! transports.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where subscription fields fed by events (`@event`) read the domain events.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    /// `none`: such fields are refused with SUBSCRIPTION_UNAVAILABLE; `kafka`: read `brokers`.
    pub backend: EventsSource,
    /// Kafka bootstrap servers.
    pub brokers: String,
    /// The subgraphs' `events.topic_prefix`.
    pub topic_prefix: String,
    /// Longest a fetch waits at the broker for records, in ms.
    pub fetch_wait_ms: u64,
}

/// Where the gateway reads events from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EventsSource {
    None,
    Kafka,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            backend: EventsSource::None,
            brokers: "127.0.0.1:9092".into(),
            topic_prefix: String::new(),
            fetch_wait_ms: 20,
        }
    }
}

/// GraphQL over WebSocket (`graphql-transport-ws`) at `/graphql`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WebsocketConfig {
    pub enabled: bool,
    /// How long a new connection may take to send `connection_init`, in milliseconds.
    pub init_timeout_ms: u64,
    /// How often the gateway pings an idle client, in milliseconds.
    pub keepalive_ms: u64,
    /// Open connections per gateway instance; more are refused with 503 and `Retry-After`.
    pub max_connections: usize,
    /// Operations running at once on one connection.
    pub max_operations: usize,
    /// Largest frame a client may send, in bytes.
    pub max_message_bytes: usize,
}

impl Default for WebsocketConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            init_timeout_ms: 3_000,
            keepalive_ms: 12_000,
            max_connections: 10_000,
            max_operations: 100,
            max_message_bytes: 1 << 20,
        }
    }
}

/// Subscriptions over HTTP at `/graphql`: GraphQL over Server-Sent Events (`Accept:
/// text/event-stream`) and multipart (`Accept: multipart/mixed`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StreamsConfig {
    pub enabled: bool,
    /// How often an idle stream gets a heartbeat, in milliseconds.
    pub heartbeat_ms: u64,
    /// Open streams per gateway instance; more are refused with 503 and `Retry-After`.
    pub max_streams: usize,
}

impl Default for StreamsConfig {
    fn default() -> Self {
        Self { enabled: true, heartbeat_ms: 5_000, max_streams: 10_000 }
    }
}

/// Subscriptions, whatever their transport.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SubscriptionsConfig {
    /// Subscriptions being opened (authorized, planned, their entity checked) at once per
    /// instance; more wait their turn, so that ten thousand clients reconnecting after a
    /// deploy cost bounded memory and do not stampede the subgraphs.
    pub max_opening: usize,
}

impl Default for SubscriptionsConfig {
    fn default() -> Self {
        Self { max_opening: 64 }
    }
}
