//! Identical subgraph fetches in flight at once: sent once when deduplication is on (the
//! default), each on its own when it is off, and never shared between requests whose
//! propagated headers differ.

use std::sync::Arc;
use std::time::Duration;

use braid_gateway::GatewayConfig;
use braid_test_subgraphs::{Options, Subgraph, Supergraph};
use serde_json::{Value, json};

use crate::federation::{Builder, Federation, Run};

/// The demo supergraph with accounts answering after 100 ms, behind a recording proxy.
async fn slow_accounts(edit: impl FnOnce(&mut GatewayConfig)) -> Arc<Federation> {
    let slow = Options { delay: Some(Duration::from_millis(100)), ..Default::default() };
    Arc::new(
        Builder::new(Supergraph::Demo).subgraph(Subgraph::Accounts, Run::Recorded(slow)).config(edit).start().await,
    )
}

/// Sends every query at once, each as the user named beside it (`x-user`); their data in order.
async fn at_once(federation: &Arc<Federation>, queries: Vec<(&'static str, &'static str)>) -> Vec<Value> {
    let tasks: Vec<_> = queries
        .into_iter()
        .map(|(query, user)| {
            let federation = federation.clone();
            tokio::spawn(async move {
                let body = json!({"query": query}).to_string();
                let reply =
                    federation.post(body, &[("accept", "application/graphql-response+json"), ("x-user", user)]).await;
                assert_eq!(reply.status, 200, "{reply:?}");
                reply.body["data"].clone()
            })
        })
        .collect();
    let mut data = Vec::new();
    for task in tasks {
        data.push(task.await.unwrap());
    }
    data
}

fn sent_to_accounts(federation: &Federation) -> usize {
    federation.requests.lock().unwrap().iter().filter(|(name, _)| *name == "accounts").count()
}

/// The process's count of fetches to accounts that joined one in flight.
async fn joined(federation: &Federation) -> u64 {
    let metrics = federation.get_text("/metrics").await.1;
    braid_testkit::metrics::sum(&metrics, "braid_gateway_subgraph_deduplicated_total{subgraph=\"accounts\"}")
}

#[tokio::test]
async fn identical_concurrent_subgraph_fetches_are_sent_once() {
    let federation = slow_accounts(|_| {}).await;
    let before = joined(&federation).await;
    // Each request carries its own traceparent; the fetches are still identical.
    let data = at_once(&federation, vec![("{ users { id name } }", "1"); 20]).await;
    assert!(data.iter().all(|d| d["users"][0] == json!({"id": "1", "name": "Ada Lovelace"})), "{data:?}");
    let sent = sent_to_accounts(&federation);
    assert!(sent <= 10, "{sent} of 20 identical fetches sent");
    assert!(joined(&federation).await - before >= 10, "the joins are counted");
}

#[tokio::test]
async fn with_deduplication_off_every_fetch_is_sent() {
    let federation = slow_accounts(|config| config.traffic.dedupe_subgraph_requests = false).await;
    let data = at_once(&federation, vec![("{ users { id name } }", "1"); 20]).await;
    assert!(data.iter().all(|d| d["users"][0] == json!({"id": "1", "name": "Ada Lovelace"})), "{data:?}");
    assert_eq!(sent_to_accounts(&federation), 20);
}

#[tokio::test]
async fn fetches_with_other_propagated_headers_are_not_shared() {
    let federation = slow_accounts(|config| config.headers.propagate = vec!["x-user".into()]).await;
    let queries = (0..20).map(|i| ("{ me { name } }", if i % 2 == 0 { "1" } else { "2" })).collect();
    let data = at_once(&federation, queries).await;
    for (i, data) in data.iter().enumerate() {
        let name = if i % 2 == 0 { "Ada Lovelace" } else { "Alan Turing" };
        assert_eq!(data, &json!({"me": {"name": name}}), "request {i}");
    }
    assert!(sent_to_accounts(&federation) >= 2);
}
