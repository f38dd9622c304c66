//! The catalog subgraph over HTTP, on PostgreSQL, Redis and Kafka.

mod support;

use std::time::Duration;

use braid_catalog::invalidate::NearInvalidator;
use braid_catalog::seed::category_id;
use braid_kit::events::Envelope;
use braid_testkit::client::{GraphqlClient, ready_becomes};
use braid_testkit::{eventually, jwt};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use support::{Catalog, Env};

const WAIT: Duration = Duration::from_secs(60);

const CREATE: &str = "mutation($input: CreateProductInput!) { createProduct(input: $input) { id sku name version } }";

fn writer() -> String {
    jwt::token("admin-1", &["catalog:write"])
}

async fn create(client: &GraphqlClient, sku: &str, name: &str, amount: &str, category: &str, stock: i64) -> String {
    let input = json!({
        "sku": sku, "name": name, "description": format!("{name} described"),
        "price": { "amount": amount, "currency": "EUR" }, "categoryId": category_id(category),
        "attributes": [{ "name": "colour", "value": "teal" }], "initialStock": stock, "lowStockThreshold": 5
    });
    let reply = client.query_as(&writer(), CREATE, json!({ "input": input })).await;
    reply.data()["createProduct"]["id"].as_str().unwrap().to_string()
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Every outbox row, oldest first, as envelopes.
async fn outbox(db: &DatabaseConnection) -> Vec<Envelope> {
    let rows = db
        .query_all_raw(Statement::from_string(DbBackend::Postgres, "SELECT payload FROM outbox ORDER BY id"))
        .await
        .unwrap();
    rows.iter().map(|r| Envelope::from_bytes(r.try_get::<String>("", "payload").unwrap().as_bytes()).unwrap()).collect()
}

/// Waits until consumer `catalog.cache` has applied `event_id`.
async fn processed(db: &DatabaseConnection, event_id: &str) {
    processed_by(db, "catalog.cache", event_id).await;
}

/// Waits until `consumer` has applied `event_id`.
async fn processed_by(db: &DatabaseConnection, consumer: &str, event_id: &str) {
    let sql = format!("SELECT count(*) FROM inbox WHERE consumer = '{consumer}' AND event_id = '{event_id}'");
    eventually("the cache consumer to apply the event", WAIT, || async { (count(db, &sql).await == 1).then_some(()) })
        .await;
}

#[tokio::test]
async fn queries_return_the_expected_json() {
    let env = Env::new().await;
    let catalog = Catalog::start(env.config(), 0).await;
    let c = &catalog.client;
    let lamp = create(c, "ZB-1", "Zebra Lamp", "12.50", "office", 3).await;
    let chair = create(c, "ZB-2", "Zebra Chair", "99.99", "office", 40).await;
    let mug = create(c, "ZB-3", "zebra mug", "4", "kitchen", 0).await;
    create(c, "OT-1", "Plain Kettle", "20", "kitchen", 1).await;

    let reply = c
        .query(
            "query($id: ID!) { product(id: $id) { id sku name description price { amount currency } category { slug name }
               attributes { name value } inventory { onHand reserved available lowStockThreshold lowStock } version } }",
            json!({ "id": lamp }),
        )
        .await;
    assert_eq!(
        reply.data(),
        &json!({ "product": {
            "id": lamp, "sku": "ZB-1", "name": "Zebra Lamp", "description": "Zebra Lamp described",
            "price": { "amount": "12.50", "currency": "EUR" }, "category": { "slug": "office", "name": "Office" },
            "attributes": [{ "name": "colour", "value": "teal" }],
            "inventory": { "onHand": 3, "reserved": 0, "available": 3, "lowStockThreshold": 5, "lowStock": true },
            "version": 1 } })
    );

    // Search is case-insensitive; the default sort is by name.
    let page = "query($f: ProductFilter, $s: ProductSort, $after: String) {
        products(first: 2, filter: $f, sort: $s, after: $after) { totalCount
          pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { name price { amount } } } } }";
    let first = c.query(page, json!({ "f": { "search": "ZEBRA" } })).await;
    let data = &first.data()["products"];
    assert_eq!(data["totalCount"], 3);
    assert_eq!(
        data["edges"],
        json!([{ "node": { "name": "Zebra Chair", "price": { "amount": "99.99" } } },
                                     { "node": { "name": "Zebra Lamp", "price": { "amount": "12.50" } } }])
    );
    assert_eq!(data["pageInfo"]["hasNextPage"], true);
    assert_eq!(data["pageInfo"]["hasPreviousPage"], false);
    let cursor = data["pageInfo"]["endCursor"].clone();
    let second = c.query(page, json!({ "f": { "search": "zebra" }, "after": cursor })).await;
    assert_eq!(
        second.data()["products"]["edges"],
        json!([{ "node": { "name": "zebra mug", "price": { "amount": "4.00" } } }])
    );
    assert_eq!(second.data()["products"]["pageInfo"]["hasNextPage"], false);

    // Price range and price order.
    let priced = c.query(page, json!({ "f": { "minPrice": "4", "maxPrice": "20" }, "s": "PRICE_DESC" })).await;
    assert_eq!(priced.data()["products"]["totalCount"], 3);
    assert_eq!(
        priced.data()["products"]["edges"],
        json!([{ "node": { "name": "Plain Kettle", "price": { "amount": "20.00" } } },
               { "node": { "name": "Zebra Lamp", "price": { "amount": "12.50" } } }])
    );
    // Category by slug; LIKE metacharacters are literal.
    let kitchen = c.query(page, json!({ "f": { "categorySlug": "kitchen", "search": "%" } })).await;
    assert_eq!(kitchen.data()["products"]["totalCount"], 0);
    let kitchen = c.query(page, json!({ "f": { "categoryId": category_id("kitchen") } })).await;
    assert_eq!(kitchen.data()["products"]["totalCount"], 2);

    // Federation: entity references resolve in one batch, in the order asked.
    let entities = c
        .query(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id name } } }",
            json!({ "r": [{ "__typename": "Product", "id": mug }, { "__typename": "Product", "id": chair },
                          { "__typename": "Product", "id": "missing" }] }),
        )
        .await;
    assert_eq!(
        entities.data(),
        &json!({ "_entities": [{ "id": mug, "name": "zebra mug" }, { "id": chair, "name": "Zebra Chair" }, null] })
    );
    let categories = c.query("{ categories { slug } }", json!({})).await;
    assert_eq!(categories.data()["categories"].as_array().unwrap().len(), 12);
    assert_eq!(categories.data()["categories"][0]["slug"], "books");
    let missing = c.query("{ product(id: \"nope\") { id } }", json!({})).await;
    assert_eq!(missing.data(), &json!({ "product": null }));
    catalog.stop().await;
}

