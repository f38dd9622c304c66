//! A consumer running against its subscription (`Consumer::run`): subscribing retried with
//! doubling back-off, old inbox rows forgotten at start (and not on every event), events applied
//! in order and acknowledged, what the lanes hold finished and committed on shutdown, and on
//! PostgreSQL different keys applied side by side while the acknowledgement waits for the
//! slowest.

use std::sync::Arc;
use std::time::Duration;

use braid_kit::config::EventsConfig;
use braid_kit::events::outbox::inbox;
use braid_kit::events::{Consumer, EventBus, Handler};
use chrono::Utc;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use tokio_util::sync::CancellationToken;

use crate::support::*;

const NAME: &str = "test.runner";

fn consumer(db: &DatabaseConnection, bus: &Arc<FaultyBus>, handler: &Arc<Recorder>, config: EventsConfig) -> Consumer {
    Consumer::new(db.clone(), bus.clone() as Arc<dyn EventBus>, handler.clone() as Arc<dyn Handler>, &config)
}

fn config() -> EventsConfig {
    EventsConfig { consumer_lanes: 4, ..EventsConfig::default() }
}

async fn publish(bus: &FaultyBus, events: &[(&str, u32)]) {
    let messages: Vec<_> = events.iter().map(|(subject, n)| message(&event(subject, *n))).collect();
    bus.inner.publish(&messages).await.unwrap();
}

#[tokio::test]
async fn events_are_applied_in_order_acknowledged_and_committed_on_shutdown() {
    let db = sqlite().await;
    let bus = FaultyBus::new().arc();
    let handler = Arc::new(Recorder::new(NAME));
    publish(&bus, &[("a", 1), ("b", 1), ("a", 2), ("c", 1), ("a", 3)]).await;
    let stop = CancellationToken::new();
    let running = tokio::spawn(consumer(&db, &bus, &handler, config()).run(stop.clone().cancelled_owned()));
    soon(bus.until(|b| b.seen().contains(&Seen::Acked(4)))).await;
    stop.cancel();
    soon(running).await.unwrap();
    // SQLite has one lane: one event after the other, as published.
    assert_eq!(handler.ids(), ["a-1", "b-1", "a-2", "c-1", "a-3"]);
    assert_eq!(count(&db, "effects").await, 5);
    assert_eq!(bus.seen().last(), Some(&Seen::Committed));
    // A new member of the group starts after what was acknowledged.
    publish(&bus, &[("d", 1)]).await;
    let mut next = bus.inner.subscribe(NAME, &[TOPIC.into()]).await.unwrap();
    assert_eq!(soon(next.recv()).await.unwrap().offset, 5);
}

#[tokio::test]
async fn subscribing_is_retried_with_doubling_back_off() {
    let db = sqlite().await;
    let bus = FaultyBus::new().failing_subscribes(3).arc();
    let handler = Arc::new(Recorder::new(NAME));
    let stop = CancellationToken::new();
    let watch = async {
        soon(bus.until(|b| b.subscribe_gaps().len() == 3)).await;
        stop.cancel();
    };
    soon(async { tokio::join!(consumer(&db, &bus, &handler, config()).run(stop.cancelled()), watch) }).await;
    let gaps = bus.subscribe_gaps();
    let least = [100, 200, 400].map(Duration::from_millis);
    assert!(gaps.iter().zip(least).all(|(gap, least)| *gap >= least), "{gaps:?}");
    assert_eq!(bus.seen().last(), Some(&Seen::Committed), "subscribed in the end");
}

