//! What the event tests share: databases with the event tables, events and their deliveries, a
//! bus that fails on cue and records what it is asked, a handler that records what it is given,
//! and the metrics and spans the code reports.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use braid_kit::events::memory::MemoryBus;
use braid_kit::events::{
    BusError, Delivery, Envelope, EventBus, Handler, HandlerError, Message, PublishError, Replay, Subscription,
};
use braid_testkit::db::TestDb;
use chrono::Utc;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction};
use sea_orm_migration::{MigrationTrait, SchemaManager};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

pub const TYPE: &str = "test.thing.changed.v1";
pub const TOPIC: &str = "test.thing";
pub const DLQ: &str = "test.thing.dlq";
/// A valid W3C traceparent, as a writer with traces on would leave in an event.
pub const WRITER_TRACE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// How long a test waits for something that should happen at once.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Awaits `what`, failing the test if it takes longer than [`PATIENCE`].
pub async fn soon<T>(what: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, what).await.expect("it happened in time")
}

/// An in-memory SQLite database with the event tables and `effects` (what handlers write).
pub async fn sqlite() -> DatabaseConnection {
    let mut options = ConnectOptions::new("sqlite::memory:");
    // One connection, never recycled: an in-memory database lives and dies with it.
    options
        .max_connections(1)
        .idle_timeout(None::<Duration>)
        .max_lifetime(None::<Duration>)
        .acquire_timeout(Duration::from_secs(60))
        .sqlx_logging(false);
    let db = Database::connect(options).await.expect("SQLite in memory");
    migrate(&db).await;
    db
}

/// A PostgreSQL database of the test's own, with the event tables; dropped after `db`.
pub struct Pg {
    pub db: DatabaseConnection,
    _database: TestDb,
}

pub async fn postgres() -> Pg {
    let database = TestDb::create().await;
    let mut options = ConnectOptions::new(database.url.clone());
    options.max_connections(8).sqlx_logging(false);
    let db = Database::connect(options).await.expect("PostgreSQL is reachable");
    migrate(&db).await;
    Pg { db, _database: database }
}

async fn migrate(db: &DatabaseConnection) {
    braid_migrations::events::CreateEventTables.up(&SchemaManager::new(db)).await.expect("event tables");
    db.execute_unprepared("CREATE TABLE effects (event_id VARCHAR(64) NOT NULL)").await.expect("effects table");
}

/// Rows of `table` (`effects`, `inbox`, `outbox`).
pub async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    let row = db.query_one_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        format!("SELECT COUNT(*) FROM {table}"),
    ));
    row.await.unwrap().unwrap().try_get_by_index::<i64>(0).unwrap()
}

/// Event `n` of aggregate `subject`, id `<subject>-<n>`.
pub fn event(subject: &str, n: u32) -> Envelope {
    Envelope {
        specversion: "1.0".into(),
        id: format!("{subject}-{n}"),
        source: "/braid/test".into(),
        event_type: TYPE.into(),
        time: Utc::now(),
        subject: subject.into(),
        datacontenttype: "application/json".into(),
        traceparent: None,
        data: serde_json::json!({ "n": n }),
    }
}

/// `event` as the broker would hand it over, at `offset`.
pub fn delivery(event: &Envelope, offset: i64) -> Delivery {
    Delivery {
        topic: TOPIC.into(),
        partition: 0,
        offset,
        key: Some(event.subject.clone()),
        payload: event.to_bytes(),
        headers: vec![("ce_id".into(), event.id.clone())],
    }
}

/// `event` as a message to publish.
pub fn message(event: &Envelope) -> Message {
    Message { topic: TOPIC.into(), key: event.subject.clone(), payload: event.to_bytes(), headers: vec![] }
}

/// One `publish` call the bus was asked.
pub struct Call {
    pub at: Instant,
    pub messages: Vec<Message>,
    /// What the probe saw when the call came in.
    pub probe: String,
}

/// What a subscription of the [`FaultyBus`] was told.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    Received(i64),
    Acked(i64),
    Committed,
}

/// A [`MemoryBus`] that fails publishes and subscribes on cue and records every call.
#[derive(Default)]
pub struct FaultyBus {
    pub inner: MemoryBus,
    /// One entry per coming `publish` call: it delivers that many messages, then fails.
    failing_publishes: Mutex<VecDeque<usize>>,
    failing_subscribes: AtomicUsize,
    /// When set, every `publish` waits for a permit (after being recorded).
    gate: Option<Arc<Semaphore>>,
    probe: Option<Box<dyn Fn() -> String + Send + Sync>>,
    calls: Mutex<Vec<Call>>,
    subscribes: Mutex<Vec<Instant>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    changed: Arc<Notify>,
    flushed: AtomicBool,
}

