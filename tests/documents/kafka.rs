//! The permissions and documents subgraphs with their events on Kafka (the shared tansu), as
//! they are deployed: a document change reaches a subscriber through the documents relay, the
//! broker and the gateway's consumer; every permissions event comes back through the broker to
//! the permissions service's own invalidation consumer, which records it in its inbox.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use braid_kit::events::EventBus;
use braid_kit::events::kafka::KafkaBus;
use braid_kit::events::outbox::{entity as outbox, inbox};
use braid_permissions::seed;
use braid_testkit::eventually;
use braid_testkit::stream::Stream;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Value, json};

use crate::gateway::{Events, Stack};

const WAIT: Duration = Duration::from_secs(30);
const CREATE: &str = "mutation($i: CreateDocumentInput!) { createDocument(input: $i) { id } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissions_and_documents_events_flow_over_kafka() {
    let _serial = crate::SERIAL.lock().await;
    // 1 manages 2.
    let org = seed::from_managers(&[None, Some(1)]);
    let stack = Stack::start_with(&org, Events::Kafka).await;
    let mut changes = Stream::open(
        &stack.url,
        &stack.token(1, ""),
        "text/event-stream",
        "subscription { documentChanged { id title } }",
        Value::Null,
        None,
    )
    .await;

    // The gateway reads from the latest offsets once its consumer has its partitions: until a
    // change arrives, each probe may come before that.
    let mut probe = 0;
    let first = loop {
        probe += 1;
        let title = format!("probe {probe}");
        let reply = stack.as_writer(2, CREATE, json!({ "i": { "title": title, "body": "" } })).await;
        assert!(reply.body.get("errors").is_none(), "{}", reply.body);
        if let Some(event) = changes.event(Duration::from_secs(2)).await {
            break event;
        }
        assert!(probe < 15, "no document change reached the subscriber through Kafka");
    };
    assert!(first.data["data"]["documentChanged"]["title"].as_str().unwrap().starts_with("probe "), "{:?}", first.data);
    // Now every change arrives, in order.
    while changes.event(Duration::from_millis(500)).await.is_some() {}
    for title in ["one", "two"] {
        let reply = stack.as_writer(2, CREATE, json!({ "i": { "title": title, "body": "" } })).await;
        assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    }
    for title in ["one", "two"] {
        let event = changes.event(WAIT).await.unwrap_or_else(|| panic!("{title} reaches the subscriber"));
        assert_eq!(event.data["data"]["documentChanged"]["title"], title);
    }

    // Permissions events: a grant, its revocation, a move. Each comes back through the broker.
    let grant = stack
        .admin(
            "mutation($i: GrantInput!) { createGrant(input: $i) { id } }",
            json!({ "i": { "granteeEmployeeId": "2", "targetEmployeeId": "1" } }),
        )
        .await;
    let grant = grant.data()["createGrant"]["id"].as_str().unwrap().to_string();
    stack.admin("mutation($id: ID!) { revokeGrant(id: $id) }", json!({ "id": grant })).await;
    stack.admin("mutation { moveEmployee(id: \"2\", managerId: null) { id } }", json!({})).await;
    let published: BTreeSet<String> =
        outbox::Entity::find().all(&stack.permissions_db).await.unwrap().into_iter().map(|row| row.event_id).collect();
    assert!(published.len() >= 3, "the writes appended their events: {published:?}");
    eventually("every permissions event consumed back from Kafka", WAIT, || async {
        let consumed: BTreeSet<String> = inbox::Entity::find()
            .all(&stack.permissions_db)
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.event_id)
            .collect();
        published.is_subset(&consumed).then_some(())
    })
    .await;

    // And the broker holds them: each topic at least as many records as were appended to it.
    let mut config = braid_kit::SubgraphConfig::default().events;
    config.brokers = braid_testkit::broker::shared();
    config.topic_prefix = stack.topic_prefix.clone().expect("a Kafka stack");
    let bus = KafkaBus::new(&config).unwrap();
    for db in [&stack.permissions_db, &stack.documents_db] {
        for (topic, appended) in appended_per_topic(db).await {
            eventually(&format!("{appended} records in {topic}"), WAIT, || async {
                let records: i64 = bus.ends(&topic).await.ok()?.iter().map(|(_, end)| end).sum();
                (records >= appended).then_some(())
            })
            .await;
        }
    }
}

/// How many events `db`'s outbox holds for each topic.
async fn appended_per_topic(db: &DatabaseConnection) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for row in outbox::Entity::find().all(db).await.unwrap() {
        *counts.entry(row.topic).or_default() += 1;
    }
    assert!(!counts.is_empty(), "events were appended");
    counts
}
