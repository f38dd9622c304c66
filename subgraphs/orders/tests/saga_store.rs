//! Against PostgreSQL: what the orchestrator stores for each input: the saga's version and
//! deadline (the step's time limit plus the retry's back-off, or the handling time), the
//! order's public events on a status change, and nothing for an input that changes nothing.

mod support;

use std::time::Duration;

use braid_kit::backoff::Backoff;
use braid_kit::events::OutboxSignal;
use braid_orders::entity::saga;
use braid_orders::saga::machine::{Input, Policy, Reply};
use braid_orders::saga::{Orchestrator, timer};
use braid_testkit::metrics::sum;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{DatabaseConnection, EntityTrait, TransactionTrait};

const STEP: Duration = Duration::from_secs(100);
const HANDLING: Duration = Duration::from_secs(1000);

fn orchestrator(db: &DatabaseConnection) -> Orchestrator {
    Orchestrator {
        db: db.clone(),
        outbox: OutboxSignal::default(),
        policy: Policy { attempts: 2 },
        step_timeout: STEP,
        // A delay is drawn between half the ceiling and the ceiling: 5 to 10 s here.
        backoff: Backoff::new(Duration::from_secs(10), Duration::from_secs(10)),
        handling: HANDLING,
        reservation_ttl_secs: 60,
    }
}

async fn row(db: &DatabaseConnection, id: &str) -> saga::Model {
    saga::Entity::find_by_id(id.to_string()).one(db).await.unwrap().expect("the saga is stored")
}

/// `deadline` is `wait` plus `delay` (in milliseconds) after `since`, give or take the
/// test's own run time.
fn due_after(deadline: Option<DateTime<Utc>>, since: DateTime<Utc>, wait: Duration, delay: std::ops::Range<i64>) {
    let deadline = deadline.expect("a deadline");
    let expected = since + TimeDelta::from_std(wait).unwrap();
    let off = (deadline - expected).num_milliseconds();
    let range = delay.start..delay.end + 3_000;
    assert!(range.contains(&off), "deadline {deadline} is {off} ms after {expected}, not in {range:?}");
}

async fn apply(orchestrator: &Orchestrator, id: &str, input: Input) {
    let txn = orchestrator.db.begin().await.unwrap();
    orchestrator.apply(&txn, id, input, Vec::new(), None).await.unwrap().expect("the order exists");
    txn.commit().await.unwrap();
}

fn event_types(events: &[braid_kit::events::Envelope]) -> Vec<&str> {
    events.iter().map(|e| e.event_type.as_str()).collect()
}

#[tokio::test]
async fn each_input_moves_the_version_and_sets_the_deadline_it_waits_for() {
    let (_test_db, db) = support::database().await;
    let orchestrator = orchestrator(&db);
    let txn = db.begin().await.unwrap();
    let mut view = support::place(&txn).await;
    let id = view.id.clone();
    let started = Utc::now();
    orchestrator.start(&txn, &mut view).await.unwrap();
    txn.commit().await.unwrap();
    let first = row(&db, &id).await;
    assert_eq!(first.version, 1);
    // The first attempt waits the step's time limit plus at most the first ceiling.
    due_after(first.deadline, started, STEP, 5_000..10_000);

    let before = Utc::now();
    apply(&orchestrator, &id, Input::Timeout).await;
    let retried = row(&db, &id).await;
    assert_eq!(retried.version, 2);
    assert!(retried.updated_at > first.updated_at);
    due_after(retried.deadline, before, STEP, 5_000..10_000);

    for reply in [Reply::Reserved, Reply::Captured, Reply::Committed] {
        apply(&orchestrator, &id, Input::Reply(reply)).await;
    }
    let handling = row(&db, &id).await;
    assert_eq!(handling.version, 5);
    due_after(handling.deadline, before, HANDLING, 0..1);

    // A late duplicate answer changes nothing: no new version, no new event.
    let events = support::written(&db, "orders.order").await.len();
    apply(&orchestrator, &id, Input::Reply(Reply::Reserved)).await;
    assert_eq!(row(&db, &id).await, handling);
    assert_eq!(support::written(&db, "orders.order").await.len(), events);

    // A stale version is not applied.
    let txn = db.begin().await.unwrap();
    assert!(orchestrator.apply(&txn, &id, Input::Timeout, Vec::new(), Some(4)).await.unwrap().is_none());
    txn.commit().await.unwrap();
    assert_eq!(row(&db, &id).await.version, 5);
}

