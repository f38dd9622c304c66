//! `documentChanged` and `documentDeleted` authorized per event, against the brute-force
//! oracle: random orgs, and random sequences of document changes and deletions interleaved
//! with grants, revocations, moves, shares and unshares. Every employee holds both
//! subscriptions over SSE through the gateway; after each step every subscriber has received
//! exactly the changes it may see at delivery, and exactly the deletions of the documents it
//! could see when they were deleted, in order.
//!
//! Barriers close each step: a document shared with everyone, edited last, and another one
//! shared with everyone, deleted, which every subscriber reads before the next step begins, so
//! each delivery is checked against the rights of its own step.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use braid_testkit::stream::Stream;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::gateway::Stack;
use crate::oracle::{Grant, Model, Side, pick, random_org};

#[derive(Debug, Clone)]
enum Op {
    Move { who: u16, to: u16 },
    Grant { grantee: u16, target: u16, include_reports: bool },
    Revoke { which: u16 },
    Share { doc: u16, with: u16 },
    Unshare { which: u16 },
    Edit { doc: u16 },
    Create { owner: u16 },
    Delete { doc: u16 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<u16>(), any::<u16>()).prop_map(|(who, to)| Op::Move { who, to }),
        3 => (any::<u16>(), any::<u16>(), any::<bool>())
            .prop_map(|(grantee, target, include_reports)| Op::Grant { grantee, target, include_reports }),
        2 => any::<u16>().prop_map(|which| Op::Revoke { which }),
        2 => (any::<u16>(), any::<u16>()).prop_map(|(doc, with)| Op::Share { doc, with }),
        1 => any::<u16>().prop_map(|which| Op::Unshare { which }),
        4 => any::<u16>().prop_map(|doc| Op::Edit { doc }),
        1 => any::<u16>().prop_map(|owner| Op::Create { owner }),
        1 => any::<u16>().prop_map(|doc| Op::Delete { doc }),
    ]
}

const WAIT: Duration = Duration::from_secs(20);
const SUBSCRIPTION: &str = "subscription { documentChanged { id title } }";
const DELETIONS: &str = "subscription { documentDeleted { id title } }";

/// A document as the oracle knows it.
struct Doc {
    owner: i64,
    version: i64,
    shared: BTreeSet<i64>,
}

impl Doc {
    fn visible_to(&self, model: &Model, viewer: i64) -> bool {
        model.visible(viewer).contains(&self.owner) || self.shared.contains(&viewer)
    }
}

struct World {
    stack: Stack,
    model: Model,
    docs: BTreeMap<String, Doc>,
    grants: Vec<String>,
    shares: Vec<(String, i64)>,
    /// Each document's title (deletions carry it).
    titles: BTreeMap<String, String>,
    edits: u64,
}

impl World {
    async fn create(&mut self, owner: i64, title: &str) -> (String, Value) {
        let q = "mutation($i: CreateDocumentInput!) { createDocument(input: $i) { id title version } }";
        let reply = self.stack.as_writer(owner, q, json!({ "i": { "title": title, "body": "" } })).await;
        let doc = reply.data()["createDocument"].clone();
        let id = doc["id"].as_str().unwrap().to_string();
        self.docs.insert(id.clone(), Doc { owner, version: doc["version"].as_i64().unwrap(), shared: BTreeSet::new() });
        self.titles.insert(id.clone(), title.to_string());
        (id.clone(), json!({ "id": id, "title": title }))
    }

    async fn edit(&mut self, id: &str) -> Value {
        self.edits += 1;
        let title = format!("edit {}", self.edits);
        let doc = &self.docs[id];
        let q = "mutation($id: ID!, $v: Int!, $i: UpdateDocumentInput!) { updateDocument(id: $id, expectedVersion: $v, input: $i) { version } }";
        let reply =
            self.stack.as_writer(doc.owner, q, json!({ "id": id, "v": doc.version, "i": { "title": title } })).await;
        self.docs.get_mut(id).unwrap().version = reply.data()["updateDocument"]["version"].as_i64().unwrap();
        self.titles.insert(id.to_string(), title.clone());
        json!({ "id": id, "title": title })
    }

