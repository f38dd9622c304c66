//! The gateway's HTTP edge: GraphQL over HTTP status codes and media types, hostile and
//! malformed input, persisted queries, hot reload, GraphiQL and metrics.

mod federation;

use std::time::Duration;

use braid_gateway::config::PersistedMode;
use braid_test_subgraphs::Supergraph;
use federation::{Builder, start};
use serde_json::json;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

#[tokio::test]
async fn accept_header_chooses_media_type_and_status() {
    let federation = start(Supergraph::Demo).await;
    let body = json!({"query": "{ topProducts(first: 1) { name } }"}).to_string();
    let reply = federation.post(body.clone(), &[("accept", GRAPHQL_RESPONSE)]).await;
    assert_eq!((reply.status, reply.content_type.as_str()), (200, "application/graphql-response+json; charset=utf-8"));
    let reply = federation.post(body.clone(), &[]).await;
    assert_eq!((reply.status, reply.content_type.as_str()), (200, "application/json; charset=utf-8"));
    let reply = federation.post(body, &[("accept", "text/html")]).await;
    assert_eq!(reply.status, 406);
    // A document error: 400 with the GraphQL media type, 200 with plain JSON; never `data`.
    let bad = json!({"query": "{ topProducts { nope } }"}).to_string();
    let reply = federation.post(bad.clone(), &[("accept", GRAPHQL_RESPONSE)]).await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.get("data").is_none());
    let reply = federation.post(bad, &[("accept", "application/json")]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.codes(), vec!["GRAPHQL_VALIDATION_FAILED"]);
}

