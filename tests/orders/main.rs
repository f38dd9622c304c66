//! The orders subgraph and its saga on PostgreSQL, Redis and the Kafka-protocol broker: the
//! catalog and orders services in this process, each with its own database.

#[path = "../support/mod.rs"]
mod support;

mod api;
mod cache;
mod gateway;
mod live;
mod saga;
mod stack;
