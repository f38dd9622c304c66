//! The RabbitMQ adapter (lapin): persistent messages through publisher confirms, consumer
//! groups as durable queues acknowledged only after an event has been handled (at-least-once;
//! the inbox makes it effectively once).
//!
//! Order per aggregate: the publisher picks a partition from the key, a consumer group has a
//! queue per partition, and each queue has a single active consumer. A queue hands out its
//! messages in order to one consumer at a time; when that consumer goes, its unacknowledged
//! messages go back to the queue's head and the next one takes over, still in order. A
//! consistent-hash exchange would spread a group over its members but needs a plugin, and the
//! queues it feeds are bound to members, so a member leaving re-routes keys while the old
//! queue still holds their messages: order breaks exactly when something fails.
//!
//! What RabbitMQ does not keep: a message goes to the queues that exist when it arrives. A
//! group's queues exist from its first subscription on, so a group sees what was published
//! after its service first started (Kafka keeps the log and a new group reads it from the
//! beginning). Nor can anything be read again: `ends` and `replay` (the gateway's resumable
//! subscriptions) need Kafka.

mod group;
mod topology;

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};
use tokio::sync::Mutex;

use super::bus::{BusError, EventBus, Message, PublishError, Replay, Subscription};
use crate::config::EventsConfig;
use group::{Plan, RabbitSubscription};
use topology::{KEY_HEADER, Names};

/// RabbitMQ 3.8 or later (quorum queues, single active consumer).
pub struct RabbitBus {
    url: String,
    prefix: String,
    partitions: u16,
    publish_timeout: Duration,
    /// The publishing connection, made again after a failure.
    publisher: Mutex<Option<Publisher>>,
}

/// A connection and its channel in confirm mode, with the exchanges declared through it.
struct Publisher {
    connection: Connection,
    channel: Channel,
    declared: HashSet<String>,
}

/// Messages survive a broker restart (AMQP's delivery mode 2).
const PERSISTENT: u8 = 2;

impl RabbitBus {
    pub fn new(config: &EventsConfig) -> Result<Self, BusError> {
        let partitions = u16::try_from(config.partitions.max(1)).map_err(|_| {
            BusError::Other(format!(
                "events.partitions {} is more than RabbitMQ queues per group we make",
                config.partitions
            ))
        })?;
        Ok(Self {
            url: config.amqp_url.clone(),
            prefix: config.topic_prefix.clone(),
            partitions,
            publish_timeout: Duration::from_millis(config.publish_timeout_ms),
            publisher: Mutex::default(),
        })
    }

