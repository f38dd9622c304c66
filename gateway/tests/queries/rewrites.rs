//! A subgraph whose own types differ where the supergraph's agree: `Song.title` is `String!`
//! in it and `Film.title` is `String`, so one query cannot ask both under one name. The
//! planner aliases one and the gateway renames it back in the answer (an output rewrite).

use braid_test_subgraphs::{Subgraph, Supergraph};
use serde_json::{Value, json};

use crate::federation::{Builder, Run, stand_in};

/// The demo's graphs (the builder starts them), with only products and reviews used.
fn sdl() -> String {
    let demo = Supergraph::Demo.sdl();
    let head = &demo[..demo.find("type Query").expect("the demo has a Query")];
    head.to_string()
        + r#"
type Query @join__type(graph: PRODUCTS) @join__type(graph: REVIEWS) {
  items: [Item] @join__field(graph: PRODUCTS)
}

union Item @join__type(graph: PRODUCTS) @join__unionMember(graph: PRODUCTS, member: "Song") @join__unionMember(graph: PRODUCTS, member: "Film") = Song | Film

type Song @join__type(graph: PRODUCTS) @join__type(graph: REVIEWS) {
  title: String @join__field(graph: PRODUCTS, type: "String!") @join__field(graph: REVIEWS, type: "String")
}

type Film @join__type(graph: PRODUCTS) {
  title: String
}
"#
}

#[tokio::test]
async fn a_field_the_planner_aliased_is_renamed_back_in_the_answer() {
    let (products, _) = stand_in("no-store", |_, body| {
        // The alias the planner chose (`_internal_qp_alias_0`), read off the query it sent.
        let query = body["query"].as_str().unwrap_or_default();
        let before = query.split(": title").next().unwrap_or_default();
        let alias = before.rsplit(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default();
        assert!(!alias.is_empty() && alias != "title", "{query}");
        let film = |title: Value| json!({"__typename": "Film", alias: title});
        json!({"data": {"items": [{"__typename": "Song", "title": "Blue"}, film(json!("Heat")), film(Value::Null)]}})
    });
    let federation =
        Builder::new(Supergraph::Demo).sdl(sdl()).subgraph(Subgraph::Products, Run::Router(products)).start().await;
    let reply = federation.query("{ items { ... on Song { title } ... on Film { title } } }", Value::Null).await;
    let expected = json!({"data": {"items": [{"title": "Blue"}, {"title": "Heat"}, {"title": null}]}});
    assert_eq!(reply.body, expected, "{reply:?}");
}
