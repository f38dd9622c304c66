//! Subscriptions through the gateway on the real backbone: the catalog and orders services on
//! PostgreSQL, Redis and tansu, the gateway reading their topics from Kafka, and a client on a
//! WebSocket.

use std::time::Duration;

use braid_testkit::{eventually, jwt};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

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

#[tokio::test]
async fn order_and_stock_changes_reach_a_websocket_subscriber_from_kafka() {
    let stack = Stack::start(Tuning::default()).await;
    let product = stack.product("LIVE-1", "10.00", 5).await;

    let mut config = braid_gateway::GatewayConfig::default();
    config.auth.public_key_pem = Some(jwt::PUBLIC_PEM.to_string());
    config.auth.issuer = Some(jwt::ISSUER.to_string());
    config.auth.audience = Some(jwt::AUDIENCE.to_string());
    for (name, url) in [("catalog", &stack.catalog.url), ("orders", &stack.orders.url)] {
        config.subgraphs.entry(name.to_string()).or_default().url = Some(url.clone());
    }
    let sdl = std::fs::read_to_string(braid_testkit::repo_root().join("schema/supergraph.graphql")).unwrap();
    let gateway = braid_gateway::gateway_from_sdl(config, &sdl, None).await.expect("the gateway starts");
    let pump = gateway.consume_events(stack.orders.infra.bus.clone(), std::future::pending());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = braid_gateway::server::router(gateway.clone(), braid_kit::telemetry::prometheus().clone());
    let server = tokio::spawn(braid_gateway::server::serve(listener, router, std::future::pending()));

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