#[tokio::test]
async fn mutations_need_a_valid_token_with_the_write_scope() {
    let env = Env::new().await;
    let catalog = Catalog::start(env.config(), 0).await;
    let c = &catalog.client;
    let input = json!({ "input": { "sku": "A-1", "name": "A", "price": { "amount": "1", "currency": "EUR" },
                                    "categoryId": category_id("books") } });
    let anonymous = c.query(CREATE, input.clone()).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    let reader = c.query_as(&jwt::token("u1", &["catalog:read"]), CREATE, input.clone()).await;
    assert_eq!(reader.code(), "FORBIDDEN");

    let forged = jwt::sign(jwt::OTHER_PRIVATE_PEM, jwt::claims("x", &["catalog:write"]));
    let mut other_audience = jwt::claims("x", &["catalog:write"]);
    other_audience["aud"] = json!("someone-else");
    let wrong_audience = jwt::sign(jwt::PRIVATE_PEM, other_audience);
    // alg "none": header {"alg":"none"}, no signature.
    let none =
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4Iiwic2NvcGUiOiJjYXRhbG9nOndyaXRlIiwiZXhwIjo0MDAwMDAwMDAwfQ.";
    for bad in [forged.as_str(), wrong_audience.as_str(), &jwt::expired("x", &["catalog:write"]), none, "garbage"] {
        let reply = c.query_as(bad, CREATE, input.clone()).await;
        assert_eq!(reply.status, 401, "{bad}: {}", reply.body);
        assert_eq!(reply.code(), "INVALID_TOKEN");
    }
    assert_eq!(count(&catalog.infra.db, "SELECT count(*) FROM products").await, 0);
    assert_eq!(count(&catalog.infra.db, "SELECT count(*) FROM outbox").await, 0);
    catalog.stop().await;
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_nothing_is_written() {
    let env = Env::new().await;
    let catalog = Catalog::start(env.config(), 5).await;
    let c = &catalog.client;
    let token = writer();
    let input = |sku: &str, name: &str, amount: &str, category: &str| json!({ "input": { "sku": sku, "name": name, "price": { "amount": amount, "currency": "EUR" }, "categoryId": category } });
    let books = category_id("books");
    let cases = [
        (input("N-1", "Fine", "-1.00", &books), "BAD_USER_INPUT", "price.amount"),
        (input("N-2", "   ", "1.00", &books), "BAD_USER_INPUT", "name"),
        (input("N-3", "Fine", "1.00", "no-such-category"), "BAD_USER_INPUT", "categoryId"),
        (input("N-4", "Fine", "1.001", &books), "BAD_USER_INPUT", "price.amount"),
        (input("bad sku!", "Fine", "1.00", &books), "BAD_USER_INPUT", "sku"),
    ];
    for (variables, code, field) in cases {
        let reply = c.query_as(&token, CREATE, variables.clone()).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.code(), code, "{variables}");
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], field);
        assert_eq!(reply.body["data"], Value::Null);
    }
    let bad_cursor =
        c.query("{ products(first: 2, after: \"definitely-not-a-cursor\") { totalCount } }", json!({})).await;
    assert_eq!(bad_cursor.code(), "INVALID_CURSOR");
    let too_many = c.query("{ products(first: 1000) { totalCount } }", json!({})).await;
    assert_eq!(too_many.code(), "BAD_USER_INPUT");
    let unknown_category = c.query("{ products(filter: { categorySlug: \"nope\" }) { totalCount } }", json!({})).await;
    assert_eq!(unknown_category.code(), "BAD_USER_INPUT");
    let negative_stock = c
        .query_as(
            &token,
            "mutation($id: ID!) { adjustStock(productId: $id, delta: -100000) { id } }",
            json!({ "id": uuid_of_first_product(c).await }),
        )
        .await;
    assert_eq!(negative_stock.code(), "BAD_USER_INPUT");

    let huge = vec![b' '; 10 * 1024 * 1024];
    let reply = c.raw("application/json", huge).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.code(), "PAYLOAD_TOO_LARGE");
    let reply = c.raw("application/json", b"{\"query\": \"{ products { totalCount } }\"".to_vec()).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "BAD_REQUEST");
    let reply = c.raw("text/plain", b"{ products { totalCount } }".to_vec()).await;
    assert_eq!(reply.status, 415);
    let reply = c.query("{ products(first: 1) { totalCount ", json!({})).await;
    assert_eq!(reply.code(), "GRAPHQL_PARSE_FAILED");
    let reply = c.query("{ products { noSuchField } }", json!({})).await;
    assert_eq!(reply.code(), "GRAPHQL_VALIDATION_FAILED");
    let reply = c.query("query($n: Int!) { products(first: $n) { totalCount } }", json!({ "n": "five" })).await;
    assert_eq!(reply.code(), "GRAPHQL_VALIDATION_FAILED");

    let get = reqwest::Client::new()
        .get(format!("{}?query=mutation%7BdeleteProduct(id%3A%22x%22)%7D", catalog.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let strict = reqwest::Client::new()
        .post(&catalog.url)
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": "{ nope }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(strict.status().as_u16(), 400, "validation errors are 400 in application/graphql-response+json");
    let accepting = |accept: &'static str| {
        reqwest::Client::new()
            .post(&catalog.url)
            .header("accept", accept)
            .json(&json!({ "query": "{ products(first: 1) { totalCount } }" }))
            .send()
    };
    let html = accepting("text/html").await.unwrap();
    assert_eq!(html.status().as_u16(), 406, "neither media type accepted");
    let body: serde_json::Value = html.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_ACCEPTABLE");
    let refused = accepting("application/graphql-response+json;q=0, application/json").await.unwrap();
    assert_eq!(refused.status().as_u16(), 200);
    let content_type = refused.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("application/json"), "q=0 refuses a media type: {content_type}");

    assert_eq!(count(&catalog.infra.db, "SELECT count(*) FROM products").await, 5);
    assert_eq!(count(&catalog.infra.db, "SELECT count(*) FROM outbox").await, 0, "no event for a refused write");
    let healthy = reqwest::get(format!("{}/ready", catalog.base)).await.unwrap();
    assert_eq!(healthy.status().as_u16(), 200, "still serving");
    catalog.stop().await;
}

