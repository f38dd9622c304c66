//! A consumer group member, and the checks that keep it reading when the broker misbehaves.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::FutureExt;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer as _, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::{Offset, TopicPartitionList};

use super::resume::{Resume, Verdict};
use super::{delivery, other, unavailable};
use crate::events::bus::{BusError, Delivery, Subscription};

/// What a consumer group member is made of, to make it again.
pub(super) struct GroupPlan {
    pub brokers: String,
    pub fetch_wait_ms: u64,
    pub group: String,
    pub topics: Vec<String>,
    /// Where a group without committed offsets starts: the end instead of the beginning.
    pub from_latest: bool,
}

impl GroupPlan {
    fn join(&self) -> Result<StreamConsumer, BusError> {
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.brokers)
            .set("group.id", &self.group)
            .set("enable.auto.commit", "true")
            .set("auto.commit.interval.ms", "500")
            // Offsets are stored only once an event has been handled.
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", if self.from_latest { "latest" } else { "earliest" })
            .set("session.timeout.ms", SESSION_TIMEOUT_MS.to_string())
            .set("heartbeat.interval.ms", "1000")
            .set("fetch.wait.max.ms", self.fetch_wait_ms.to_string())
            .set("reconnect.backoff.max.ms", "1000")
            .create()
            .map_err(other)?;
        let names: Vec<&str> = self.topics.iter().map(String::as_str).collect();
        consumer.subscribe(&names).map_err(other)?;
        Ok(consumer)
    }
}

/// How often a member checks on its group (see `KafkaSubscription::apply`).
const CHECK_EVERY: Duration = Duration::from_secs(3);

/// How soon `recv` looks again whether a running check finished.
const CHECK_POLL: Duration = Duration::from_millis(50);

/// The group's session timeout: a member silent this long is dropped from the group.
const SESSION_TIMEOUT_MS: u64 = 10_000;

/// How long a partition with records waiting may see its group's offset stand still, while
/// this member does not read it, before this member joins again to force a rebalance. The
/// session timeout: a dead owner has been dropped by then, so a live group would have moved.
const STALL: Duration = Duration::from_millis(SESSION_TIMEOUT_MS);

pub(super) struct KafkaSubscription {
    consumer: Arc<StreamConsumer>,
    plan: GroupPlan,
    prefix: String,
    /// Partitions seen waiting on someone else: the group's offset and since when it stood.
    stalls: HashMap<(String, i32), (i64, Instant)>,
    next_check: Instant,
    /// A check of the group under way.
    checking: Option<tokio::task::JoinHandle<Seen>>,
    /// Positions past a partition's end at the last check.
    past_the_end: HashSet<(String, i32, i64)>,
    /// Where each partition resumes, and gaps the broker left there.
    resume: Resume,
    /// A record received and not yet judged by `resume`.
    pending: Option<Delivery>,
}

/// Where this member stands past a partition's end. Seen twice at the same position, the
/// broker lost the log (a memory-backed broker restarted without its data; once may be a
/// watermark not yet updated). librdkafka would wait, silently, for offsets that new
/// records reuse and that it never fetches.
fn past_the_end(consumer: &StreamConsumer) -> HashSet<(String, i32, i64)> {
    let Ok(positions) = consumer.position() else { return HashSet::new() };
    positions
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(position) => consumer
                .fetch_watermarks(e.topic(), e.partition(), Duration::from_secs(2))
                // Beyond one past: tansu's end of a partition can trail a caught-up reader by one.
                .is_ok_and(|(_, high)| position > high + 1)
                .then(|| (e.topic().to_string(), e.partition(), position)),
            _ => None,
        })
        .collect()
}

/// The partitions of `topics` that this member does not read and whose group offset is
/// behind their end: (topic, partition) -> the group's committed offset.
fn waiting_elsewhere(consumer: &StreamConsumer, topics: &[String]) -> HashMap<(String, i32), i64> {
    let timeout = Duration::from_secs(2);
    let mine = consumer.assignment().unwrap_or_default();
    let mut others = TopicPartitionList::new();
    for topic in topics {
        let Ok(metadata) = consumer.fetch_metadata(Some(topic), timeout) else { continue };
        for partition in metadata.topics().iter().flat_map(|t| t.partitions()) {
            if mine.find_partition(topic, partition.id()).is_none() {
                others.add_partition(topic, partition.id());
            }
        }
    }
    if others.count() == 0 {
        return HashMap::new();
    }
    let Ok(committed) = consumer.committed_offsets(others, timeout) else { return HashMap::new() };
    committed
        .elements()
        .iter()
        .filter_map(|e| {
            let offset = match e.offset() {
                Offset::Offset(o) => o,
                _ => 0, // nothing committed yet: the group reads from the start
            };
            let (_, high) = consumer.fetch_watermarks(e.topic(), e.partition(), timeout).ok()?;
            (offset < high).then(|| ((e.topic().to_string(), e.partition()), offset))
        })
        .collect()
}

/// What a check saw: positions past a partition's end, and partitions waiting elsewhere.
type Seen = (HashSet<(String, i32, i64)>, HashMap<(String, i32), i64>);