    fn names(&self) -> Names<'_> {
        Names { prefix: &self.prefix, partitions: self.partitions }
    }

    /// The publisher in `slot`, connected first when there is none or its connection is gone.
    async fn connected<'a>(&self, slot: &'a mut Option<Publisher>) -> Result<&'a mut Publisher, BusError> {
        if slot.as_ref().is_none_or(|p| !p.connection.status().connected()) {
            let connection =
                Connection::connect(&self.url, ConnectionProperties::default()).await.map_err(unavailable)?;
            let channel = connection.create_channel().await.map_err(unavailable)?;
            channel.confirm_select(ConfirmSelectOptions::default()).await.map_err(unavailable)?;
            *slot = Some(Publisher { connection, channel, declared: HashSet::new() });
        }
        Ok(slot.as_mut().expect("connected above"))
    }

    /// Publishes `batch` through `publisher`; on an error, how many the broker confirmed first.
    async fn send(&self, publisher: &mut Publisher, batch: &[Message]) -> Result<(), PublishError> {
        let mut pending = Vec::with_capacity(batch.len());
        let mut stopped = None;
        for m in batch {
            match self.send_one(publisher, m).await {
                Ok(confirm) => pending.push(confirm),
                Err(e) => {
                    stopped = Some(e);
                    break;
                }
            }
        }
        // The messages sent before a failure count if the broker confirms them.
        let (delivered, refused) = self.confirmed(pending).await;
        match refused.or(stopped.map(unavailable)) {
            None => Ok(()),
            Some(source) => Err(PublishError { delivered, source }),
        }
    }

    /// Sends one message (declaring its exchange the first time); its confirm is awaited later.
    async fn send_one(&self, publisher: &mut Publisher, m: &Message) -> lapin::Result<lapin::PublisherConfirm> {
        let exchange = self.names().full(&m.topic);
        if !publisher.declared.contains(&exchange) {
            topology::declare_exchange(&publisher.channel, &exchange).await?;
            publisher.declared.insert(exchange.clone());
        }
        let mut headers = FieldTable::default();
        headers.insert(KEY_HEADER.into(), AMQPValue::LongString(m.key.as_str().into()));
        for (name, value) in &m.headers {
            headers.insert(name.as_str().into(), AMQPValue::LongString(value.as_str().into()));
        }
        let properties = BasicProperties::default().with_delivery_mode(PERSISTENT).with_headers(headers);
        let routing = topology::routing_key(&m.key, self.partitions);
        let options = BasicPublishOptions::default();
        publisher.channel.basic_publish(exchange.into(), routing.into(), options, &m.payload, properties).await
    }

    /// Waits for the confirms of what was sent, in order: how many lead confirmed, and what
    /// stopped the rest (what follows a refused message counts as not sent: the relay sends
    /// it again).
    async fn confirmed(&self, pending: Vec<lapin::PublisherConfirm>) -> (usize, Option<BusError>) {
        let mut delivered = 0;
        for confirm in pending {
            let error = match tokio::time::timeout(self.publish_timeout, confirm).await {
                Ok(Ok(Confirmation::Ack(_) | Confirmation::NotRequested)) => {
                    delivered += 1;
                    continue;
                }
                Ok(Ok(Confirmation::Nack(_))) => BusError::Unavailable("the broker refused a message (nack)".into()),
                Ok(Err(e)) => unavailable(e),
                Err(_) => BusError::Unavailable("no publisher confirm in time".into()),
            };
            return (delivered, Some(error));
        }
        (delivered, None)
    }

    async fn open(&self, specs: Vec<topology::QueueSpec>) -> Result<Box<dyn Subscription>, BusError> {
        let plan = Plan { url: self.url.clone(), prefix: self.prefix.clone(), specs };
        Ok(Box::new(RabbitSubscription::open(plan).await?))
    }
}

#[async_trait]
impl EventBus for RabbitBus {
    async fn publish(&self, batch: &[Message]) -> Result<(), PublishError> {
        let mut guard = self.publisher.lock().await;
        let publisher = self.connected(&mut guard).await.map_err(|source| PublishError { delivered: 0, source })?;
        let result = self.send(publisher, batch).await;
        if result.is_err() {
            // A channel that failed once is closed by the broker; start afresh next time.
            *guard = None;
        }
        result
    }

    async fn subscribe(&self, group: &str, topics: &[String]) -> Result<Box<dyn Subscription>, BusError> {
        self.open(self.names().group(group, topics)).await
    }

    /// A queue of the subscription's own: RabbitMQ has no "from the end" for a durable queue,
    /// and a live reader wants nothing from before it joined anyway.
    async fn subscribe_latest(&self, _group: &str, topics: &[String]) -> Result<Box<dyn Subscription>, BusError> {
        self.open(vec![self.names().live(topics)]).await
    }

    async fn ends(&self, _topic: &str) -> Result<Vec<(i32, i64)>, BusError> {
        Err(no_log())
    }

    async fn replay(&self, _topic: &str, _from: &[(i32, i64)]) -> Result<Box<dyn Replay>, BusError> {
        Err(no_log())
    }

    async fn ping(&self) -> Result<(), BusError> {
        self.connected(&mut *self.publisher.lock().await).await.map(|_| ())
    }
}

fn no_log() -> BusError {
    BusError::Other("RabbitMQ keeps no log to read again (events.backend = \"kafka\" does)".into())
}

fn unavailable(e: lapin::Error) -> BusError {
    BusError::Unavailable(e.to_string())
}

/// A header's value as text (we write long strings; others are read as best we can).
fn header_text(value: &AMQPValue) -> Option<String> {
    match value {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_string()),
        AMQPValue::LongLongInt(n) => Some(n.to_string()),
        AMQPValue::LongInt(n) => Some(n.to_string()),
        _ => None,
    }
}
