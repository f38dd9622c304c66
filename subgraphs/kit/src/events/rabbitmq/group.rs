//! A subscription: a connection of its own consuming its queues, one channel per queue (so
//! that acknowledging "this delivery and everything before it" is one `basic.ack` with
//! `multiple`), connected again after the broker went away.

use std::collections::HashMap;

use async_trait::async_trait;
use futures::StreamExt as _;
use futures::stream::{BoxStream, SelectAll};
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties};

use super::topology::{self, KEY_HEADER, QueueSpec};
use super::{header_text, unavailable};
use crate::events::bus::{BusError, Delivery, Subscription};

/// Deliveries a queue hands out before the first of them is acknowledged.
const PREFETCH: u16 = 256;

/// Offsets are `generation << GENERATION_SHIFT | delivery tag`: delivery tags start again at 1
/// on every new channel, and an acknowledgement meant for a channel that is gone must not
/// reach the new one (its deliveries come again anyway).
const GENERATION_SHIFT: u32 = 40;

type Deliveries = SelectAll<BoxStream<'static, (usize, lapin::Result<lapin::message::Delivery>)>>;

/// What to connect to, and which queues to read.
pub(super) struct Plan {
    pub url: String,
    pub prefix: String,
    pub specs: Vec<QueueSpec>,
}

/// The connection of one generation: its channels (one per spec) and their deliveries merged.
/// Dropping it closes the connection, and the broker gives what it had not acknowledged to
/// the next consumer.
struct Live {
    _connection: Connection,
    channels: Vec<Channel>,
    deliveries: Deliveries,
}

pub(super) struct RabbitSubscription {
    plan: Plan,
    /// Which spec reads a (topic, partition): the ack's way back to its channel.
    by_position: HashMap<(String, i32), usize>,
    generation: i64,
    live: Option<Live>,
    /// A connection being made, on its own task so that `recv` stays cancel-safe.
    connecting: Option<tokio::task::JoinHandle<Result<Live, BusError>>>,
}

impl RabbitSubscription {
    /// Connects, declares and starts consuming; an error here means the broker is unreachable.
    pub(super) async fn open(plan: Plan) -> Result<Self, BusError> {
        let live = connect(plan.url.clone(), plan.specs.clone()).await?;
        Ok(Self { plan, by_position: HashMap::new(), generation: 0, live: Some(live), connecting: None })
    }

    fn delivery(&mut self, spec: usize, d: lapin::message::Delivery) -> Delivery {
        let exchange = d.exchange.as_str();
        let topic = exchange.strip_prefix(self.plan.prefix.as_str()).unwrap_or(exchange).to_string();
        let partition = self.plan.specs[spec].partition;
        self.by_position.entry((topic.clone(), partition)).or_insert(spec);
        let mut key = None;
        let mut headers = Vec::new();
        if let Some(table) = d.properties.headers() {
            for (name, value) in table.inner() {
                let Some(text) = header_text(value) else { continue };
                if name.as_str() == KEY_HEADER {
                    key = Some(text);
                } else {
                    headers.push((name.as_str().to_string(), text));
                }
            }
        }
        Delivery {
            topic,
            partition,
            offset: (self.generation << GENERATION_SHIFT) | d.delivery_tag as i64,
            key,
            payload: d.data,
            headers,
        }
    }

    /// The next delivery of the current connection, making one when there is none.
    async fn next(&mut self) -> Result<(usize, lapin::message::Delivery), BusError> {
        if self.live.is_none() {
            let (url, specs) = (self.plan.url.clone(), self.plan.specs.clone());
            let connecting = self.connecting.get_or_insert_with(|| tokio::spawn(connect(url, specs)));
            let made = connecting.await;
            self.connecting = None;
            let live = made.map_err(|e| BusError::Other(e.to_string()))??;
            self.generation += 1;
            self.by_position.clear();
            self.live = Some(live);
        }
        let live = self.live.as_mut().expect("connected above");
        match live.deliveries.next().await {
            Some((spec, Ok(d))) => Ok((spec, d)),
            Some((_, Err(e))) => {
                self.live = None;
                Err(unavailable(e))
            }
            None => {
                self.live = None;
                Err(BusError::Unavailable("the broker cancelled our consumers".into()))
            }
        }
    }
}

/// A connection consuming every queue of `specs`, each on a channel of its own.
async fn connect(url: String, specs: Vec<QueueSpec>) -> Result<Live, BusError> {
    let connection = Connection::connect(&url, ConnectionProperties::default()).await.map_err(unavailable)?;
    let mut channels = Vec::with_capacity(specs.len());
    let mut deliveries = SelectAll::new();
    for (i, spec) in specs.iter().enumerate() {
        let channel = connection.create_channel().await.map_err(unavailable)?;
        channel.basic_qos(PREFETCH, BasicQosOptions::default()).await.map_err(unavailable)?;
        let queue = topology::declare(&channel, spec).await.map_err(unavailable)?;
        let consumer = channel
            .basic_consume(queue, "".into(), BasicConsumeOptions::default(), FieldTable::default())
            .await
            .map_err(unavailable)?;
        deliveries.push(consumer.map(move |d| (i, d)).boxed());
        channels.push(channel);
    }
    Ok(Live { _connection: connection, channels, deliveries })
}

#[async_trait]
impl Subscription for RabbitSubscription {
    async fn recv(&mut self) -> Result<Delivery, BusError> {
        let (spec, d) = self.next().await?;
        Ok(self.delivery(spec, d))
    }

    async fn ack(&mut self, delivery: &Delivery) -> Result<(), BusError> {
        if delivery.offset >> GENERATION_SHIFT != self.generation {
            return Ok(()); // its channel is gone: the broker delivers it again
        }
        let tag = (delivery.offset & ((1 << GENERATION_SHIFT) - 1)) as u64;
        let (Some(live), Some(spec)) =
            (&self.live, self.by_position.get(&(delivery.topic.clone(), delivery.partition)))
        else {
            return Ok(());
        };
        if tag == 0 {
            return Ok(());
        }
        let multiple = BasicAckOptions { multiple: true };
        live.channels[*spec].basic_ack(tag, multiple).await.map_err(unavailable)
    }
}