async fn uuid_of_first_product(c: &GraphqlClient) -> String {
    let reply = c.query("{ products(first: 1) { edges { node { id } } } }", json!({})).await;
    reply.data()["products"]["edges"][0]["node"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn writes_publish_schema_valid_events_in_order() {
    let env = Env::new().await;
    let catalog = Catalog::start(env.config(), 0).await;
    let c = &catalog.client;
    let token = writer();
    let id = create(c, "EV-1", "Evented", "10", "tools", 12).await;
    c.query_as(&token, "mutation($id: ID!) { updateProduct(id: $id, input: { name: \"Renamed\", price: { amount: \"11.00\", currency: \"EUR\" } }) { version } }", json!({ "id": id })).await.data();
    let stock = c.query_as(&token, "mutation($id: ID!) { adjustStock(productId: $id, delta: -8, reason: \"count\") { version inventory { available lowStock } } }", json!({ "id": id })).await;
    assert_eq!(stock.data()["adjustStock"], json!({ "version": 3, "inventory": { "available": 4, "lowStock": true } }));
    c.query_as(&token, "mutation($id: ID!) { deleteProduct(id: $id) }", json!({ "id": id })).await.data();

    let events = outbox(&catalog.infra.db).await;
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "catalog.product.created.v1",
            "catalog.product.updated.v1",
            "catalog.product.inventory-updated.v1",
            "catalog.product.deleted.v1"
        ]
    );
    let schemas = support::event_schemas();
    for e in &events {
        schemas.validate(e).unwrap_or_else(|errors| panic!("{} violates its schema: {errors:?}", e.event_type));
        assert_eq!(e.subject, id);
    }
    assert_eq!(events[1].data["changed"], json!(["name", "price"]));
    assert_eq!(events[2].data["lowStock"], true);
    assert_eq!(events[2].data["available"], 4);
    assert_eq!(events[3].data["version"], 4);
    // A schema that would not fail is no test: a broken event must be refused.
    let mut broken = events[2].clone();
    broken.data["available"] = json!("four");
    assert!(schemas.validate(&broken).is_err());

    // All four were published and consumed (the cache consumer records each in its inbox).
    for e in &events {
        processed(&catalog.infra.db, &e.id).await;
    }
    let published = count(&catalog.infra.db, "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL").await;
    assert_eq!(published, 4);
    catalog.stop().await;
}