#[tokio::test]
async fn get_serves_queries_with_variables_and_refuses_mutations() {
    let federation = start(Supergraph::Demo).await;
    let reply = federation
        .get(&[("query", "query ($n: Int) { topProducts(first: $n) { upc } }"), ("variables", r#"{"n": 2}"#)], &[])
        .await;
    assert_eq!(reply.body, json!({"data": {"topProducts": [{"upc": "1"}, {"upc": "2"}]}}));
    // The catalog supergraph has mutations; GET refuses them before anything runs.
    let catalog = Builder::new(Supergraph::Demo)
        .sdl(std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/supergraph.graphql")).unwrap())
        .start()
        .await;
    let mutation = r#"mutation { deleteProduct(id: "00000000-0000-0000-0000-000000000000") }"#;
    let reply = catalog.get(&[("query", mutation)], &[("accept", GRAPHQL_RESPONSE)]).await;
    assert_eq!(reply.status, 405, "{reply:?}");
    assert_eq!(reply.codes(), vec!["METHOD_NOT_ALLOWED"]);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_the_gateway_keeps_serving() {
    let federation = start(Supergraph::Demo).await;
    let accept = [("accept", GRAPHQL_RESPONSE)];
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("malformed JSON", "{\"query\": ".into(), 400, "BAD_REQUEST"),
        ("not an object", "[1, 2]".into(), 400, "BAD_REQUEST"),
        ("query not a string", json!({"query": 7}).to_string(), 400, "BAD_REQUEST"),
        ("no query", json!({"variables": {}}).to_string(), 400, "BAD_REQUEST"),
        ("parse error", json!({"query": "{ topProducts { "}).to_string(), 400, "GRAPHQL_PARSE_FAILED"),
        (
            "unknown operation name",
            json!({"query": "query A { __typename }", "operationName": "B"}).to_string(),
            400,
            "OPERATION_NOT_FOUND",
        ),
        (
            "wrong variable type",
            json!({"query": "query ($n: Int) { topProducts(first: $n) { upc } }", "variables": {"n": "three"}})
                .to_string(),
            400,
            "BAD_USER_INPUT",
        ),
        (
            "missing required variable",
            json!({"query": "query ($id: ID!) { user(id: $id) { name } }"}).to_string(),
            400,
            "BAD_USER_INPUT",
        ),
        (
            "depth 1,000",
            json!({"query": format!("{{ {}upc{} }}", "topProducts { reviews { product { ".repeat(333), " } } }".repeat(333))})
                .to_string(),
            400,
            "MAX_DEPTH_EXCEEDED",
        ),
        (
            "10,000 aliases",
            json!({"query": format!("{{ {} }}", (0..10_000).map(|i| format!("a{i}: __typename")).collect::<Vec<_>>().join(" "))})
                .to_string(),
            400,
            "MAX_TOKENS_EXCEEDED",
        ),
        (
            "500 aliases",
            json!({"query": format!("{{ topProducts {{ {} }} }}", (0..500).map(|i| format!("a{i}: upc")).collect::<Vec<_>>().join(" "))})
                .to_string(),
            400,
            "MAX_ALIASES_EXCEEDED",
        ),
        (
            "too many root fields",
            json!({"query": format!("{{ {} }}", "topProducts { upc } ".repeat(100))}).to_string(),
            400,
            "MAX_ROOT_FIELDS_EXCEEDED",
        ),
        ("10 MB body", format!("{{\"query\": \"{{ __typename }}\", \"pad\": \"{}\"}}", "x".repeat(10 << 20)), 413, "PAYLOAD_TOO_LARGE"),
    ];
    for (name, body, status, code) in cases {
        let reply = federation.post(body, &accept).await;
        assert_eq!(reply.status, status, "{name}: {reply:?}");
        assert_eq!(reply.codes().first().map(String::as_str), Some(code), "{name}: {reply:?}");
        assert!(reply.body.get("data").is_none(), "{name}");
    }
    let reply = federation.post("{}", &[("content-type", "text/plain")]).await;
    assert_eq!(reply.status, 415);
    // Still serving.
    assert_eq!(federation.data("{ topProducts(first: 1) { upc } }").await, json!({"topProducts": [{"upc": "1"}]}));
}

#[tokio::test]
async fn automatic_persisted_queries() {
    let federation = start(Supergraph::Demo).await;
    let query = "{ topProducts(first: 1) { name } }";
    let hash = braid_gateway::persisted::sha256_hex(query);
    let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
    let by_hash = json!({"extensions": extensions}).to_string();
    let reply = federation.post(by_hash.clone(), &[]).await;
    assert_eq!(reply.codes(), vec!["PERSISTED_QUERY_NOT_FOUND"]);
    let register = json!({"query": query, "extensions": extensions}).to_string();
    assert_eq!(federation.post(register, &[]).await.body["data"], json!({"topProducts": [{"name": "Table"}]}));
    assert_eq!(federation.post(by_hash, &[]).await.body["data"], json!({"topProducts": [{"name": "Table"}]}));
    let wrong = json!({"query": "{ __typename }", "extensions": extensions}).to_string();
    assert_eq!(federation.post(wrong, &[]).await.codes(), vec!["PERSISTED_QUERY_HASH_MISMATCH"]);
}

#[tokio::test]
async fn allowlist_serves_registered_operations_only() {
    let dir = std::env::temp_dir().join(format!("braid-allowlist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("operations.json");
    let allowed = "{ topProducts(first: 1) { upc } }";
    std::fs::write(&path, json!([allowed]).to_string()).unwrap();
    let federation = Builder::new(Supergraph::Demo)
        .config(|c| {
            c.persisted.mode = PersistedMode::Allowlist;
            c.persisted.allowlist_path = Some(path.clone());
        })
        .start()
        .await;
    assert_eq!(federation.data(allowed).await, json!({"topProducts": [{"upc": "1"}]}));
    let hash = braid_gateway::persisted::sha256_hex(allowed);
    let by_hash = json!({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}}).to_string();
    assert_eq!(federation.post(by_hash, &[]).await.body["data"], json!({"topProducts": [{"upc": "1"}]}));
    let reply = federation.query("{ topProducts { name } }", json!(null)).await;
    assert_eq!((reply.status, reply.codes()), (403, vec!["OPERATION_NOT_ALLOWED".to_string()]));
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn hot_reload_swaps_valid_schemas_and_keeps_the_old_one_on_a_broken_file() {
    let dir = std::env::temp_dir().join(format!("braid-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("supergraph.graphql");
    let demo = Supergraph::Demo.sdl().to_string();
    // Start on a supergraph without `User.birthDate`.
    let without_field = demo.replace("  birthDate: String @join__field(graph: ACCOUNTS)\n", "");
    assert_ne!(without_field, demo, "the fixture edit must apply");
    std::fs::write(&path, &without_field).unwrap();
    let federation = Builder::new(Supergraph::Demo).sdl(without_field.clone()).start().await;
    let watcher =
        tokio::spawn(braid_gateway::reload::watch(federation.gateway.clone(), path.clone(), std::future::pending()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let weight = r#"{ user(id: "1") { birthDate } }"#;
    assert_eq!(federation.query(weight, json!(null)).await.codes(), vec!["GRAPHQL_VALIDATION_FAILED"]);

    // A broken file is refused: the old schema keeps serving.
    std::fs::write(&path, "type Query { this is not a supergraph").unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(federation.data("{ topProducts(first: 1) { upc } }").await, json!({"topProducts": [{"upc": "1"}]}));

    // A valid new file is picked up (with the test's subgraph URLs still applied from config).
    std::fs::write(&path, &demo).unwrap();
    let mut reloaded = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if federation.query(weight, json!(null)).await.status == 200 {
            reloaded = true;
            break;
        }
    }
    assert!(reloaded, "the new supergraph was not loaded");
    assert!(federation.data(weight).await["user"]["birthDate"].is_string());
    watcher.abort();
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn graphiql_is_served_from_the_gateway_itself() {
    let federation = start(Supergraph::Demo).await;
    let (status, html) = federation.get_text("/graphiql").await;
    assert_eq!(status, 200);
    assert!(html.contains("/graphiql/graphiql.js") && html.contains("/graphiql/graphiql.css"));
    assert!(!html.contains("https://") && !html.contains("http://"), "the page must not load anything remote");
    let (status, js) = federation.get_text("/graphiql/graphiql.js").await;
    assert_eq!(status, 200);
    assert!(js.len() > 100_000);
}

#[tokio::test]
async fn probes_and_metrics() {
    let federation = start(Supergraph::Demo).await;
    assert_eq!(federation.get_text("/health").await.0, 200);
    assert_eq!(federation.get_text("/ready").await.0, 200);
    federation.data("query TopOne { topProducts(first: 1) { upc } }").await;
    federation.data("query TopOne { topProducts(first: 1) { upc } }").await;
    let (status, metrics) = federation.get_text("/metrics").await;
    assert_eq!(status, 200);
    for needle in [
        "braid_gateway_request_seconds",
        "operation=\"TopOne\"",
        "braid_gateway_subgraph_fetch_seconds",
        "braid_gateway_plan_cache_total{result=\"hit\"}",
        "braid_gateway_plan_cache_total{result=\"miss\"}",
    ] {
        assert!(metrics.contains(needle), "{needle} missing from /metrics");
    }
    // Once shutdown begins, neither probe counts this instance as serving.
    federation.gateway.close_connections();
    assert_eq!(federation.get_text("/health").await, (503, r#"{"status":"stopping"}"#.to_string()));
    assert_eq!(federation.get_text("/ready").await.0, 503);
}

#[tokio::test]
async fn identical_concurrent_requests_are_executed_once() {
    // Many identical concurrent requests against a slow subgraph: with client-request
    // deduplication on, they all get the right answer.
    let slow = braid_test_subgraphs::Options { delay: Some(Duration::from_millis(100)), ..Default::default() };
    let federation = Builder::new(Supergraph::Demo)
        .subgraph(braid_test_subgraphs::Subgraph::Products, federation::Run::Up(slow))
        .config(|c| c.traffic.dedupe_client_requests = true)
        .start()
        .await;
    let federation = std::sync::Arc::new(federation);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let federation = federation.clone();
        tasks.push(tokio::spawn(async move { federation.data("{ topProducts(first: 2) { upc } }").await }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), json!({"topProducts": [{"upc": "1"}, {"upc": "2"}]}));
    }
    // Only this test turns deduplication on in this process, so the counter is its own.
    let (_, metrics) = federation.get_text("/metrics").await;
    let joined: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("braid_gateway_requests_deduplicated_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(joined >= 10.0, "only {joined} of 19 requests joined one in flight");
}

#[tokio::test]
async fn graphql_http_audit_passes_every_must() {
    let federation = start(Supergraph::Demo).await;
    let url = format!("{}/graphql", federation.url);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/audit/run.sh");
    let output = tokio::process::Command::new(script).arg(&url).output().await.expect("node and npm are installed");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "graphql-http audit failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
}

#[tokio::test]
async fn authorization_configured_headers_and_traceparent_reach_subgraphs() {
    let federation = Builder::new(Supergraph::Demo)
        .subgraph(braid_test_subgraphs::Subgraph::Accounts, federation::Run::Recorded(Default::default()))
        .config(|c| c.headers.propagate = vec!["X-Tenant".into()])
        .start()
        .await;
    let body = json!({"query": "{ users { id } }"}).to_string();
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let traceparent = format!("00-{trace}-00f067aa0ba902b7-01");
    let headers = [
        ("authorization", "Bearer abc"),
        ("x-tenant", "acme"),
        ("x-secret", "do not forward"),
        ("traceparent", traceparent.as_str()),
    ];
    assert_eq!(federation.post(body, &headers).await.status, 200);
    let recorded = federation.recorded.lock().unwrap().clone();
    let seen = &recorded[0];
    assert_eq!(seen.get("authorization").unwrap(), "Bearer abc");
    assert_eq!(seen.get("x-tenant").unwrap(), "acme");
    assert!(seen.get("x-secret").is_none());
    let sent = seen.get("traceparent").unwrap().to_str().unwrap();
    assert!(sent.starts_with(&format!("00-{trace}-")) && sent.ends_with("-01"), "{sent}");
    assert!(!sent.contains("00f067aa0ba902b7"), "the gateway's span must be a new one: {sent}");

    // With `forward_authorization` off the token stays at the gateway; a name listed twice is
    // sent once, with every value the client sent.
    let federation = Builder::new(Supergraph::Demo)
        .subgraph(braid_test_subgraphs::Subgraph::Accounts, federation::Run::Recorded(Default::default()))
        .config(|c| {
            c.headers.forward_authorization = false;
            c.headers.propagate = vec!["X-Tenant".into(), "x-tenant".into()];
        })
        .start()
        .await;
    let body = json!({"query": "{ users { id } }"}).to_string();
    let headers = [("authorization", "Bearer abc"), ("x-tenant", "acme"), ("x-tenant", "umbrella")];
    assert_eq!(federation.post(body, &headers).await.status, 200);
    let recorded = federation.recorded.lock().unwrap().clone();
    assert!(recorded[0].get("authorization").is_none(), "{:?}", recorded[0]);
    assert_eq!(recorded[0].get_all("x-tenant").iter().collect::<Vec<_>>(), ["acme", "umbrella"]);
}

#[tokio::test]
async fn planning_time_is_limited() {
    let federation = Builder::new(Supergraph::Demo).config(|c| c.limits.max_planning_ms = 0).start().await;
    let reply = federation.query("{ topProducts { name reviews { author { name } } } }", json!(null)).await;
    assert_eq!((reply.status, reply.codes()), (400, vec!["PLANNING_TIMEOUT".to_string()]), "{reply:?}");
    // Operations that need no plan still run.
    assert_eq!(federation.data("{ __typename }").await, json!({"__typename": "Query"}));
}
