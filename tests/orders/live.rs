//! Subscriptions through the gateway on the real backbone: the catalog and orders services on
//! PostgreSQL, Redis and tansu, the gateway reading their topics from Kafka, and clients on a
//! WebSocket, on Server-Sent Events and on multipart/mixed.

use std::time::Duration;

use braid_testkit::stream::{Event, Stream};
use braid_testkit::{eventually, jwt};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::gateway::Gateway;
use crate::stack::{Stack, Tuning, WAIT};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.unwrap();
}

/// The next `next` message, as (operation id, data).
async fn next(socket: &mut Socket) -> (String, Value) {
    loop {
        let frame = tokio::time::timeout(WAIT, socket.next()).await.expect("a message in time");
        let Message::Text(text) = frame.expect("open").expect("a frame") else { continue };
        let message: Value = serde_json::from_str(&text).unwrap();
        match message["type"].as_str() {
            Some("next") => {
                return (message["id"].as_str().unwrap().to_string(), message["payload"]["data"].clone());
            }
            Some("ping" | "connection_ack") => {}
            _ => panic!("unexpected {message}"),
        }
    }
}

/// A stream from `gateway`'s `/graphql`.
async fn open(gateway: &Gateway, token: &str, accept: &str, query: &str, last_event_id: Option<&str>) -> Stream {
    let url = format!("http://{}/graphql", gateway.addr);
    Stream::open(&url, token, accept, query, Value::Null, last_event_id).await
}

