//! Consumers: each event applied at most once (the inbox row is written in the same
//! transaction as the handler's effect), failed handlers retried with back-off, and an event
//! that still fails after `max_attempts` moved to the dead-letter topic so the rest flow on.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
};

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::Instrument as _;

use super::bus::{Delivery, EventBus, Message, Subscription};
use super::envelope::Envelope;
use super::lanes::{Position, Watermarks, lane_of};
use super::outbox::{inbox, now};
use crate::config::EventsConfig;
use crate::telemetry::context::{Messaging, TRACEPARENT, messaging_span};

/// Why a handler could not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying (a dependency was down).
    #[error("{0}")]
    Transient(String),
    /// Will never succeed (bad payload): straight to the dead-letter topic.
    #[error("{0}")]
    Permanent(String),
}

impl From<DbErr> for HandlerError {
    fn from(e: DbErr) -> Self {
        Self::Transient(e.to_string())
    }
}

/// Applies events of some topics.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Consumer group and inbox name, stable across restarts (for example `catalog.cache`).
    fn name(&self) -> String;
    fn topics(&self) -> Vec<String>;
    /// Applies `event`; database effects go through `txn`, committed with the inbox row.
    async fn handle(&self, txn: &DatabaseTransaction, event: &Envelope) -> Result<(), HandlerError>;
    /// Called once the effect of an event is committed (to wake the relay for its outbox rows).
    fn committed(&self) {}
}

/// Runs one handler against a subscription.
pub struct Consumer {
    db: DatabaseConnection,
    bus: Arc<dyn EventBus>,
    handler: Arc<dyn Handler>,
    max_attempts: u32,
    retry_backoff: Duration,
    inbox_retention: chrono::TimeDelta,
    lanes: usize,
}

/// Old inbox rows are pruned after this many deliveries.
const PRUNE_EVERY: u64 = 10_000;

/// Deliveries one lane holds before the consumer stops fetching.
const LANE_DEPTH: usize = 32;

/// What the consumer loop does next.
enum Next {
    Finished(Position),
    Received(Result<Delivery, super::bus::BusError>),
}

/// Acknowledges what `done` finishing made safe to acknowledge.
async fn acknowledge(subscription: &mut dyn Subscription, marks: &mut Watermarks, done: &Position, name: &str) {
    let Some(upto) = marks.finished(done) else { return };
    let delivery = Delivery {
        topic: upto.topic,
        partition: upto.partition,
        offset: upto.offset,
        key: None,
        payload: Vec::new(),
        headers: Vec::new(),
    };
    if let Err(e) = subscription.ack(&delivery).await {
        tracing::warn!(consumer = %name, error = %e, "ack failed");
    }
}

/// The span of one event's handling by the consumer `group`, every attempt in it: a child of
/// the span that published it (the record's `traceparent`, else the one written in the event).
fn span(group: &str, delivery: &Delivery, envelope: &Envelope) -> tracing::Span {
    let what = Messaging {
        operation: "process",
        topic: &delivery.topic,
        id: &envelope.id,
        event_type: &envelope.event_type,
        group: Some(group),
    };
    messaging_span(what, || delivery.header(TRACEPARENT).map(str::to_string).or_else(|| envelope.traceparent.clone()))
}

/// What happened to one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Duplicate,
    DeadLettered,
}

impl Consumer {
    pub fn new(
        db: DatabaseConnection,
        bus: Arc<dyn EventBus>,
        handler: Arc<dyn Handler>,
        config: &EventsConfig,
    ) -> Self {
        Self {
            bus,
            handler,
            max_attempts: config.max_attempts,
            retry_backoff: Duration::from_millis(config.retry_backoff_ms),
            inbox_retention: chrono::TimeDelta::hours(config.inbox_retention_hours as i64),
            // SQLite has one writer: lanes would only queue on its lock.
            lanes: if db.get_database_backend() == DbBackend::Sqlite { 1 } else { config.consumer_lanes.max(1) },
            db,
        }
    }

