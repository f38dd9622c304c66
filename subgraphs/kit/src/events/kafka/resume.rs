//! Resuming a partition exactly where its group committed, on a broker that answers a fetch
//! from an offset inside a record batch with the batches after it (tansu 0.6; Kafka sends the
//! whole batch and librdkafka drops the records before the offset). Without this, a member
//! that starts inside a batch skips the rest of it, and events not applied yet are lost.
//!
//! A record at another offset than the one expected next makes the member ask where its group
//! committed. A record past that point is a gap: the member seeks back before it, further
//! each time the broker answers past it again, and hands on nothing below it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};

/// How far before the committed offset the first seek goes; each further one goes four times
/// as far, down to the start of the partition.
const FIRST_BACK: i64 = 64;

const TIMEOUT: Duration = Duration::from_secs(2);

/// What to do with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    Deliver,
    /// Below where the group resumes (committed before), or past a gap being repaired.
    Skip,
}

/// A partition read again from before `start`, the offset its group committed.
struct Rewind {
    start: i64,
    /// How far before `start` the last seek went.
    back: i64,
    /// A record below `start` arrived since the last seek: the broker answers from before it.
    below: bool,
}

/// Per partition of one group member: the offset expected next, and gaps under repair. A
/// partition under repair has no expected offset.
#[derive(Default)]
pub(super) struct Resume {
    /// topic -> partition -> offset: looked up by `&str`, so a record in order costs no allocation.
    next: HashMap<String, HashMap<i32, i64>>,
    rewinding: HashMap<(String, i32), Rewind>,
}

impl Resume {
    /// Whether to hand on the record at `offset` of `topic` and `partition`; `prefix` and
    /// `topic` make the broker's name of the topic.
    pub(super) async fn admit(
        &mut self,
        consumer: &Arc<StreamConsumer>,
        prefix: &str,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> Verdict {
        if let Some(next) = self.next.get_mut(topic).and_then(|partitions| partitions.get_mut(&partition))
            && *next == offset
        {
            *next = offset + 1;
            return Verdict::Deliver;
        }
        let key = (topic.to_string(), partition);
        if let Some(rewind) = self.rewinding.get_mut(&key) {
            if offset < rewind.start {
                rewind.below = true;
                return Verdict::Skip;
            }
            // Reached from below (offsets may have holes): in order from here on.
            if offset == rewind.start || rewind.below {
                self.rewinding.remove(&key);
                self.expect(topic, partition, offset + 1);
                return Verdict::Deliver;
            }
            // Past the start again (or a record fetched before the seek): further back.
            let back = rewind.back.saturating_mul(4);
            let start = rewind.start;
            seek_back(consumer, &format!("{prefix}{topic}"), partition, start, back).await;
            self.rewinding.insert(key, Rewind { start, back, below: false });
            return Verdict::Skip;
        }
        let broker_topic = format!("{prefix}{topic}");
        match committed(consumer, &broker_topic, partition).await {
            Some(start) if offset > start => {
                tracing::warn!(
                    topic = broker_topic,
                    partition,
                    offset,
                    start,
                    "the broker skipped records after the committed offset; reading again from before it"
                );
                seek_back(consumer, &broker_topic, partition, start, FIRST_BACK).await;
                if let Some(partitions) = self.next.get_mut(topic) {
                    partitions.remove(&partition);
                }
                self.rewinding.insert(key, Rewind { start, back: FIRST_BACK, below: false });
                Verdict::Skip
            }
            _ => {
                self.expect(topic, partition, offset + 1);
                Verdict::Deliver
            }
        }
    }

    fn expect(&mut self, topic: &str, partition: i32, offset: i64) {
        self.next.entry(topic.to_string()).or_default().insert(partition, offset);
    }
}

/// Where the group resumes `partition`: its committed offset, or the partition's first record
/// when that was removed since. `None` when nothing is committed (librdkafka's reset applies).
async fn committed(consumer: &Arc<StreamConsumer>, topic: &str, partition: i32) -> Option<i64> {
    let (consumer, topic) = (consumer.clone(), topic.to_string());
    tokio::task::spawn_blocking(move || {
        let mut list = TopicPartitionList::new();
        list.add_partition(&topic, partition);
        let committed = consumer.committed_offsets(list, TIMEOUT).ok()?;
        let Offset::Offset(offset) = committed.find_partition(&topic, partition)?.offset() else { return None };
        let (low, _) = consumer.fetch_watermarks(&topic, partition, TIMEOUT).ok()?;
        Some(offset.max(low))
    })
    .await
    .ok()
    .flatten()
}

/// Seeks `partition` to `back` records before `start`, or to its first record.
async fn seek_back(consumer: &Arc<StreamConsumer>, topic: &str, partition: i32, start: i64, back: i64) {
    let (consumer, topic) = (consumer.clone(), topic.to_string());
    let _ = tokio::task::spawn_blocking(move || {
        let low = consumer.fetch_watermarks(&topic, partition, TIMEOUT).map_or(0, |(low, _)| low);
        let target = start.saturating_sub(back).max(low);
        if let Err(e) = consumer.seek(&topic, partition, Offset::Offset(target), TIMEOUT) {
            tracing::warn!(topic, partition, target, error = %e, "seeking back failed");
        }
    })
    .await;
}
