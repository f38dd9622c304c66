//! The relay: outbox rows published in id order with their CloudEvents headers, in batches,
//! marked published exactly as far as the broker took them; woken by a commit, backing off
//! (100 ms doubling up to the maximum) and counting errors while the broker fails, counting
//! the backlog after every failed round, draining on shutdown, pruning old published rows now
//! and then, and on PostgreSQL one relay per database at a time.

use std::sync::Arc;
use std::time::Duration;

use braid_kit::config::EventsConfig;
use braid_kit::events::outbox::{append, entity as outbox};
use braid_kit::events::{Envelope, EventBus, OutboxSignal, Relay};
use braid_testkit::metrics::sum;
use chrono::Utc;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::support::*;

fn config(batch: u64, interval_ms: u64, max_backoff_ms: u64) -> EventsConfig {
    EventsConfig {
        relay_batch: batch,
        relay_interval_ms: interval_ms,
        relay_max_backoff_ms: max_backoff_ms,
        ..EventsConfig::default()
    }
}

fn relay(db: &DatabaseConnection, bus: &Arc<FaultyBus>, signal: &OutboxSignal, config: &EventsConfig) -> Relay {
    Relay::new(db.clone(), bus.clone() as Arc<dyn EventBus>, signal.clone(), config)
}

/// Appends events `a-1`..`a-n`.
async fn append_n(db: &DatabaseConnection, n: u32) {
    for i in 1..=n {
        append(db, &event("a", i)).await.unwrap();
    }
}

/// Ids of the rows not published yet.
async fn unpublished(db: &DatabaseConnection) -> Vec<String> {
    let rows = outbox::Entity::find().all(db).await.unwrap();
    rows.into_iter().filter(|r| r.published_at.is_none()).map(|r| r.event_id).collect()
}

#[tokio::test]
async fn rows_go_out_in_id_order_with_their_headers_and_are_marked_published() {
    let db = sqlite().await;
    let (a1, b1, a2) = (event("a", 1), event("b", 1), event("a", 2));
    let mut traced = b1.clone();
    traced.traceparent = Some(WRITER_TRACE.into());
    for e in [&a1, &traced, &a2] {
        append(&db, e).await.unwrap();
    }
    let bus = FaultyBus::new().arc();
    let relay = relay(&db, &bus, &OutboxSignal::default(), &config(10, 200, 1000));
    let before = Utc::now();
    assert_eq!(relay.publish_pending().await.unwrap(), 3);
    let records = bus.inner.records(TOPIC);
    assert_eq!(bus.ids(TOPIC), ["a-1", "b-1", "a-2"]);
    let keys: Vec<_> = records.iter().map(|r| r.key.clone().unwrap()).collect();
    assert_eq!(keys, ["a", "b", "a"]);
    assert_eq!(Envelope::from_bytes(&records[0].payload).unwrap(), a1);
    let header = |(k, v): (&str, &str)| (k.to_string(), v.to_string());
    let common = [("ce_type", TYPE), ("content-type", "application/cloudevents+json")];
    let mut expected: Vec<_> = [("ce_id", "a-1")].into_iter().chain(common).map(header).collect();
    assert_eq!(records[0].headers, expected, "no traceparent when the writer had none");
    expected[0].1 = "b-1".into();
    expected.push(header(("traceparent", WRITER_TRACE)));
    assert_eq!(records[1].headers, expected, "traces off: the writer's traceparent passes on");
    let rows = outbox::Entity::find().all(&db).await.unwrap();
    let slack = chrono::TimeDelta::seconds(5);
    for row in &rows {
        let at = row.published_at.expect("published");
        assert!(at >= before - slack && at <= Utc::now() + slack, "published at {at}");
    }
    assert_eq!(relay.publish_pending().await.unwrap(), 0, "nothing twice");
    assert_eq!(bus.inner.records(TOPIC).len(), 3);
}

#[tokio::test]
async fn with_traces_on_a_record_carries_its_publishing_span_in_the_writers_trace() {
    let db = sqlite().await;
    let mut e = event("a", 1);
    e.traceparent = Some(WRITER_TRACE.into());
    append(&db, &e).await.unwrap();
    let bus = FaultyBus::new().arc();
    let relay = relay(&db, &bus, &OutboxSignal::default(), &config(10, 200, 1000));
    let _traces = traces_on();
    relay.publish_pending().await.unwrap();
    let record = &bus.inner.records(TOPIC)[0];
    let traceparent = record.header("traceparent").expect("a traceparent");
    assert_eq!(trace_id(traceparent), trace_id(WRITER_TRACE), "the writer's trace");
    assert_ne!(traceparent, WRITER_TRACE, "the publishing span's own id");
}

