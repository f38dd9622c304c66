//! The documents API as a client sees it through the gateway: a manager paging through what
//! they may see (one permission round trip per page), bad input refused with nothing written,
//! events matching their schemas, and revocations and moves taking effect at once.

use std::collections::BTreeSet;

use braid_documents::entity::document;
use braid_kit::events::Envelope;
use braid_kit::events::outbox::entity as outbox;
use braid_permissions::seed::{self, Seeded};
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};
use serde_json::{Value, json};

use crate::gateway::{Stack, lookups};
use crate::oracle::{Grant, Model, Side};

const PAGE: &str = "query($after: String) { visibleDocuments(first: 50, after: $after) {
    edges { node { title owner { name manager { name } } } } pageInfo { endCursor hasNextPage } } }";

const CREATE: &str = "mutation($i: CreateDocumentInput!) { createDocument(input: $i) { id version } }";
const UPDATE: &str = "mutation($id: ID!, $v: Int!, $i: UpdateDocumentInput!) {
    updateDocument(id: $id, expectedVersion: $v, input: $i) { id title version } }";
const SHARE: &str = "mutation($id: ID!, $e: ID, $g: ID) { shareDocument(id: $id, employeeId: $e, groupId: $g) { id } }";

fn model_of(org: &[Seeded]) -> Model {
    let mut model = Model::default();
    for e in org {
        model.manager.insert(e.id, e.manager);
    }
    model
}

/// What a page row shows: the title, the owner's name and their manager's name.
fn row(org: &[Seeded], doc: &document::Model) -> Value {
    let owner = &org[doc.owner_id as usize - 1];
    let manager = owner.manager.map(|m| json!({ "name": org[m as usize - 1].name }));
    json!({ "node": { "title": doc.title, "owner": { "name": owner.name, "manager": manager } } })
}

