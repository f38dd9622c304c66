//! A consumer SIGKILLed in the middle of a stream (nothing drained, nothing committed on the
//! way out) and started again: it resumes from the offsets its group committed, every event is
//! applied, and none twice.
//!
//! The consumer is the catalog's `catalog.stock`, fed reserve commands as the orders service
//! would send them. Let I be the events applied when the process died (its inbox) and C the
//! offsets its group had committed by then. The process after the restart must read the
//! records from C on: apply the N - I it had not applied, drop as duplicates the I - C that
//! were applied but not committed (at least those), and not see again the C before them.
//! Restarting from the beginning would drop I or more; losing offsets would leave events
//! unapplied; applying without the inbox would apply more than N - I.

use std::sync::Arc;
use std::time::Duration;

use braid_catalog::stock::{COMMAND_TOPIC, StockHandler};
use braid_kit::contracts::Line;
use braid_kit::contracts::stock::{ReserveStock, StockReserved};
use braid_kit::events::{DomainEvent, Envelope, EventBus, Message};
use braid_testkit::{broker, eventually};
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::{Setup, WAIT, bus, consumed, count, products};

const COMMANDS: usize = 1_200;
const PRODUCTS: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_consumer_killed_mid_stream_resumes_from_its_committed_offsets_and_applies_each_event_once() {
    let setup = Setup::new(&broker::shared()).await;
    let (catalog, base) = setup.start();
    let db = setup.connect().await;
    let ids = products(&base, PRODUCTS, 100_000).await;
    let bus: Arc<dyn EventBus> = Arc::new(bus(&setup));
    let sender = tokio::spawn(send(bus, ids));

    let applied = || count(&db, "SELECT count(*) FROM inbox WHERE consumer = 'catalog.stock'");
    let group = format!("{}{}", setup.topics, StockHandler::NAME);
    let topic = format!("{}{COMMAND_TOPIC}", setup.topics);
    eventually("half the commands applied and a third committed", WAIT, || async {
        let committed = committed(&setup.brokers, &group, &topic).await;
        (applied().await >= (COMMANDS / 2) as i64 && committed >= (COMMANDS / 3) as i64).then_some(())
    })
    .await;
    catalog.kill();
    let (at_kill, committed) = (applied().await, committed(&setup.brokers, &group, &topic).await);
    eprintln!("killed with {at_kill} of {COMMANDS} applied, {committed} committed");
    assert!(committed <= at_kill, "offsets are committed only for applied events");
    assert!(at_kill < COMMANDS as i64, "killed mid-stream");

    // The dead member leaves the group after its session timeout (10 s); restarting after it
    // spares the new member a rebalance, which would hand it records again for reasons of
    // its own.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let (_catalog, base) = setup.start();
    sender.await.expect("every command sent");
    eventually("every command applied", WAIT, || async { (applied().await == COMMANDS as i64).then_some(()) }).await;
    let fresh = (COMMANDS as i64 - at_kill) as u64;
    eventually("the restarted consumer to apply what was left", WAIT, || async {
        (consumed(&base, StockHandler::NAME, "Applied").await >= fresh).then_some(())
    })
    .await;
    let (again, before) = ((at_kill - committed) as u64, at_kill as u64);
    eventually("the restarted consumer to drop what was applied but not committed", WAIT, || async {
        (consumed(&base, StockHandler::NAME, "Duplicate").await >= again).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let duplicates = consumed(&base, StockHandler::NAME, "Duplicate").await;
    eprintln!("the restarted consumer dropped {duplicates} duplicates ({again} applied past the committed offsets)");
    // Read from the committed offsets on: what was applied past them comes again and is
    // dropped; what lies before them does not come again (from the beginning, all would).
    assert!(duplicates < before, "read again from the beginning: {duplicates} duplicates of {before} applied");
    assert_eq!(consumed(&base, StockHandler::NAME, "Applied").await, fresh, "nothing applied twice");

    // The effects, once each: a unit held and a reply written per command.
    assert_eq!(count(&db, "SELECT sum(reserved)::bigint FROM inventory").await, COMMANDS as i64);
    let replies = format!("SELECT count(*) FROM outbox WHERE event_type = '{}'", StockReserved::TYPE);
    assert_eq!(count(&db, &replies).await, COMMANDS as i64);
}

/// The orchestrator's reserve commands, one unit of one product per order, 20 every 20 ms:
/// record batches of up to 20, so that the group resumes inside a batch (tansu answers such a
/// fetch from the next batch on; see the Kafka adapter's `resume`).
async fn send(bus: Arc<dyn EventBus>, products: Vec<String>) {
    let messages: Vec<Message> = (0..COMMANDS)
        .map(|i| {
            let order = format!("order-{i}");
            let lines = vec![Line { product_id: products[i % products.len()].clone(), quantity: 1 }];
            let command =
                ReserveStock { command_id: format!("{order}-reserve"), order_id: order, lines, expires_in_secs: 3600 };
            let envelope = Envelope::new("/braid/orders", &command);
            Message {
                topic: COMMAND_TOPIC.into(),
                key: envelope.subject.clone(),
                payload: envelope.to_bytes(),
                headers: Vec::new(),
            }
        })
        .collect();
    for batch in messages.chunks(20) {
        while let Err(e) = bus.publish(batch).await {
            eprintln!("publish failed, again: {e}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The offsets `group` has committed on `topic`, summed over its partitions.
async fn committed(brokers: &str, group: &str, topic: &str) -> i64 {
    let (brokers, group, topic) = (brokers.to_string(), group.to_string(), topic.to_string());
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &brokers)
            .set("group.id", &group)
            .create()
            .expect("a Kafka client");
        let timeout = Duration::from_secs(5);
        let Ok(metadata) = consumer.fetch_metadata(Some(&topic), timeout) else { return 0 };
        let mut list = TopicPartitionList::new();
        for p in metadata.topics().iter().flat_map(|t| t.partitions()) {
            list.add_partition(&topic, p.id());
        }
        let Ok(offsets) = consumer.committed_offsets(list, timeout) else { return 0 };
        offsets.elements().iter().map(|e| if let Offset::Offset(o) = e.offset() { o } else { 0 }).sum()
    })
    .await
    .unwrap()
}