#[tokio::test]
async fn a_partial_publish_marks_exactly_the_delivered_prefix() {
    let db = sqlite().await;
    append_n(&db, 4).await;
    let bus = FaultyBus::new().failing_publishes([0, 2]).arc();
    let relay = relay(&db, &bus, &OutboxSignal::default(), &config(3, 200, 1000));
    let failed = relay.publish_pending().await.expect_err("the broker failed");
    assert!(failed.to_string().contains("published 0 of the batch"), "{failed}");
    assert_eq!(unpublished(&db).await, ["a-1", "a-2", "a-3", "a-4"]);
    relay.publish_pending().await.expect_err("the broker failed after two");
    assert_eq!(unpublished(&db).await, ["a-3", "a-4"]);
    assert_eq!(relay.publish_pending().await.unwrap(), 2);
    assert!(unpublished(&db).await.is_empty());
    assert_eq!(bus.ids(TOPIC), ["a-1", "a-2", "a-3", "a-4"], "each once, in order");
    assert_eq!(bus.batches(), [3, 3, 2]);
}

#[tokio::test]
async fn a_commit_wakes_the_relay_long_before_its_interval() {
    let db = sqlite().await;
    let bus = FaultyBus::new().arc();
    let signal = OutboxSignal::default();
    let stop = CancellationToken::new();
    let running =
        tokio::spawn(relay(&db, &bus, &signal, &config(10, 3_600_000, 1000)).run(stop.clone().cancelled_owned()));
    // Nobody wakes it: the row waits for the next poll, an hour away.
    append(&db, &event("a", 0)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(bus.batches().is_empty(), "published without a poll or a commit");
    for i in 1..=2 {
        append(&db, &event("a", i)).await.unwrap();
        signal.committed();
        soon(bus.until(|b| b.inner.records(TOPIC).len() == 1 + i as usize)).await;
    }
    stop.cancel();
    soon(running).await.unwrap();
    assert_eq!(bus.ids(TOPIC), ["a-0", "a-1", "a-2"]);
    assert!(bus.flushed(), "flushed on shutdown");
}

#[tokio::test]
async fn a_full_batch_is_followed_at_once_by_the_next() {
    let db = sqlite().await;
    append_n(&db, 5).await;
    let bus = FaultyBus::new().arc();
    let signal = OutboxSignal::default();
    let stop = CancellationToken::new();
    let running =
        tokio::spawn(relay(&db, &bus, &signal, &config(2, 3_600_000, 1000)).run(stop.clone().cancelled_owned()));
    signal.committed();
    soon(bus.until(|b| b.inner.records(TOPIC).len() == 5)).await;
    assert_eq!(bus.batches(), [2, 2, 1]);
    stop.cancel();
    soon(running).await.unwrap();
    assert_eq!(bus.batches(), [2, 2, 1], "an empty outbox publishes nothing");
}

#[tokio::test]
async fn shutdown_drains_what_was_committed() {
    let db = sqlite().await;
    append_n(&db, 5).await;
    let bus = FaultyBus::new().arc();
    let relay = relay(&db, &bus, &OutboxSignal::default(), &config(2, 3_600_000, 1000));
    // Stopped before its first round: the drain publishes everything, batch after batch.
    soon(relay.run(async {})).await;
    assert_eq!(bus.ids(TOPIC), ["a-1", "a-2", "a-3", "a-4", "a-5"]);
    assert!(unpublished(&db).await.is_empty());
    assert!(bus.flushed());
}

/// The recorder is this thread's, so the relay runs on it (a current-thread runtime).
#[tokio::test(flavor = "current_thread")]
async fn a_failing_broker_is_retried_with_doubling_back_off_up_to_the_maximum() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let metrics = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);
    let db = sqlite().await;
    append_n(&db, 1).await;
    let bus = FaultyBus::new().failing_publishes([0; 4]).arc();
    let signal = OutboxSignal::default();
    signal.committed();
    let stop = CancellationToken::new();
    let relay = relay(&db, &bus, &signal, &config(10, 3_600_000, 300));
    let watch = async {
        soon(bus.until(|b| b.inner.records(TOPIC).len() == 1)).await;
        stop.cancel();
    };
    soon(async { tokio::join!(relay.run(stop.cancelled()), watch) }).await;
    let gaps = bus.publish_gaps();
    let least = [100, 200, 300, 300].map(Duration::from_millis);
    assert!(gaps.iter().zip(least).all(|(gap, least)| *gap >= least), "{gaps:?}");
    // Unclamped, the fourth wait would be 800 ms.
    assert!(gaps[3] < Duration::from_millis(650), "clamped to the maximum: {gaps:?}");
    assert_eq!(sum(&metrics.render(), "braid_outbox_publish_errors_total"), 4);
    assert_eq!(sum(&metrics.render(), "braid_outbox_published_total"), 1);
}

