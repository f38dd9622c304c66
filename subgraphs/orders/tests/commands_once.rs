//! Against PostgreSQL: each saga command goes to the outbox once and is answered once, through
//! a retried shipment request and the checks of a silent carrier after it (what the chaos
//! test checks at its end).

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use braid_kit::backoff::Backoff;
use braid_kit::events::{Envelope, Handler, OutboxSignal};
use braid_orders::entity::saga;
use braid_orders::saga::machine::{Input, Policy, Reply};
use braid_orders::saga::replies::Replies;
use braid_orders::saga::{Orchestrator, timer};
use braid_orders::shipping::Shipping;
use sea_orm::{DatabaseConnection, EntityTrait, TransactionTrait};

fn command_id(event: &Envelope) -> String {
    event.data["commandId"].as_str().unwrap().to_string()
}

/// The only event on `topic` for `command`.
async fn the_one(db: &DatabaseConnection, topic: &str, command: &str) -> Envelope {
    let mut found: Vec<Envelope> =
        support::written(db, topic).await.into_iter().filter(|e| command_id(e) == command).collect();
    assert_eq!(found.len(), 1, "{topic} {command}");
    found.pop().unwrap()
}

async fn handle(db: &DatabaseConnection, handler: &dyn Handler, event: &Envelope) {
    let txn = db.begin().await.unwrap();
    handler.handle(&txn, event).await.unwrap();
    txn.commit().await.unwrap();
}

#[tokio::test]
async fn a_command_is_written_once_and_answered_once() {
    let (_test_db, db) = support::database().await;
    // Every timer is due at once: each round of the timer fires the saga's next timeout.
    let orchestrator = Orchestrator {
        db: db.clone(),
        outbox: OutboxSignal::default(),
        policy: Policy { attempts: 3 },
        step_timeout: Duration::ZERO,
        backoff: Backoff::new(Duration::ZERO, Duration::ZERO),
        handling: Duration::ZERO,
        reservation_ttl_secs: 60,
    };
    let shipping =
        Shipping { carrier: "test".into(), step: Duration::from_secs(3600), outbox: OutboxSignal::default() };
    let replies = Replies(orchestrator.clone());
    // Its consumer group's offsets are kept under this name: a new name would start it over.
    assert_eq!(replies.name(), "orders.saga");
    assert_eq!(replies.topics(), ["catalog.reservation", "payment.payment", "shipping.shipment"]);

    let txn = db.begin().await.unwrap();
    let mut view = support::place(&txn).await;
    let id = view.id.clone();
    orchestrator.start(&txn, &mut view).await.unwrap();
    for reply in [Reply::Reserved, Reply::Captured, Reply::Committed] {
        orchestrator.apply(&txn, &id, Input::Reply(reply), Vec::new(), None).await.unwrap().unwrap();
    }
    txn.commit().await.unwrap();

    assert_eq!(timer::fire(&orchestrator).await.unwrap(), 1, "the parcel is ready: the shipment is requested");
    assert_eq!(timer::fire(&orchestrator).await.unwrap(), 1, "unanswered: the request is retried");
    let retry = the_one(&db, "shipping.command", &format!("{id}/shipment.create/2")).await;
    handle(&db, &shipping, &retry).await;
    let started = the_one(&db, "shipping.shipment", &format!("{id}/shipment.create/2")).await;
    handle(&db, &replies, &started).await;
    let saga = saga::Entity::find_by_id(id.clone()).one(&db).await.unwrap().unwrap();
    assert!(saga.state.contains(r#""phase":"shipping""#), "the start was taken: {}", saga.state);
    // The carrier falls silent: the saga asks again, with a command of its own.
    assert_eq!(timer::fire(&orchestrator).await.unwrap(), 1, "shipping, no news: the shipment is checked");
    let check = the_one(&db, "shipping.command", &format!("{id}/shipment.create/3")).await;
    handle(&db, &shipping, &check).await;
    // The same command in a second event (as a saga writing it twice would send it).
    handle(&db, &shipping, &Envelope { id: uuid::Uuid::now_v7().to_string(), ..check }).await;

    let sent: Vec<String> = support::written(&db, "shipping.command").await.iter().map(command_id).collect();
    let attempts: Vec<String> = (1..=3).map(|n| format!("{id}/shipment.create/{n}")).collect();
    assert_eq!(sent, attempts, "each attempt its own command id");
    let mut answers: BTreeMap<String, usize> = BTreeMap::new();
    for event in support::written(&db, "shipping.shipment").await.iter().filter(|e| e.data.get("commandId").is_some()) {
        *answers.entry(command_id(event)).or_default() += 1;
    }
    assert_eq!(answers, attempts[1..].iter().map(|c| (c.clone(), 1)).collect(), "each command answered once");
    db.close().await.unwrap();
}
