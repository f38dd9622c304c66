//! The Kafka adapter (rdkafka): an idempotent producer and consumer groups with offsets
//! committed only after an event has been handled (at-least-once; the inbox makes it
//! effectively once).

mod group;
mod replay;
mod resume;

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message as _, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use tokio::sync::Mutex;

use super::bus::{BusError, Delivery, EventBus, Message, PublishError, Replay, Subscription};
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
        let plan = group::GroupPlan {
            brokers: self.brokers.clone(),
            fetch_wait_ms: self.fetch_wait_ms,
            group: self.full(group),
            topics: topics.iter().map(|t| self.full(t)).collect(),
            from_latest,
        };
        Ok(Box::new(group::KafkaSubscription::join(plan, self.prefix.clone())?))
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

    async fn ends(&self, topic: &str) -> Result<Vec<(i32, i64)>, BusError> {
        self.ensure_topics(&[topic.to_string()]).await?;
        let (producer, topic) = (self.producer(), self.full(topic));
        tokio::task::spawn_blocking(move || {
            let client = producer.client();
            let timeout = Duration::from_secs(5);
            let metadata = client.fetch_metadata(Some(&topic), timeout).map_err(unavailable)?;
            let partitions = metadata.topics().iter().flat_map(|t| t.partitions()).map(|p| p.id());
            partitions
                .map(|p| client.fetch_watermarks(&topic, p, timeout).map(|(_, high)| (p, high)).map_err(unavailable))
                .collect()
        })
        .await
        .map_err(|e| BusError::Other(e.to_string()))?
    }

    async fn replay(&self, topic: &str, from: &[(i32, i64)]) -> Result<Box<dyn Replay>, BusError> {
        self.ensure_topics(&[topic.to_string()]).await?;
        replay::open(self, topic, from)
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

/// A record as the bus hands it out, its topic without the bus's prefix.
fn delivery(m: &BorrowedMessage<'_>, prefix: &str) -> Delivery {
    let topic = m.topic().strip_prefix(prefix).unwrap_or(m.topic()).to_string();
    let headers = m
        .headers()
        .map(|hs| {
            hs.iter()
                .map(|h| (h.key.to_string(), String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned()))
                .collect()
        })
        .unwrap_or_default();
    Delivery {
        topic,
        partition: m.partition(),
        offset: m.offset(),
        key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
        payload: m.payload().unwrap_or_default().to_vec(),
        headers,
    }
}