    /// Shares (or unshares) `id` with `with`; answers the change as subscribers see it.
    async fn share(&mut self, id: &str, with: i64, share: bool) -> Value {
        let field = if share { "shareDocument" } else { "unshareDocument" };
        let q = format!("mutation($id: ID!, $e: ID!) {{ {field}(id: $id, employeeId: $e) {{ title version }} }}");
        let owner = self.docs[id].owner;
        let reply = self.stack.as_writer(owner, &q, json!({ "id": id, "e": with.to_string() })).await;
        let doc = self.docs.get_mut(id).unwrap();
        doc.version = reply.data()[field]["version"].as_i64().unwrap();
        if share {
            doc.shared.insert(with);
        } else {
            doc.shared.remove(&with);
        }
        json!({ "id": id, "title": reply.data()[field]["title"] })
    }

    /// Deletes `id`; answers the deletion as subscribers see it, and who could see it.
    async fn delete(&mut self, id: &str) -> (Value, BTreeSet<i64>) {
        let audience = self.audience(id);
        let doc = self.docs.remove(id).unwrap();
        let q = "mutation($id: ID!, $v: Int) { deleteDocument(id: $id, expectedVersion: $v) }";
        let reply = self.stack.as_writer(doc.owner, q, json!({ "id": id, "v": doc.version })).await;
        assert_eq!(reply.data()["deleteDocument"], id);
        self.shares.retain(|(d, _)| d != id);
        let title = self.titles.remove(id).unwrap_or_default();
        (json!({ "id": id, "title": title }), audience)
    }

    /// Who may see `id` now.
    fn audience(&self, id: &str) -> BTreeSet<i64> {
        self.model.employees().into_iter().filter(|e| self.docs[id].visible_to(&self.model, *e)).collect()
    }
}