/// While the broker takes one record per round and fails, the backlog gauge follows each round
/// (it is read after every failure, not only every fifth round).
#[tokio::test(flavor = "current_thread")]
async fn the_backlog_gauge_is_counted_after_every_failed_round() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let metrics = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);
    let db = sqlite().await;
    append_n(&db, 4).await;
    let gauge = move || sum(&metrics.render(), "braid_outbox_unpublished_events").to_string();
    let bus = FaultyBus::new().failing_publishes([1; 4]).probed(gauge).arc();
    let signal = OutboxSignal::default();
    signal.committed();
    let stop = CancellationToken::new();
    let relay = relay(&db, &bus, &signal, &config(10, 3_600_000, 100));
    let watch = async {
        soon(bus.until(|b| b.inner.records(TOPIC).len() == 4)).await;
        stop.cancel();
    };
    soon(async { tokio::join!(relay.run(stop.cancelled()), watch) }).await;
    assert_eq!(bus.probes()[1..4], ["3", "2", "1"]);
}

/// Published rows past the retention (an hour) go, but only every 600 rounds: younger ones and
/// unpublished ones stay.
#[tokio::test]
async fn old_published_rows_are_pruned_now_and_then() {
    let db = sqlite().await;
    let now = Utc::now();
    for (id, published) in
        [("old", Some(now - chrono::TimeDelta::minutes(90))), ("recent", Some(now - chrono::TimeDelta::minutes(50)))]
    {
        let row = outbox::ActiveModel {
            event_id: Set(id.into()),
            topic: Set(TOPIC.into()),
            event_key: Set("a".into()),
            event_type: Set(TYPE.into()),
            payload: Set("{}".into()),
            created_at: Set(now - chrono::TimeDelta::hours(2)),
            published_at: Set(published),
            ..Default::default()
        };
        outbox::Entity::insert(row).exec_without_returning(&db).await.unwrap();
    }
    let ids = async || -> Vec<String> {
        let rows = outbox::Entity::find().all(&db).await.unwrap();
        rows.into_iter().map(|r| r.event_id).collect()
    };
    let bus = FaultyBus::new().arc();
    let signal = OutboxSignal::default();
    // Some rounds, far fewer than 600: nothing is pruned yet.
    let stop = CancellationToken::new();
    let running = tokio::spawn(relay(&db, &bus, &signal, &config(10, 10, 1000)).run(stop.clone().cancelled_owned()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.cancel();
    soon(running).await.unwrap();
    assert_eq!(ids().await, ["old", "recent"]);
    // A relay polling every millisecond reaches its 600th round within a few seconds.
    let stop = CancellationToken::new();
    let running = tokio::spawn(relay(&db, &bus, &signal, &config(10, 1, 1000)).run(stop.clone().cancelled_owned()));
    append(&db, &event("a", 1)).await.unwrap();
    soon(async {
        while ids().await.contains(&"old".to_string()) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    stop.cancel();
    soon(running).await.unwrap();
    assert_eq!(ids().await, ["recent", "a-1"], "younger and just published rows stay");
}

/// Two relays on one PostgreSQL database: while one publishes (its broker is slow), the other
/// publishes nothing; once the first is done, the other can go on.
#[tokio::test]
async fn one_relay_publishes_a_postgres_database_at_a_time() {
    let pg = postgres().await;
    append_n(&pg.db, 3).await;
    let gate = Arc::new(Semaphore::new(0));
    let slow = FaultyBus::new().gated(gate.clone()).arc();
    let other = FaultyBus::new().arc();
    let cfg = config(10, 200, 1000);
    let first = relay(&pg.db, &slow, &OutboxSignal::default(), &cfg);
    let second = relay(&pg.db, &other, &OutboxSignal::default(), &cfg);
    let publishing = tokio::spawn(async move { first.publish_pending().await.unwrap() });
    soon(slow.until(|b| b.batches() == [3])).await;
    assert_eq!(second.publish_pending().await.unwrap(), 0);
    assert!(other.batches().is_empty());
    gate.add_permits(1);
    assert_eq!(soon(publishing).await.unwrap(), 3);
    append(&pg.db, &event("a", 4)).await.unwrap();
    assert_eq!(second.publish_pending().await.unwrap(), 1);
    assert_eq!(other.ids(TOPIC), ["a-4"]);
    assert_eq!(slow.ids(TOPIC), ["a-1", "a-2", "a-3"]);
}
