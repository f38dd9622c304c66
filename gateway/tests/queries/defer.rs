//! `@defer`: validated like any directive; answered incrementally (multipart, in both formats
//! clients ask for) to a client that asks so, the deferred fields of a slow subgraph after the
//! rest; answered in one complete response with the deferred data in place to any other. No
//! subgraph sees the directive.

use braid_test_subgraphs::Supergraph;
use serde_json::json;

use crate::federation::start;

/// Apollo Client's `Accept` for operations with `@defer`.
const APOLLO_ACCEPT: &str = "multipart/mixed;deferSpec=20220824,application/json";

#[tokio::test]
async fn deferred_fragments_are_answered_in_place_in_one_response() {
    let federation = start(Supergraph::Demo).await;
    let plain = "{ topProducts(first: 3) { upc name inStock shippingEstimate reviews { body author { username } } } }";
    let expected = federation.data(plain).await;
    assert_eq!(expected["topProducts"][0]["reviews"][1]["author"]["username"], "@complete");
    for query in [
        "{ topProducts(first: 3) { upc name ... @defer { inStock shippingEstimate } \
         reviews { body ... @defer(label: \"who\") { author { username } } } } }",
        "query ($d: Boolean!) { topProducts(first: 3) { upc name ...Stock @defer(if: $d) \
         reviews { body author { username } } } } fragment Stock on Product { inStock shippingEstimate }",
        "query ($d: Boolean!) { topProducts(first: 3) { upc name ... on Product @defer(if: false) { inStock } \
         ... @include(if: $d) @defer { shippingEstimate } reviews { body author { username } } } }",
    ] {
        for accept in ["application/graphql-response+json", "application/json"] {
            let body = json!({"query": query, "variables": {"d": true}});
            let reply = federation.post(body.to_string(), &[("accept", accept)]).await;
            assert_eq!(reply.status, 200, "{query}: {reply:?}");
            assert!(reply.body.get("errors").is_none(), "{query}: {reply:?}");
            assert_eq!(reply.body["data"], expected, "{query} with {accept}");
        }
    }
}

#[tokio::test]
async fn defer_is_validated_like_any_directive() {
    let federation = start(Supergraph::Demo).await;
    for query in [
        "{ topProducts { upc ... @defer(if: \"yes\") { name } } }",
        "{ topProducts { upc name @defer } }",
        "{ topProducts { upc ... @defer(label: 3) { name } } }",
    ] {
        let reply = federation.query(query, json!(null)).await;
        assert_eq!(reply.status, 400, "{query}: {reply:?}");
        assert_eq!(reply.codes(), ["GRAPHQL_VALIDATION_FAILED"], "{query}");
    }
    let data = federation.data("{ __schema { directives { name locations } } }").await;
    let defer = data["__schema"]["directives"].as_array().unwrap().iter().find(|d| d["name"] == "defer").cloned();
    assert_eq!(defer, Some(json!({"name": "defer", "locations": ["FRAGMENT_SPREAD", "INLINE_FRAGMENT"]})));
}

/// The parts of a multipart/mixed answer with boundary `-`, each with when it arrived.
async fn parts(mut response: reqwest::Response) -> Vec<(std::time::Duration, serde_json::Value)> {
    let started = std::time::Instant::now();
    let (mut buffer, mut parts) = (String::new(), Vec::new());
    while let Some(chunk) = response.chunk().await.unwrap() {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        // A part is complete once the next boundary (or the closing one) follows it.
        while let Some(start) = buffer.find("\r\n---\r\n") {
            let rest = &buffer[start + 7..];
            let Some(end) = rest.find("\r\n---") else { break };
            let json = rest[..end].split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
            parts.push((started.elapsed(), serde_json::from_str(&json).unwrap()));
            buffer.drain(..start + 7 + end);
        }
    }
    parts
}

/// Places `data` at `path` in `into`, merging objects.
fn place(into: &mut serde_json::Value, path: &serde_json::Value, data: &serde_json::Value) {
    let mut target = into;
    for step in path.as_array().unwrap() {
        target = match step {
            serde_json::Value::Number(n) => &mut target[n.as_u64().unwrap() as usize],
            other => &mut target[other.as_str().unwrap()],
        };
    }
    for (key, value) in data.as_object().unwrap() {
        match target.get_mut(key) {
            Some(existing) if existing.is_object() => place(existing, &json!([]), value),
            _ => target[key] = value.clone(),
        }
    }
}

