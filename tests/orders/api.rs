//! The orders API: carts, placing, reading, cancelling, bad input, projections.

use braid_kit::events::Envelope;
use braid_orders::payment::simulated::EntryStatus;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

use crate::stack::{Stack, Tuning, count, steps};
use crate::support;

#[tokio::test]
async fn an_order_goes_through_the_saga_to_completed_and_takes_its_stock() {
    let stack = Stack::start(Tuning::default()).await;
    let (a, b) = (stack.product("A-1", "12.50", 10).await, stack.product("B-1", "3.00", 5).await);
    assert_eq!(stack.add("101", &a, 2).await.data()["addToCart"]["itemCount"], 2);
    assert_eq!(stack.add("101", &b, 3).await.data()["addToCart"]["itemCount"], 5);
    let placed = stack.place("101", "checkout-1").await;
    let order = placed.data()["placeOrder"].clone();
    assert_eq!(order["total"]["amount"], "34.00");
    let id = order["id"].as_str().unwrap();
    let done = stack.settled("101", id).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["shipment"]["status"], "DELIVERED");
    assert_eq!(
        steps(&done),
        [
            "order.placed:SUCCEEDED",
            "stock.reserve:STARTED",
            "stock.reserve:SUCCEEDED",
            "payment.capture:STARTED",
            "payment.capture:SUCCEEDED",
            "stock.commit:STARTED",
            "stock.commit:SUCCEEDED",
            "shipment.create:STARTED",
            "shipment.create:SUCCEEDED",
            "shipment.update:SUCCEEDED",
            "shipment.update:SUCCEEDED",
            "shipment.update:SUCCEEDED",
            "order.complete:SUCCEEDED",
        ]
    );
    assert_eq!(stack.stock(&a).await, (8, 0, 8));
    assert_eq!(stack.stock(&b).await, (2, 0, 2));
    let ledger = stack.provider.ledger();
    assert_eq!(ledger.len(), 1);
    assert_eq!((ledger[0].status, ledger[0].captures, ledger[0].amount_minor), (EntryStatus::Captured, 1, 3400));
    // The cart is empty, and every event the orders service wrote has a schema it meets.
    let cart = stack.orders_query("101", "{ cart { itemCount } }", json!({})).await;
    assert_eq!(cart.data()["cart"]["itemCount"], 0);
    let schemas = support::event_schemas();
    let db = &stack.orders.infra.db;
    let rows =
        db.query_all_raw(Statement::from_string(DbBackend::Postgres, "SELECT payload FROM outbox")).await.unwrap();
    let mut types = std::collections::BTreeSet::new();
    for row in rows {
        let envelope = Envelope::from_bytes(row.try_get::<String>("", "payload").unwrap().as_bytes()).unwrap();
        schemas.validate(&envelope).unwrap_or_else(|e| panic!("{}: {e:?}", envelope.event_type));
        types.insert(envelope.event_type);
    }
    for t in ["orders.order.created.v1", "orders.order.updated.v1", "orders.cart.product_added.v1"] {
        assert!(types.contains(t), "{t} missing from {types:?}");
    }
    stack.orders.stop().await;
    stack.catalog.stop().await;
}