    /// Consumes until `shutdown` resolves; the events in the lanes are finished first.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let name = self.handler.name();
        let topics = self.handler.topics();
        let mut backoff = Duration::from_millis(100);
        let mut subscription: Box<dyn Subscription> = loop {
            match self.bus.subscribe(&name, &topics).await {
                Ok(s) => break s,
                Err(e) => {
                    tracing::warn!(consumer = %name, error = %e, "subscribe failed; retrying");
                    tokio::select! {
                        () = &mut shutdown => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        };
        self.prune_inbox().await;
        // The series exist from the start (at zero), so that rates and alerts see them.
        metrics::counter!("braid_events_dead_lettered_total", "consumer" => name.clone()).increment(0);
        metrics::counter!("braid_events_consumed_total", "consumer" => name.clone(), "outcome" => "Applied")
            .increment(0);
        let this = Arc::new(self);
        let (done_tx, mut done_rx) = mpsc::unbounded_channel();
        let mut workers = JoinSet::new();
        let lanes: Vec<mpsc::Sender<Delivery>> = (0..this.lanes)
            .map(|_| {
                let (tx, rx) = mpsc::channel(LANE_DEPTH);
                workers.spawn(this.clone().lane(rx, done_tx.clone()));
                tx
            })
            .collect();
        drop(done_tx);
        let mut marks = Watermarks::default();
        let mut handled: u64 = 0;
        loop {
            // Deciding first, then acting: `recv` and `ack` both need the subscription.
            let next = tokio::select! {
                () = &mut shutdown => break,
                Some(done) = done_rx.recv() => Next::Finished(done),
                d = subscription.recv() => Next::Received(d),
            };
            match next {
                Next::Finished(done) => {
                    handled += 1;
                    if handled.is_multiple_of(PRUNE_EVERY) {
                        this.prune_inbox().await;
                    }
                    acknowledge(subscription.as_mut(), &mut marks, &done, &name).await;
                }
                Next::Received(Ok(d)) => {
                    marks.started(&Position::of(&d));
                    let lane = lane_of(d.key.as_deref(), lanes.len());
                    // A full lane holds the next delivery back: bounded memory, and the
                    // broker keeps what is not fetched yet.
                    if lanes[lane].send(d).await.is_err() {
                        break;
                    }
                }
                Next::Received(Err(e)) => {
                    tracing::warn!(consumer = %name, error = %e, "receive failed");
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                }
            }
        }
        // Drain: the lanes finish what they hold, and what they finished is acknowledged.
        drop(lanes);
        while let Some(done) = done_rx.recv().await {
            acknowledge(subscription.as_mut(), &mut marks, &done, &name).await;
        }
        while workers.join_next().await.is_some() {}
        if let Err(e) = subscription.commit().await {
            tracing::warn!(consumer = %name, error = %e, "final offset commit failed");
        }
    }

    /// One lane: applies its deliveries in order and reports each as finished.
    async fn lane(self: Arc<Self>, mut rx: mpsc::Receiver<Delivery>, done: mpsc::UnboundedSender<Position>) {
        let name = self.handler.name();
        while let Some(d) = rx.recv().await {
            let outcome = self.process(&d).await;
            metrics::counter!("braid_events_consumed_total", "consumer" => name.clone(), "outcome" => format!("{outcome:?}")).increment(1);
            let _ = done.send(Position::of(&d));
        }
    }

    /// Forgets event ids applied longer ago than the retention.
    async fn prune_inbox(&self) {
        let cutoff = now() - self.inbox_retention;
        let pruned = inbox::Entity::delete_many()
            .filter(inbox::Column::Consumer.eq(self.handler.name()))
            .filter(inbox::Column::ProcessedAt.lt(cutoff))
            .exec(&self.db)
            .await;
        if let Err(e) = pruned {
            tracing::warn!(consumer = %self.handler.name(), error = %e, "pruning the inbox failed");
        }
    }

    /// Applies one delivery (public so tests can drive redeliveries directly).
    pub async fn process(&self, delivery: &Delivery) -> Outcome {
        let envelope = match Envelope::from_bytes(&delivery.payload) {
            Ok(e) => e,
            Err(e) => {
                self.dead_letter(delivery, &format!("malformed envelope: {e}"), 0).await;
                return Outcome::DeadLettered;
            }
        };
        let group = self.handler.name();
        let span = span(&group, delivery, &envelope);
        // How far behind the consumer is: the event's age when its handling begins.
        let age = (chrono::Utc::now() - envelope.time).as_seconds_f64().max(0.0);
        metrics::histogram!("braid_events_lag_seconds", "consumer" => group).record(age);
        let outcome = self.attempts(delivery, &envelope).instrument(span.clone()).await;
        if outcome == Outcome::DeadLettered {
            span.record("otel.status_code", "ERROR");
        }
        outcome
    }

    /// Applies `envelope`, retrying transient failures; dead-letters what still fails.
    async fn attempts(&self, delivery: &Delivery, envelope: &Envelope) -> Outcome {
        let mut last_error = String::new();
        for attempt in 1..=self.max_attempts {
            match self.apply(envelope).await {
                Ok(applied) => return if applied { Outcome::Applied } else { Outcome::Duplicate },
                Err(HandlerError::Permanent(e)) => {
                    self.dead_letter(delivery, &e, attempt).await;
                    return Outcome::DeadLettered;
                }
                Err(HandlerError::Transient(e)) => {
                    tracing::warn!(consumer = %self.handler.name(), event = %envelope.id, attempt, error = %e, "handler failed");
                    last_error = e;
                    if attempt < self.max_attempts {
                        tokio::time::sleep(self.retry_backoff * 2u32.saturating_pow(attempt - 1)).await;
                    }
                }
            }
        }
        self.dead_letter(delivery, &last_error, self.max_attempts).await;
        Outcome::DeadLettered
    }

    /// One attempt: inbox row and effect in one transaction. `Ok(false)`: already applied.
    async fn apply(&self, envelope: &Envelope) -> Result<bool, HandlerError> {
        let txn = crate::db::begin_write(&self.db).await?;
        let row = inbox::ActiveModel {
            consumer: Set(self.handler.name()),
            event_id: Set(envelope.id.clone()),
            processed_at: Set(now()),
        };
        let inserted = inbox::Entity::insert(row)
            .on_conflict(OnConflict::columns([inbox::Column::Consumer, inbox::Column::EventId]).do_nothing().to_owned())
            .exec_without_returning(&txn)
            .await?;
        if inserted == 0 {
            txn.rollback().await?;
            return Ok(false);
        }
        match self.handler.handle(&txn, envelope).await {
            Ok(()) => {
                txn.commit().await?;
                self.handler.committed();
                Ok(true)
            }
            Err(e) => {
                txn.rollback().await?;
                Err(e)
            }
        }
    }

    async fn dead_letter(&self, delivery: &Delivery, error: &str, attempts: u32) {
        let mut headers = delivery.headers.clone();
        headers.push(("x-braid-error".into(), error.chars().take(1000).collect()));
        headers.push(("x-braid-attempts".into(), attempts.to_string()));
        headers.push(("x-braid-consumer".into(), self.handler.name()));
        headers.push(("x-braid-original-topic".into(), delivery.topic.clone()));
        headers.push(("x-braid-original-offset".into(), format!("{}/{}", delivery.partition, delivery.offset)));
        let message = Message {
            topic: super::dead_letter_topic(&delivery.topic),
            key: delivery.key.clone().unwrap_or_default(),
            payload: delivery.payload.clone(),
            headers,
        };
        tracing::error!(consumer = %self.handler.name(), topic = %delivery.topic, offset = delivery.offset, error, "event dead-lettered");
        metrics::counter!("braid_events_dead_lettered_total", "consumer" => self.handler.name()).increment(1);
        // The event must not be lost: keep trying until the dead-letter topic has it.
        let mut backoff = Duration::from_millis(100);
        while let Err(e) = self.bus.publish(std::slice::from_ref(&message)).await {
            tracing::warn!(error = %e, "dead-letter publish failed; retrying");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Idle;

    #[async_trait]
    impl Handler for Idle {
        fn name(&self) -> String {
            "idle".into()
        }
        fn topics(&self) -> Vec<String> {
            Vec::new()
        }
        async fn handle(&self, _: &DatabaseTransaction, _: &Envelope) -> Result<(), HandlerError> {
            Ok(())
        }
    }

    /// The lanes a consumer on `url` gets (the connection is lazy: nothing is reached).
    async fn lanes(url: &str, configured: usize) -> usize {
        let mut options = sea_orm::ConnectOptions::new(url);
        options.connect_lazy(true);
        let db = sea_orm::Database::connect(options).await.unwrap();
        let config = EventsConfig { consumer_lanes: configured, ..EventsConfig::default() };
        Consumer::new(db, Arc::new(super::super::memory::MemoryBus::new()), Arc::new(Idle), &config).lanes
    }

    #[tokio::test]
    async fn sqlite_gets_one_lane_and_postgres_what_is_configured() {
        assert_eq!(lanes("sqlite::memory:", 8).await, 1);
        let postgres = "postgres://nobody@127.0.0.1:9/none";
        assert_eq!(lanes(postgres, 8).await, 8);
        assert_eq!(lanes(postgres, 0).await, 1);
    }
}
