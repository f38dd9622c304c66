//! `@defer` as served today: accepted and validated, and answered in one complete response with
//! the deferred data in place (incremental delivery is not served yet), for every client,
//! Apollo Client's multipart `Accept` included. No subgraph sees the directive.

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
        for accept in ["application/graphql-response+json", APOLLO_ACCEPT] {
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
