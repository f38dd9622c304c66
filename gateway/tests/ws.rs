//! GraphQL over WebSocket at `/graphql` (graphql-transport-ws): operations on the socket, the
//! protocol's close codes for every violation, the connection cap, and other connections
//! unaffected by a bad one.

mod federation;

use std::time::Duration;

use braid_test_subgraphs::{Options, Subgraph, Supergraph};
use braid_testkit::jwt;
use federation::{Builder, Federation, Run, start};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a socket at the gateway's `/graphql` asking for `protocol`.
async fn open(
    federation: &Federation,
    protocol: Option<&str>,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let url = format!("{}/graphql", federation.url.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    if let Some(protocol) = protocol {
        request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_str(protocol).unwrap());
    }
    tokio_tungstenite::connect_async(request).await.map(|(socket, _)| socket)
}

async fn connect(federation: &Federation) -> Socket {
    open(federation, Some("graphql-transport-ws")).await.expect("the socket opens")
}

async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.unwrap();
}

/// The next protocol message, skipping the server's keep-alive pings.
async fn next(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("a message in time");
        match frame.expect("the socket is open").expect("a frame") {
            Message::Text(text) => {
                let message: Value = serde_json::from_str(&text).unwrap();
                if message["type"] != "ping" {
                    return message;
                }
            }
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => {}
        }
    }
}

/// The close code the server ends the connection with.
async fn closed_with(socket: &mut Socket) -> u16 {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("a close in time");
        match frame {
            Some(Ok(Message::Close(Some(frame)))) => return frame.code.into(),
            Some(Ok(Message::Close(None))) | None => panic!("closed without a code"),
            Some(Err(e)) => panic!("the connection failed instead of closing: {e}"),
            Some(Ok(_)) => {}
        }
    }
}

/// Verifies tokens signed with the test key.
fn trust_test_tokens(config: &mut braid_gateway::GatewayConfig) {
    config.auth.public_key_pem = Some(jwt::PUBLIC_PEM.to_string());
    config.auth.issuer = Some(jwt::ISSUER.to_string());
    config.auth.audience = Some(jwt::AUDIENCE.to_string());
}

async fn init(socket: &mut Socket, payload: Value) {
    send(socket, json!({"type": "connection_init", "payload": payload})).await;
    assert_eq!(next(socket).await, json!({"type": "connection_ack"}));
}

