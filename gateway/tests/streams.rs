//! Subscriptions over HTTP streams at `/graphql`: GraphQL over Server-Sent Events and
//! multipart/mixed chosen by `Accept`, queries as one event, errors in the stream as the
//! graphql-sse protocol asks, the stream cap, and a subscription over plain POST refused with a
//! code. Events themselves are streamed in `tests/orders/live.rs`, on Kafka.

mod federation;

use std::time::Duration;

use braid_test_subgraphs::{Options, Subgraph, Supergraph};
use federation::{Builder, Federation, Run, start};
use serde_json::json;

const SSE: &str = "text/event-stream";
const MULTIPART: &str = "multipart/mixed;subscriptionSpec=\"1.0\", application/json";

/// A streamed answer read to its end: status, content type, `Retry-After` and the text.
async fn read(response: reqwest::Response) -> (u16, String, Option<String>, String) {
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (status, content_type, retry) = (response.status().as_u16(), header("content-type"), header("retry-after"));
    let text = tokio::time::timeout(Duration::from_secs(10), response.text()).await.expect("the stream ends").unwrap();
    (status, content_type.unwrap_or_default(), retry, text)
}

async fn post(
    federation: &Federation,
    accept: &str,
    body: serde_json::Value,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{}/graphql", federation.url))
        .header("accept", accept)
        .header("content-type", "application/json")
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_query_asked_for_as_sse_is_one_event_then_complete() {
    let federation = start(Supergraph::Demo).await;
    let query = json!({"query": "{ topProducts(first: 1) { upc name } }"});
    let (status, content_type, _, text) = read(post(&federation, SSE, query, &[]).await).await;
    assert_eq!((status, content_type.as_str()), (200, "text/event-stream; charset=utf-8"));
    assert_eq!(
        text,
        ":\n\nevent: next\ndata: {\"data\":{\"topProducts\":[{\"upc\":\"1\",\"name\":\"Table\"}]}}\n\nevent: complete\ndata: \n\n"
    );
    // The same over GET, as the browser's EventSource asks.
    let response = reqwest::Client::new()
        .get(format!("{}/graphql", federation.url))
        .query(&[("query", "{ me { username } }")])
        .header("accept", SSE)
        .send()
        .await
        .unwrap();
    let (_, _, _, text) = read(response).await;
    assert!(text.contains("data: {\"data\":{\"me\":{\"username\":\"@ada\"}}}\n\nevent: complete"), "{text}");
}

#[tokio::test]
async fn errors_before_execution_are_events_of_the_stream_over_sse_and_responses_over_multipart() {
    let sdl = std::fs::read_to_string(braid_testkit::repo_root().join("schema/supergraph.graphql")).unwrap();
    let federation = Builder::new(Supergraph::Demo).sdl(sdl).start().await;
    let first_error = |text: &str| -> serde_json::Value {
        let data = text.lines().find_map(|l| l.strip_prefix("data: {")).expect("an event with data");
        serde_json::from_str::<serde_json::Value>(&format!("{{{data}"))
            .unwrap()
            .pointer("/errors/0/extensions/code")
            .cloned()
            .unwrap_or_default()
    };
    for (case, body, headers, code) in [
        ("invalid", json!({"query": "{ nope }"}), vec![], "GRAPHQL_VALIDATION_FAILED"),
        (
            "no events read",
            json!({"query": "subscription { productChanged(ids: [\"1\"]) { name } }"}),
            vec![],
            "SUBSCRIPTION_UNAVAILABLE",
        ),
        ("bad resume id", json!({"query": "{ __typename }"}), vec![("last-event-id", "0:x")], "INVALID_LAST_EVENT_ID"),
    ] {
        let (status, _, _, text) = read(post(&federation, SSE, body, &headers).await).await;
        assert_eq!(status, 200, "{case}: the graphql-sse protocol reports these in the stream");
        assert_eq!(first_error(&text), code, "{case}: {text}");
        assert!(text.ends_with("event: complete\ndata: \n\n"), "{case}: {text}");
    }
    // multipart: refused before streaming, as an ordinary GraphQL response; a query is one.
    let live = json!({"query": "subscription { productChanged(ids: [\"1\"]) { name } }"});
    let (status, content_type, _, text) = read(post(&federation, MULTIPART, live, &[]).await).await;
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    // (200: the client also accepts application/json, whose legacy rules answer 200.)
    assert_eq!((status, &body["errors"][0]["extensions"]["code"]), (200, &json!("SUBSCRIPTION_UNAVAILABLE")));
    let (status, _, _, text) = read(post(&federation, MULTIPART, json!({"query": "{ __typename }"}), &[]).await).await;
    assert_eq!((status, text.as_str()), (200, r#"{"data":{"__typename":"Query"}}"#));
    // A subscription over plain POST: refused with a code, whatever the media type.
    for accept in ["application/graphql-response+json", "application/json"] {
        let reply = federation
            .post(
                json!({"query": "subscription { productChanged(ids: [\"1\"]) { name } }"}).to_string(),
                &[("accept", accept)],
            )
            .await;
        assert_eq!((reply.status, reply.codes()), (406, vec!["STREAMING_REQUIRED".to_string()]), "{accept}");
    }
}

#[tokio::test]
async fn streams_beyond_the_cap_are_refused_with_retry_after() {
    let slow = Run::Up(Options { delay: Some(Duration::from_millis(1_500)), ..Options::default() });
    let federation = Builder::new(Supergraph::Demo)
        .subgraph(Subgraph::Products, slow)
        .config(|c| c.streams.max_streams = 1)
        .start()
        .await;
    let query = json!({"query": "{ topProducts(first: 1) { upc } }"});
    let held = tokio::spawn({
        let url = federation.url.clone();
        let query = query.clone();
        async move {
            let response = reqwest::Client::new()
                .post(format!("{url}/graphql"))
                .header("accept", SSE)
                .header("content-type", "application/json")
                .body(query.to_string())
                .send()
                .await
                .unwrap();
            read(response).await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, _, retry, text) = read(post(&federation, SSE, query.clone(), &[]).await).await;
    assert_eq!((status, retry.as_deref()), (503, Some("5")), "{text}");
    assert!(text.contains("TOO_MANY_CONNECTIONS"), "{text}");
    let (status, _, _, text) = held.await.unwrap();
    assert_eq!(status, 200);
    assert!(text.contains("{\"data\":{\"topProducts\":[{\"upc\":\"1\"}]}}"), "{text}");
    // Its place is free again.
    let (status, _, _, _) = read(post(&federation, SSE, query, &[]).await).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_subscription_a_subgraph_serves_streams_over_sse_and_multipart() {
    let federation = start(Supergraph::Demo).await;
    let live = json!({
        "query": "subscription { reviewAdded(count: 2, intervalMs: 30) { body product { name shippingEstimate } } }"
    });
    let (status, content_type, _, text) = read(post(&federation, SSE, live.clone(), &[]).await).await;
    assert_eq!((status, content_type.starts_with(SSE)), (200, true));
    let first = r#"{"data":{"reviewAdded":{"body":"Love it!","product":{"name":"Table","shippingEstimate":50}}}}"#;
    let second =
        r#"{"data":{"reviewAdded":{"body":"Too expensive.","product":{"name":"Couch","shippingEstimate":0}}}}"#;
    let events: Vec<&str> = text.split("\n\n").filter(|e| e.starts_with("event:")).collect();
    // No `id:`: a subgraph's events have no position to resume from.
    assert_eq!(
        events,
        vec![
            format!("event: next\ndata: {first}").as_str(),
            format!("event: next\ndata: {second}").as_str(),
            "event: complete\ndata: "
        ],
        "{text}"
    );
    let (status, _, _, text) = read(post(&federation, MULTIPART, live, &[]).await).await;
    assert_eq!(status, 200);
    assert!(text.contains(&format!(r#"{{"payload":{first}}}"#)), "{text}");
    assert!(text.contains(&format!(r#"{{"payload":{second}}}"#)), "{text}");
    assert!(text.ends_with("--\r\n"), "{text}");
}