/// The value of the series `name` with all of `labels` in the Prometheus text (0 if none).
/// Also the counters: commands by first attempt or retry, sagas by how they ended. The
/// recorder is this thread's own and the runtime has one thread.
#[tokio::test(flavor = "current_thread")]
async fn a_status_change_is_announced_once_and_a_cancel_also_as_a_cancellation() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let metrics = recorder.handle();
    let _guard = metrics::set_default_local_recorder(&recorder);
    let commands = |command: &str, attempt: &str| {
        let series = format!("braid_saga_commands_total{{command=\"{command}\",attempt=\"{attempt}\"}}");
        sum(&metrics.render(), &series)
    };
    let (_test_db, db) = support::database().await;
    let orchestrator = orchestrator(&db);
    let txn = db.begin().await.unwrap();
    let mut view = support::place(&txn).await;
    let id = view.id.clone();
    orchestrator.start(&txn, &mut view).await.unwrap();
    txn.commit().await.unwrap();
    assert!(support::written(&db, "orders.order").await.is_empty(), "still pending");

    apply(&orchestrator, &id, Input::Timeout).await; // a retry: still pending
    assert!(support::written(&db, "orders.order").await.is_empty());
    assert_eq!((commands("stock.reserve", "first"), commands("stock.reserve", "retry")), (1, 1));
    apply(&orchestrator, &id, Input::Reply(Reply::Reserved)).await;
    let events = support::written(&db, "orders.order").await;
    assert_eq!(event_types(&events), ["orders.order.updated.v1"]);
    assert_eq!(
        (events[0].data["status"].as_str(), events[0].data["previousStatus"].as_str()),
        (Some("STOCK_RESERVED"), Some("PENDING"))
    );

    apply(&orchestrator, &id, Input::Cancel).await;
    apply(&orchestrator, &id, Input::Reply(Reply::Refunded)).await;
    apply(&orchestrator, &id, Input::Reply(Reply::Released)).await;
    let events = support::written(&db, "orders.order").await;
    assert_eq!(
        event_types(&events),
        ["orders.order.updated.v1", "orders.order.updated.v1", "orders.order.cancelled.v1"]
    );
    assert_eq!(events[1].data["status"], "CANCELLED");
    assert_eq!((commands("payment.refund", "first"), commands("stock.release", "first")), (1, 1));
    let ended = |status: &str| sum(&metrics.render(), &format!("braid_orders_ended_total{{status=\"{status}\"}}"));
    assert_eq!((ended("cancelled"), ended("completed")), (1, 0));
    assert_eq!(row(&db, &id).await.deadline, None, "an ended saga waits for nothing");
}

#[tokio::test]
async fn the_timer_fires_overdue_timeouts_until_shut_down() {
    let (_test_db, db) = support::database().await;
    let orchestrator = Orchestrator {
        step_timeout: Duration::ZERO,
        backoff: Backoff::new(Duration::ZERO, Duration::ZERO),
        ..orchestrator(&db)
    };
    let txn = db.begin().await.unwrap();
    let mut view = support::place(&txn).await;
    orchestrator.start(&txn, &mut view).await.unwrap();
    txn.commit().await.unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let timer = tokio::spawn(timer::run(orchestrator.clone(), Duration::from_millis(10), shutdown.clone()));
    for _ in 0..500 {
        if row(&db, &view.id).await.version > 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(row(&db, &view.id).await.version > 1, "the reservation's timeout was never fired");
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), timer).await.expect("the timer stops when shut down").unwrap();
}
