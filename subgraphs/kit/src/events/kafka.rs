//! The Kafka adapter (rdkafka): an idempotent producer and consumer groups with offsets
//! committed only after an event has been handled (at-least-once; the inbox makes it
//! effectively once).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::FutureExt;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer as _, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, Message as _, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::Mutex;

use super::bus::{BusError, Delivery, EventBus, Message, PublishError, Subscription};
use crate::config::EventsConfig;

/// A Kafka-protocol broker (Apache Kafka, Redpanda, tansu).
pub struct KafkaBus {
    brokers: String,
    prefix: String,
    partitions: i32,
    fetch_wait_ms: u64,
    producer_config: ClientConfig,
    /// Replaced when librdkafka reports a fatal error (a restarted broker that forgot our
    /// idempotent producer id, for example).
    producer: std::sync::RwLock<FutureProducer>,
    admin: AdminClient<DefaultClientContext>,
    created: Mutex<HashSet<String>>,
}

impl KafkaBus {
    pub fn new(config: &EventsConfig) -> Result<Self, BusError> {
        let mut producer_config = ClientConfig::new();
        producer_config
            .set("bootstrap.servers", &config.brokers)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "2")
            .set("message.timeout.ms", config.publish_timeout_ms.to_string())
            .set("reconnect.backoff.max.ms", "1000");
        let producer: FutureProducer = producer_config.create().map_err(other)?;
        let admin = ClientConfig::new().set("bootstrap.servers", &config.brokers).create().map_err(other)?;
        Ok(Self {
            brokers: config.brokers.clone(),
            prefix: config.topic_prefix.clone(),
            partitions: config.partitions,
            fetch_wait_ms: config.fetch_wait_ms,
            producer_config,
            producer: std::sync::RwLock::new(producer),
            admin,
            created: Mutex::default(),
        })
    }

    fn producer(&self) -> FutureProducer {
        self.producer.read().unwrap().clone()
    }

    /// After a failed publish: forget which topics exist (the broker may have lost them) and
    /// start a new producer. The old one may be wedged: a restarted broker that forgot our
    /// idempotent producer id rejects its sequence numbers until the messages time out.
    async fn recover(&self) {
        self.created.lock().await.clear();
        let fresh = match self.producer_config.create::<FutureProducer>() {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "could not create a new kafka producer");
                return;
            }
        };
        let old = std::mem::replace(&mut *self.producer.write().unwrap(), fresh);
        if let Some((code, reason)) = old.client().fatal_error() {
            tracing::warn!(?code, reason, "kafka producer hit a fatal error");
        }
        // Dropping a producer waits for its queue; do that off the async threads.
        tokio::task::spawn_blocking(move || {
            old.purge(rdkafka::producer::PurgeConfig::default().queue().inflight());
            drop(old);
        });
    }

    fn full(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Creates the topics that do not exist yet (idempotent).
    pub async fn ensure_topics(&self, topics: &[String]) -> Result<(), BusError> {
        let mut created = self.created.lock().await;
        let missing: Vec<String> = topics.iter().map(|t| self.full(t)).filter(|t| !created.contains(t)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        let new: Vec<NewTopic<'_>> =
            missing.iter().map(|t| NewTopic::new(t, self.partitions, TopicReplication::Fixed(1))).collect();
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        let results = self.admin.create_topics(&new, &options).await.map_err(unavailable)?;
        for result in results {
            match result {
                Ok(name) => {
                    created.insert(name);
                }
                Err((name, RDKafkaErrorCode::TopicAlreadyExists)) => {
                    created.insert(name);
                }
                Err((name, code)) => return Err(BusError::Other(format!("creating topic {name}: {code}"))),
            }
        }
        Ok(())
    }
}

fn other(e: KafkaError) -> BusError {
    BusError::Other(e.to_string())
}

fn unavailable(e: KafkaError) -> BusError {
    BusError::Unavailable(e.to_string())
}

impl KafkaBus {
    /// A member of `group` on `topics`; a group without committed offsets starts at the
    /// beginning, or at the end with `from_latest`.
    async fn join(&self, group: &str, topics: &[String], from_latest: bool) -> Result<Box<dyn Subscription>, BusError> {
        self.ensure_topics(topics).await?;
        let plan = GroupPlan {
            brokers: self.brokers.clone(),
            fetch_wait_ms: self.fetch_wait_ms,
            group: self.full(group),
            topics: topics.iter().map(|t| self.full(t)).collect(),
            from_latest,
        };
        let consumer = Arc::new(plan.join()?);
        Ok(Box::new(KafkaSubscription {
            consumer,
            plan,
            prefix: self.prefix.clone(),
            stalls: HashMap::new(),
            next_check: Instant::now() + CHECK_EVERY,
            checking: None,
            past_the_end: HashSet::new(),
        }))
    }

    async fn send(&self, batch: &[Message]) -> Result<(), PublishError> {
        let producer = self.producer();
        let mut pending = Vec::with_capacity(batch.len());
        let mut enqueue_error = None;
        for m in batch {
            let topic = self.full(&m.topic);
            let mut headers = OwnedHeaders::new_with_capacity(m.headers.len());
            for (k, v) in &m.headers {
                headers = headers.insert(Header { key: k, value: Some(v.as_bytes()) });
            }
            let record = FutureRecord::to(&topic).key(&m.key).payload(&m.payload).headers(headers);
            match producer.send_result(record) {
                Ok(future) => pending.push(future),
                Err((e, _)) => {
                    // Queue full or similar: what was enqueued before still counts, in order.
                    enqueue_error = Some(e);
                    break;
                }
            }
        }
        let mut delivered = 0;
        for future in pending {
            match future.await {
                Ok(Ok(_)) => delivered += 1,
                Ok(Err((e, _))) => return Err(PublishError { delivered, source: unavailable(e) }),
                Err(_) => return Err(PublishError { delivered, source: BusError::Other("producer dropped".into()) }),
            }
        }
        match enqueue_error {
            Some(e) => Err(PublishError { delivered, source: unavailable(e) }),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl EventBus for KafkaBus {
    async fn publish(&self, batch: &[Message]) -> Result<(), PublishError> {
        let topics: Vec<String> = batch.iter().map(|m| m.topic.clone()).collect::<HashSet<_>>().into_iter().collect();
        if let Err(source) = self.ensure_topics(&topics).await {
            self.recover().await;
            return Err(PublishError { delivered: 0, source });
        }
        let result = self.send(batch).await;
        if result.is_err() {
            self.recover().await;
        }
        result
    }

    async fn subscribe(&self, group: &str, topics: &[String]) -> Result<Box<dyn Subscription>, BusError> {
        self.join(group, topics, false).await
    }

    async fn subscribe_latest(&self, group: &str, topics: &[String]) -> Result<Box<dyn Subscription>, BusError> {
        self.join(group, topics, true).await
    }

    async fn ping(&self) -> Result<(), BusError> {
        let producer = self.producer();
        tokio::task::spawn_blocking(move || {
            producer.client().fetch_metadata(None, Duration::from_secs(2)).map(|_| ()).map_err(unavailable)
        })
        .await
        .map_err(|e| BusError::Other(e.to_string()))?
    }

    async fn flush(&self) {
        let producer = self.producer();
        let _ = tokio::task::spawn_blocking(move || producer.flush(Duration::from_secs(5))).await;
    }
}

/// What a consumer group member is made of, to make it again.
struct GroupPlan {
    brokers: String,
    fetch_wait_ms: u64,
    group: String,
    topics: Vec<String>,
    /// Where a group without committed offsets starts: the end instead of the beginning.
    from_latest: bool,
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

struct KafkaSubscription {
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
        let topic = m.topic().strip_prefix(self.prefix.as_str()).unwrap_or(m.topic()).to_string();
        let headers = m
            .headers()
            .map(|hs| {
                hs.iter()
                    .map(|h| (h.key.to_string(), String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Delivery {
            topic,
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
            payload: m.payload().unwrap_or_default().to_vec(),
            headers,
        })
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