#[tokio::test]
async fn sse_and_multipart_stream_an_order_and_last_event_id_resumes_on_another_instance() {
    let stack = Stack::start(Tuning::default()).await;
    let product = stack.product("LIVE-2", "10.00", 5).await;
    let a = Gateway::start(&stack).await;
    let buyer = jwt::token("303", &[]);
    let mine = "subscription { myOrders { id status } }";
    let mut sse = open(&a, &buyer, "text/event-stream", mine, None).await;
    assert!(sse.content_type().starts_with("text/event-stream"), "{}", sse.content_type());
    let mut multipart =
        open(&a, &buyer, "multipart/mixed;subscriptionSpec=\"1.0\", application/json", mine, None).await;
    assert!(multipart.content_type().starts_with("multipart/mixed"), "{}", multipart.content_type());
    // The low-stock alert is for those who may write the catalog.
    let low = "subscription { lowStock { sku inventory { available } } }";
    let clerk = jwt::token("clerk", &["catalog:write"]);
    let mut alerts = open(&a, &clerk, "text/event-stream", low, None).await;
    let mut refused = open(&a, &buyer, "text/event-stream", low, None).await;
    let data = refused.event(WAIT).await.expect("an error event").data;
    assert_eq!(data["errors"][0]["extensions"]["code"], "FORBIDDEN", "{data}");
    eventually("three streams registered", WAIT, || async { (a.gateway.hub.subscribers() == 3).then_some(()) }).await;

    // A first order shows that the gateway's group reads (it starts at the latest offsets).
    stack.add("303", &product, 1).await.data();
    let warm = stack.place("303", "sse-warm").await.data()["placeOrder"]["id"].clone();
    while sse.event(WAIT).await.expect("an event").data["data"]["myOrders"]
        != json!({ "id": warm, "status": "COMPLETED" })
    {}
    while multipart.part(WAIT).await.expect("a part")["payload"]["data"]["myOrders"]
        != json!({ "id": warm, "status": "COMPLETED" })
    {}

    stack.add("303", &product, 2).await.data();
    let order = stack.place("303", "sse-1").await.data()["placeOrder"]["id"].clone();
    // SSE: two events, then the client goes away.
    let mut seen = Vec::new();
    let mut last_id = None;
    while seen.len() < 2 {
        let Event { event, id, data } = sse.event(WAIT).await.expect("an event");
        assert_eq!(event, "next");
        assert_eq!(data["data"]["myOrders"]["id"], order);
        seen.push(data["data"]["myOrders"]["status"].as_str().unwrap().to_string());
        last_id = Some(id.expect("each event has an id"));
    }
    drop(sse);
    // multipart: every status, in order.
    let mut statuses = Vec::new();
    while statuses.last().map(String::as_str) != Some("COMPLETED") {
        let part = multipart.part(WAIT).await.expect("a part");
        statuses.push(part["payload"]["data"]["myOrders"]["status"].as_str().unwrap().to_string());
    }
    assert_eq!(statuses, ["PENDING", "STOCK_RESERVED", "PAID", "SHIPPING", "COMPLETED"]);
    stack.settled("303", order.as_str().unwrap()).await;
    // 5 units, threshold 2: the first order left 4, this one 2, which is low (the shipment
    // that followed left the answer the same, so it was not sent again).
    let data = alerts.event(WAIT).await.expect("a low-stock alert").data;
    assert_eq!(data["data"]["lowStock"], json!({ "sku": "LIVE-2", "inventory": { "available": 2 } }));
    assert_eq!(alerts.event(Duration::from_millis(500)).await, None);

    // Resumed on another instance, which never read those events: the rest, without a gap or
    // a repeat, read again from the broker; then it goes on live.
    let b = Gateway::start(&stack).await;
    let mut resumed = open(&b, &buyer, "text/event-stream", mine, last_id.as_deref()).await;
    while seen.len() < 5 {
        let data = resumed.event(WAIT).await.expect("a resumed event").data;
        assert_eq!(data["data"]["myOrders"]["id"], order, "{data}");
        seen.push(data["data"]["myOrders"]["status"].as_str().unwrap().to_string());
    }
    assert_eq!(seen, statuses);
    assert_eq!(resumed.event(Duration::from_secs(1)).await, None, "nothing more, heartbeats aside");
    // Then live (from where the new instance's group starts reading: an order placed at once
    // may have its first events before that).
    stack.add("303", &product, 1).await.data();
    let after = stack.place("303", "sse-2").await.data()["placeOrder"]["id"].clone();
    loop {
        let data = resumed.event(WAIT).await.expect("a live event after the replay").data;
        assert_eq!(data["data"]["myOrders"]["id"], after, "{data}");
        if data["data"]["myOrders"]["status"] == "COMPLETED" {
            break;
        }
    }

    // A Last-Event-ID that is no position this gateway gave out: an error in the stream.
    let mut bad = open(&b, &buyer, "text/event-stream", mine, Some("yesterday")).await;
    let Event { event, data, .. } = bad.event(WAIT).await.expect("an error event");
    assert_eq!(
        (event.as_str(), data["errors"][0]["extensions"]["code"].as_str()),
        ("next", Some("INVALID_LAST_EVENT_ID"))
    );
    assert_eq!(bad.event(WAIT).await.map(|e| e.event), Some("complete".to_string()));
    stack.settled("303", after.as_str().unwrap()).await;

    // Identical subscriptions (one buyer, one operation) share one resolution per event:
    // three streams on the first instance, five statuses, five per-event queries of theirs.
    while multipart.part(WAIT).await.expect("a part")["payload"]["data"]["myOrders"]
        != json!({ "id": after, "status": "COMPLETED" })
    {}
    let mut more = vec![
        open(&a, &buyer, "text/event-stream", mine, None).await,
        open(&a, &buyer, "text/event-stream", mine, None).await,
    ];
    let before = a.gateway.resolutions.runs();
    stack.add("303", &product, 1).await.data();
    let last = stack.place("303", "sse-3").await.data()["placeOrder"]["id"].clone();
    let mut statuses = Vec::new();
    while statuses.last().map(String::as_str) != Some("COMPLETED") {
        let part = multipart.part(WAIT).await.expect("a part");
        assert_eq!(part["payload"]["data"]["myOrders"]["id"], last);
        statuses.push(part["payload"]["data"]["myOrders"]["status"].as_str().unwrap().to_string());
    }
    for stream in &mut more {
        let mut seen = Vec::new();
        while seen.len() < statuses.len() {
            let data = stream.event(WAIT).await.expect("an event").data;
            seen.push(data["data"]["myOrders"]["status"].as_str().unwrap().to_string());
        }
        assert_eq!(seen, statuses);
    }
    let runs = a.gateway.resolutions.runs() - before;
    // Fifteen without sharing; the low-stock alert's own stream may add its few.
    assert!(runs < 10, "{runs} per-event queries for three identical subscribers of five events");
    a.stop();
    b.stop();
    stack.orders.stop().await;
    stack.catalog.stop().await;
}

