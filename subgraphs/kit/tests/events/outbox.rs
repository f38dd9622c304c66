//! The outbox: `append` writes one unpublished row per event (id, topic, key, type, the whole
//! envelope, when), only if the caller's transaction commits, carrying the writer's trace.

use std::time::Duration;

use braid_kit::events::Envelope;
use braid_kit::events::outbox::{append, entity as outbox};
use chrono::Utc;
use sea_orm::{EntityTrait, TransactionTrait};
use tracing::Instrument as _;

use crate::support::*;

async fn rows(db: &sea_orm::DatabaseConnection) -> Vec<outbox::Model> {
    outbox::Entity::find().all(db).await.unwrap()
}

#[tokio::test]
async fn append_writes_the_events_row() {
    let db = sqlite().await;
    let mut e = event("a", 1);
    e.traceparent = Some(WRITER_TRACE.into());
    let before = Utc::now();
    append(&db, &e).await.unwrap();
    let rows = rows(&db).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.event_id, "a-1");
    assert_eq!(row.topic, TOPIC);
    assert_eq!(row.event_key, "a");
    assert_eq!(row.event_type, TYPE);
    // The whole envelope, its traceparent too (traces are off here: nothing replaces it).
    assert_eq!(Envelope::from_bytes(row.payload.as_bytes()).unwrap(), e);
    assert_eq!(row.published_at, None);
    let slack = chrono::TimeDelta::seconds(5);
    assert!(row.created_at >= before - slack && row.created_at <= Utc::now() + slack, "{}", row.created_at);
}

#[tokio::test]
async fn a_rolled_back_transaction_leaves_no_event() {
    let db = sqlite().await;
    let txn = db.begin().await.unwrap();
    append(&txn, &event("a", 1)).await.unwrap();
    txn.rollback().await.unwrap();
    let txn = db.begin().await.unwrap();
    append(&txn, &event("a", 2)).await.unwrap();
    txn.commit().await.unwrap();
    let ids: Vec<String> = rows(&db).await.into_iter().map(|r| r.event_id).collect();
    assert_eq!(ids, ["a-2"]);
}

#[tokio::test]
async fn with_traces_on_the_event_carries_the_writers_span() {
    let db = sqlite().await;
    let _traces = traces_on();
    let span = tracing::info_span!("request");
    let writer = braid_kit::telemetry::context::traceparent(&span).expect("traces are on");
    // An envelope copied from elsewhere, with another trace: the writer's span wins.
    let mut e = event("a", 1);
    e.traceparent = Some(WRITER_TRACE.into());
    append(&db, &e).instrument(span).await.unwrap();
    let stored = Envelope::from_bytes(rows(&db).await[0].payload.as_bytes()).unwrap();
    assert_eq!(stored.traceparent.as_deref(), Some(writer.as_str()));
    assert_eq!(Envelope { traceparent: e.traceparent.clone(), ..stored }, e, "nothing else changes");
}

#[tokio::test]
async fn created_at_is_the_time_of_writing() {
    let db = sqlite().await;
    append(&db, &event("a", 1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    append(&db, &event("a", 2)).await.unwrap();
    let rows = rows(&db).await;
    assert!(rows[1].created_at > rows[0].created_at, "{} then {}", rows[0].created_at, rows[1].created_at);
}
