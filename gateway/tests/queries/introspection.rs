//! Introspection answered by the gateway: deprecated fields, arguments, enum values and input
//! fields are hidden unless `includeDeprecated: true` asks for them, as the specification says.

use braid_test_subgraphs::Supergraph;
use serde_json::{Value, json};

use crate::federation::Builder;

/// The corner supergraph with one deprecated element of each kind (and an input type to hold
/// the input field).
fn deprecated_sdl() -> String {
    let sdl = Supergraph::Corner
        .sdl()
        .replace(
            "  title: String! @join__field(graph: POSTS)",
            "  title: String! @join__field(graph: POSTS) @deprecated(reason: \"Use teaser.\")",
        )
        .replace(
            "  UNLISTED @join__enumValue(graph: POSTS)",
            "  UNLISTED @join__enumValue(graph: POSTS) @deprecated(reason: \"Use PUBLIC.\")",
        )
        .replace(
            "  posts(visibility: Visibility): [Post]!",
            "  posts(visibility: Visibility @deprecated(reason: \"Filter on the client.\")): [Post]!",
        );
    assert_ne!(sdl, Supergraph::Corner.sdl());
    sdl + "\ninput PostFilter @join__type(graph: POSTS) {\n  id: ID\n  tag: String @deprecated(reason: \"Tags are gone.\")\n}\n"
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect()
}

/// Each list is asked for twice under aliases (an aliased introspection field was once null:
/// the gateway looked its own objects up by the alias).
#[tokio::test]
async fn deprecated_elements_are_hidden_unless_asked_for() {
    let federation = Builder::new(Supergraph::Corner).sdl(deprecated_sdl()).start().await;
    let query = "query ($all: Boolean!) {
        post: __type(name: \"Post\") {
            fields { name }
            every: fields(includeDeprecated: true) { name isDeprecated deprecationReason }
        }
        visibility: __type(name: \"Visibility\") {
            enumValues { name }
            every: enumValues(includeDeprecated: $all) { name isDeprecated deprecationReason }
        }
        filter: __type(name: \"PostFilter\") {
            inputFields { name }
            every: inputFields(includeDeprecated: true) { name isDeprecated deprecationReason }
        }
        __schema { queryType { fields(includeDeprecated: false) {
            name args { name } every: args(includeDeprecated: true) { name isDeprecated deprecationReason }
        } } }
    }";
    let reply = federation.query(query, json!({"all": true})).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let data = &reply.body["data"];

    let fields = names(&data["post"]["fields"]);
    let every = names(&data["post"]["every"]);
    assert!(!fields.contains(&"title") && every.contains(&"title"), "{fields:?} / {every:?}");
    assert_eq!(every.len(), fields.len() + 1);
    let title = data["post"]["every"].as_array().unwrap().iter().find(|f| f["name"] == "title").unwrap();
    assert_eq!(title, &json!({"name": "title", "isDeprecated": true, "deprecationReason": "Use teaser."}));
    let id = data["post"]["every"].as_array().unwrap().iter().find(|f| f["name"] == "id").unwrap();
    assert_eq!(id, &json!({"name": "id", "isDeprecated": false, "deprecationReason": null}));

    assert_eq!(names(&data["visibility"]["enumValues"]), ["PUBLIC"]);
    assert_eq!(
        data["visibility"]["every"],
        json!([
            {"name": "PUBLIC", "isDeprecated": false, "deprecationReason": null},
            {"name": "UNLISTED", "isDeprecated": true, "deprecationReason": "Use PUBLIC."},
        ])
    );

    assert_eq!(names(&data["filter"]["inputFields"]), ["id"]);
    assert_eq!(names(&data["filter"]["every"]), ["id", "tag"]);
    assert_eq!(data["filter"]["every"][1]["deprecationReason"], "Tags are gone.");

    let posts = data["__schema"]["queryType"]["fields"].as_array().unwrap().iter().find(|f| f["name"] == "posts");
    let posts = posts.unwrap_or_else(|| panic!("no Query.posts in {data}"));
    assert_eq!(names(&posts["args"]), Vec::<&str>::new());
    assert_eq!(
        posts["every"],
        json!([{"name": "visibility", "isDeprecated": true, "deprecationReason": "Filter on the client."}])
    );

    // The variable false hides them again; deprecated elements still work.
    let reply = federation.query(query, json!({"all": false})).await;
    assert_eq!(names(&reply.body["data"]["visibility"]["every"]), ["PUBLIC"]);
    let data = federation.data("{ post(id: \"post-3\") { title visibility } }").await;
    assert_eq!(data, json!({"post": {"title": "Release notes", "visibility": "UNLISTED"}}));
}
