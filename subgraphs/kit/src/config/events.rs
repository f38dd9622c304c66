//! The event bus: outbox relay, consumers and the broker.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which event bus adapter to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EventsBackend {
    /// In-process bus: one process, nothing installed.
    Memory,
    /// A Kafka-protocol broker.
    Kafka,
    /// RabbitMQ (AMQP 0.9.1).
    Rabbitmq,
}

/// Outbox relay, consumers and the broker.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    pub backend: EventsBackend,
    /// Kafka bootstrap servers.
    pub brokers: String,
    /// RabbitMQ's address (`amqp://user:password@host:port/vhost`).
    pub amqp_url: String,
    /// Prepended to every topic and consumer group name (isolates environments and tests).
    pub topic_prefix: String,
    /// Partitions for topics this process creates (on RabbitMQ: queues per consumer group and
    /// topic, which every process of the system must agree on).
    pub partitions: i32,
    /// How often the relay looks for unpublished outbox rows when nobody wakes it, in ms.
    pub relay_interval_ms: u64,
    /// Outbox rows published per relay round.
    pub relay_batch: u64,
    /// Longest relay back-off while the broker is down, in ms.
    pub relay_max_backoff_ms: u64,
    /// How long the producer keeps trying one message before reporting it failed, in ms.
    pub publish_timeout_ms: u64,
    /// Attempts at handling one event before it goes to the dead-letter topic.
    pub max_attempts: u32,
    /// First retry delay of a failing handler, in ms (doubles per attempt).
    pub retry_backoff_ms: u64,
    /// How long an applied event id is remembered (redeliveries within it are ignored), in hours.
    pub inbox_retention_hours: u64,
    /// Events one consumer applies at once, each key (aggregate) in order through its own lane
    /// (on SQLite, which has one writer, always 1).
    pub consumer_lanes: usize,
    /// Longest a consumer's fetch waits at the broker for records, in ms. Kafka answers as soon
    /// as a record arrives; tansu holds every fetch for about half of it, on every hop.
    pub fetch_wait_ms: u64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            backend: EventsBackend::Memory,
            brokers: "127.0.0.1:9092".into(),
            amqp_url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
            topic_prefix: String::new(),
            partitions: 3,
            relay_interval_ms: 200,
            relay_batch: 256,
            relay_max_backoff_ms: 5_000,
            publish_timeout_ms: 10_000,
            max_attempts: 5,
            retry_backoff_ms: 50,
            inbox_retention_hours: 168,
            consumer_lanes: 8,
            fetch_wait_ms: 20,
        }
    }
}
