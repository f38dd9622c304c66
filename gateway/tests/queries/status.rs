//! A subgraph answering with an HTTP error status, or a body that is not GraphQL: the client
//! gets the subgraph's own errors when the body holds them, else an error saying which.

use axum::http::StatusCode;
use braid_test_subgraphs::{Subgraph, Supergraph};
use serde_json::json;

use crate::federation::{Builder, Run};

/// Stands in for products: the upc asked for picks the answer.
async fn products(body: String) -> (StatusCode, [(&'static str, &'static str); 1], &'static str) {
    let json = [("content-type", "application/json")];
    if body.contains("plain") {
        (StatusCode::INTERNAL_SERVER_ERROR, [("content-type", "text/plain")], "upstream exploded")
    } else if body.contains("graphql") {
        (StatusCode::SERVICE_UNAVAILABLE, json, r#"{"data": null, "errors": [{"message": "products is overloaded"}]}"#)
    } else if body.contains("html") {
        (StatusCode::OK, [("content-type", "text/html")], "<html>maintenance</html>")
    } else {
        (StatusCode::OK, json, r#"{"data": {"product": {"upc": "1"}}}"#)
    }
}

#[tokio::test]
async fn error_statuses_and_bodies_that_are_not_graphql_are_told_apart() {
    let stand_in = axum::Router::new().route("/graphql", axum::routing::post(products));
    let federation = Builder::new(Supergraph::Demo).subgraph(Subgraph::Products, Run::Router(stand_in)).start().await;
    let ask = |upc: &str| format!("{{ product(upc: \"{upc}\") {{ upc }} }}");
    assert_eq!(federation.data(&ask("1")).await, json!({"product": {"upc": "1"}}));

    let reply = federation.query(&ask("plain"), json!(null)).await;
    assert_eq!(reply.body["data"], json!({"product": null}), "{reply:?}");
    assert_eq!(reply.codes(), ["SUBGRAPH_REQUEST_FAILED"]);
    assert_eq!(reply.body["errors"][0]["message"], "subgraph 'products' answered with HTTP status 500");

    // A GraphQL body says more than its status: its errors reach the client.
    let reply = federation.query(&ask("graphql"), json!(null)).await;
    assert_eq!(reply.body["data"], json!({"product": null}), "{reply:?}");
    assert_eq!(reply.codes(), ["DOWNSTREAM_SERVICE_ERROR"]);
    assert_eq!(reply.body["errors"][0]["message"], "products is overloaded");

    let reply = federation.query(&ask("html"), json!(null)).await;
    assert_eq!(reply.body["data"], json!({"product": null}), "{reply:?}");
    assert_eq!(reply.codes(), ["SUBGRAPH_INVALID_RESPONSE"]);
    let message = reply.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("subgraph 'products' sent an invalid response: "), "{message}");
}