#[tokio::test]
async fn order_and_stock_changes_reach_a_websocket_subscriber_from_kafka() {
    let stack = Stack::start(Tuning::default()).await;
    let product = stack.product("LIVE-1", "10.00", 5).await;
    let Gateway { gateway, addr, server, pump } = Gateway::start(&stack).await;

    let mut request = format!("ws://{addr}/graphql").into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    send(&mut socket, json!({"type": "connection_init", "payload": {"token": jwt::token("101", &[])}})).await;
    send(
        &mut socket,
        json!({"id": "mine", "type": "subscribe", "payload": {"query": "subscription { myOrders { id status } }"}}),
    )
    .await;
    let stock = "subscription ($ids: [ID!]!) { stockChanged(ids: $ids) { sku inventory { available } } }";
    let variables = json!({ "ids": [product] });
    send(&mut socket, json!({"id": "stock", "type": "subscribe", "payload": {"query": stock, "variables": variables}}))
        .await;
    eventually("both subscriptions registered", WAIT, || async { (gateway.hub.subscribers() == 2).then_some(()) })
        .await;

    // The gateway's group reads from the latest offsets once the broker has assigned it its
    // partitions: a first order shows that it reads, the second is followed from its start.
    stack.add("101", &product, 1).await.data();
    let warm = stack.place("101", "live-warm").await.data()["placeOrder"]["id"].clone();
    loop {
        let (id, data) = next(&mut socket).await;
        if id == "mine" && data["myOrders"]["id"] == warm && data["myOrders"]["status"] == "COMPLETED" {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // the last stock change of the first order
    while let Ok(Some(Ok(_))) = tokio::time::timeout(Duration::from_millis(300), socket.next()).await {}

    stack.add("101", &product, 2).await.data();
    let order = stack.place("101", "live-1").await.data()["placeOrder"]["id"].clone();
    let (mut statuses, mut stock_seen) = (Vec::new(), Vec::new());
    while statuses.last().map(String::as_str) != Some("COMPLETED") || stock_seen.is_empty() {
        let (id, data) = next(&mut socket).await;
        if id == "stock" {
            assert_eq!(data["stockChanged"]["sku"], "LIVE-1", "a field only the catalog resolves");
            stock_seen.push(data["stockChanged"]["inventory"]["available"].as_i64().unwrap());
            continue;
        }
        assert_eq!(data["myOrders"]["id"], order);
        statuses.push(data["myOrders"]["status"].as_str().unwrap().to_string());
    }
    assert_eq!(statuses, ["PENDING", "STOCK_RESERVED", "PAID", "SHIPPING", "COMPLETED"]);
    assert_eq!(stock_seen, [2], "5 units, 1 taken by the first order, 2 reserved by this one");

    // Another buyer's order is never delivered to this viewer, though it is on the same topic.
    let other = jwt::token("202", &[]);
    let add = "mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { itemCount } }";
    stack.orders.client.query_as(&other, add, json!({ "p": product })).await.data();
    let placed = stack.place("202", "live-other").await;
    let other_order = placed.data()["placeOrder"]["id"].as_str().unwrap().to_string();
    let mut heard = Vec::new();
    {
        let settled = async {
            stack.settled("202", &other_order).await;
            tokio::time::sleep(Duration::from_secs(1)).await; // its last events reach the gateway
        };
        tokio::pin!(settled);
        loop {
            tokio::select! {
                () = &mut settled => break,
                message = next(&mut socket) => heard.push(message),
            }
        }
    }
    assert!(heard.iter().all(|(id, _)| id == "stock"), "only the stock subscription hears of it: {heard:?}");
    // Nor can this viewer subscribe to it by id: refused, as a query for it would be.
    let theirs = json!({"query": "subscription ($id: ID!) { orderUpdated(id: $id) { status } }", "variables": {"id": other_order}});
    send(&mut socket, json!({"id": "theirs", "type": "subscribe", "payload": theirs})).await;
    let refused = loop {
        let frame = tokio::time::timeout(WAIT, socket.next()).await.expect("an answer in time");
        let Message::Text(text) = frame.expect("open").expect("a frame") else { continue };
        let message: Value = serde_json::from_str(&text).unwrap();
        if message["id"] == "theirs" {
            break message;
        }
    };
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "NOT_FOUND");
    // Their own order by id is accepted (and its events would arrive).
    let mine =
        json!({"query": "subscription ($id: ID!) { orderUpdated(id: $id) { status } }", "variables": {"id": order}});
    send(&mut socket, json!({"id": "own", "type": "subscribe", "payload": mine})).await;
    eventually("the own-order subscription registered", WAIT, || async {
        (gateway.hub.subscribers() == 3).then_some(())
    })
    .await;
    assert!(!heard.is_empty(), "the other buyer's reservation changed the stock");
    server.abort();
    pump.abort();
    stack.orders.stop().await;
    stack.catalog.stop().await;
}

/// A subscription run by a client library from npm (`tests/clients`), its messages read as
/// JSON lines.
struct NodeClient {
    _child: tokio::process::Child,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl NodeClient {
    async fn start(transport: &str, url: &str, token: &str, query: &str, variables: Value) -> Self {
        use tokio::io::AsyncBufReadExt;
        let script = braid_testkit::repo_root().join("tests/clients/run.sh");
        let mut child = tokio::process::Command::new(script)
            .args([transport, url, token, query, &variables.to_string()])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the client");
        let lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        Self { _child: child, lines }
    }

    /// The next message the client printed.
    async fn message(&mut self) -> Value {
        // The first run installs the clients from npm.
        let line = tokio::time::timeout(Duration::from_secs(180), self.lines.next_line())
            .await
            .expect("a message in time")
            .unwrap()
            .expect("the client is running");
        serde_json::from_str(&line).unwrap()
    }

    /// The data of the next response.
    async fn data(&mut self) -> Value {
        let message = self.message().await;
        assert_eq!(message["kind"], "next", "{message}");
        assert!(message["payload"].get("errors").is_none(), "{message}");
        message["payload"]["data"].clone()
    }
}

#[tokio::test]
async fn the_graphql_ws_and_graphql_sse_clients_from_npm_follow_an_order_and_a_price_change() {
    let stack = Stack::start(Tuning::default()).await;
    let product = stack.product("LIVE-3", "10.00", 5).await;
    let gateway = Gateway::start(&stack).await;
    let url = format!("http://{}/graphql", gateway.addr);
    let token = jwt::token("404", &[]);
    let mine = "subscription { myOrders { id status } }";
    let mut ws = NodeClient::start("ws", &url, &token, mine, Value::Null).await;
    assert_eq!(ws.message().await["kind"], "connected");
    let mut sse = NodeClient::start("sse", &url, &token, mine, Value::Null).await;
    let changes = "subscription ($ids: [ID!]!) { productChanged(ids: $ids) { sku name price { amount currency } } }";
    let mut prices = NodeClient::start("sse", &url, &token, changes, json!({ "ids": [product] })).await;
    eventually("three subscribers", WAIT, || async { (gateway.gateway.hub.subscribers() == 3).then_some(()) }).await;

    // A first order shows that the gateway's group reads (it starts at the latest offsets).
    stack.add("404", &product, 1).await.data();
    let warm = stack.place("404", "npm-warm").await.data()["placeOrder"]["id"].clone();
    for client in [&mut ws, &mut sse] {
        while client.data().await["myOrders"] != json!({ "id": warm, "status": "COMPLETED" }) {}
    }
    stack.add("404", &product, 2).await.data();
    let order = stack.place("404", "npm-1").await.data()["placeOrder"]["id"].clone();
    for client in [&mut ws, &mut sse] {
        let mut statuses = Vec::new();
        while statuses.last().map(String::as_str) != Some("COMPLETED") {
            let data = client.data().await;
            assert_eq!(data["myOrders"]["id"], order, "{data}");
            statuses.push(data["myOrders"]["status"].as_str().unwrap().to_string());
        }
        assert_eq!(statuses, ["PENDING", "STOCK_RESERVED", "PAID", "SHIPPING", "COMPLETED"]);
    }

    // A price change, with fields only the catalog resolves (stock changes of the orders
    // above came first, answered with the price as it was).
    let admin = jwt::token("admin", &["catalog:write"]);
    let update =
        "mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { version } }";
    let input = json!({ "price": { "amount": "12.50", "currency": "EUR" } });
    stack.catalog.client.query_as(&admin, update, json!({ "id": product, "input": input })).await.data();
    loop {
        let changed = prices.data().await["productChanged"].clone();
        assert_eq!((changed["sku"].as_str(), changed["name"].as_str()), (Some("LIVE-3"), Some("Product LIVE-3")));
        let amount: f64 = changed["price"]["amount"].as_str().unwrap().parse().unwrap();
        if amount == 12.5 {
            assert_eq!(changed["price"]["currency"], "EUR");
            break;
        }
        assert_eq!(amount, 10.0, "{changed}");
    }
    gateway.stop();
    stack.orders.stop().await;
    stack.catalog.stop().await;
}