/// Two instances share the database, Redis and the topics. Whatever instance B cached (in
/// Redis or in its near cache), once the event of a write through A has been processed (by
/// the shared consumer and by B's own), B serves the new value.
#[tokio::test]
async fn two_instances_sharing_redis_never_serve_stale_after_the_event() {
    let env = Env::new().await;
    let a = Catalog::start(env.config(), 0).await;
    let b = Catalog::start(env.config(), 0).await;
    let token = writer();
    let id = create(&a.client, "ST-1", "Stale 0", "1", "toys", 1).await;
    let by_id = "query($id: ID!) { product(id: $id) { name version } }";
    let page = "{ products(first: 5, filter: { search: \"stale\" }) { edges { node { name } } } }";

    // Readers keep hammering B (filling its cache) while A writes.
    let hammer_client = b.client.clone();
    let hammer_id = id.clone();
    let hammer = tokio::spawn(async move {
        for _ in 0..400 {
            hammer_client.query(by_id, json!({ "id": hammer_id })).await;
            hammer_client.query(page, json!({})).await;
        }
    });
    for round in 1..=10 {
        // B caches the current state.
        b.client.query(by_id, json!({ "id": id })).await.data();
        b.client.query(page, json!({})).await.data();
        let name = format!("Stale {round}");
        let reply = a
            .client
            .query_as(
                &token,
                "mutation($id: ID!, $n: String!) { updateProduct(id: $id, input: { name: $n }) { version } }",
                json!({ "id": id, "n": name }),
            )
            .await;
        let version = reply.data()["updateProduct"]["version"].as_i64().unwrap();
        let event = outbox(&a.infra.db).await.pop().unwrap();
        assert_eq!(event.data["product"]["name"], name.as_str());
        processed(&a.infra.db, &event.id).await;
        processed_by(&a.infra.db, &NearInvalidator::name_of(&b.infra.instance), &event.id).await;
        for _ in 0..3 {
            let seen = b.client.query(by_id, json!({ "id": id })).await;
            assert_eq!(
                seen.data()["product"],
                json!({ "name": name, "version": version }),
                "round {round}: B served a stale product"
            );
            let listed = b.client.query(page, json!({})).await;
            assert_eq!(
                listed.data()["products"]["edges"][0]["node"]["name"],
                name.as_str(),
                "round {round}: B served a stale page"
            );
        }
    }
    hammer.await.unwrap();
    a.stop().await;
    b.stop().await;
}

