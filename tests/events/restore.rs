//! The restore drill: `braid backup` and `braid restore` of a producer's and a consumer's
//! databases never double an effect.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use braid_kit::events::consumer::Outcome;
use braid_kit::events::{Consumer, OutboxSignal};
use braid_testkit::eventually;
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use super::{
    ItemChanged, Recorder, WAIT, applied, postgres, prepare, run_consumer, run_relay, shared_broker, unpublished, write,
};

const BRAID: &str = env!("CARGO_BIN_EXE_braid");

/// Runs `braid <verb> catalog` against `url` with `dir`.
fn braid(verb: &str, dir_flag: &str, dir: &Path, url: &str) {
    let output = std::process::Command::new(BRAID)
        .args([verb, "catalog", dir_flag])
        .arg(dir)
        .args(["--database-url", url])
        .output()
        .expect("braid runs");
    let said = String::from_utf8_lossy(&output.stdout).to_string() + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "braid {verb} failed: {said}");
}

/// Event ids applied, sorted, and whether any was applied twice.
async fn applied_ids(db: &DatabaseConnection) -> Vec<String> {
    let mut ids: Vec<String> = applied(db).await.into_iter().map(|r| r.0).collect();
    ids.sort();
    ids
}

/// A producer writes 20 events; its database is backed up while 5 of them wait in its outbox,
/// then restored after all 20 were published and applied: the relay publishes the 5 again
/// (they were unpublished in the backup) and not the 10 before them, and the consumer's inbox
/// drops the 5. Then the consumer's own database goes back to its backup (10 applied) and the
/// whole topic is delivered to it again: it applies the 10 it had lost, once each.
#[tokio::test]
async fn restoring_a_producer_or_a_consumer_never_doubles_an_effect() {
    let (producer_guard, producer) = postgres().await;
    prepare(&producer).await;
    let (consumer_guard, consumer_db) = postgres().await;
    prepare(&consumer_db).await;
    let (config, bus) = shared_broker();
    let backups = std::env::temp_dir().join(braid_testkit::unique("braid-backups-"));
    let (producer_dir, consumer_dir) = (backups.join("producer"), backups.join("consumer"));
    let signal = OutboxSignal::default();
    let handler = Arc::new(Recorder { attempts_on_poison: AtomicU32::new(0) });
    let consumer_token = CancellationToken::new();
    let consumer = run_consumer(&consumer_db, &bus, &handler, &config, &consumer_token);
    let write_seqs = |seqs: std::ops::RangeInclusive<i64>| {
        let (producer, signal) = (producer.clone(), signal.clone());
        async move {
            let mut ids = Vec::new();
            for seq in seqs {
                let item = if seq % 2 == 0 { "even" } else { "odd" };
                ids.push(write(&producer, &signal, &ItemChanged { item: item.into(), seq, poison: false }).await.id);
            }
            ids
        }
    };
    let wait_ids = |n: usize| {
        let db = consumer_db.clone();
        async move {
            eventually(&format!("{n} applied"), WAIT, || async { (applied(&db).await.len() >= n).then_some(()) }).await
        }
    };

    // 10 published and applied; 5 more waiting in the outbox when both are backed up.
    let relay_token = CancellationToken::new();
    let relay = run_relay(&producer, &bus, &signal, &config, &relay_token);
    let mut all = write_seqs(1..=10).await;
    wait_ids(10).await;
    relay_token.cancel();
    relay.await.unwrap();
    all.extend(write_seqs(11..=15).await);
    braid("backup", "--to", &producer_dir, &producer_guard.url);
    braid("backup", "--to", &consumer_dir, &consumer_guard.url);

    // Then all of them published, and 5 more.
    let relay_token = CancellationToken::new();
    let relay = run_relay(&producer, &bus, &signal, &config, &relay_token);
    all.extend(write_seqs(16..=20).await);
    wait_ids(20).await;
    relay_token.cancel();
    relay.await.unwrap();
    all.sort();

    // The producer goes back to its backup: 15 events, 5 of them waiting.
    braid("restore", "--from", &producer_dir, &producer_guard.url);
    assert_eq!(unpublished(&producer).await, 5);
    let relay_token = CancellationToken::new();
    let relay = run_relay(&producer, &bus, &signal, &config, &relay_token);
    signal.committed();
    eventually("the restored outbox published", WAIT, || async { (unpublished(&producer).await == 0).then_some(()) })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    relay_token.cancel();
    relay.await.unwrap();
    consumer_token.cancel();
    consumer.await.unwrap();
    assert_eq!(applied_ids(&consumer_db).await, all, "the 5 published again were dropped by the inbox");

    // The consumer goes back to its backup (10 applied) and gets every record of the topic again.
    braid("restore", "--from", &consumer_dir, &consumer_guard.url);
    assert_eq!(applied(&consumer_db).await.len(), 10);
    let from: Vec<(i32, i64)> = bus.ends("test.item").await.unwrap().iter().map(|(p, _)| (*p, 0)).collect();
    let mut replay = bus.replay("test.item", &from).await.unwrap();
    let again = Consumer::new(consumer_db.clone(), bus.clone(), handler.clone(), &config);
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    while let Some(record) = tokio::time::timeout(WAIT, replay.next()).await.expect("in time").unwrap() {
        *outcomes.entry(format!("{:?}", again.process(&record).await)).or_default() += 1;
    }
    assert_eq!(outcomes.get(&format!("{:?}", Outcome::Applied)), Some(&10), "{outcomes:?}");
    assert_eq!(applied_ids(&consumer_db).await, all, "every event's effect exactly once");
    let _ = std::fs::remove_dir_all(&backups);
}
