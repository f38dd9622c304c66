//! The projector on hand-made shapes: leaf values a subgraph may send, and the error a null in
//! a non-null position produces.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::error::{Code, PathSegment};
use crate::plan::shape::{FieldKind, FieldShape, Leaf};
use crate::types::Type;

fn shape(ty: Type, leaf: Leaf) -> Shape {
    let field = FieldShape {
        key: "v".into(),
        name: "v".into(),
        parent: "Query".into(),
        ty,
        kind: FieldKind::Leaf(leaf),
        conditions: None,
        arguments: Vec::new(),
    };
    Shape { fallback: Arc::from(vec![field]), ..Shape::default() }
}

fn named(name: &str) -> Type {
    Type::NamedType(name.into())
}

/// The response body for `{ v }` over `data`, with `errors` already reported.
fn respond(shape: &Shape, data: sonic_rs::Value, errors: Vec<GraphqlError>) -> serde_json::Value {
    let document = graphql_tools::parser::parse_schema::<String>("type Query { v: String }").unwrap().into_static();
    let introspection = Introspection::new(&document, &crate::types::TypeIndex::new(&document));
    let verdict = Verdict::default();
    let body =
        body(&Node::Value(&data), (shape, "Query"), &serde_json::Map::new(), &introspection, &verdict, errors, None);
    serde_json::from_slice(&body).unwrap()
}

#[test]
fn an_integer_id_is_written_as_a_string_whatever_its_sign_or_size() {
    let id = shape(named("ID"), Leaf::Id);
    for (value, written) in [(sonic_rs::json!(-7), "-7"), (sonic_rs::json!(u64::MAX), "18446744073709551615")] {
        let reply = respond(&id, sonic_rs::json!({ "v": value }), Vec::new());
        assert_eq!(reply, json!({ "data": { "v": written } }));
    }
    let reply = respond(&id, sonic_rs::json!({ "v": 1.5 }), Vec::new());
    assert_eq!(reply["data"], json!({ "v": null }));
    assert_eq!(reply["errors"][0]["message"], "invalid value for Query.v: expected a value of type ID");
}

#[test]
fn an_int_beyond_32_bits_and_an_enum_value_not_in_the_schema_are_invalid() {
    let int = shape(named("Int"), Leaf::Int);
    assert_eq!(respond(&int, sonic_rs::json!({ "v": i32::MIN }), Vec::new()), json!({ "data": { "v": i32::MIN } }));
    let reply = respond(&int, sonic_rs::json!({ "v": 1_i64 << 31 }), Vec::new());
    assert_eq!(reply["data"], json!({ "v": null }));
    assert_eq!(reply["errors"][0]["extensions"]["code"], "SUBGRAPH_INVALID_RESPONSE");

    let color = shape(named("Color"), Leaf::Enum(Arc::new(HashSet::from(["RED".to_string()]))));
    assert_eq!(respond(&color, sonic_rs::json!({ "v": "RED" }), Vec::new()), json!({ "data": { "v": "RED" } }));
    let reply = respond(&color, sonic_rs::json!({ "v": "BLUE" }), Vec::new());
    assert_eq!(reply["errors"][0]["message"], "invalid value for Query.v: expected a value of the enum Color");
    assert_eq!(reply["errors"][0]["path"], json!(["v"]));
}

#[test]
fn a_null_in_a_non_null_position_is_one_error_at_its_path() {
    let required = shape(Type::NonNullType(Box::new(named("String"))), Leaf::String);
    // No error came with the null: the projector reports it, and the null reaches the root.
    let reply = respond(&required, sonic_rs::json!({ "v": null }), Vec::new());
    assert_eq!(
        reply,
        json!({ "data": null, "errors": [{
            "message": "Cannot return null for non-nullable field Query.v.",
            "path": ["v"], "extensions": { "code": "NON_NULL_VIOLATION" },
        }] })
    );
    // A subgraph's error at that path already explains it: no second error.
    let failed = GraphqlError::new(Code::SubgraphRequestFailed, "boom").with_path(vec![PathSegment::Key("v".into())]);
    let reply = respond(&required, sonic_rs::json!({}), vec![failed]);
    assert_eq!(reply["errors"].as_array().unwrap().len(), 1, "{reply}");
    assert_eq!(reply["errors"][0]["message"], "boom");
}