#[tokio::test]
async fn queries_run_on_the_socket_each_under_its_id() {
    let federation = start(Supergraph::Demo).await;
    let mut socket = connect(&federation).await;
    init(&mut socket, json!({})).await;
    send(&mut socket, json!({"type": "ping", "payload": {"at": 1}})).await;
    assert_eq!(next(&mut socket).await, json!({"type": "pong", "payload": {"at": 1}}));
    let query = "query ($n: Int) { topProducts(first: $n) { upc name } }";
    send(&mut socket, json!({"id": "a", "type": "subscribe", "payload": {"query": query, "variables": {"n": 1}}}))
        .await;
    send(&mut socket, json!({"id": "b", "type": "subscribe", "payload": {"query": "{ me { username } }"}})).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(next(&mut socket).await);
    }
    let of = |id: &str| seen.iter().filter(|m| m["id"] == id).cloned().collect::<Vec<_>>();
    assert_eq!(
        of("a"),
        vec![
            json!({"id": "a", "type": "next", "payload": {"data": {"topProducts": [{"upc": "1", "name": "Table"}]}}}),
            json!({"id": "a", "type": "complete"}),
        ]
    );
    assert_eq!(
        of("b"),
        vec![
            json!({"id": "b", "type": "next", "payload": {"data": {"me": {"username": "@ada"}}}}),
            json!({"id": "b", "type": "complete"}),
        ]
    );
    // An id is free again once its operation completed.
    send(&mut socket, json!({"id": "a", "type": "subscribe", "payload": {"query": "{ __typename }"}})).await;
    assert_eq!(next(&mut socket).await["payload"], json!({"data": {"__typename": "Query"}}));
    assert_eq!(next(&mut socket).await, json!({"id": "a", "type": "complete"}));
    // A request error is the operation's `error`, and the connection stays.
    send(&mut socket, json!({"id": "c", "type": "subscribe", "payload": {"query": "{ nope }"}})).await;
    let error = next(&mut socket).await;
    assert_eq!((error["type"].as_str(), error["id"].as_str()), (Some("error"), Some("c")));
    assert_eq!(error["payload"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");
    send(&mut socket, json!({"id": "d", "type": "subscribe", "payload": {"query": "{ __typename }"}})).await;
    assert_eq!(next(&mut socket).await["type"], "next");
}

#[tokio::test]
async fn protocol_violations_close_with_the_protocol_codes() {
    let federation = Builder::new(Supergraph::Demo)
        .subgraph(
            Subgraph::Products,
            Run::Up(Options { delay: Some(Duration::from_millis(500)), ..Options::default() }),
        )
        .config(|c| {
            c.websocket.init_timeout_ms = 300;
            c.websocket.max_message_bytes = 64 * 1024;
        })
        .start()
        .await;
    let slow = json!({"query": "{ topProducts(first: 1) { upc } }"});

    let mut socket = connect(&federation).await;
    send(&mut socket, json!({"id": "1", "type": "subscribe", "payload": slow})).await;
    assert_eq!(closed_with(&mut socket).await, 4401, "subscribe before connection_init");

    let mut socket = connect(&federation).await;
    assert_eq!(closed_with(&mut socket).await, 4408, "no connection_init in time");

    let mut socket = connect(&federation).await;
    init(&mut socket, json!({})).await;
    send(&mut socket, json!({"type": "connection_init"})).await;
    assert_eq!(closed_with(&mut socket).await, 4429, "a second connection_init");

    let mut socket = connect(&federation).await;
    init(&mut socket, json!({})).await;
    send(&mut socket, json!({"id": "1", "type": "subscribe", "payload": slow})).await;
    send(&mut socket, json!({"id": "1", "type": "subscribe", "payload": slow})).await;
    assert_eq!(closed_with(&mut socket).await, 4409, "an id still running");

    for (case, frame) in [
        ("invalid JSON", Message::Text("{\"type\": ".into())),
        ("unknown type", Message::Text(r#"{"type": "start", "id": "1"}"#.into())),
        ("subscribe without payload", Message::Text(r#"{"type": "subscribe", "id": "1"}"#.into())),
        ("binary frame", Message::Binary(vec![1, 2, 3].into())),
    ] {
        let mut socket = connect(&federation).await;
        init(&mut socket, json!({})).await;
        socket.send(frame).await.unwrap();
        assert_eq!(closed_with(&mut socket).await, 4400, "{case}");
    }

    let mut socket = connect(&federation).await;
    init(&mut socket, json!({})).await;
    let huge = json!({"id": "1", "type": "subscribe", "payload": {"query": "x".repeat(10 << 20)}});
    let _ = socket.send(Message::Text(huge.to_string().into())).await;
    assert_eq!(closed_with(&mut socket).await, 1009, "a 10 MB frame");

    // A client without the subprotocol is refused at the handshake.
    let refused = open(&federation, None).await.expect_err("refused");
    let tokio_tungstenite::tungstenite::Error::Http(response) = refused else { panic!("{refused}") };
    assert_eq!(response.status(), 400);
    let refused = open(&federation, Some("graphql-ws")).await.expect_err("the legacy protocol is refused");
    assert!(matches!(refused, tokio_tungstenite::tungstenite::Error::Http(r) if r.status() == 400));

    // None of that touched a well-behaved connection.
    let mut socket = connect(&federation).await;
    init(&mut socket, json!({})).await;
    send(&mut socket, json!({"id": "1", "type": "subscribe", "payload": slow})).await;
    assert_eq!(next(&mut socket).await["payload"], json!({"data": {"topProducts": [{"upc": "1"}]}}));
}

#[tokio::test]
async fn the_token_is_checked_at_connection_init() {
    let federation = Builder::new(Supergraph::Demo).config(trust_test_tokens).start().await;
    for (case, payload) in [
        (
            "forged",
            json!({"Authorization": format!("Bearer {}", jwt::sign(jwt::OTHER_PRIVATE_PEM, jwt::claims("1", &[])))}),
        ),
        ("expired", json!({"token": jwt::expired("1", &[])})),
        ("not a token", json!({"authorization": "Bearer nope"})),
    ] {
        let mut socket = connect(&federation).await;
        send(&mut socket, json!({"type": "connection_init", "payload": payload})).await;
        assert_eq!(closed_with(&mut socket).await, 4403, "{case}");
    }
    let mut socket = connect(&federation).await;
    init(&mut socket, json!({"Authorization": format!("Bearer {}", jwt::token("1", &[]))})).await;
    send(&mut socket, json!({"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}})).await;
    assert_eq!(next(&mut socket).await["payload"], json!({"data": {"__typename": "Query"}}));

    // A token that expires in two seconds: the connection works until then, then closes 4403.
    let mut claims = jwt::claims("1", &[]);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    claims["exp"] = json!(now + 2);
    let mut socket = connect(&federation).await;
    init(&mut socket, json!({"token": jwt::sign(jwt::PRIVATE_PEM, claims)})).await;
    send(&mut socket, json!({"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}})).await;
    assert_eq!(next(&mut socket).await["type"], "next");
    assert_eq!(closed_with(&mut socket).await, 4403, "the token expired");
}

#[tokio::test]
async fn connections_beyond_the_cap_are_refused_with_retry_after() {
    let federation = Builder::new(Supergraph::Demo).config(|c| c.websocket.max_connections = 2).start().await;
    let mut first = connect(&federation).await;
    let _second = connect(&federation).await;
    let refused = open(&federation, Some("graphql-transport-ws")).await.expect_err("a third is refused");
    let tokio_tungstenite::tungstenite::Error::Http(response) = refused else { panic!("{refused}") };
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("5"));
    let body: Value = serde_json::from_slice(response.body().as_deref().unwrap_or_default()).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "TOO_MANY_CONNECTIONS");
    // A closed connection frees its place.
    init(&mut first, json!({})).await;
    first.close(None).await.unwrap();
    drop(first);
    let mut third = None;
    for _ in 0..50 {
        if let Ok(socket) = open(&federation, Some("graphql-transport-ws")).await {
            third = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut third = third.expect("a place frees up");
    init(&mut third, json!({})).await;
}

#[tokio::test]
async fn shutdown_closes_every_socket_with_going_away() {
    let federation = start(Supergraph::Demo).await;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        let mut socket = connect(&federation).await;
        init(&mut socket, json!({})).await;
        sockets.push(socket);
    }
    assert_eq!(federation.gateway.sockets.open(), 3);
    federation.gateway.sockets.close_all();
    for socket in &mut sockets {
        assert_eq!(closed_with(socket).await, 1001);
    }
    let refused = open(&federation, Some("graphql-transport-ws")).await.expect_err("no new socket while closing");
    assert!(matches!(refused, tokio_tungstenite::tungstenite::Error::Http(r) if r.status() == 503));
    for _ in 0..50 {
        if federation.gateway.sockets.open() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{} sockets still counted after closing", federation.gateway.sockets.open());
}

#[tokio::test]
async fn an_event_fed_subscription_is_refused_when_the_gateway_reads_no_events() {
    let sdl = std::fs::read_to_string(braid_testkit::repo_root().join("schema/supergraph.graphql")).unwrap();
    let federation = Builder::new(Supergraph::Demo).sdl(sdl).config(trust_test_tokens).start().await;
    let mut socket = connect(&federation).await;
    init(&mut socket, json!({"token": jwt::token("1", &[])})).await;
    let live = json!({"query": "subscription { orderUpdated(id: \"1\") { status } }"});
    send(&mut socket, json!({"id": "1", "type": "subscribe", "payload": live})).await;
    let error = next(&mut socket).await;
    assert_eq!((error["type"].as_str(), error["id"].as_str()), (Some("error"), Some("1")), "{error}");
    assert_eq!(error["payload"][0]["extensions"]["code"], "SUBSCRIPTION_UNAVAILABLE");
    // Without a token the field's @authenticated refuses it first.
    let mut anonymous = connect(&federation).await;
    init(&mut anonymous, json!({})).await;
    send(&mut anonymous, json!({"id": "1", "type": "subscribe", "payload": live})).await;
    assert_eq!(next(&mut anonymous).await["payload"][0]["extensions"]["code"], "UNAUTHENTICATED");
    // Over plain POST a subscription is refused with a code (streams: gateway/tests/streams.rs).
    let reply = federation.post(live.to_string(), &[("accept", "application/graphql-response+json")]).await;
    assert_eq!(reply.codes(), vec!["STREAMING_REQUIRED"]);
}

/// `reviewAdded` is served by the reviews subgraph itself (an async-graphql `Subscription` over
/// graphql-transport-ws); the gateway passes it through and resolves the rest of each event's
/// selection from products and inventory, as in a query.
const REVIEWS_LIVE: &str = "subscription ($n: Int!) { reviewAdded(count: $n, intervalMs: 30) { \
    id body author { username } product { upc name price shippingEstimate } } }";

#[tokio::test]
async fn a_subscription_a_subgraph_serves_is_passed_through_and_its_events_completed_by_the_others() {
    let federation = start(Supergraph::Demo).await;
    let mut socket = connect(&federation).await;
    init(&mut socket, json!({})).await;
    let payload = json!({"query": REVIEWS_LIVE, "variables": {"n": 3}});
    send(&mut socket, json!({"id": "r", "type": "subscribe", "payload": payload})).await;
    // Meanwhile, queries on the same socket run as usual.
    send(&mut socket, json!({"id": "q", "type": "subscribe", "payload": {"query": "{ me { username } }"}})).await;
    let mut events = Vec::new();
    loop {
        let message = next(&mut socket).await;
        if message["id"] == "r" {
            if message["type"] == "complete" {
                break;
            }
            assert_eq!(message["type"], "next", "{message}");
            events.push(message["payload"].clone());
        }
    }
    let review = |id: &str, body: &str, username: &str, upc: &str, name: &str, price: i64, shipping: i64| {
        json!({"data": {"reviewAdded": {
            "id": id, "body": body, "author": {"username": username},
            "product": {"upc": upc, "name": name, "price": price, "shippingEstimate": shipping}
        }}})
    };
    assert_eq!(
        events,
        vec![
            review("1", "Love it!", "@ada", "1", "Table", 899, 50),
            review("2", "Too expensive.", "@ada", "2", "Couch", 1299, 0),
            review("3", "Could be better.", "@complete", "3", "Chair", 54, 25),
        ]
    );
}

#[tokio::test]
async fn a_passed_through_subscription_whose_subgraph_fails_ends_with_its_error() {
    let federation = Builder::new(Supergraph::Demo).subgraph(Subgraph::Reviews, Run::Down).start().await;
    let mut socket = connect(&federation).await;
    init(&mut socket, json!({})).await;
    let payload = json!({"query": REVIEWS_LIVE, "variables": {"n": 1}});
    send(&mut socket, json!({"id": "r", "type": "subscribe", "payload": payload})).await;
    let error = next(&mut socket).await;
    assert_eq!((error["type"].as_str(), error["id"].as_str()), (Some("error"), Some("r")), "{error}");
    assert_eq!(error["payload"][0]["extensions"]["code"], "SUBGRAPH_REQUEST_FAILED");
    assert_eq!(error["payload"][0]["extensions"]["serviceName"], "reviews");
    // An error the subgraph raises in the field comes through as it sent it: a `next` with the
    // error (naming the subgraph), then `complete`.
    let federation = start(Supergraph::Demo).await;
    let mut socket = connect(&federation).await;
    init(&mut socket, json!({})).await;
    let negative = json!({"query": REVIEWS_LIVE, "variables": {"n": -1}});
    send(&mut socket, json!({"id": "r", "type": "subscribe", "payload": negative})).await;
    let event = next(&mut socket).await;
    assert_eq!(event["type"], "next", "{event}");
    assert_eq!(event["payload"]["data"], Value::Null, "{event}");
    assert_eq!(event["payload"]["errors"][0]["extensions"]["serviceName"], "reviews", "{event}");
    assert_eq!(event["payload"]["errors"][0]["path"], json!(["reviewAdded"]), "{event}");
    assert_eq!(next(&mut socket).await, json!({"id": "r", "type": "complete"}));
}

#[tokio::test]
async fn subscriptions_open_in_turns_and_keep_running_after_theirs() {
    // One turn to open: each subscription must give it back once open, or the second would
    // never open while the first runs.
    let federation = Builder::new(Supergraph::Demo).config(|c| c.subscriptions.max_opening = 1).start().await;
    let mut socket = connect(&federation).await;
    init(&mut socket, json!({})).await;
    let endless = json!({"query": REVIEWS_LIVE, "variables": {"n": 1000}});
    for id in ["a", "b", "c"] {
        send(&mut socket, json!({"id": id, "type": "subscribe", "payload": endless})).await;
    }
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 3 {
        let message = next(&mut socket).await;
        assert_eq!(message["type"], "next", "{message}");
        seen.insert(message["id"].as_str().unwrap().to_string());
    }
    // A completed id is free at once: subscribing again under it is no duplicate.
    send(&mut socket, json!({"id": "a", "type": "complete"})).await;
    send(&mut socket, json!({"id": "a", "type": "subscribe", "payload": {"query": "{ me { username } }"}})).await;
    // (Events of the first `a` sent before the server read `complete` may come first.)
    loop {
        let message = next(&mut socket).await;
        if message["id"] == "a" && message["payload"]["data"].get("reviewAdded").is_none() {
            assert_eq!(message["payload"]["data"]["me"]["username"], "@ada", "{message}");
            break;
        }
    }
}