async fn run(managers: Vec<Option<u16>>, ops: Vec<Op>) {
    let _serial = crate::SERIAL.lock().await;
    let managers: Vec<Option<i64>> = managers.iter().map(|m| m.map(|m| m as i64 + 1)).collect();
    let org = braid_permissions::seed::from_managers(&managers);
    let stack = Stack::start(&org).await;
    let mut model = Model::default();
    for e in &org {
        model.manager.insert(e.id, e.manager);
    }
    let mut world = World {
        stack,
        model,
        docs: BTreeMap::new(),
        grants: Vec::new(),
        shares: Vec::new(),
        titles: BTreeMap::new(),
        edits: 0,
    };
    let employees = world.model.employees();

    // The barrier: employee 1's document, shared with everyone (its shares are never undone).
    let (barrier, _) = world.create(1, "barrier").await;
    for &e in &employees {
        world.share(&barrier, e, true).await;
    }
    // One deletion barrier per step: documents shared with everyone, deleted one per step.
    let mut deletion_barriers = Vec::new();
    for n in 0..=ops.len() {
        let (doc, _) = world.create(1, &format!("deletion barrier {n}")).await;
        for &e in &employees {
            world.share(&doc, e, true).await;
        }
        deletion_barriers.push(doc);
    }
    let barriers: BTreeSet<String> = deletion_barriers.iter().chain([&barrier]).cloned().collect();
    let mut streams = BTreeMap::new();
    let mut deletion_streams = BTreeMap::new();
    for &e in &employees {
        let token = world.stack.token(e, "");
        let url = &world.stack.url;
        streams.insert(e, Stream::open(url, &token, "text/event-stream", SUBSCRIPTION, Value::Null, None).await);
        deletion_streams.insert(e, Stream::open(url, &token, "text/event-stream", DELETIONS, Value::Null, None).await);
    }
    let mut expected_deletions: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    // Registered once each has the first barrier edit (the feed reads from the latest).
    let mut expected: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    for step in 0..=ops.len() {
        let what = if step == 0 { "the start".to_string() } else { format!("step {step}: {:?}", ops[step - 1]) };
        let mut changes: Vec<(String, Value)> = Vec::new();
        if step > 0 {
            let employees = world.model.employees();
            let docs: Vec<String> = world.docs.keys().filter(|d| !barriers.contains(*d)).cloned().collect();
            match ops[step - 1] {
                Op::Move { who, to } => {
                    let (who, to) = (pick(&employees, who), pick(&employees, to));
                    if !world.model.is_within(who, to) {
                        let q = "mutation($id: ID!, $m: ID) { moveEmployee(id: $id, managerId: $m) { id } }";
                        world.stack.admin(q, json!({ "id": who.to_string(), "m": to.to_string() })).await;
                        world.model.manager.insert(who, Some(to));
                    }
                }
                Op::Grant { grantee, target, include_reports } => {
                    let (grantee, target) = (pick(&employees, grantee), pick(&employees, target));
                    let q = "mutation($i: GrantInput!) { createGrant(input: $i) { id } }";
                    let input = json!({ "granteeEmployeeId": grantee.to_string(), "targetEmployeeId": target.to_string(), "includeReports": include_reports });
                    let reply = world.stack.admin(q, json!({ "i": input })).await;
                    let id = reply.data()["createGrant"]["id"].as_str().unwrap().to_string();
                    let grant =
                        Grant { grantee: Side::Employee(grantee), target: Side::Employee(target), include_reports };
                    world.model.grants.insert(id.parse().unwrap(), grant);
                    world.grants.push(id);
                }
                Op::Revoke { which } if !world.grants.is_empty() => {
                    let id = world.grants.remove(which as usize % world.grants.len());
                    world.stack.admin("mutation($id: ID!) { revokeGrant(id: $id) }", json!({ "id": id })).await;
                    world.model.grants.remove(&id.parse().unwrap());
                }
                Op::Share { doc, with } if !docs.is_empty() => {
                    let (doc, with) = (docs[doc as usize % docs.len()].clone(), pick(&employees, with));
                    if !world.docs[&doc].shared.contains(&with) {
                        let change = world.share(&doc, with, true).await;
                        changes.push((doc.clone(), change));
                        world.shares.push((doc, with));
                    }
                }
                Op::Unshare { which } if !world.shares.is_empty() => {
                    let (doc, with) = world.shares.remove(which as usize % world.shares.len());
                    let change = world.share(&doc, with, false).await;
                    changes.push((doc, change));
                }
                Op::Edit { doc } if !docs.is_empty() => {
                    let doc = docs[doc as usize % docs.len()].clone();
                    let change = world.edit(&doc).await;
                    changes.push((doc, change));
                }
                Op::Create { owner } => {
                    let owner = pick(&employees, owner);
                    let (doc, change) = world.create(owner, &format!("by {owner}")).await;
                    changes.push((doc, change));
                }
                Op::Delete { doc } if !docs.is_empty() => {
                    let doc = docs[doc as usize % docs.len()].clone();
                    let (deletion, audience) = world.delete(&doc).await;
                    for e in audience {
                        expected_deletions.entry(e).or_default().push(deletion.clone());
                    }
                }
                _ => {}
            }
        }
        let (closing_deletion, audience) = world.delete(&deletion_barriers[step]).await;
        for e in audience {
            expected_deletions.entry(e).or_default().push(closing_deletion.clone());
        }
        let closing = world.edit(&barrier).await;
        changes.push((barrier.clone(), closing.clone()));
        for (doc, change) in &changes {
            for e in world.audience(doc) {
                expected.entry(e).or_default().push(change.clone());
            }
        }
        let subscriptions = [
            (&mut streams, &mut expected, "documentChanged", &closing),
            (&mut deletion_streams, &mut expected_deletions, "documentDeleted", &closing_deletion),
        ];
        for (streams, expected, field, closing) in subscriptions {
            for (&e, stream) in streams.iter_mut() {
                let got = received_until(stream, field, closing, &format!("{what}: {e}")).await;
                let want = expected.remove(&e).unwrap_or_default();
                if step == 0 {
                    // The feed may have begun after some of the start's changes.
                    assert_eq!(got.last(), want.last(), "{what}: {e}");
                } else {
                    assert_eq!(got, want, "{what}: the {field} events {e} received (the org: {:?})", world.model);
                }
            }
        }
    }
}

/// The values of `field` a subscriber received, up to and including `last` (the barrier).
async fn received_until(stream: &mut Stream, field: &str, last: &Value, who: &str) -> Vec<Value> {
    let mut got = Vec::new();
    loop {
        let event = stream.event(WAIT).await.unwrap_or_else(|| panic!("{who} waits for the barrier"));
        let value = event.data["data"][field].clone();
        let done = value == *last;
        got.push(value);
        if done {
            return got;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn each_subscriber_receives_exactly_the_document_changes_it_may_see_when_they_are_delivered(
        managers in random_org(6, 0.8),
        ops in proptest::collection::vec(op(), 8..16),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run(managers, ops));
    }
}