impl KafkaSubscription {
    /// Joins the group `plan` describes.
    pub(super) fn join(plan: GroupPlan, prefix: String) -> Result<Self, BusError> {
        let consumer = Arc::new(plan.join()?);
        Ok(Self {
            consumer,
            plan,
            prefix,
            stalls: HashMap::new(),
            next_check: Instant::now() + CHECK_EVERY,
            checking: None,
            past_the_end: HashSet::new(),
            resume: Resume::default(),
            pending: None,
        })
    }

    /// Starts a check of the group when one is due, and applies one that finished. The check
    /// runs on its own task, so that `recv` stays cancel-safe: a consumer racing `recv` against
    /// other work must not lose a half-done check each time.
    fn watch(&mut self) {
        if let Some(check) = &self.checking {
            if !check.is_finished() {
                return;
            }
            if let Some(Some(Ok(seen))) = self.checking.take().map(FutureExt::now_or_never) {
                self.apply(seen);
            }
            self.next_check = Instant::now() + CHECK_EVERY;
        } else if Instant::now() >= self.next_check {
            let consumer = self.consumer.clone();
            let topics = self.plan.topics.clone();
            self.checking = Some(tokio::task::spawn_blocking(move || {
                (past_the_end(&consumer), waiting_elsewhere(&consumer, &topics))
            }));
        }
    }

    /// The next record the broker hands out, whatever its offset.
    async fn next_record(&mut self) -> Result<Delivery, BusError> {
        let m = loop {
            // On a clock rather than when idle: a member busy with its own partitions must
            // still notice the ones nobody reads.
            self.watch();
            let wake = match self.checking {
                Some(_) => Instant::now() + CHECK_POLL,
                None => self.next_check,
            };
            let deadline = tokio::time::Instant::from_std(wake);
            if let Ok(m) = tokio::time::timeout_at(deadline, self.consumer.recv()).await {
                break m.map_err(unavailable)?;
            }
        };
        Ok(delivery(&m, &self.prefix))
    }

    /// Joins the group anew when the broker lost the log (committed offsets went with it, so
    /// the new member reads from the start; the inbox drops what was applied already), or
    /// when records wait in a partition nobody reads. The latter is a coordinator that kept
    /// a dead member's assignment after dropping it (tansu does); a new member makes it
    /// assign every partition again.
    fn apply(&mut self, (past, waiting): Seen) {
        let lost = past.iter().find(|p| self.past_the_end.contains(*p)).cloned();
        self.past_the_end = past;
        let now = Instant::now();
        self.stalls.retain(|key, _| waiting.contains_key(key));
        let mut stalled = false;
        for (key, offset) in waiting {
            match self.stalls.get(&key) {
                Some((before, since)) if *before == offset => stalled |= now.duration_since(*since) > STALL,
                _ => {
                    self.stalls.insert(key, (offset, now));
                }
            }
        }
        if let Some((topic, partition, position)) = lost {
            tracing::warn!(group = %self.plan.group, topic, partition, position, "past the end of a partition: the broker lost its log; joining again");
        } else if stalled {
            tracing::warn!(group = %self.plan.group, "records wait in a partition no member reads; joining again");
        } else {
            return;
        }
        self.stalls.clear();
        self.past_the_end.clear();
        match self.plan.join() {
            Ok(fresh) => {
                self.resume = Resume::default();
                self.pending = None;
                let old = std::mem::replace(&mut self.consumer, Arc::new(fresh));
                // Closing a consumer leaves the group, which waits on the broker: off the async threads.
                tokio::task::spawn_blocking(move || drop(old));
            }
            Err(e) => tracing::warn!(group = %self.plan.group, error = %e, "joining again failed"),
        }
    }
}

#[async_trait]
impl Subscription for KafkaSubscription {
    async fn recv(&mut self) -> Result<Delivery, BusError> {
        loop {
            // Kept here until judged: the judging may wait on the broker, and a consumer that
            // drops `recv` for other work then must find the record again on the next call.
            let record = match self.pending.take() {
                Some(record) => self.pending.insert(record),
                None => {
                    let record = self.next_record().await?;
                    self.pending.insert(record)
                }
            };
            let verdict =
                self.resume.admit(&self.consumer, &self.prefix, &record.topic, record.partition, record.offset).await;
            let record = self.pending.take().expect("kept until judged");
            if verdict == Verdict::Deliver {
                return Ok(record);
            }
        }
    }

    async fn ack(&mut self, delivery: &Delivery) -> Result<(), BusError> {
        let topic = format!("{}{}", self.prefix, delivery.topic);
        let mut list = TopicPartitionList::new();
        list.add_partition_offset(&topic, delivery.partition, Offset::Offset(delivery.offset + 1)).map_err(other)?;
        self.consumer.store_offsets(&list).map_err(other)
    }

    async fn commit(&mut self) -> Result<(), BusError> {
        match self.consumer.commit_consumer_state(CommitMode::Sync) {
            Ok(()) => Ok(()),
            // Nothing stored since the last commit.
            Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => Ok(()),
            Err(e) => Err(other(e)),
        }
    }
}
