//! Subgraphs that answer entity fetches oddly, through stand-ins: an entity that lacks its key
//! is not sent and the ones after it still get their own answers; an error whose path names no
//! entity sent reaches the client without a path, never lost.

use braid_test_subgraphs::{Options, Subgraph, Supergraph};
use serde_json::{Value, json};

use crate::federation::{Builder, Run, stand_in};

#[tokio::test]
async fn an_entity_without_its_key_is_skipped_and_the_next_ones_get_their_own_answers() {
    // Products answers a list whose middle item lacks its key (`upc`), so made nullable here.
    let (products, _) = stand_in("no-store", |_, _| {
        let item = |upc: Option<&str>, name: &str| match upc {
            Some(upc) => json!({"__typename": "Product", "upc": upc, "name": name}),
            None => json!({"__typename": "Product", "name": name}),
        };
        json!({"data": {"topProducts": [item(Some("1"), "Table"), item(None, "Keyless"), item(Some("2"), "Couch")]}})
    });
    let sdl = Supergraph::Demo.sdl();
    let list = "topProducts(first: Int = 5): [Product!]!";
    assert_eq!(sdl.matches(list).count(), 1);
    let federation = Builder::new(Supergraph::Demo)
        .sdl(sdl.replace(list, "topProducts(first: Int = 5): [Product]!"))
        .subgraph(Subgraph::Products, Run::Router(products))
        .start()
        .await;
    let stock = crate::federation::start(Supergraph::Demo)
        .await
        .data(r#"{ a: product(upc: "1") { inStock } b: product(upc: "2") { inStock } }"#)
        .await;
    assert_ne!(stock["a"], stock["b"], "the two products tell their answers apart");
    let reply = federation.query("{ topProducts { upc name inStock } }", json!(null)).await;
    let expected = json!({"topProducts": [
        {"upc": "1", "name": "Table", "inStock": stock["a"]["inStock"]},
        null,
        {"upc": "2", "name": "Couch", "inStock": stock["b"]["inStock"]},
    ]});
    assert_eq!(reply.body["data"], expected, "{reply:?}");
    assert_eq!(reply.body["errors"][0]["path"], json!(["topProducts", 1, "upc"]), "{reply:?}");
}

#[tokio::test]
async fn entity_errors_whose_path_names_no_entity_sent_are_kept_without_a_path() {
    let (inventory, _) = stand_in("no-store", |_, body| {
        let sent = body["variables"]["representations"].as_array().map_or(0, Vec::len);
        let answers: Vec<Value> = (0..sent).map(|_| json!({"__typename": "Product", "inStock": true})).collect();
        json!({"data": {"_entities": answers}, "errors": [
            {"message": "about the second", "path": ["_entities", 1, "inStock"]},
            {"message": "no index", "path": ["_entities", "inStock"]},
            {"message": "past the end", "path": ["_entities", sent + 3]},
            {"message": "another field", "path": ["products", 0]},
        ]})
    });
    let federation = Builder::new(Supergraph::Demo)
        .subgraph(Subgraph::Products, Run::Up(Options::default()))
        .subgraph(Subgraph::Inventory, Run::Router(inventory))
        .start()
        .await;
    let reply = federation.query("{ topProducts(first: 3) { upc inStock } }", json!(null)).await;
    let errors: Vec<(Value, Value)> = reply.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{reply:?}"))
        .iter()
        .map(|e| (e["message"].clone(), e.get("path").cloned().unwrap_or(Value::Null)))
        .collect();
    let expected = [
        (json!("no index"), Value::Null),
        (json!("past the end"), Value::Null),
        (json!("another field"), Value::Null),
        (json!("about the second"), json!(["topProducts", 1, "inStock"])),
    ];
    for error in &expected {
        assert!(errors.contains(error), "{error:?} missing from {errors:?}");
    }
    assert_eq!(errors.len(), expected.len(), "{errors:?}");
}
