//! What only RabbitMQ shows: a broker restarted under a running consumer (its queues and
//! messages kept on disk), a consumer group's single active consumer handing over in order,
//! and no log to read again.

use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use braid_kit::events::rabbitmq::RabbitBus;
use braid_kit::events::{EventBus, OutboxSignal};
use braid_testkit::rabbitmq::RabbitNode;
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use super::{
    Broker, ItemChanged, Recorder, applied, declare_group, postgres, prepare, rabbitmq_config, run_consumer, run_relay,
    unpublished, wait_applied, write,
};

const ITEMS: [&str; 5] = ["i1", "i2", "i3", "i4", "i5"];

/// Writes one event per item with sequence numbers `seqs`, pausing `pause` after each round.
async fn write_rounds(db: &DatabaseConnection, signal: &OutboxSignal, seqs: std::ops::RangeInclusive<i64>, pause: u64) {
    for seq in seqs {
        for item in ITEMS {
            write(db, signal, &ItemChanged { item: item.into(), seq, poison: false }).await;
        }
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

/// Every item's events applied once each, in order, 1 to `last`.
fn assert_once_in_order(rows: &[(String, String, i64)], last: i64) {
    for item in ITEMS {
        let seqs: Vec<i64> = rows.iter().filter(|r| r.1 == item).map(|r| r.2).collect();
        assert_eq!(seqs, (1..=last).collect::<Vec<_>>(), "events of {item} arrive once each, in order");
    }
}

/// RabbitMQ stops (`rabbitmqctl stop`) while items are written and a consumer is reading:
/// the outbox holds the events, the relay and the consumer connect again once the node is
/// back, and every event is applied once, in order per item. Unlike the private tansu, the
/// node keeps its queues and messages on disk, so the consumer of before the outage goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbitmq_broker_restart_while_writing_loses_nothing_and_keeps_order_per_aggregate() {
    braid_kit::telemetry::init_logging();
    let (_test_db, db) = postgres().await;
    prepare(&db).await;
    let mut node = RabbitNode::start();
    let config = rabbitmq_config(&node.url());
    let bus: Arc<dyn EventBus> = Arc::new(RabbitBus::new(&config).unwrap());
    let signal = OutboxSignal::default();
    let handler = Arc::new(Recorder { attempts_on_poison: AtomicU32::new(0) });
    declare_group(&bus, &config, &handler).await;
    let token = CancellationToken::new();
    let relay = run_relay(&db, &bus, &signal, &config, &token);
    let consumer = run_consumer(&db, &bus, &handler, &config, &token);

    write_rounds(&db, &signal, 1..=4, 0).await;
    wait_applied(&db, 20).await;
    let writer = {
        let (db, signal) = (db.clone(), signal.clone());
        tokio::spawn(async move { write_rounds(&db, &signal, 5..=8, 150).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Stopping and starting take seconds of blocking; the writer, relay and consumer go on.
    // How far the writer gets before the node is down depends on the machine's load, so the
    // last rounds are written once `stop` has returned: they cannot have been published.
    tokio::task::block_in_place(|| node.stop());
    writer.await.unwrap();
    write_rounds(&db, &signal, 9..=12, 50).await;
    assert!(unpublished(&db).await >= 20, "events written while the broker was down wait in the outbox");
    tokio::task::block_in_place(|| node.start_again());

    let rows = wait_applied(&db, 60).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rows_later = applied(&db).await;
    token.cancel();
    consumer.await.unwrap();
    relay.await.unwrap();
    assert_eq!(rows, rows_later, "no event applied twice after catching up");
    assert_once_in_order(&rows, 12);
    assert_eq!(unpublished(&db).await, 0);
}

/// Two members of one consumer group: the first reads every partition (a single active
/// consumer per queue); once it stops, the second takes over where it left, in order.
#[tokio::test]
async fn rabbitmq_a_second_member_takes_over_in_order() {
    let (_test_db, db) = postgres().await;
    prepare(&db).await;
    let (config, bus, leftovers) = Broker::Rabbitmq.shared();
    let signal = OutboxSignal::default();
    let handler = Arc::new(Recorder { attempts_on_poison: AtomicU32::new(0) });
    declare_group(&bus, &config, &handler).await;
    let relay_token = CancellationToken::new();
    let relay = run_relay(&db, &bus, &signal, &config, &relay_token);
    let first_token = CancellationToken::new();
    let first = run_consumer(&db, &bus, &handler, &config, &first_token);
    write_rounds(&db, &signal, 1..=2, 0).await;
    wait_applied(&db, 10).await;

    // The second member waits behind the first on every queue.
    let second_token = CancellationToken::new();
    let second = run_consumer(&db, &bus, &handler, &config, &second_token);
    let writer = {
        let (db, signal) = (db.clone(), signal.clone());
        tokio::spawn(async move { write_rounds(&db, &signal, 3..=10, 30).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    first_token.cancel();
    first.await.unwrap();
    writer.await.unwrap();

    let rows = wait_applied(&db, 50).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rows_later = applied(&db).await;
    second_token.cancel();
    relay_token.cancel();
    second.await.unwrap();
    relay.await.unwrap();
    assert_eq!(rows, rows_later);
    assert_once_in_order(&rows, 10);
    leftovers.clean().await;
}

/// RabbitMQ keeps no log: reading a topic again is refused with a reason, not an empty answer.
#[tokio::test]
async fn rabbitmq_refuses_to_read_a_topic_again() {
    let (_config, bus, leftovers) = Broker::Rabbitmq.shared();
    let refused = |e: braid_kit::events::BusError| e.to_string();
    let ends = bus.ends("test.item").await.map_err(refused).unwrap_err();
    assert!(ends.contains("keeps no log"), "{ends}");
    let replay = bus.replay("test.item", &[(0, 0)]).await.map(|_| ()).map_err(refused).unwrap_err();
    assert!(replay.contains("keeps no log"), "{replay}");
    leftovers.clean().await;
}
