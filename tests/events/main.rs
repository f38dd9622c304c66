//! The event backbone against the real brokers (Kafka's protocol on tansu, RabbitMQ) and
//! database: outbox, relay, inbox, retries, dead letters, order per aggregate and a broker
//! outage. Each test of the suite runs once per broker.

mod rabbitmq;
mod restore;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use braid_kit::config::{EventsBackend, EventsConfig};
use braid_kit::events::kafka::KafkaBus;
use braid_kit::events::memory::MemoryBus;
use braid_kit::events::rabbitmq::RabbitBus;
use braid_kit::events::{
    Consumer, DomainEvent, Envelope, EventBus, Handler, HandlerError, Message, OutboxSignal, Relay, outbox,
};
use braid_migrations::MigratorTrait;
use braid_testkit::{broker, db::TestDb, eventually};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement, TransactionTrait};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ItemChanged {
    item: String,
    seq: i64,
    #[serde(default)]
    poison: bool,
}

impl DomainEvent for ItemChanged {
    const TYPE: &'static str = "test.item.changed.v1";
    fn subject(&self) -> String {
        self.item.clone()
    }
}

/// Records every applied event in `applied`, in the handler's transaction; fails on poison.
struct Recorder {
    attempts_on_poison: AtomicU32,
}

#[async_trait]
impl Handler for Recorder {
    fn name(&self) -> String {
        "test.recorder".into()
    }
    fn topics(&self) -> Vec<String> {
        vec!["test.item".into()]
    }
    async fn handle(&self, txn: &DatabaseTransaction, event: &Envelope) -> Result<(), HandlerError> {
        let e: ItemChanged = event
            .decode()
            .ok_or_else(|| HandlerError::Permanent("unexpected type".into()))?
            .map_err(|e| HandlerError::Permanent(e.to_string()))?;
        if e.poison {
            self.attempts_on_poison.fetch_add(1, Ordering::SeqCst);
            return Err(HandlerError::Transient("poison".into()));
        }
        let backend = txn.get_database_backend();
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                DbBackend::Postgres => "INSERT INTO applied (event_id, item, seq) VALUES ($1, $2, $3)",
                _ => "INSERT INTO applied (event_id, item, seq) VALUES (?, ?, ?)",
            },
            [event.id.clone().into(), e.item.into(), e.seq.into()],
        ))
        .await?;
        Ok(())
    }
}

async fn prepare(db: &DatabaseConnection) {
    braid_migrations::catalog::Migrator::up(db, None).await.expect("migrations");
    let ddl = match db.get_database_backend() {
        DbBackend::Postgres => {
            "CREATE TABLE applied (n BIGSERIAL PRIMARY KEY, event_id TEXT NOT NULL, item TEXT NOT NULL, seq BIGINT NOT NULL)"
        }
        _ => {
            "CREATE TABLE applied (n INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, item TEXT NOT NULL, seq BIGINT NOT NULL)"
        }
    };
    db.execute_unprepared(ddl).await.expect("applied table");
}

/// (event id, item, seq) in the order they were applied.
async fn applied(db: &DatabaseConnection) -> Vec<(String, String, i64)> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT event_id, item, seq FROM applied ORDER BY n",
        ))
        .await
        .expect("read applied");
    rows.iter()
        .map(|r| (r.try_get("", "event_id").unwrap(), r.try_get("", "item").unwrap(), r.try_get("", "seq").unwrap()))
        .collect()
}