#[tokio::test]
async fn inbox_rows_past_the_retention_are_forgotten_at_start() {
    let db = sqlite().await;
    let now = Utc::now();
    let rows = [(NAME, "old", 2 * 60), (NAME, "recent", 50), ("other", "old", 2 * 60)];
    for (consumer, id, minutes) in rows {
        let row = inbox::ActiveModel {
            consumer: Set(consumer.into()),
            event_id: Set(id.into()),
            processed_at: Set(now - chrono::TimeDelta::minutes(minutes)),
        };
        inbox::Entity::insert(row).exec_without_returning(&db).await.unwrap();
    }
    let bus = FaultyBus::new().arc();
    let handler = Arc::new(Recorder::new(NAME));
    let config = EventsConfig { inbox_retention_hours: 1, ..config() };
    soon(consumer(&db, &bus, &handler, config).run(async {})).await;
    let left: Vec<_> =
        inbox::Entity::find().all(&db).await.unwrap().into_iter().map(|r| (r.consumer, r.event_id)).collect();
    let expected = [(NAME, "recent"), ("other", "old")].map(|(c, id)| (c.to_string(), id.to_string()));
    assert_eq!(left, expected);
}

/// With no retention at all, only the pruning at start could forget an applied event: pruning is
/// not repeated after every event, so a redelivery during the run is still a duplicate.
#[tokio::test]
async fn the_inbox_is_not_pruned_after_every_event() {
    let db = sqlite().await;
    let bus = FaultyBus::new().arc();
    let handler = Arc::new(Recorder::new(NAME));
    let config = EventsConfig { inbox_retention_hours: 0, ..config() };
    publish(&bus, &[("a", 1)]).await;
    let stop = CancellationToken::new();
    let running = tokio::spawn(consumer(&db, &bus, &handler, config).run(stop.clone().cancelled_owned()));
    soon(bus.until(|b| b.seen().contains(&Seen::Acked(0)))).await;
    publish(&bus, &[("a", 1), ("b", 1)]).await;
    soon(bus.until(|b| b.seen().contains(&Seen::Acked(2)))).await;
    stop.cancel();
    soon(running).await.unwrap();
    assert_eq!(handler.ids(), ["a-1", "b-1"]);
    assert_eq!(count(&db, "effects").await, 2);
}

#[tokio::test]
async fn shutdown_waits_for_what_the_lanes_hold_then_commits() {
    let db = sqlite().await;
    let bus = FaultyBus::new().arc();
    let handler = Arc::new(Recorder::new(NAME));
    let held = handler.hold("a");
    publish(&bus, &[("a", 1), ("a", 2)]).await;
    let stop = CancellationToken::new();
    let running = tokio::spawn(consumer(&db, &bus, &handler, config()).run(stop.clone().cancelled_owned()));
    soon(bus.until(|b| b.seen().contains(&Seen::Received(1)))).await;
    soon(handler.until(|h| !h.ids().is_empty())).await;
    stop.cancel();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!running.is_finished(), "a-1 is still being handled");
    held.add_permits(2);
    soon(running).await.unwrap();
    assert_eq!(handler.ids(), ["a-1", "a-2"]);
    assert_eq!(count(&db, "effects").await, 2);
    let seen = bus.seen();
    assert_eq!(seen[seen.len() - 2..], [Seen::Acked(1), Seen::Committed]);
}

/// PostgreSQL: while an event of one key is held, events of other keys (in other lanes) are
/// applied, and nothing is acknowledged past the held one until it is done.
#[tokio::test]
async fn other_keys_go_side_by_side_and_the_acknowledgement_waits_for_the_slowest() {
    let pg = postgres().await;
    let bus = FaultyBus::new().arc();
    let handler = Arc::new(Recorder::new(NAME));
    let held = handler.hold("a");
    publish(&bus, &[("a", 1), ("b", 1), ("c", 1), ("d", 1), ("e", 1)]).await;
    let stop = CancellationToken::new();
    let running = tokio::spawn(consumer(&pg.db, &bus, &handler, config()).run(stop.clone().cancelled_owned()));
    // Four other keys over four lanes: some are in another lane than `a`.
    soon(handler.until(|h| h.committed() >= 1)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!bus.seen().iter().any(|s| matches!(s, Seen::Acked(_))), "offset 0 is open: {:?}", bus.seen());
    held.add_permits(1);
    soon(bus.until(|b| b.seen().contains(&Seen::Acked(4)))).await;
    stop.cancel();
    soon(running).await.unwrap();
    assert_eq!(handler.committed(), 5);
    assert_eq!(count(&pg.db, "effects").await, 5);
}
