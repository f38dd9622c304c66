//! SIGTERM under load: clients keep creating products while the catalog is told to stop. It
//! stops accepting, answers every request it took, publishes every outbox row committed (by
//! those requests too) and exits 0. Nothing is lost: each product a client was told about is
//! stored, nothing is stored that no client was told about, and each one's event is on the
//! broker.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use braid_catalog::events::{PRODUCT_TOPIC, ProductCreated};
use braid_kit::events::{DomainEvent, EventBus};
use braid_testkit::{broker, eventually, jwt};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use super::{CREATE, Setup, WAIT, bus, count, product};

const CLIENTS: usize = 32;

/// What one client saw: the products it was told were created, and any other answer.
#[derive(Default)]
struct Seen {
    created: Vec<String>,
    wrong: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_answers_what_it_took_and_publishes_every_committed_event() {
    let setup = Setup::new(&broker::shared()).await;
    let (mut catalog, base) = setup.start();
    let db = setup.connect().await;
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS).map(|c| tokio::spawn(client(base.clone(), c, answered.clone()))).collect();
    eventually("200 products created under load", WAIT, || async {
        (answered.load(Ordering::SeqCst) >= 200).then_some(())
    })
    .await;

    catalog.signal_term();
    let status = tokio::task::spawn_blocking(move || catalog.wait()).await.unwrap();
    assert!(status.success(), "SIGTERM is a clean shutdown: {status}");
    let mut told = BTreeSet::new();
    for client in clients {
        let seen = client.await.unwrap();
        assert!(seen.wrong.is_empty(), "every request taken is answered in full: {:?}", seen.wrong);
        told.extend(seen.created);
    }

    let stored: BTreeSet<String> = ids(&db, "SELECT id AS v FROM products").await;
    assert_eq!(stored, told, "stored exactly what the clients were told");
    assert_eq!(count(&db, "SELECT count(*) FROM outbox WHERE published_at IS NULL").await, 0, "outbox drained");
    assert_eq!(published(&setup).await, stored, "each product's event is on the broker");
}

/// Creates products one after another until the service is gone; returns what it saw.
async fn client(base: String, c: usize, answered: Arc<AtomicUsize>) -> Seen {
    let (http, token) = (reqwest::Client::new(), jwt::token("admin", &["catalog:write"]));
    let mut seen = Seen::default();
    for n in 0.. {
        let body = json!({ "query": CREATE, "variables": product(&format!("C{c}-{n}"), 5) });
        let reply = match http.post(format!("{base}/graphql")).bearer_auth(&token).json(&body).send().await {
            Ok(reply) => reply,
            // Refused or closed before an answer: a request the service did not take.
            Err(_) => return seen,
        };
        let status = reply.status();
        let body = match reply.json::<Value>().await {
            Ok(body) => body,
            Err(e) => {
                seen.wrong.push(format!("{status}: a body cut short ({e})"));
                return seen;
            }
        };
        match body["data"]["createProduct"]["id"].as_str() {
            Some(id) if status.is_success() => {
                seen.created.push(id.to_string());
                answered.fetch_add(1, Ordering::SeqCst);
            }
            _ => seen.wrong.push(format!("{status}: {body}")),
        }
    }
    seen
}

async fn ids(db: &sea_orm::DatabaseConnection, sql: &str) -> BTreeSet<String> {
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "v").unwrap()).collect()
}

/// The products whose `created` event is on the broker.
async fn published(setup: &Setup) -> BTreeSet<String> {
    let bus = bus(setup);
    let ends = bus.ends(PRODUCT_TOPIC).await.expect("the topic's ends");
    let from: Vec<(i32, i64)> = ends.iter().map(|(p, _)| (*p, 0)).collect();
    let mut replay = bus.replay(PRODUCT_TOPIC, &from).await.expect("a replay");
    let mut products = BTreeSet::new();
    while let Some(record) = replay.next().await.expect("the topic reads") {
        let event = braid_kit::events::Envelope::from_bytes(&record.payload).expect("an envelope");
        if event.event_type == ProductCreated::TYPE {
            products.insert(event.subject);
        }
    }
    products
}