async fn create(stack: &Stack, as_: i64, input: Value) -> (String, i64) {
    let reply = stack.as_writer(as_, CREATE, json!({ "i": input })).await;
    let doc = &reply.data()["createDocument"];
    (doc["id"].as_str().unwrap().to_string(), doc["version"].as_i64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_pages_through_what_they_may_see_with_one_lookup_per_page() {
    let _serial = crate::SERIAL.lock().await;
    // 60 employees, three reports each: 1; 2-4; 5-13; 14-40; 41-60.
    let org = seed::generate(60, 3);
    let stack = Stack::start(&org).await;
    let mut model = model_of(&org);
    let owners: Vec<i64> = org.iter().map(|e| e.id).collect();
    let docs = braid_documents::seed::generate(&owners, 600, 11, chrono::Utc::now());
    braid_documents::seed::insert(&stack.documents_db, &docs, 0, 11).await.unwrap();

    // Viewer 2 also sees employee 4's own documents (a grant), one of 3's (shared with 2's
    // group) and one of 1's (shared with 2).
    let viewer = 2;
    let grant = stack
        .admin(
            "mutation($i: GrantInput!) { createGrant(input: $i) { id } }",
            json!({ "i": { "granteeEmployeeId": "2", "targetEmployeeId": "4", "includeReports": false } }),
        )
        .await;
    let grant_id = grant.data()["createGrant"]["id"].as_str().unwrap().parse().unwrap();
    model
        .grants
        .insert(grant_id, Grant { grantee: Side::Employee(2), target: Side::Employee(4), include_reports: false });
    let group = stack.admin("mutation { createGroup(name: \"Reviewers\") { id } }", json!({})).await;
    let group = group.data()["createGroup"]["id"].as_str().unwrap().to_string();
    stack
        .admin("mutation($g: ID!) { addGroupMembers(groupId: $g, employeeIds: [\"2\"]) { id } }", json!({ "g": group }))
        .await;
    let rows = document::Entity::find().order_by_desc(document::Column::Id).all(&stack.documents_db).await.unwrap();
    let of = |owner: i64| rows.iter().find(|d| d.owner_id == owner).unwrap().id;
    let (by_three, by_one) = (of(3), of(1));
    let shared = stack.as_writer(3, SHARE, json!({ "id": by_three.to_string(), "g": group })).await;
    assert!(shared.body.get("errors").is_none(), "{}", shared.body);
    let shared = stack.as_writer(1, SHARE, json!({ "id": by_one.to_string(), "e": "2" })).await;
    assert!(shared.body.get("errors").is_none(), "{}", shared.body);

    let sees = model.visible(viewer);
    let expected: Vec<Value> = rows
        .iter()
        .filter(|d| sees.contains(&d.owner_id) || d.id == by_three || d.id == by_one)
        .map(|d| row(&org, d))
        .collect();
    assert!(expected.len() > 150 && expected.len() < rows.len(), "several pages, not everything");

    let token = stack.token(viewer, "");
    let mut got = Vec::new();
    let mut after = Value::Null;
    let mut costs = Vec::new();
    loop {
        let before = lookups();
        let reply = stack.gateway.query_as(&token, PAGE, json!({ "after": after })).await;
        costs.push(lookups() - before);
        let page = &reply.data()["visibleDocuments"];
        let edges = page["edges"].as_array().unwrap();
        got.extend(edges.iter().cloned());
        if got.len() == 50 {
            // A document added while paging is newer than every cursor: it changes no later page.
            create(&stack, 5, json!({ "title": "Added while paging", "body": "" })).await;
        }
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        assert_eq!(edges.len(), 50, "every page but the last is full");
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(got, expected, "the pages, in order, are exactly what the viewer may see");
    assert_eq!(costs[0], 1, "the first page, cold: one round trip for the visible set, checks included");
    assert!(costs[1..].iter().all(|c| *c == 0), "later pages are answered from the cache: {costs:?}");
    println!("{} documents in {} pages; permission round trips per page: {costs:?}", got.len(), costs.len());
    // Cold again once the viewer's answers are voided: one round trip, the same page.
    stack.access.invalidate(&[viewer]).await.unwrap();
    let before = lookups();
    let again = stack.gateway.query_as(&token, PAGE, json!({ "after": null })).await;
    assert_eq!(lookups() - before, 1);
    assert_eq!(again.data()["visibleDocuments"]["edges"].as_array().unwrap()[1..], expected[..49]);

    // The total and the filters agree with the oracle too.
    let total = stack
        .gateway
        .query_as(&token, "{ visibleDocuments(filter: { ownerId: \"4\" }) { totalCount } }", json!({}))
        .await;
    let fours = rows.iter().filter(|d| d.owner_id == 4).count();
    assert_eq!(total.data()["visibleDocuments"]["totalCount"], fours);
    let all = stack.gateway.query_as(&token, "{ visibleDocuments { totalCount } }", json!({})).await;
    assert_eq!(all.data()["visibleDocuments"]["totalCount"], expected.len() + 1, "with the one added while paging");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_error_and_nothing_is_written() {
    let _serial = crate::SERIAL.lock().await;
    // 1 manages 2 and 3; 2 manages 4; 3 manages 5.
    let org = seed::from_managers(&[None, Some(1), Some(1), Some(2), Some(3)]);
    let stack = Stack::start(&org).await;
    let (doc, v1) = create(&stack, 4, json!({ "title": "Plan", "body": "First draft", "tags": ["Q3"] })).await;
    let updated = stack.as_writer(4, UPDATE, json!({ "id": doc, "v": v1, "i": { "title": "Plan v2" } })).await;
    let v2 = updated.data()["updateDocument"]["version"].as_i64().unwrap();
    assert_eq!(v2, v1 + 1);
    // Their manager may edit it too; 5 will be able to read it, not edit it.
    let by_manager = stack.as_writer(2, UPDATE, json!({ "id": doc, "v": v2, "i": { "body": "Second draft" } })).await;
    let v3 = by_manager.data()["updateDocument"]["version"].as_i64().unwrap();
    assert!(stack.as_writer(4, SHARE, json!({ "id": doc, "e": "5" })).await.body.get("errors").is_none());

    let documents = || async { document::Entity::find().all(&stack.documents_db).await.unwrap() };
    let events = || async { outbox::Entity::find().count(&stack.documents_db).await.unwrap() };
    let (docs_before, events_before) = (documents().await, events().await);

    let two_mb = "x".repeat(2_000_000);
    let cases: Vec<(&str, i64, &str, Value, &str)> = vec![
        ("a stale version", 4, UPDATE, json!({ "id": doc, "v": v1, "i": { "title": "Lost" } }), "CONFLICT"),
        ("a 2 MB body, created", 4, CREATE, json!({ "i": { "title": "Big", "body": two_mb } }), "BAD_USER_INPUT"),
        ("a 2 MB body, updated", 4, UPDATE, json!({ "id": doc, "v": v3, "i": { "body": two_mb } }), "BAD_USER_INPUT"),
        ("another team's document", 3, UPDATE, json!({ "id": doc, "v": v3, "i": { "title": "Mine" } }), "NOT_FOUND"),
        ("shared, not theirs", 5, UPDATE, json!({ "id": doc, "v": v3, "i": { "title": "Mine" } }), "FORBIDDEN"),
        (
            "shared, deleted by a non-manager",
            5,
            "mutation($id: ID!) { deleteDocument(id: $id) }",
            json!({ "id": doc }),
            "FORBIDDEN",
        ),
        ("shared on by a non-manager", 5, SHARE, json!({ "id": doc, "e": "3" }), "FORBIDDEN"),
        ("a forged owner", 3, CREATE, json!({ "i": { "title": "T", "body": "", "ownerId": "4" } }), "FORBIDDEN"),
        ("an owner above", 4, CREATE, json!({ "i": { "title": "T", "body": "", "ownerId": "1" } }), "FORBIDDEN"),
        ("no such owner", 2, CREATE, json!({ "i": { "title": "T", "body": "", "ownerId": "999" } }), "FORBIDDEN"),
        ("an empty title", 4, CREATE, json!({ "i": { "title": " ", "body": "" } }), "BAD_USER_INPUT"),
        (
            "too many tags",
            4,
            CREATE,
            json!({ "i": { "title": "T", "body": "", "tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>() } }),
            "BAD_USER_INPUT",
        ),
    ];
    for (what, as_, query, variables, code) in &cases {
        let reply = stack.as_writer(*as_, query, variables.clone()).await;
        assert_eq!(reply.status, 200, "{what}: {}", reply.body);
        assert_eq!(reply.code(), *code, "{what}: {}", reply.body);
        let message = reply.body["errors"][0]["message"].as_str().unwrap();
        assert!(!message.is_empty() && !message.contains("internal"), "{what}: {message}");
    }
    let stale = stack.as_writer(4, UPDATE, json!({ "id": doc, "v": v1, "i": { "title": "Lost" } })).await;
    assert_eq!(stale.body["errors"][0]["extensions"]["field"], "expectedVersion", "{}", stale.body);

    // Without the write scope the gateway refuses the mutation before any subgraph.
    let no_scope =
        stack.gateway.query_as(&stack.token(4, ""), CREATE, json!({ "i": { "title": "T", "body": "" } })).await;
    assert_eq!(no_scope.code(), "FORBIDDEN");
    // A request body beyond the gateway's limit.
    let huge = json!({ "query": CREATE, "variables": { "i": { "title": "T", "body": "x".repeat(3_000_000) } } });
    let too_large = stack.gateway.raw("application/json", huge.to_string().into_bytes()).await;
    assert_eq!(too_large.status, 413, "{}", too_large.body);
    assert_eq!(too_large.code(), "PAYLOAD_TOO_LARGE");

    // Cursors and page sizes.
    let token = stack.token(2, "");
    let page = "query($a: String, $f: Int!) { visibleDocuments(first: $f, after: $a) { edges { cursor } } }";
    use base64::Engine;
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("doc:1 OR 1=1");
    for (after, first, code) in [
        (json!("not a cursor"), 10, "INVALID_CURSOR"),
        (json!(forged), 10, "INVALID_CURSOR"),
        (json!(""), 10, "INVALID_CURSOR"),
        (Value::Null, 0, "BAD_USER_INPUT"),
        (Value::Null, 101, "BAD_USER_INPUT"),
    ] {
        let reply = stack.gateway.query_as(&token, page, json!({ "a": after, "f": first })).await;
        assert_eq!(reply.code(), code, "after {after}, first {first}: {}", reply.body);
    }

    assert_eq!(documents().await, docs_before, "no document changed");
    assert_eq!(events().await, events_before, "no event was written");
    let seen = stack
        .gateway
        .query_as(&stack.token(4, ""), &format!("{{ document(id: \"{doc}\") {{ title body version }} }}"), json!({}))
        .await;
    assert_eq!(seen.data()["document"], json!({ "title": "Plan v2", "body": "Second draft", "version": v3 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_document_event_matches_its_schema() {
    let _serial = crate::SERIAL.lock().await;
    let org = seed::from_managers(&[None, Some(1), Some(1)]);
    let stack = Stack::start(&org).await;
    let (doc, v) = create(&stack, 2, json!({ "title": "Minutes", "body": "Agreed.", "tags": ["board"] })).await;
    stack.as_writer(1, UPDATE, json!({ "id": doc, "v": v, "i": { "tags": ["board", "2026"] } })).await.data();
    stack.as_writer(2, SHARE, json!({ "id": doc, "e": "3" })).await.data();
    let unshare = "mutation($id: ID!, $e: ID) { unshareDocument(id: $id, employeeId: $e) { id } }";
    stack.as_writer(2, unshare, json!({ "id": doc, "e": "3" })).await.data();
    stack.as_writer(2, "mutation($id: ID!) { deleteDocument(id: $id) }", json!({ "id": doc })).await.data();

    let schemas = braid_kit::events::schema::EventSchemas::load(&braid_testkit::repo_root().join("schema/events"))
        .expect("event schemas load");
    let rows = outbox::Entity::find().order_by_asc(outbox::Column::Id).all(&stack.documents_db).await.unwrap();
    let mut types = Vec::new();
    for row in rows {
        let envelope = Envelope::from_bytes(row.payload.as_bytes()).unwrap();
        schemas.validate(&envelope).unwrap_or_else(|e| panic!("{}: {e:?}\n{}", envelope.event_type, row.payload));
        types.push(envelope.event_type);
    }
    assert_eq!(
        types,
        [
            "documents.document.created.v1",
            "documents.document.updated.v1",
            "documents.document.shared.v1",
            "documents.document.shared.v1",
            "documents.document.deleted.v1",
        ]
    );
}

/// The titles of everything `viewer` may see.
async fn titles(stack: &Stack, viewer: i64) -> BTreeSet<String> {
    let reply = stack
        .gateway
        .query_as(&stack.token(viewer, ""), "{ visibleDocuments(first: 100) { edges { node { title } } } }", json!({}))
        .await;
    reply.data()["visibleDocuments"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_string())
        .collect()
}

fn set(titles: &[&str]) -> BTreeSet<String> {
    titles.iter().map(|t| t.to_string()).collect()
}

/// The staleness bound of the permissions issue holds for documents: once a revocation or a
/// move has returned, the next page reflects it (the page before was cached).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_and_moves_take_effect_on_the_next_request() {
    let _serial = crate::SERIAL.lock().await;
    // 1 manages 2 and 3; 3 manages 4.
    let org = seed::from_managers(&[None, Some(1), Some(1), Some(3)]);
    let stack = Stack::start(&org).await;
    for (owner, title) in [(2, "two"), (3, "three"), (4, "four")] {
        create(&stack, owner, json!({ "title": title, "body": "" })).await;
    }
    let grant = stack
        .admin(
            "mutation($i: GrantInput!) { createGrant(input: $i) { id } }",
            json!({ "i": { "granteeEmployeeId": "2", "targetEmployeeId": "3", "includeReports": true } }),
        )
        .await;
    let grant = grant.data()["createGrant"]["id"].as_str().unwrap().to_string();
    assert_eq!(titles(&stack, 2).await, set(&["two", "three", "four"]));
    let four = document::Entity::find().all(&stack.documents_db).await.unwrap();
    let four = four.iter().find(|d| d.title == "four").unwrap().id;
    let one = format!("{{ document(id: \"{four}\") {{ title }} }}");
    let seen = stack.gateway.query_as(&stack.token(2, ""), &one, json!({})).await;
    assert_eq!(seen.data()["document"]["title"], "four");

    stack.admin("mutation($id: ID!) { revokeGrant(id: $id) }", json!({ "id": grant })).await;
    assert_eq!(titles(&stack, 2).await, set(&["two"]), "revoked: gone from the next page");
    let hidden = stack.gateway.query_as(&stack.token(2, ""), &one, json!({})).await;
    assert_eq!(hidden.data()["document"], Value::Null);

    assert_eq!(titles(&stack, 3).await, set(&["three", "four"]));
    stack.admin("mutation { moveEmployee(id: \"4\", managerId: \"2\") { id } }", json!({})).await;
    assert_eq!(titles(&stack, 2).await, set(&["two", "four"]), "moved below 2");
    assert_eq!(titles(&stack, 3).await, set(&["three"]), "no longer below 3");
}

#[test]
fn exported_sdl_matches_schema_documents_graphql() {
    let path = braid_testkit::repo_root().join("schema/documents.graphql");
    let committed = std::fs::read_to_string(&path).expect("schema/documents.graphql exists");
    assert!(
        committed == braid_documents::graphql::sdl(),
        "schema/documents.graphql is out of date: run `cargo run -- sdl documents > schema/documents.graphql`, then scripts/compose.sh"
    );
}