impl FaultyBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// The coming publish calls fail, each after delivering the given number of messages.
    pub fn failing_publishes(self, delivered: impl IntoIterator<Item = usize>) -> Self {
        self.failing_publishes.lock().unwrap().extend(delivered);
        self
    }

    pub fn failing_subscribes(self, n: usize) -> Self {
        self.failing_subscribes.store(n, Ordering::SeqCst);
        self
    }

    pub fn gated(self, gate: Arc<Semaphore>) -> Self {
        Self { gate: Some(gate), ..self }
    }

    pub fn probed(self, probe: impl Fn() -> String + Send + Sync + 'static) -> Self {
        Self { probe: Some(Box::new(probe)), ..self }
    }

    pub fn arc(self) -> Arc<Self> {
        Arc::new(self)
    }

    /// Sizes of the publish calls so far.
    pub fn batches(&self) -> Vec<usize> {
        self.calls.lock().unwrap().iter().map(|c| c.messages.len()).collect()
    }

    /// Times between consecutive publish calls.
    pub fn publish_gaps(&self) -> Vec<Duration> {
        gaps(self.calls.lock().unwrap().iter().map(|c| c.at))
    }

    /// Time from `since` to the first publish call.
    pub fn publish_gaps_from(&self, since: Instant) -> Duration {
        self.calls.lock().unwrap().first().expect("a publish").at - since
    }

    pub fn probes(&self) -> Vec<String> {
        self.calls.lock().unwrap().iter().map(|c| c.probe.clone()).collect()
    }

    pub fn subscribe_gaps(&self) -> Vec<Duration> {
        gaps(self.subscribes.lock().unwrap().iter().copied())
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn flushed(&self) -> bool {
        self.flushed.load(Ordering::SeqCst)
    }

    /// Event ids on `topic`, in the order the broker holds them.
    pub fn ids(&self, topic: &str) -> Vec<String> {
        self.inner.records(topic).iter().map(|d| d.header("ce_id").unwrap_or_default().to_string()).collect()
    }

    /// Waits until `done` holds of the bus.
    pub async fn until(&self, done: impl Fn(&Self) -> bool) {
        wait_for(&self.changed, || done(self)).await;
    }

    fn changed(&self) {
        self.changed.notify_waiters();
    }
}

/// Waits, woken by `changed`, until `done` holds.
async fn wait_for(changed: &Notify, done: impl Fn() -> bool) {
    loop {
        let notified = changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if done() {
            return;
        }
        notified.await;
    }
}

fn gaps(times: impl Iterator<Item = Instant>) -> Vec<Duration> {
    let times: Vec<Instant> = times.collect();
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

#[async_trait]
impl EventBus for FaultyBus {
    async fn publish(&self, batch: &[Message]) -> Result<(), PublishError> {
        let probe = self.probe.as_ref().map(|p| p()).unwrap_or_default();
        self.calls.lock().unwrap().push(Call { at: Instant::now(), messages: batch.to_vec(), probe });
        self.changed();
        if let Some(gate) = &self.gate {
            gate.acquire().await.expect("gate open").forget();
        }
        let fault = self.failing_publishes.lock().unwrap().pop_front();
        let delivered = fault.unwrap_or(batch.len()).min(batch.len());
        self.inner.publish(&batch[..delivered]).await?;
        self.changed();
        match fault {
            Some(_) => Err(PublishError { delivered, source: BusError::Unavailable("test fault".into()) }),
            None => Ok(()),
        }
    }

    async fn subscribe(&self, group: &str, topics: &[String]) -> Result<Box<dyn Subscription>, BusError> {
        self.subscribes.lock().unwrap().push(Instant::now());
        self.changed();
        let failing = self.failing_subscribes.load(Ordering::SeqCst);
        if failing > 0 {
            self.failing_subscribes.store(failing - 1, Ordering::SeqCst);
            return Err(BusError::Unavailable("test fault".into()));
        }
        let inner = self.inner.subscribe(group, topics).await?;
        Ok(Box::new(Recorded { inner, seen: self.seen.clone(), changed: self.changed.clone() }))
    }

    async fn subscribe_latest(&self, group: &str, topics: &[String]) -> Result<Box<dyn Subscription>, BusError> {
        self.inner.subscribe_latest(group, topics).await
    }

    async fn ends(&self, topic: &str) -> Result<Vec<(i32, i64)>, BusError> {
        self.inner.ends(topic).await
    }

    async fn replay(&self, topic: &str, from: &[(i32, i64)]) -> Result<Box<dyn Replay>, BusError> {
        self.inner.replay(topic, from).await
    }

    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }

    async fn flush(&self) {
        self.flushed.store(true, Ordering::SeqCst);
    }
}

