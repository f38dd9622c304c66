//! The event backbone: envelope, the [`EventBus`] port and its adapters, the transactional
//! outbox with its relay, and consumers that apply each event at most once (inbox).

mod bus;
pub mod consumer;
mod envelope;
pub mod kafka;
mod lanes;
pub mod memory;
pub mod outbox;
pub mod relay;
pub mod schema;

pub use bus::{BusError, Delivery, EventBus, Message, PublishError, Replay, Subscription};
pub use consumer::{Consumer, Handler, HandlerError};
pub use envelope::{DomainEvent, Envelope, topic_of};
pub use outbox::OutboxSignal;
pub use relay::Relay;

/// The dead-letter topic of `topic`.
pub fn dead_letter_topic(topic: &str) -> String {
    format!("{topic}.dlq")
}
