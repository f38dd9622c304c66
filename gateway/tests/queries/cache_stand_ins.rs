//! What the entity cache keeps, shown with stand-in subgraphs that answer as no demo subgraph
//! does: a root answer that carries errors is never kept, and an entity answer marked private
//! is kept per viewer from its first fetch on, never served to another.

use std::sync::atomic::Ordering;

use braid_gateway::config::EntityCacheBackend;
use braid_test_subgraphs::{Subgraph, Supergraph};
use serde_json::{Value, json};

use crate::federation::{Builder, Run, stand_in};

fn cached(config: &mut braid_gateway::GatewayConfig) {
    crate::entity_cache::cached(config, EntityCacheBackend::Memory);
}

#[tokio::test]
async fn a_root_answer_with_errors_is_fetched_again_and_a_whole_one_is_kept() {
    let (products, asked) =
        stand_in("max-age=60", |_, body| match body["query"].as_str().unwrap_or_default().contains("partial") {
            true => json!({"data": {"product": {"upc": "partial"}}, "errors": [{"message": "price unavailable"}]}),
            false => json!({"data": {"product": {"upc": "1"}}}),
        });
    let federation =
        Builder::new(Supergraph::Demo).subgraph(Subgraph::Products, Run::Router(products)).config(cached).start().await;
    for _ in 0..2 {
        assert_eq!(federation.data(r#"{ product(upc: "1") { upc } }"#).await, json!({"product": {"upc": "1"}}));
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1, "a whole answer is kept");
    for _ in 0..2 {
        let reply = federation.query(r#"{ product(upc: "partial") { upc } }"#, json!(null)).await;
        assert_eq!(reply.body["data"], json!({"product": {"upc": "partial"}}), "{reply:?}");
        assert_eq!(reply.body["errors"][0]["message"], "price unavailable");
    }
    assert_eq!(asked.load(Ordering::SeqCst), 3, "an answer with errors is asked for each time");
}

#[tokio::test]
async fn a_private_entity_answer_is_kept_per_viewer_from_the_first_fetch() {
    // Each user's name says which viewer it was made for.
    let (accounts, asked) = stand_in("private, max-age=60", |headers, body| {
        let viewer = headers.get("x-user").and_then(|v| v.to_str().ok()).unwrap_or("nobody");
        let representations = body["variables"]["representations"].as_array().cloned().unwrap_or_default();
        let users: Vec<Value> = representations
            .iter()
            .map(|rep| json!({"__typename": "User", "name": format!("{} for {viewer}", rep["id"].as_str().unwrap_or("?"))}))
            .collect();
        json!({"data": {"_entities": users}})
    });
    let federation =
        Builder::new(Supergraph::Demo).subgraph(Subgraph::Accounts, Run::Router(accounts)).config(cached).start().await;
    let query = json!({"query": r#"{ product(upc: "1") { reviews { author { name } } } }"#}).to_string();
    let names = |viewer: &'static str| {
        let (federation, query) = (&federation, query.clone());
        async move {
            let reply = federation.post(query, &[("x-user", viewer)]).await;
            assert!(reply.body.get("errors").is_none(), "{reply:?}");
            let reviews = reply.body["data"]["product"]["reviews"].as_array().cloned().unwrap_or_default();
            reviews.iter().map(|r| r["author"]["name"].as_str().unwrap_or_default().to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(names("1").await, ["1 for 1", "2 for 1"]);
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    assert_eq!(names("2").await, ["1 for 2", "2 for 2"], "another viewer never gets the first one's answer");
    assert_eq!(asked.load(Ordering::SeqCst), 2);
    assert_eq!(names("1").await, ["1 for 1", "2 for 1"]);
    assert_eq!(names("2").await, ["1 for 2", "2 for 2"]);
    assert_eq!(asked.load(Ordering::SeqCst), 2, "each viewer's answers are kept");
}