#[tokio::test]
async fn a_cancelled_order_gets_its_stock_back_and_its_payment_refunded() {
    let stack = Stack::start(Tuning { handling_ms: 60_000, ..Tuning::default() }).await;
    let a = stack.product("C-1", "20.00", 4).await;
    stack.add("102", &a, 3).await;
    let id = stack.place("102", "k").await.data()["placeOrder"]["id"].as_str().unwrap().to_string();
    // Paid and waiting for the warehouse: still cancellable.
    let paid = braid_testkit::eventually("the order to be paid", crate::stack::WAIT, || async {
        let o = stack.status("102", &id).await;
        (o["status"] == "PAID" && o["canCancel"] == true && stack.stock(&a).await == (1, 0, 1)).then_some(o)
    })
    .await;
    assert_eq!(paid["canCancel"], true);
    let q = "mutation($id: ID!) { cancelOrder(id: $id) { status canCancel } }";
    let reply = stack.orders_query("102", q, json!({ "id": id })).await;
    assert_eq!(reply.data()["cancelOrder"]["canCancel"], false, "{:?}", reply.body);
    let done = stack.settled("102", &id).await;
    assert_eq!(done["status"], "CANCELLED");
    assert_eq!(stack.stock(&a).await, (4, 0, 4), "the stock is back");
    let entry = &stack.provider.ledger()[0];
    assert_eq!((entry.status, entry.captures, entry.refunds), (EntryStatus::Refunded, 1, 1));
    let tail: Vec<String> = steps(&done).into_iter().skip_while(|s| s != "order.cancel:REQUESTED").collect();
    assert_eq!(
        tail,
        [
            "order.cancel:REQUESTED",
            "stock.restock:STARTED",
            "stock.restock:SUCCEEDED",
            "payment.refund:STARTED",
            "payment.refund:SUCCEEDED",
            "stock.release:STARTED",
            "stock.release:SUCCEEDED",
            "order.cancel:SUCCEEDED",
        ]
    );
    // Cancelling again is not an error; the other buyer cannot see the order at all.
    assert_eq!(stack.orders_query("102", q, json!({ "id": id })).await.data()["cancelOrder"]["status"], "CANCELLED");
    assert_eq!(stack.orders_query("103", q, json!({ "id": id })).await.code(), "NOT_FOUND");
    stack.orders.stop().await;
    stack.catalog.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_a_code_and_writes_nothing() {
    let stack = Stack::start(Tuning::default()).await;
    let a = stack.product("D-1", "5.00", 3).await;
    let db = stack.orders.infra.db.clone();
    let writes = || async {
        let sql = "SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM order_events) + \
                   (SELECT count(*) FROM outbox) + (SELECT count(*) FROM cart_lines)";
        count(&db, sql).await
    };
    assert_eq!(stack.place("104", "empty").await.code(), "EMPTY_CART");
    for quantity in [0, -1, 1_000_000_000] {
        assert_eq!(stack.add("104", &a, quantity).await.code(), "BAD_USER_INPUT", "{quantity}");
    }
    assert_eq!(stack.add("104", "no-such-product", 1).await.code(), "PRODUCT_NOT_FOUND");
    assert_eq!(stack.add("104", &a, 4).await.code(), "OUT_OF_STOCK");
    assert_eq!(writes().await, 0, "nothing was written");
    let set = "mutation($p: ID!) { setCartQuantity(productId: $p, quantity: 1) { itemCount } }";
    assert_eq!(stack.orders_query("104", set, json!({ "p": a })).await.code(), "NOT_FOUND");
    let q = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }";
    let bad_address = json!({ "name": "", "line1": "x", "city": "y", "postalCode": "1", "country": "Germany" });
    stack.add("104", &a, 1).await;
    let before = writes().await;
    let reply =
        stack.orders_query("104", q, json!({ "i": { "idempotencyKey": "k", "shippingAddress": bad_address } })).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    let key = json!({ "name": "A", "line1": "x", "city": "y", "postalCode": "1", "country": "DE" });
    let reply = stack.orders_query("104", q, json!({ "i": { "idempotencyKey": "", "shippingAddress": key } })).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert_eq!(writes().await, before);
    // The same key again returns the same order; with another cart it is refused.
    let first = stack.place("104", "same").await.data()["placeOrder"]["id"].clone();
    assert_eq!(stack.place("104", "same").await.data()["placeOrder"]["id"], first);
    // Its saga writes events as it runs: counted writes are the refusal's only once it is done.
    let id = first.as_str().unwrap();
    assert_eq!(stack.settled("104", id).await["status"], "COMPLETED");
    stack.add("104", &a, 2).await;
    let before = writes().await;
    assert_eq!(stack.place("104", "same").await.code(), "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(writes().await, before);
    // Another buyer's order is not found; an order that shipped cannot be cancelled.
    let read = "query($id: ID!) { order(id: $id) { id } }";
    assert_eq!(stack.orders_query("105", read, json!({ "id": id })).await.code(), "NOT_FOUND");
    let cancel = "mutation($id: ID!) { cancelOrder(id: $id) { status } }";
    assert_eq!(stack.orders_query("104", cancel, json!({ "id": id })).await.code(), "ORDER_NOT_CANCELLABLE");
    let page = "{ myOrders(first: 0) { totalCount } }";
    assert_eq!(stack.orders_query("104", page, json!({})).await.code(), "BAD_USER_INPUT");
    let page = "{ myOrders(first: 5, after: \"garbage\") { totalCount } }";
    assert_eq!(stack.orders_query("104", page, json!({})).await.code(), "INVALID_CURSOR");
    let all = "{ orders(first: 5) { totalCount } }";
    assert_eq!(stack.orders_query("104", all, json!({})).await.code(), "FORBIDDEN");
    stack.orders.stop().await;
    stack.catalog.stop().await;
}

#[tokio::test]
async fn pages_of_orders_and_projections_rebuilt_byte_for_byte() {
    let stack = Stack::start(Tuning::default()).await;
    let a = stack.product("E-1", "1.00", 100).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        stack.add("106", &a, 1).await;
        ids.push(stack.place("106", &format!("k{i}")).await.data()["placeOrder"]["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        stack.settled("106", id).await;
    }
    let q = "query($after: String) { myOrders(first: 2, after: $after) { totalCount \
             pageInfo { hasNextPage endCursor } edges { node { id } } } }";
    let mut seen = Vec::new();
    let mut after = serde_json::Value::Null;
    loop {
        let page = stack.orders_query("106", q, json!({ "after": after })).await.data()["myOrders"].clone();
        assert_eq!(page["totalCount"], 5);
        seen.extend(page["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().to_string()));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, each once");
    let db = &stack.orders.infra.db;
    let dump = || async {
        let sql = "SELECT row_to_json(o)::text AS j FROM orders o ORDER BY id";
        let rows = db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap();
        rows.iter().map(|r| r.try_get::<String>("", "j").unwrap()).collect::<Vec<_>>()
    };
    let before = dump().await;
    assert_eq!(braid_orders::view::rebuild(db).await.unwrap(), 5);
    assert_eq!(dump().await, before);
    stack.orders.stop().await;
    stack.catalog.stop().await;
}

#[test]
fn exported_sdl_matches_schema_orders_graphql() {
    let path = braid_testkit::repo_root().join("schema/orders.graphql");
    let committed = std::fs::read_to_string(&path).expect("schema/orders.graphql exists");
    assert!(
        committed == braid_orders::graphql::sdl(),
        "schema/orders.graphql is out of date: run `cargo run -- sdl orders > schema/orders.graphql`, then scripts/compose.sh"
    );
}