#[tokio::test]
async fn incremental_delivery_sends_the_rest_before_a_slow_deferred_field_in_both_formats() {
    use braid_test_subgraphs::{Options, Subgraph};
    let slow = Options { delay: Some(std::time::Duration::from_millis(1_500)), ..Options::default() };
    let federation = crate::federation::Builder::new(Supergraph::Demo)
        .subgraph(Subgraph::Inventory, crate::federation::Run::Up(slow))
        .start()
        .await;
    let plain = "{ topProducts(first: 3) { upc name inStock shippingEstimate reviews { body author { username } } } }";
    let expected = federation.data(plain).await;
    let deferred = "{ topProducts(first: 3) { upc name ... @defer(label: \"stock\") { inStock shippingEstimate } \
                    reviews { body ... @defer { author { username } } } } }";
    for accept in [APOLLO_ACCEPT, "multipart/mixed;incrementalSpec=v0.2"] {
        let response = reqwest::Client::new()
            .post(format!("{}/graphql", federation.url))
            .header("accept", accept)
            .json(&json!({ "query": deferred }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with("multipart/mixed; boundary=\"-\""), "{content_type}");
        let parts = parts(response).await;
        let (at, initial) = &parts[0];
        assert!(*at < std::time::Duration::from_millis(1_000), "{accept}: the initial payload took {at:?}");
        assert_eq!(initial["hasNext"], true);
        assert_eq!(
            initial["data"]["topProducts"][0],
            json!({"upc": "1", "name": "Table", "reviews": [{"body": "Love it!"}, {"body": "Prefer something else."}]})
        );
        let (last_at, last) = parts.last().unwrap();
        assert!(*last_at >= std::time::Duration::from_millis(1_400), "{accept}: the stock came after {last_at:?}");
        assert_eq!(last["hasNext"], false);
        // Every payload placed where it says completes the data a plain query answers.
        let mut data = initial["data"].clone();
        let mut pending = std::collections::HashMap::new();
        for (_, payload) in &parts {
            for record in payload["pending"].as_array().into_iter().flatten() {
                pending.insert(record["id"].as_str().unwrap().to_string(), record["path"].clone());
            }
            for item in payload["incremental"].as_array().into_iter().flatten() {
                assert!(item.get("errors").is_none(), "{item}");
                let path = match item.get("id") {
                    Some(id) => pending[id.as_str().unwrap()].clone(),
                    None => item["path"].clone(),
                };
                place(&mut data, &path, &item["data"]);
            }
        }
        assert_eq!(data, expected, "{accept}");
        if accept == APOLLO_ACCEPT {
            let labels: Vec<_> = parts
                .iter()
                .flat_map(|(_, p)| p["incremental"].as_array().cloned().unwrap_or_default())
                .filter_map(|i| i.get("label").cloned())
                .collect();
            assert_eq!(labels.len(), 3, "each product's stock is labelled: {labels:?}");
        }
    }
}

#[tokio::test]
async fn an_operation_deferring_more_than_the_limit_is_refused_with_a_code() {
    let federation =
        crate::federation::Builder::new(Supergraph::Demo).config(|c| c.limits.max_defers = 1).start().await;
    let query = "{ topProducts { upc ... @defer { name } ... @defer { price } } }";
    let reply = federation.post(json!({ "query": query }).to_string(), &[("accept", APOLLO_ACCEPT)]).await;
    // Answered as application/json, where a refused operation is a 200 with errors.
    assert_eq!((reply.status, reply.content_type.as_str()), (200, "application/json; charset=utf-8"), "{reply:?}");
    assert_eq!(reply.codes(), ["MAX_DEFERS_EXCEEDED"]);
    // One deferred fragment is within the limit; without incremental delivery there is no limit.
    let one = "{ topProducts(first: 1) { upc ... @defer { name } } }";
    let reply = federation.post(json!({ "query": one }).to_string(), &[("accept", APOLLO_ACCEPT)]).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(federation.data(query).await["topProducts"][0], json!({"upc": "1", "name": "Table", "price": 899}));
}

/// Merges the payloads of one deferred query (`deferSpec=20220824`) into its data.
fn merged(payloads: &[serde_json::Value]) -> serde_json::Value {
    let mut data = payloads[0]["data"].clone();
    for payload in &payloads[1..] {
        for item in payload["incremental"].as_array().into_iter().flatten() {
            place(&mut data, &item["path"], &item["data"]);
        }
    }
    data
}

const DEFERRED: &str = "{ topProducts(first: 3) { upc name ... @defer { inStock shippingEstimate } \
                        reviews { body ... @defer { author { username } } } } }";
const PLAIN: &str =
    "{ topProducts(first: 3) { upc name inStock shippingEstimate reviews { body author { username } } } }";

#[tokio::test]
async fn over_sse_and_the_websocket_each_payload_is_its_own_next() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let federation = start(Supergraph::Demo).await;
    let expected = federation.data(PLAIN).await;
    // SSE (graphql-sse): `next` events, then `complete`.
    let mut response = reqwest::Client::new()
        .post(format!("{}/graphql", federation.url))
        .header("accept", "text/event-stream")
        .json(&json!({ "query": DEFERRED }))
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        text.push_str(&String::from_utf8_lossy(&chunk));
        if text.contains("event: complete") {
            break;
        }
    }
    let payloads: Vec<serde_json::Value> = text
        .split("\n\n")
        .filter(|event| event.starts_with("event: next"))
        .map(|event| serde_json::from_str(event.lines().find_map(|l| l.strip_prefix("data: ")).unwrap()).unwrap())
        .collect();
    assert!(payloads.len() >= 2, "{text}");
    assert_eq!(payloads[0]["hasNext"], true);
    assert_eq!(payloads.last().unwrap()["hasNext"], false);
    assert_eq!(merged(&payloads), expected);
    // graphql-transport-ws: `next` messages, then `complete`.
    let url = format!("{}/graphql", federation.url.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |value: serde_json::Value| Message::Text(value.to_string().into());
    socket.send(send(json!({"type": "connection_init"}))).await.unwrap();
    socket.send(send(json!({"type": "subscribe", "id": "1", "payload": {"query": DEFERRED}}))).await.unwrap();
    let mut payloads = Vec::new();
    while let Some(Ok(frame)) = socket.next().await {
        let Message::Text(text) = frame else { continue };
        let message: serde_json::Value = serde_json::from_str(&text).unwrap();
        match message["type"].as_str() {
            Some("next") => payloads.push(message["payload"].clone()),
            Some("complete") => break,
            Some("connection_ack" | "ping") => {}
            _ => panic!("unexpected {message}"),
        }
    }
    assert!(payloads.len() >= 2, "{payloads:?}");
    assert_eq!(payloads.last().unwrap()["hasNext"], false);
    assert_eq!(merged(&payloads), expected);
}