#[test]
fn exported_sdl_matches_schema_catalog_graphql() {
    let path = braid_testkit::repo_root().join("schema/catalog.graphql");
    let committed = std::fs::read_to_string(&path).expect("schema/catalog.graphql exists");
    assert!(
        committed == braid_catalog::graphql::sdl(),
        "schema/catalog.graphql is out of date: run `cargo run -- sdl catalog > schema/catalog.graphql`"
    );
}

#[test]
fn every_event_type_has_a_schema() {
    let schemas = support::event_schemas();
    use braid_catalog::events::*;
    use braid_kit::events::DomainEvent;
    for t in [ProductCreated::TYPE, ProductUpdated::TYPE, ProductDeleted::TYPE, InventoryUpdated::TYPE] {
        assert!(schemas.types().contains(&t), "no schema for {t}");
    }
}

/// `Cache-Control: no-cache` (what the gateway sends when it resolves an event for its
/// subscribers) reads past both caches, for `product(id)` and for entity references alike.
#[tokio::test]
async fn no_cache_reads_past_both_caches() {
    let env = Env::new().await;
    let catalog = Catalog::start(env.config(), 0).await;
    let id = create(&catalog.client, "NC-1", "Cached name", "1", "toys", 1).await;
    let by_id = json!({ "query": "query($id: ID!) { product(id: $id) { name } }", "variables": { "id": id } });
    let entity = json!({
        "query": "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { name } } }",
        "variables": { "r": [{ "__typename": "Product", "id": id }] },
    });
    let http = reqwest::Client::new();
    let ask = async |body: &Value, no_cache: bool| -> Value {
        let mut request = http.post(&catalog.url).json(body);
        if no_cache {
            request = request.header("cache-control", "no-cache");
        }
        let reply: Value = request.send().await.unwrap().json().await.unwrap();
        let data = &reply["data"];
        data.get("product").cloned().unwrap_or_else(|| data["_entities"][0].clone())["name"].clone()
    };
    assert_eq!(ask(&by_id, false).await, "Cached name");
    assert_eq!(ask(&entity, false).await, "Cached name");
    // Changed behind the caches' back: no event, so only a read past them sees it.
    let sql = format!("UPDATE products SET name = 'Database name' WHERE id = '{id}'");
    catalog.infra.db.execute_unprepared(&sql).await.unwrap();
    assert_eq!(ask(&by_id, false).await, "Cached name", "the caches answer");
    assert_eq!(ask(&entity, false).await, "Cached name");
    assert_eq!(ask(&by_id, true).await, "Database name");
    assert_eq!(ask(&entity, true).await, "Database name");
    catalog.stop().await;
}

