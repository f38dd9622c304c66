//! Reading a topic again outside any group, for a subscriber resuming where it was.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message as _;
use rdkafka::{Offset, TopicPartitionList};

use super::{KafkaBus, delivery, other, unavailable};
use crate::events::bus::{BusError, Delivery, Replay};

/// Reads `topic` of `bus` from `from` to the end of each partition named there.
pub(super) fn open(bus: &KafkaBus, topic: &str, from: &[(i32, i64)]) -> Result<Box<dyn Replay>, BusError> {
    let full = bus.full(topic);
    let mut list = TopicPartitionList::new();
    for &(partition, start) in from {
        list.add_partition_offset(&full, partition, Offset::Offset(start)).map_err(other)?;
    }
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bus.brokers)
        // Assigned, never joined nor committed: the group id is only a name here.
        .set("group.id", format!("{}braid-replay-{:016x}", bus.prefix, rand::random::<u64>()))
        .set("enable.auto.commit", "false")
        // An offset the broker no longer holds: from the oldest it does.
        .set("auto.offset.reset", "earliest")
        // The end of a partition is reported: there the replay of it is done.
        .set("enable.partition.eof", "true")
        .set("fetch.wait.max.ms", bus.fetch_wait_ms.to_string())
        .create()
        .map_err(other)?;
    if !from.is_empty() {
        consumer.assign(&list).map_err(other)?;
    }
    Ok(Box::new(KafkaReplay {
        consumer,
        topic: full,
        starts: from.iter().copied().collect(),
        found: HashSet::new(),
        rewound: HashSet::new(),
        prefix: bus.prefix.clone(),
    }))
}

/// How long a replay waits for a record or a partition's end before giving up.
const REPLAY_WAIT: Duration = Duration::from_secs(10);

/// How long a replay waits for the first news of a partition before reading the partition
/// from its beginning instead (see [`KafkaReplay::found`]).
const FIRST_WAIT: Duration = Duration::from_secs(2);

/// A replay: assigned partitions, each read to its end.
struct KafkaReplay {
    consumer: StreamConsumer,
    topic: String,
    /// Partitions not read to their end yet, and the offset each starts at.
    starts: HashMap<i32, i64>,
    /// Partitions whose record at the start offset arrived. A broker that stores records in
    /// batches and fetches from the first batch at or after the offset asked (tansu) skips
    /// the rest of a batch begun before it, or answers nothing when that batch is the last:
    /// such a partition is read again from its beginning, once.
    found: HashSet<i32>,
    rewound: HashSet<i32>,
    prefix: String,
}

impl KafkaReplay {
    fn rewind(&mut self, partition: i32) -> Result<(), BusError> {
        self.rewound.insert(partition);
        self.consumer.seek(&self.topic, partition, Offset::Beginning, Duration::from_secs(5)).map_err(other)
    }
}

#[async_trait]
impl Replay for KafkaReplay {
    async fn next(&mut self) -> Result<Option<Delivery>, BusError> {
        loop {
            if self.starts.is_empty() {
                return Ok(None);
            }
            let unsure: Vec<i32> =
                self.starts.keys().filter(|p| !self.found.contains(p) && !self.rewound.contains(p)).copied().collect();
            let wait = if unsure.is_empty() { REPLAY_WAIT } else { FIRST_WAIT };
            let Ok(received) = tokio::time::timeout(wait, self.consumer.recv()).await else {
                if unsure.is_empty() {
                    return Err(BusError::Unavailable("the replay waited too long for records".into()));
                }
                for partition in unsure {
                    self.rewind(partition)?;
                }
                continue;
            };
            let m = match received {
                Ok(m) => m,
                Err(KafkaError::PartitionEOF(partition)) => {
                    self.starts.remove(&partition);
                    continue;
                }
                Err(e) => return Err(unavailable(e)),
            };
            let (partition, offset) = (m.partition(), m.offset());
            let Some(&start) = self.starts.get(&partition) else { continue };
            if offset < start {
                continue; // read again from the beginning: not yet where it starts
            }
            if !self.found.contains(&partition) {
                if offset > start && !self.rewound.contains(&partition) {
                    drop(m);
                    self.rewind(partition)?;
                    continue;
                }
                self.found.insert(partition);
            }
            return Ok(Some(delivery(&m, &self.prefix)));
        }
    }
}
