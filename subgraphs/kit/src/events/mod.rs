//! The event backbone: envelope, the [`EventBus`] port and its adapters, the transactional
//! outbox with its relay, and consumers that apply each event at most once (inbox).

mod bus;
#[cfg(feature = "db")]
pub mod consumer;
mod envelope;
#[cfg(feature = "kafka")]
pub mod kafka;
#[cfg(feature = "db")]
mod lanes;
pub mod memory;
#[cfg(feature = "db")]
pub mod outbox;
#[cfg(feature = "rabbitmq")]
pub mod rabbitmq;
#[cfg(feature = "db")]
pub mod relay;
pub mod schema;

pub use bus::{BusError, Delivery, EventBus, Message, PublishError, Replay, Subscription};
#[cfg(feature = "db")]
pub use consumer::{Consumer, Handler, HandlerError};
pub use envelope::{DomainEvent, Envelope, topic_of};
#[cfg(feature = "db")]
pub use outbox::OutboxSignal;
#[cfg(feature = "db")]
pub use relay::Relay;

/// The dead-letter topic of `topic`.
pub fn dead_letter_topic(topic: &str) -> String {
    format!("{topic}.dlq")
}
