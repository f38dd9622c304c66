//! Names and shapes on the broker: a topic exchange per topic (one aggregate's events), a
//! quorum queue per consumer group, topic and partition with a single active consumer, and a
//! dead-letter exchange and queue per topic.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Channel, ExchangeKind};

/// The header carrying a message's key (its aggregate), which routing keys only hint at.
pub(super) const KEY_HEADER: &str = "x-braid-key";

/// Redeliveries of one message (each a consumer that died holding it) after which the broker
/// dead-letters it: an event that crashes its consumer must not stop the queue forever. Well
/// above `events.max_attempts`, which the consumer counts itself while it lives.
const DELIVERY_LIMIT: i64 = 20;

/// Routing keys stay well within AMQP's 255 bytes.
const MAX_KEY_IN_ROUTING: usize = 200;

/// Which of `partitions` partitions a key goes to: FNV-1a, the same in every process and
/// every build (std's hasher promises neither).
pub(super) fn partition_of(key: &str, partitions: u16) -> u16 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % u64::from(partitions.max(1))) as u16
}

/// `{partition}.{key}`: queues bind `{partition}.#`; the key is there for anyone binding one
/// aggregate (`*.order-7`).
pub(super) fn routing_key(key: &str, partitions: u16) -> String {
    let mut end = key.len().min(MAX_KEY_IN_ROUTING);
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}.{}", partition_of(key, partitions), &key[..end])
}

/// Is `topic` a dead-letter topic (`<topic>.dlq`)?
pub(super) fn is_dead_letter(topic: &str) -> bool {
    topic.ends_with(".dlq")
}

/// One queue a subscription reads, and where its deliveries come from.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct QueueSpec {
    /// The queue's name; empty for a server-named one.
    pub name: String,
    pub kind: QueueKind,
    /// The partition its deliveries report.
    pub partition: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum QueueKind {
    /// One partition of a topic for one consumer group (durable, single active consumer).
    Group { exchange: String, dead_letter: String, binding: String },
    /// The dead-letter queue of a topic: kept from the topic's first subscriber on, shared.
    DeadLetter,
    /// A queue of this connection's own bound to every topic, gone with it (live readers).
    Live { exchanges: Vec<String> },
}

/// Broker names under `prefix`.
pub(super) struct Names<'a> {
    pub prefix: &'a str,
    pub partitions: u16,
}

impl Names<'_> {
    pub fn full(&self, topic: &str) -> String {
        format!("{}{topic}", self.prefix)
    }

    /// The queues a member of `group` reads for `topics`.
    pub fn group(&self, group: &str, topics: &[String]) -> Vec<QueueSpec> {
        let mut specs = Vec::new();
        for topic in topics {
            if is_dead_letter(topic) {
                specs.push(QueueSpec { name: self.full(topic), kind: QueueKind::DeadLetter, partition: 0 });
                continue;
            }
            for p in 0..self.partitions {
                specs.push(QueueSpec {
                    name: format!("{}{group}.{topic}.{p}", self.prefix),
                    kind: QueueKind::Group {
                        exchange: self.full(topic),
                        dead_letter: self.full(&super::super::dead_letter_topic(topic)),
                        binding: format!("{p}.#"),
                    },
                    partition: i32::from(p),
                });
            }
        }
        specs
    }

    /// The one queue a live reader of `topics` reads.
    pub fn live(&self, topics: &[String]) -> QueueSpec {
        let exchanges = topics.iter().map(|t| self.full(t)).collect();
        QueueSpec { name: String::new(), kind: QueueKind::Live { exchanges }, partition: 0 }
    }
}