/// On SQLite (the demo), writes that overlap with each other and with the relay moving their
/// events out take the write lock when they begin, and wait for it: none fails with
/// "database is locked".
#[tokio::test]
async fn overlapping_writes_on_sqlite_wait_for_the_lock_instead_of_failing() {
    let env = Env::new().await;
    let dir = std::env::temp_dir().join(format!("braid-catalog-sqlite-{:016x}", rand::random::<u64>()));
    let mut config = env.config();
    config.database.url = format!("sqlite://{}?mode=rwc", dir.join("catalog.db").display());
    config.events.backend = braid_kit::config::EventsBackend::Memory;
    let catalog = Catalog::start(config, 0).await;
    let c = &catalog.client;
    let first = create(c, "SQ-0", "Square Lamp", "10", "office", 100).await;
    let adjust = "mutation($id: ID!) { adjustStock(productId: $id, delta: 1, reason: \"count\") { id } }";
    let replies = futures::future::join_all((1..=24).map(|i| {
        let first = first.clone();
        async move {
            if i % 2 == 0 {
                c.query_as(&writer(), adjust, json!({ "id": first })).await
            } else {
                let input = json!({
                    "sku": format!("SQ-{i}"), "name": format!("Square {i}"), "description": "square",
                    "price": { "amount": "5", "currency": "EUR" }, "categoryId": category_id("office"),
                    "attributes": [], "initialStock": 1, "lowStockThreshold": 0
                });
                c.query_as(&writer(), CREATE, json!({ "input": input })).await
            }
        }
    }))
    .await;
    for reply in &replies {
        assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    }
    let stock = c.query("query($id: ID!) { product(id: $id) { inventory { onHand } } }", json!({ "id": first })).await;
    assert_eq!(stock.data()["product"]["inventory"]["onHand"], 112);
    catalog.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// A Redis server of the test's own on `port`, to stop and start again.
fn redis_server(port: u16) -> braid_testkit::service::Service {
    let mut command = std::process::Command::new("redis-server");
    command.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
    let redis = braid_testkit::service::Service::spawn("redis", command, false).expect("redis-server starts");
    let addr = format!("127.0.0.1:{port}");
    for _ in 0..200 {
        if std::net::TcpStream::connect(&addr).is_ok() {
            return redis;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("redis-server did not listen on {addr}");
}

/// The database and the cache; the broker's readiness is not tested in this process: librdkafka
/// can crash its process when a broker it is connected to restarts (confluentinc/librdkafka#5280,
/// see docs/testing.md), which would take every test of this binary with it.
#[tokio::test]
async fn ready_answers_503_while_the_database_or_the_cache_is_down_and_200_again_after() {
    let env = Env::new().await;
    let redis_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let redis = redis_server(redis_port);
    let mut config = env.config();
    config.cache.url = format!("redis://127.0.0.1:{redis_port}");
    let catalog = Catalog::start(config, 0).await;
    let base = catalog.base.clone();
    ready_becomes(&base, 200, &[], WAIT).await;

    redis.stop();
    ready_becomes(&base, 503, &["cache"], WAIT).await;
    let redis = redis_server(redis_port);
    ready_becomes(&base, 200, &[], WAIT).await;

    // The database refuses connections, and the catalog's are ended.
    let admin = sea_orm::Database::connect(format!("{}/postgres", braid_testkit::db::server_url())).await.unwrap();
    let name = &env.db.name;
    admin.execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await.unwrap();
    let terminate = format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
    admin.execute_unprepared(&terminate).await.unwrap();
    ready_becomes(&base, 503, &["database"], WAIT).await;
    admin.execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await.unwrap();
    ready_becomes(&base, 200, &[], WAIT).await;

    admin.close().await.ok();
    catalog.stop().await;
    redis.stop();
}

fn product_input(sku: &str) -> Value {
    json!({
        "sku": sku, "name": format!("Product {sku}"), "price": { "amount": "9.00", "currency": "EUR" },
        "categoryId": category_id("office"), "initialStock": 3, "lowStockThreshold": 1
    })
}

const RENAME: &str = "mutation($id: ID!, $n: String!) { updateProduct(id: $id, input: { name: $n }) { version } }";

#[tokio::test]
async fn concurrent_writes_with_one_sku_or_one_version_make_one_winner_and_one_event_each() {
    let env = Env::new().await;
    let catalog = Catalog::start(env.config(), 0).await;
    let (c, db, token) = (&catalog.client, &catalog.infra.db, writer());
    let rows = || count(db, "SELECT count(*) FROM outbox");

    // What one create and one update write to the outbox on their own.
    let before = rows().await;
    let id = create(c, "SOLO-1", "Solo", "5.00", "office", 1).await;
    let per_create = rows().await - before;
    let before = rows().await;
    c.query_as(&token, RENAME, json!({ "id": id, "n": "Solo again" })).await.data();
    let per_update = rows().await - before;
    assert!(per_create >= 1 && per_update >= 1, "writes publish events ({per_create}, {per_update})");

    // Two creates with one SKU at once, ten times over: one product each time, one refused.
    let before = rows().await;
    for round in 0..10 {
        let sku = format!("TWIN-{round}");
        let (a, b) = tokio::join!(
            c.query_as(&token, CREATE, json!({ "input": product_input(&sku) })),
            c.query_as(&token, CREATE, json!({ "input": product_input(&sku) })),
        );
        let mut codes = [a, b].map(|r| r.body["errors"][0]["extensions"]["code"].as_str().unwrap_or("ok").to_string());
        codes.sort();
        assert_eq!(codes, ["CONFLICT", "ok"], "round {round}");
        let sql = format!("SELECT count(*) FROM products WHERE sku = '{sku}'");
        assert_eq!(count(db, &sql).await, 1, "round {round}");
    }
    assert_eq!(rows().await - before, 10 * per_create, "one create's events per product, none for a refusal");

    // Eight renames of one product at once: each wins or is refused, and the version and the
    // outbox count exactly the winners.
    let before = rows().await;
    let version = |reply: &braid_testkit::client::Reply| reply.body["data"]["updateProduct"]["version"].as_i64();
    let renames = futures::future::join_all(
        (0..8).map(|n| c.query_as(&token, RENAME, json!({ "id": id, "n": format!("Renamed {n}") }))),
    )
    .await;
    let won = renames.iter().filter(|r| version(r).is_some()).count() as i64;
    for refused in renames.iter().filter(|r| version(r).is_none()) {
        assert_eq!(refused.code(), "CONFLICT", "{}", refused.body);
    }
    assert!(won >= 1);
    let versions: std::collections::HashSet<_> = renames.iter().filter_map(version).collect();
    assert_eq!(versions.len() as i64, won, "no two winners got the same version");
    let sql = format!("SELECT version FROM products WHERE id = '{id}'");
    assert_eq!(count(db, &sql).await, 2 + won, "the version moved once per winner");
    assert_eq!(rows().await - before, won * per_update, "one update's events per winner");
    catalog.stop().await;
}
