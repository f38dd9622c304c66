//! The relay: publishes outbox rows in id order and marks them published, backing off while
//! the broker is down. One relay at a time per database publishes (a PostgreSQL advisory
//! lock), so rows of one aggregate never overtake each other.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};

use super::bus::{EventBus, Message};
use super::outbox::{OutboxSignal, entity as outbox, now};
use crate::config::EventsConfig;
use crate::telemetry::context::{Messaging, messaging_span};

/// Advisory lock id for "the relay of this database".
const RELAY_LOCK: i64 = 0x0b4a_1d00_0001;
/// Published rows are kept this long (for inspection), then pruned.
const RETENTION: chrono::TimeDelta = chrono::TimeDelta::hours(1);
/// The backlog gauge is read from the database every this many rounds, and after every failure.
const BACKLOG_EVERY: u64 = 5;

/// Publishes the outbox of one database.
pub struct Relay {
    db: DatabaseConnection,
    bus: Arc<dyn EventBus>,
    signal: OutboxSignal,
    interval: Duration,
    batch: u64,
    max_backoff: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Publish(#[from] super::bus::PublishError),
}

impl Relay {
    pub fn new(db: DatabaseConnection, bus: Arc<dyn EventBus>, signal: OutboxSignal, config: &EventsConfig) -> Self {
        Self {
            db,
            bus,
            signal,
            interval: Duration::from_millis(config.relay_interval_ms),
            batch: config.relay_batch,
            max_backoff: Duration::from_millis(config.relay_max_backoff_ms),
        }
    }

    /// Runs until `shutdown` resolves, then publishes what is left (bounded) and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let mut backoff = Duration::ZERO;
        let mut rounds: u64 = 0;
        let backlog = metrics::gauge!("braid_outbox_unpublished_events");
        metrics::counter!("braid_outbox_publish_errors_total").increment(0);
        loop {
            let wait = if backoff.is_zero() { self.interval } else { backoff };
            tokio::select! {
                () = &mut shutdown => break,
                () = self.signal.wait(), if backoff.is_zero() => {}
                () = tokio::time::sleep(wait) => {}
            }
            loop {
                match self.publish_pending().await {
                    Ok(n) => {
                        backoff = Duration::ZERO;
                        if n < self.batch as usize {
                            break;
                        }
                    }
                    Err(e) => {
                        backoff = (backoff * 2).clamp(Duration::from_millis(100), self.max_backoff);
                        metrics::counter!("braid_outbox_publish_errors_total").increment(1);
                        tracing::warn!(error = %e, backoff_ms = backoff.as_millis() as u64, "relay: publish failed");
                        break;
                    }
                }
            }
            // Counted, not inferred from the round: another instance's relay may hold the lock.
            if !backoff.is_zero() || rounds.is_multiple_of(BACKLOG_EVERY) {
                match self.unpublished().await {
                    Ok(n) => backlog.set(n as f64),
                    Err(e) => tracing::debug!(error = %e, "relay: counting the backlog failed"),
                }
            }
            rounds += 1;
            if rounds.is_multiple_of(600) {
                self.prune().await;
            }
        }
        // Drain: whatever was committed before shutdown gets one more chance.
        let drain = async {
            while let Ok(n) = self.publish_pending().await {
                if n == 0 {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), drain).await;
        self.bus.flush().await;
    }

    /// Publishes one batch; returns how many rows were published.
    pub async fn publish_pending(&self) -> Result<usize, RelayError> {
        if self.db.get_database_backend() == DbBackend::Postgres {
            let txn = crate::db::begin_write(&self.db).await?;
            let stmt =
                Statement::from_string(DbBackend::Postgres, format!("SELECT pg_try_advisory_xact_lock({RELAY_LOCK})"));
            let locked: bool = match txn.query_one_raw(stmt).await? {
                Some(row) => row.try_get_by_index(0)?,
                None => false,
            };
            if !locked {
                return Ok(0); // another relay is publishing this database
            }
            let n = self.publish_batch(&txn).await;
            txn.commit().await?;
            n
        } else {
            // SQLite: one process owns the file.
            self.publish_batch(&self.db).await
        }
    }

    async fn publish_batch<C: ConnectionTrait>(&self, conn: &C) -> Result<usize, RelayError> {
        let rows = outbox::Entity::find()
            .filter(outbox::Column::PublishedAt.is_null())
            .order_by_asc(outbox::Column::Id)
            .limit(self.batch)
            .all(conn)
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let spans: Vec<tracing::Span> = rows.iter().map(publish_span).collect();
        let messages: Vec<Message> = rows
            .iter()
            .zip(&spans)
            .map(|(r, span)| Message {
                topic: r.topic.clone(),
                key: r.event_key.clone(),
                payload: r.payload.clone().into_bytes(),
                headers: headers(r, span),
            })
            .collect();
        let outcome = self.bus.publish(&messages).await;
        let delivered = match &outcome {
            Ok(()) => rows.len(),
            Err(e) => e.delivered,
        };
        for span in &spans[delivered..] {
            span.record("otel.status_code", "ERROR");
        }
        drop(spans);
        if delivered > 0 {
            let ids: Vec<i64> = rows[..delivered].iter().map(|r| r.id).collect();
            outbox::Entity::update_many()
                .col_expr(outbox::Column::PublishedAt, Expr::value(now()))
                .filter(outbox::Column::Id.is_in(ids))
                .exec(conn)
                .await?;
            metrics::counter!("braid_outbox_published_total").increment(delivered as u64);
        }
        outcome?;
        Ok(delivered)
    }

    /// Rows not published yet (the `outbox_unpublished` index answers it).
    async fn unpublished(&self) -> Result<u64, DbErr> {
        outbox::Entity::find().filter(outbox::Column::PublishedAt.is_null()).count(&self.db).await
    }

    async fn prune(&self) {
        let cutoff = now() - RETENTION;
        let result = outbox::Entity::delete_many().filter(outbox::Column::PublishedAt.lt(cutoff)).exec(&self.db).await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "relay: pruning the outbox failed");
        }
    }
}

/// The span of one row's publishing: a child of the span that wrote the row (its
/// `traceparent`), ended once the broker has the record or refused it.
fn publish_span(row: &outbox::Model) -> tracing::Span {
    let what = Messaging {
        operation: "publish",
        topic: &row.topic,
        id: &row.event_id,
        event_type: &row.event_type,
        group: None,
    };
    messaging_span(what, || serde_json::from_str::<super::Envelope>(&row.payload).ok().and_then(|e| e.traceparent))
}

/// CloudEvents Kafka binding headers, so consumers can route without parsing the body, and the
/// `traceparent` consumers continue: the publishing span's, or (traces off) the writer's.
fn headers(row: &outbox::Model, span: &tracing::Span) -> Vec<(String, String)> {
    let mut headers = vec![
        ("ce_id".to_string(), row.event_id.clone()),
        ("ce_type".to_string(), row.event_type.clone()),
        ("content-type".to_string(), "application/cloudevents+json".to_string()),
    ];
    let traceparent = crate::telemetry::context::traceparent(span).or_else(|| {
        serde_json::from_str::<super::Envelope>(&row.payload).ok().and_then(|envelope| envelope.traceparent)
    });
    if let Some(traceparent) = traceparent {
        headers.push((crate::telemetry::context::TRACEPARENT.to_string(), traceparent));
    }
    headers
}