/// Outbox rows not published yet.
async fn unpublished(db: &DatabaseConnection) -> i64 {
    let sql = "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL";
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Writes an outbox row in its own transaction (what a service's write does).
async fn write(db: &DatabaseConnection, signal: &OutboxSignal, event: &ItemChanged) -> Envelope {
    let envelope = Envelope::new("/braid/test", event);
    let txn = db.begin().await.unwrap();
    outbox::append(&txn, &envelope).await.unwrap();
    txn.commit().await.unwrap();
    signal.committed();
    envelope
}

fn events_config(brokers: &str) -> EventsConfig {
    EventsConfig {
        backend: EventsBackend::Kafka,
        brokers: brokers.to_string(),
        topic_prefix: broker::topic_prefix(),
        partitions: 3,
        relay_interval_ms: 50,
        relay_max_backoff_ms: 500,
        publish_timeout_ms: 3_000,
        max_attempts: 3,
        retry_backoff_ms: 10,
        ..EventsConfig::default()
    }
}

/// A fresh PostgreSQL database (its guard first) and a connection to it.
async fn postgres() -> (TestDb, DatabaseConnection) {
    let test_db = TestDb::create().await;
    let config = braid_kit::config::DatabaseConfig { url: test_db.url.clone(), ..Default::default() };
    let db = braid_kit::db::connect(&config).await.unwrap();
    (test_db, db)
}

/// The broker a test of the suite runs against.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Broker {
    Kafka,
    Rabbitmq,
}

/// What a test left on the shared RabbitMQ under its prefix: its group's queues, the
/// dead-letter queue, the exchanges. (Kafka topics go with the broker: tansu keeps memory.)
struct Leftovers(Option<EventsConfig>);

impl Leftovers {
    async fn clean(self) {
        let Some(config) = self.0 else { return };
        let (url, prefix) = (&config.amqp_url, &config.topic_prefix);
        let topics = ["test.item", "live.items"];
        braid_testkit::rabbitmq::delete_declared(url, prefix, &["test.recorder"], &topics, config.partitions).await;
    }
}

impl Broker {
    /// Config and bus for the shared broker of this kind, under a prefix of this test's own.
    fn shared(self) -> (EventsConfig, Arc<dyn EventBus>, Leftovers) {
        match self {
            Broker::Kafka => {
                let config = events_config(&broker::shared());
                let bus: Arc<dyn EventBus> = Arc::new(KafkaBus::new(&config).unwrap());
                (config, bus, Leftovers(None))
            }
            Broker::Rabbitmq => {
                let config = rabbitmq_config(&braid_testkit::rabbitmq::shared());
                let bus: Arc<dyn EventBus> = Arc::new(RabbitBus::new(&config).unwrap());
                (config.clone(), bus, Leftovers(Some(config)))
            }
        }
    }
}

fn rabbitmq_config(url: &str) -> EventsConfig {
    EventsConfig { backend: EventsBackend::Rabbitmq, amqp_url: url.to_string(), ..events_config("unused") }
}

/// Config and bus for the shared Kafka-protocol broker, under a prefix of this test's own.
fn shared_broker() -> (EventsConfig, Arc<dyn EventBus>) {
    let (config, bus, _) = Broker::Kafka.shared();
    (config, bus)
}

struct Running {
    token: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    async fn stop(self) {
        self.token.cancel();
        for t in self.tasks {
            t.await.unwrap();
        }
    }
}

fn run_relay(
    db: &DatabaseConnection,
    bus: &Arc<dyn EventBus>,
    signal: &OutboxSignal,
    config: &EventsConfig,
    token: &CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let relay = Relay::new(db.clone(), bus.clone(), signal.clone(), config);
    tokio::spawn(relay.run(token.clone().cancelled_owned()))
}

fn run_consumer(
    db: &DatabaseConnection,
    bus: &Arc<dyn EventBus>,
    handler: &Arc<Recorder>,
    config: &EventsConfig,
    token: &CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let consumer = Consumer::new(db.clone(), bus.clone(), handler.clone(), config);
    tokio::spawn(consumer.run(token.clone().cancelled_owned()))
}

/// On RabbitMQ, makes the consumer group's queues before anything is published: the broker
/// routes a message only to the queues that exist when it arrives (a new Kafka group reads
/// the topic from its beginning instead). A deployment does the same by starting consumers
/// first the very first time.
async fn declare_group(bus: &Arc<dyn EventBus>, config: &EventsConfig, handler: &Arc<Recorder>) {
    if config.backend == EventsBackend::Rabbitmq {
        drop(bus.subscribe(&handler.name(), &handler.topics()).await.expect("the group's queues"));
    }
}

async fn start(
    db: &DatabaseConnection,
    bus: &Arc<dyn EventBus>,
    config: &EventsConfig,
) -> (OutboxSignal, Arc<Recorder>, Running) {
    let signal = OutboxSignal::default();
    let handler = Arc::new(Recorder { attempts_on_poison: AtomicU32::new(0) });
    declare_group(bus, config, &handler).await;
    let token = CancellationToken::new();
    let tasks = vec![run_relay(db, bus, &signal, config, &token), run_consumer(db, bus, &handler, config, &token)];
    (signal, handler, Running { token, tasks })
}

async fn wait_applied(db: &DatabaseConnection, n: usize) -> Vec<(String, String, i64)> {
    eventually(&format!("{n} applied events"), WAIT, || async {
        let rows = applied(db).await;
        (rows.len() >= n).then_some(rows)
    })
    .await
}

/// The same event delivered twice (a second relay, a redelivery) is applied once.
async fn duplicate_delivery_is_applied_once(db: DatabaseConnection, bus: Arc<dyn EventBus>, config: EventsConfig) {
    prepare(&db).await;
    let (signal, _handler, running) = start(&db, &bus, &config).await;
    let first = write(&db, &signal, &ItemChanged { item: "a".into(), seq: 1, poison: false }).await;
    wait_applied(&db, 1).await;
    // Deliver the very same envelope again, as a redelivery would.
    let again = Message { topic: "test.item".into(), key: "a".into(), payload: first.to_bytes(), headers: vec![] };
    bus.publish(&[again]).await.unwrap();
    // A later event of the same item: once it is applied, the duplicate before it was seen.
    let sentinel = write(&db, &signal, &ItemChanged { item: "a".into(), seq: 2, poison: false }).await;
    let rows = wait_applied(&db, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rows_later = applied(&db).await;
    running.stop().await;
    assert_eq!(rows, rows_later, "nothing applied after the sentinel");
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(ids, vec![first.id.as_str(), sentinel.id.as_str()], "each event applied exactly once, in order");
}

#[tokio::test]
async fn kafka_duplicate_delivery_is_applied_once() {
    let (_test_db, db) = postgres().await;
    let (config, bus) = shared_broker();
    duplicate_delivery_is_applied_once(db, bus, config).await;
}

#[tokio::test]
async fn rabbitmq_duplicate_delivery_is_applied_once() {
    let (_test_db, db) = postgres().await;
    let (config, bus, leftovers) = Broker::Rabbitmq.shared();
    duplicate_delivery_is_applied_once(db, bus, config).await;
    leftovers.clean().await;
}

#[tokio::test]
async fn memory_bus_and_sqlite_duplicate_delivery_is_applied_once() {
    let dir = std::env::temp_dir().join(braid_testkit::unique("braid-sqlite-"));
    let url = format!("sqlite://{}?mode=rwc", dir.join("events.db").display());
    let db = braid_kit::db::connect(&braid_kit::config::DatabaseConfig { url, ..Default::default() }).await.unwrap();
    let bus: Arc<dyn EventBus> = Arc::new(MemoryBus::new());
    duplicate_delivery_is_applied_once(db, bus, events_config("unused")).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn kafka_rolled_back_transaction_publishes_nothing() {
    rolled_back_transaction_publishes_nothing(Broker::Kafka).await;
}

#[tokio::test]
async fn rabbitmq_rolled_back_transaction_publishes_nothing() {
    rolled_back_transaction_publishes_nothing(Broker::Rabbitmq).await;
}

async fn rolled_back_transaction_publishes_nothing(broker: Broker) {
    let (_test_db, db) = postgres().await;
    prepare(&db).await;
    let (config, bus, leftovers) = broker.shared();
    let (signal, _handler, running) = start(&db, &bus, &config).await;

    let txn = db.begin().await.unwrap();
    let doomed = Envelope::new("/braid/test", &ItemChanged { item: "r".into(), seq: 1, poison: false });
    outbox::append(&txn, &doomed).await.unwrap();
    txn.rollback().await.unwrap();
    signal.committed();
    let kept = write(&db, &signal, &ItemChanged { item: "r".into(), seq: 2, poison: false }).await;

    let rows = wait_applied(&db, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rows_later = applied(&db).await;
    running.stop().await;
    assert_eq!(rows, rows_later);
    assert_eq!(rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(), vec![kept.id]);
    // And the rolled-back event never reached the outbox at all.
    let outbox_rows =
        db.query_all_raw(Statement::from_string(DbBackend::Postgres, "SELECT event_id FROM outbox")).await.unwrap();
    assert_eq!(outbox_rows.len(), 1);
    leftovers.clean().await;
}

#[tokio::test]
async fn kafka_poison_event_is_dead_lettered_after_max_attempts_and_the_consumer_moves_on() {
    poison_event_is_dead_lettered_after_max_attempts_and_the_consumer_moves_on(Broker::Kafka).await;
}

#[tokio::test]
async fn rabbitmq_poison_event_is_dead_lettered_after_max_attempts_and_the_consumer_moves_on() {
    poison_event_is_dead_lettered_after_max_attempts_and_the_consumer_moves_on(Broker::Rabbitmq).await;
}

async fn poison_event_is_dead_lettered_after_max_attempts_and_the_consumer_moves_on(broker: Broker) {
    let (_test_db, db) = postgres().await;
    prepare(&db).await;
    let (config, bus, leftovers) = broker.shared();
    let (signal, handler, running) = start(&db, &bus, &config).await;

    let poison = write(&db, &signal, &ItemChanged { item: "p".into(), seq: 1, poison: true }).await;
    // Not even an envelope: dead-lettered without an attempt.
    let garbage =
        Message { topic: "test.item".into(), key: "p".into(), payload: b"{not json".to_vec(), headers: vec![] };
    bus.publish(&[garbage]).await.unwrap();
    let good = write(&db, &signal, &ItemChanged { item: "p".into(), seq: 2, poison: false }).await;

    let rows = wait_applied(&db, 1).await;
    assert_eq!(rows[0].0, good.id, "the consumer moved on past the poison event");
    assert_eq!(handler.attempts_on_poison.load(Ordering::SeqCst), config.max_attempts);

    let mut dlq = bus.subscribe("dlq-reader", &["test.item.dlq".to_string()]).await.unwrap();
    let mut dead = Vec::new();
    while dead.len() < 2 {
        let d = tokio::time::timeout(WAIT, dlq.recv()).await.expect("dead letters arrive").unwrap();
        dead.push(d);
    }
    running.stop().await;
    let poisoned = dead.iter().find(|d| d.payload == poison.to_bytes()).expect("poison event on the DLQ");
    assert_eq!(poisoned.header("x-braid-attempts"), Some("3"));
    assert_eq!(poisoned.header("x-braid-original-topic"), Some("test.item"));
    assert_eq!(poisoned.header("x-braid-error"), Some("poison"));
    let malformed = dead.iter().find(|d| d.payload == b"{not json").expect("malformed record on the DLQ");
    assert!(malformed.header("x-braid-error").unwrap().starts_with("malformed envelope"));
    leftovers.clean().await;
}

/// The broker goes away while items are written: the outbox holds the events, the relay
/// backs off, and once a broker is back every event arrives, in order per item, none twice.
///
/// The private tansu keeps its log in memory, so a restart is a broker that lost everything:
/// the consumer of before the outage is drained and stopped first, and a new member of the
/// same group reads the new broker from the start.
#[tokio::test]
async fn kafka_broker_outage_loses_nothing_and_keeps_order_per_aggregate() {
    braid_kit::telemetry::init_logging();
    let (_test_db, db) = postgres().await;
    prepare(&db).await;
    let mut tansu = broker::Tansu::start();
    let config = events_config(&tansu.address());
    let bus: Arc<dyn EventBus> = Arc::new(KafkaBus::new(&config).unwrap());
    let signal = OutboxSignal::default();
    let handler = Arc::new(Recorder { attempts_on_poison: AtomicU32::new(0) });
    let relay_token = CancellationToken::new();
    let relay = run_relay(&db, &bus, &signal, &config, &relay_token);
    let consumer_token = CancellationToken::new();
    let consumer = run_consumer(&db, &bus, &handler, &config, &consumer_token);

    let items = ["i1", "i2", "i3", "i4", "i5"];
    let mut seq = 0;
    for _ in 0..4 {
        seq += 1;
        for item in items {
            write(&db, &signal, &ItemChanged { item: item.into(), seq, poison: false }).await;
        }
    }
    wait_applied(&db, 20).await;
    consumer_token.cancel();
    consumer.await.unwrap();

    tansu.stop();
    for _ in 0..8 {
        seq += 1;
        for item in items {
            write(&db, &signal, &ItemChanged { item: item.into(), seq, poison: false }).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The relay has been failing meanwhile; nothing was marked published.
    assert_eq!(unpublished(&db).await, 40);

    tansu.start_again();
    let consumer_token = CancellationToken::new();
    let consumer = run_consumer(&db, &bus, &handler, &config, &consumer_token);
    let rows = wait_applied(&db, 60).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rows_later = applied(&db).await;
    consumer_token.cancel();
    relay_token.cancel();
    consumer.await.unwrap();
    relay.await.unwrap();

    assert_eq!(rows, rows_later, "no event applied twice after catching up");
    for item in items {
        let seqs: Vec<i64> = rows.iter().filter(|r| r.1 == item).map(|r| r.2).collect();
        assert_eq!(seqs, (1..=12).collect::<Vec<_>>(), "events of {item} arrive once each, in order");
    }
}

#[tokio::test]
async fn kafka_subscribe_latest_skips_what_came_before() {
    subscribe_latest_skips_what_came_before(Broker::Kafka).await;
}

#[tokio::test]
async fn rabbitmq_subscribe_latest_skips_what_came_before() {
    subscribe_latest_skips_what_came_before(Broker::Rabbitmq).await;
}

/// A group that joins from the latest offsets (a gateway's subscriptions) never sees what was
/// published before it joined, and sees what comes after.
async fn subscribe_latest_skips_what_came_before(broker: Broker) {
    let (_config, bus, leftovers) = broker.shared();
    let topic = "live.items".to_string();
    let message = |body: &str| Message {
        topic: topic.clone(),
        key: "k".into(),
        payload: body.as_bytes().to_vec(),
        headers: vec![],
    };
    bus.publish(&[message("before")]).await.unwrap();
    let mut live = bus.subscribe_latest("gateway-live", std::slice::from_ref(&topic)).await.unwrap();
    // The group's partitions are assigned a moment after joining: publish until one arrives.
    let publisher = bus.clone();
    let after = message("after");
    let publishing = tokio::spawn(async move {
        loop {
            publisher.publish(std::slice::from_ref(&after)).await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let first = tokio::time::timeout(WAIT, live.recv()).await.expect("a record in time").unwrap();
    publishing.abort();
    assert_eq!(first.payload, b"after");
    leftovers.clean().await;
}

#[tokio::test]
async fn kafka_replay_reads_each_partition_from_an_offset_to_its_end() {
    let (_config, bus) = shared_broker();
    let topic = "replayed.items".to_string();
    let batch: Vec<Message> = (0..12)
        .map(|i| Message {
            topic: topic.clone(),
            key: format!("k{}", i % 4),
            payload: i.to_string().into_bytes(),
            headers: vec![],
        })
        .collect();
    // One batch: a record in the middle of a stored batch is where a replay starts.
    bus.publish(&batch).await.unwrap();
    // Where each record went, read by a group from the start.
    let mut group = bus.subscribe("replay-reference", std::slice::from_ref(&topic)).await.unwrap();
    let mut placed = std::collections::BTreeMap::<i32, Vec<(i64, String)>>::new();
    for _ in 0..12 {
        let d = tokio::time::timeout(WAIT, group.recv()).await.expect("in time").unwrap();
        placed.entry(d.partition).or_default().push((d.offset, String::from_utf8(d.payload).unwrap()));
    }
    // From the second record of each partition, and past the end of one more.
    let mut from: Vec<(i32, i64)> = placed.keys().map(|p| (*p, 1)).collect();
    let last = placed.keys().max().copied().unwrap_or_default();
    let mut expected: std::collections::BTreeMap<i32, Vec<(i64, String)>> = placed
        .iter()
        .map(|(p, records)| (*p, records[1..].to_vec()))
        .filter(|(_, records)| !records.is_empty())
        .collect();
    if let Some(records) = placed.get(&last) {
        from.retain(|(p, _)| *p != last);
        from.push((last, records.len() as i64));
        expected.remove(&last);
    }
    let mut replay = bus.replay(&topic, &from).await.unwrap();
    let mut read = std::collections::BTreeMap::<i32, Vec<(i64, String)>>::new();
    while let Some(d) = tokio::time::timeout(WAIT, replay.next()).await.expect("in time").unwrap() {
        read.entry(d.partition).or_default().push((d.offset, String::from_utf8(d.payload).unwrap()));
    }
    assert_eq!(read, expected);
    // A partition not named is not read.
    assert!(bus.replay(&topic, &[]).await.unwrap().next().await.unwrap().is_none());
}
