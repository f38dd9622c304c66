//! Authorization as the projector enforces it, on the demo supergraph with marks added:
//! `@authenticated`, `@requiresScopes` and `@ownedBy` (on a type, and on a field with `unless`),
//! against a stand-in for the permissions subgraph.

use axum::Json;
use axum::http::HeaderMap;
use braid_test_subgraphs::Supergraph;
use braid_testkit::jwt;
use serde_json::{Value, json};

use crate::federation::{Builder, Federation};

/// The demo supergraph, marked: a review's body needs a token, a product's stock level the
/// `inventory` scope; a user is seen by those who may see them, and a product's name by those
/// who may see the employee its upc names, unless it is in stock.
fn marked_sdl() -> String {
    let marks = [
        ("  body: String\n", "  body: String @authenticated\n"),
        (
            "  stockLevel: Int! @join__field(graph: INVENTORY)",
            "  stockLevel: Int! @join__field(graph: INVENTORY) @requiresScopes(scopes: [[\"inventory\"]])",
        ),
        (
            "@join__type(graph: REVIEWS, key: \"id\") {\n  id: ID!\n  name",
            "@join__type(graph: REVIEWS, key: \"id\") @ownedBy(field: \"id\") {\n  id: ID!\n  name",
        ),
        (
            "  name: String @join__field(graph: PRODUCTS)",
            "  name: String @join__field(graph: PRODUCTS) @ownedBy(field: \"upc\", unless: \"inStock\")",
        ),
    ];
    let mut sdl = Supergraph::Demo.sdl().to_string();
    for (from, to) in marks {
        assert_eq!(sdl.matches(from).count(), 1, "{from}");
        sdl = sdl.replace(from, to);
    }
    sdl + "
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @ownedBy(field: String!, unless: String) on OBJECT | FIELD_DEFINITION
"
}

/// Answers `visibility(employeeIds:)` as the permissions subgraph would for a chain of command
/// 1 > 2 > 3 > 4 > 5: a viewer sees themself and everyone below.
async fn permissions(headers: HeaderMap, Json(body): Json<Value>) -> Json<Value> {
    let token = headers["authorization"].to_str().unwrap().trim_start_matches("Bearer ");
    let viewer: i64 = jwt::subject(token).unwrap().parse().unwrap();
    let ids = body["variables"]["ids"].as_array().unwrap();
    let allowed: Vec<bool> = ids.iter().map(|id| id.as_str().unwrap().parse::<i64>().unwrap() >= viewer).collect();
    Json(json!({ "data": { "visibility": { "allowed": allowed, "validUntil": null } } }))
}

async fn start() -> Federation {
    let app = axum::Router::new().route("/graphql", axum::routing::post(permissions));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/graphql", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Builder::new(Supergraph::Demo)
        .sdl(marked_sdl())
        .config(|config| {
            config.auth.public_key_pem = Some(jwt::PUBLIC_PEM.to_string());
            config.auth.issuer = Some(jwt::ISSUER.to_string());
            config.auth.audience = Some(jwt::AUDIENCE.to_string());
            config.access.permissions_url = Some(url);
        })
        .start()
        .await
}

fn error(message: &str, path: Value, code: &str) -> Value {
    json!({"message": message, "path": path, "extensions": {"code": code}})
}

#[tokio::test]
async fn fields_needing_a_token_or_a_scope_are_null_with_an_error() {
    let federation = start().await;
    let query = "{ product(upc: \"1\") { upc reviews { body } } }";
    let anonymous = federation.query(query, json!(null)).await;
    let refused = |i: usize| {
        error("Review.body needs an authenticated request", json!(["product", "reviews", i, "body"]), "UNAUTHENTICATED")
    };
    assert_eq!(
        anonymous.body,
        json!({"data": {"product": {"upc": "1", "reviews": [{"body": null}, {"body": null}]}},
               "errors": [refused(0), refused(1)]})
    );
    let three = federation.query_as(&jwt::token("3", &[]), query, json!(null)).await;
    assert_eq!(
        three.body,
        json!({"data": {"product": {"upc": "1", "reviews": [{"body": "Love it!"}, {"body": "Prefer something else."}]}}})
    );

    // A non-null field: the null travels up to the product.
    let query = "{ product(upc: \"1\") { upc stockLevel } }";
    let three = federation.query_as(&jwt::token("3", &[]), query, json!(null)).await;
    assert_eq!(
        three.body,
        json!({"data": {"product": null},
               "errors": [error("not allowed to see Product.stockLevel here", json!(["product", "stockLevel"]), "FORBIDDEN")]})
    );
    let stock = federation.query_as(&jwt::token("3", &["inventory"]), query, json!(null)).await;
    assert!(stock.body.get("errors").is_none(), "{stock:?}");
    assert!(stock.body["data"]["product"]["stockLevel"].is_i64(), "{stock:?}");
}

#[tokio::test]
async fn owned_objects_and_fields_are_shown_to_those_who_may_see_their_owner() {
    let federation = start().await;
    // Employee 3 sees 3, 4 and 5.
    let three = jwt::token("3", &[]);
    let users = "{ u2: user(id: \"2\") { id name } u4: user(id: \"4\") { id name } }";
    let reply = federation.query_as(&three, users, json!(null)).await;
    assert_eq!(
        reply.body,
        json!({"data": {"u2": null, "u4": {"id": "4", "name": "Edsger Dijkstra"}},
               "errors": [error("not allowed to see this User", json!(["u2"]), "FORBIDDEN")]})
    );
    let reply = federation.query_as(&jwt::token("2", &[]), users, json!(null)).await;
    assert_eq!(reply.body["data"]["u2"], json!({"id": "2", "name": "Alan Turing"}), "{reply:?}");
    // Anonymous: nobody's.
    let reply = federation.query(users, json!(null)).await;
    assert_eq!(reply.body["data"], json!({"u2": null, "u4": null}));

    // A product's name: shown when it is in stock (1, 3, 4) or its upc names someone 3 sees.
    let reply = federation.query_as(&three, "{ topProducts { upc name } }", json!(null)).await;
    assert_eq!(
        reply.body,
        json!({"data": {"topProducts": [
                   {"upc": "1", "name": "Table"}, {"upc": "2", "name": null}, {"upc": "3", "name": "Chair"},
                   {"upc": "4", "name": "Lamp"}, {"upc": "5", "name": "Bookshelf"}]},
               "errors": [error("not allowed to see Product.name here", json!(["topProducts", 1, "name"]), "FORBIDDEN")]})
    );
    let reply = federation.query("{ topProducts { name } }", json!(null)).await;
    assert_eq!(
        reply.body["data"]["topProducts"],
        json!([{"name": "Table"}, {"name": null}, {"name": "Chair"}, {"name": "Lamp"}, {"name": null}])
    );
}