/// A subscription that records what it hands out and is told.
struct Recorded {
    inner: Box<dyn Subscription>,
    seen: Arc<Mutex<Vec<Seen>>>,
    changed: Arc<Notify>,
}

impl Recorded {
    fn see(&self, what: Seen) {
        self.seen.lock().unwrap().push(what);
        self.changed.notify_waiters();
    }
}

#[async_trait]
impl Subscription for Recorded {
    async fn recv(&mut self) -> Result<Delivery, BusError> {
        let d = self.inner.recv().await?;
        self.see(Seen::Received(d.offset));
        Ok(d)
    }

    async fn ack(&mut self, delivery: &Delivery) -> Result<(), BusError> {
        self.see(Seen::Acked(delivery.offset));
        self.inner.ack(delivery).await
    }

    async fn commit(&mut self) -> Result<(), BusError> {
        self.see(Seen::Committed);
        self.inner.commit().await
    }
}

/// A handler that writes a row to `effects` per event, fails as scripted, and can be held.
pub struct Recorder {
    pub name: String,
    /// Per event id: the errors its coming attempts return (after writing the effect).
    script: Mutex<HashMap<String, VecDeque<HandlerError>>>,
    /// Per subject: handling waits for a permit.
    holds: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// (when, event id, the traceparent of the span it ran in) per call.
    calls: Mutex<Vec<(Instant, String, Option<String>)>>,
    committed: AtomicUsize,
    changed: Notify,
}

impl Recorder {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            script: Mutex::default(),
            holds: Mutex::default(),
            calls: Mutex::default(),
            committed: AtomicUsize::new(0),
            changed: Notify::new(),
        }
    }

    /// The coming attempts at `id` fail with `errors`, in order.
    pub fn failing(self, id: &str, errors: impl IntoIterator<Item = HandlerError>) -> Self {
        self.script.lock().unwrap().entry(id.into()).or_default().extend(errors);
        self
    }

    /// Events of `subject` wait until the returned semaphore gets permits.
    pub fn hold(&self, subject: &str) -> Arc<Semaphore> {
        let gate = Arc::new(Semaphore::new(0));
        self.holds.lock().unwrap().insert(subject.into(), gate.clone());
        gate
    }

    /// Event ids handled, one per attempt, in order.
    pub fn ids(&self) -> Vec<String> {
        self.calls.lock().unwrap().iter().map(|(_, id, _)| id.clone()).collect()
    }

    pub fn gaps(&self) -> Vec<Duration> {
        gaps(self.calls.lock().unwrap().iter().map(|(at, _, _)| *at))
    }

    pub fn last_call(&self) -> Instant {
        self.calls.lock().unwrap().last().expect("a call").0
    }

    pub fn traceparents(&self) -> Vec<Option<String>> {
        self.calls.lock().unwrap().iter().map(|(_, _, t)| t.clone()).collect()
    }

    pub fn committed(&self) -> usize {
        self.committed.load(Ordering::SeqCst)
    }

    pub async fn until(&self, done: impl Fn(&Self) -> bool) {
        wait_for(&self.changed, || done(self)).await;
    }
}

#[async_trait]
impl Handler for Recorder {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn topics(&self) -> Vec<String> {
        vec![TOPIC.into()]
    }

    async fn handle(&self, txn: &DatabaseTransaction, event: &Envelope) -> Result<(), HandlerError> {
        let trace = braid_kit::telemetry::context::current_traceparent();
        self.calls.lock().unwrap().push((Instant::now(), event.id.clone(), trace));
        self.changed.notify_waiters();
        let hold = self.holds.lock().unwrap().get(&event.subject).cloned();
        if let Some(gate) = hold {
            gate.acquire().await.expect("gate open").forget();
        }
        txn.execute_unprepared(&format!("INSERT INTO effects (event_id) VALUES ('{}')", event.id)).await?;
        let failure = self.script.lock().unwrap().get_mut(&event.id).and_then(VecDeque::pop_front);
        failure.map_or(Ok(()), Err)
    }

    fn committed(&self) {
        self.committed.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
    }
}

/// Spans recorded by OpenTelemetry (nothing exported) on this thread while the guard lives.
pub struct Traces {
    _guard: tracing::subscriber::DefaultGuard,
    _provider: opentelemetry_sdk::trace::SdkTracerProvider,
}

pub fn traces_on() -> Traces {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("test"));
    let guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    Traces { _guard: guard, _provider: provider }
}

/// The trace id of a traceparent (`00-<trace>-<span>-<flags>`).
pub fn trace_id(traceparent: &str) -> &str {
    traceparent.split('-').nth(1).expect("a traceparent")
}