/// Declares `exchange` (durable, topic); a dead-letter topic's exchange gets its queue too,
/// so that dead letters are kept whoever reads them.
pub(super) async fn declare_exchange(channel: &Channel, exchange: &str) -> lapin::Result<()> {
    let durable = ExchangeDeclareOptions { durable: true, ..Default::default() };
    channel.exchange_declare(exchange.into(), ExchangeKind::Topic, durable, FieldTable::default()).await?;
    if is_dead_letter(exchange) {
        let queue = QueueDeclareOptions { durable: true, ..Default::default() };
        channel.queue_declare(exchange.into(), queue, quorum()).await?;
        channel
            .queue_bind(
                exchange.into(),
                exchange.into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}

fn quorum() -> FieldTable {
    let mut args = FieldTable::default();
    args.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
    args
}

/// Declares what `spec` reads from and the queue itself; returns the queue's name.
pub(super) async fn declare(channel: &Channel, spec: &QueueSpec) -> lapin::Result<ShortString> {
    match &spec.kind {
        QueueKind::Group { exchange, dead_letter, binding } => {
            declare_exchange(channel, exchange).await?;
            declare_exchange(channel, dead_letter).await?;
            let mut args = quorum();
            args.insert("x-single-active-consumer".into(), AMQPValue::Boolean(true));
            args.insert("x-dead-letter-exchange".into(), AMQPValue::LongString(dead_letter.as_str().into()));
            args.insert("x-delivery-limit".into(), AMQPValue::LongLongInt(DELIVERY_LIMIT));
            let durable = QueueDeclareOptions { durable: true, ..Default::default() };
            channel.queue_declare(spec.name.as_str().into(), durable, args).await?;
            let (queue, exchange, binding) = (spec.name.as_str(), exchange.as_str(), binding.as_str());
            channel
                .queue_bind(
                    queue.into(),
                    exchange.into(),
                    binding.into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
            Ok(spec.name.as_str().into())
        }
        QueueKind::DeadLetter => {
            declare_exchange(channel, &spec.name).await?;
            Ok(spec.name.as_str().into())
        }
        QueueKind::Live { exchanges } => {
            let own = QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() };
            let queue = channel.queue_declare("".into(), own, FieldTable::default()).await?;
            let name = queue.name().clone();
            for exchange in exchanges {
                declare_exchange(channel, exchange).await?;
                channel
                    .queue_bind(
                        name.clone(),
                        exchange.as_str().into(),
                        "#".into(),
                        QueueBindOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
            }
            Ok(name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_always_takes_the_same_partition_and_keys_spread() {
        // Fixed values: every process and build must agree on them.
        assert_eq!(partition_of("order-1", 3), partition_of("order-1", 3));
        assert_eq!(partition_of("", 3), (0xcbf2_9ce4_8422_2325_u64 % 3) as u16);
        let used: std::collections::BTreeSet<u16> = (0..100).map(|i| partition_of(&format!("k{i}"), 3)).collect();
        assert_eq!(used.len(), 3);
        assert_eq!(partition_of("anything", 0), 0, "no partitions configured means one");
    }

    #[test]
    fn routing_keys_name_the_partition_and_stay_short() {
        let key = "é".repeat(300);
        let routing = routing_key(&key, 3);
        assert!(routing.len() <= MAX_KEY_IN_ROUTING + 2);
        assert!(routing.starts_with(&format!("{}.", partition_of(&key, 3))));
        assert_eq!(routing_key("a.b", 1), "0.a.b");
    }

    #[test]
    fn a_group_reads_a_queue_per_partition_and_a_dead_letter_topic_its_one_queue() {
        let names = Names { prefix: "t1.", partitions: 2 };
        let specs = names.group("catalog.cache", &["catalog.product".into(), "catalog.product.dlq".into()]);
        let summary: Vec<(&str, i32)> = specs.iter().map(|s| (s.name.as_str(), s.partition)).collect();
        assert_eq!(
            summary,
            [
                ("t1.catalog.cache.catalog.product.0", 0),
                ("t1.catalog.cache.catalog.product.1", 1),
                ("t1.catalog.product.dlq", 0)
            ]
        );
        assert_eq!(
            specs[1].kind,
            QueueKind::Group {
                exchange: "t1.catalog.product".into(),
                dead_letter: "t1.catalog.product.dlq".into(),
                binding: "1.#".into()
            }
        );
        assert_eq!(specs[2].kind, QueueKind::DeadLetter);
    }
}
