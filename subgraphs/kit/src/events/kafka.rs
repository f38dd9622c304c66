//! The Kafka adapter (rdkafka): an idempotent producer and consumer groups with offsets
//! committed only after an event has been handled (at-least-once; the inbox makes it
//! effectively once).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
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
        self.ensure_topics(topics).await?;
        let plan = GroupPlan {
            brokers: self.brokers.clone(),
            group: self.full(group),
            topics: topics.iter().map(|t| self.full(t)).collect(),
        };
        let consumer = Arc::new(plan.join()?);
        Ok(Box::new(KafkaSubscription { consumer, plan, prefix: self.prefix.clone() }))
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
    group: String,
    topics: Vec<String>,
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
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "1000")
            .set("reconnect.backoff.max.ms", "1000")
            .create()
            .map_err(other)?;
        let names: Vec<&str> = self.topics.iter().map(String::as_str).collect();
        consumer.subscribe(&names).map_err(other)?;
        Ok(consumer)
    }
}

/// How long `recv` waits for a record before checking that the broker still has the log.
const IDLE_CHECK: Duration = Duration::from_secs(3);

struct KafkaSubscription {
    consumer: Arc<StreamConsumer>,
    plan: GroupPlan,
    prefix: String,
}

/// Whether the broker lost the log this member reads: a position past a partition's end
/// means the broker restarted without its data (a memory-backed broker does). librdkafka
/// then waits, silently, for offsets that will be reused by new records it never fetches.
fn log_lost(consumer: &StreamConsumer) -> bool {
    let Ok(positions) = consumer.position() else { return false };
    positions.elements().iter().any(|e| match e.offset() {
        Offset::Offset(position) => consumer
            .fetch_watermarks(e.topic(), e.partition(), Duration::from_secs(2))
            .is_ok_and(|(_, high)| position > high),
        _ => false,
    })
}

impl KafkaSubscription {
    /// Joins the group anew when the broker lost the log; committed offsets went with it, so
    /// the new member reads from the start (the inbox drops what was applied already).
    async fn check(&mut self) {
        let consumer = self.consumer.clone();
        let lost = tokio::task::spawn_blocking(move || log_lost(&consumer)).await.unwrap_or(false);
        if !lost {
            return;
        }
        tracing::warn!(group = %self.plan.group, "the broker lost this group's log; joining again from the start");
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
            match tokio::time::timeout(IDLE_CHECK, self.consumer.recv()).await {
                Ok(m) => break m.map_err(unavailable)?,
                Err(_) => self.check().await,
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
