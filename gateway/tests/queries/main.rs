//! The gateway against the federation test subgraphs: every query shape returns exactly the
//! expected data and errors, including when a subgraph fails, is slow or is down.

#[path = "../federation/mod.rs"]
mod federation;

mod corner;
mod authorize;
mod cache_stand_ins;
mod cost;
mod dedupe;
mod entity_answers;
mod defer;
mod entity_cache;
mod introspection;
mod rate_limit;
mod rewrites;
mod status;
mod tls;

use std::time::Duration;

use braid_test_subgraphs::{Options, Subgraph, Supergraph};
use federation::{Builder, Run, start};
use serde_json::json;

const NESTED_USERS: &str = "query Nested { users { ...U } }
  fragment U on User { id name reviews { ...R } }
  fragment R on Review { id body product { ...P } }
  fragment P on Product { upc name reviews { author { username reviews { product { name } } } } }";

#[tokio::test]
async fn nested_query_through_four_subgraphs() {
    let federation = start(Supergraph::Demo).await;
    let ada_reviews = json!([{"product": {"name": "Table"}}, {"product": {"name": "Couch"}}]);
    let alan_reviews = json!([{"product": {"name": "Chair"}}, {"product": {"name": "Table"}}]);
    let table_reviews = json!([
        {"author": {"username": "@ada", "reviews": ada_reviews}},
        {"author": {"username": "@complete", "reviews": alan_reviews}},
    ]);
    let expected = json!({"users": [
        {"id": "1", "name": "Ada Lovelace", "reviews": [
            {"id": "1", "body": "Love it!", "product": {"upc": "1", "name": "Table", "reviews": table_reviews}},
            {"id": "2", "body": "Too expensive.", "product": {"upc": "2", "name": "Couch", "reviews": [
                {"author": {"username": "@ada", "reviews": ada_reviews}}]}},
        ]},
        {"id": "2", "name": "Alan Turing", "reviews": [
            {"id": "3", "body": "Could be better.", "product": {"upc": "3", "name": "Chair", "reviews": [
                {"author": {"username": "@complete", "reviews": alan_reviews}}]}},
            {"id": "4", "body": "Prefer something else.", "product": {"upc": "1", "name": "Table", "reviews": table_reviews}},
        ]},
        {"id": "3", "name": "Grace Hopper", "reviews": []},
        {"id": "4", "name": "Edsger Dijkstra", "reviews": []},
    ]});
    assert_eq!(federation.data(NESTED_USERS).await, expected);
}

#[tokio::test]
async fn requires_and_provides() {
    let federation = start(Supergraph::Demo).await;
    let data = federation.data("{ topProducts { upc price weight inStock shippingEstimate } }").await;
    assert_eq!(
        data,
        json!({"topProducts": [
            {"upc": "1", "price": 899, "weight": 100, "inStock": true, "shippingEstimate": 50},
            {"upc": "2", "price": 1299, "weight": 1000, "inStock": false, "shippingEstimate": 0},
            {"upc": "3", "price": 54, "weight": 50, "inStock": true, "shippingEstimate": 25},
            {"upc": "4", "price": 75, "weight": 20, "inStock": true, "shippingEstimate": 10},
            {"upc": "5", "price": 1350, "weight": 700, "inStock": false, "shippingEstimate": 0},
        ]})
    );
    // `author @provides(fields: "username")`: answered by reviews alone.
    let data = federation.data(r#"{ user(id: "2") { name reviews { body author { username } } } __typename }"#).await;
    assert_eq!(
        data,
        json!({"user": {"name": "Alan Turing", "reviews": [
            {"body": "Could be better.", "author": {"username": "@complete"}},
            {"body": "Prefer something else.", "author": {"username": "@complete"}},
        ]}, "__typename": "Query"})
    );
}

#[tokio::test]
async fn aliases_skip_include_and_field_order() {
    let federation = start(Supergraph::Demo).await;
    let query = "query ($withPrice: Boolean!, $skipName: Boolean!) {
        top: topProducts(first: 2) {
          __typename sku: upc name @skip(if: $skipName)
          ... on Product @include(if: $withPrice) { price shippingEstimate }
        }
        me { __typename id }
    }";
    let reply = federation.query(query, json!({"withPrice": true, "skipName": true})).await;
    assert_eq!(
        reply.body,
        json!({"data": {"top": [
            {"__typename": "Product", "sku": "1", "price": 899, "shippingEstimate": 50},
            {"__typename": "Product", "sku": "2", "price": 1299, "shippingEstimate": 0},
        ], "me": {"__typename": "User", "id": "1"}}})
    );
    // The client's key order is kept, whatever order the subgraphs answer in.
    assert!(
        reply
            .text
            .starts_with(r#"{"data":{"top":[{"__typename":"Product","sku":"1","price":899,"shippingEstimate":50}"#),
        "{}",
        reply.text
    );
    let reply = federation.query(query, json!({"withPrice": false, "skipName": false})).await;
    assert_eq!(
        reply.body["data"]["top"],
        json!([
            {"__typename": "Product", "sku": "1", "name": "Table"},
            {"__typename": "Product", "sku": "2", "name": "Couch"},
        ])
    );
}

#[tokio::test]
async fn subgraph_error_is_repathed_to_the_client_path() {
    let federation = start(Supergraph::Demo).await;
    let reply = federation.query("{ topProducts { upc warehouse } }", json!(null)).await;
    assert_eq!(
        reply.body,
        json!({
            "data": {"topProducts": [
                {"upc": "1", "warehouse": "WH-1"}, {"upc": "2", "warehouse": "WH-2"},
                {"upc": "3", "warehouse": null}, {"upc": "4", "warehouse": "WH-1"},
                {"upc": "5", "warehouse": "WH-2"},
            ]},
            "errors": [{
                "message": "warehouse lookup failed for product 3",
                "path": ["topProducts", 2, "warehouse"],
                "extensions": {"code": "WAREHOUSE_UNAVAILABLE", "serviceName": "inventory"},
            }],
        })
    );
}

#[tokio::test]
async fn non_null_violation_in_an_entity_nulls_the_nearest_nullable_parent() {
    let federation = start(Supergraph::Demo).await;
    let error = |path: serde_json::Value| {
        json!({
            "message": "stock level unavailable for product 4",
            "path": path,
            "extensions": {"code": "STOCK_LEVEL_UNAVAILABLE", "serviceName": "inventory"},
        })
    };
    // `product: Product` is nullable: only it becomes null.
    let reply = federation.query(r#"{ product(upc: "4") { upc stockLevel } }"#, json!(null)).await;
    assert_eq!(reply.body, json!({"data": {"product": null}, "errors": [error(json!(["product", "stockLevel"]))]}));
    // `topProducts: [Product!]!`: the null travels to the root.
    let reply = federation.query("{ topProducts { upc stockLevel } }", json!(null)).await;
    assert_eq!(reply.body, json!({"data": null, "errors": [error(json!(["topProducts", 3, "stockLevel"]))]}));
    // The other entities of the same fetch are intact.
    let reply = federation
        .query(r#"{ a: product(upc: "1") { stockLevel } b: product(upc: "4") { stockLevel } }"#, json!(null))
        .await;
    assert_eq!(reply.body["data"], json!({"a": {"stockLevel": 1}, "b": null}), "{:?}", reply.body);
}

#[tokio::test]
async fn a_subgraph_down_gives_partial_data() {
    let federation = Builder::new(Supergraph::Demo).subgraph(Subgraph::Inventory, Run::Down).start().await;
    let reply = federation.query("{ topProducts(first: 2) { upc name inStock } }", json!(null)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body["data"],
        json!({"topProducts": [{"upc": "1", "name": "Table", "inStock": null}, {"upc": "2", "name": "Couch", "inStock": null}]})
    );
    assert_eq!(reply.codes(), vec!["SUBGRAPH_REQUEST_FAILED"]);
    assert_eq!(reply.body["errors"][0]["extensions"]["serviceName"], "inventory");
}

#[tokio::test]
async fn a_slow_subgraph_times_out_with_partial_data() {
    let slow = Options { delay: Some(Duration::from_millis(2_000)), ..Options::default() };
    let federation = Builder::new(Supergraph::Demo)
        .subgraph(Subgraph::Inventory, Run::Up(slow))
        .config(|c| c.subgraphs.entry("inventory".into()).or_default().timeout_ms = Some(200))
        .start()
        .await;
    let started = std::time::Instant::now();
    let reply = federation.query("{ topProducts(first: 1) { name inStock } }", json!(null)).await;
    assert!(started.elapsed() < Duration::from_millis(1_500), "the timeout did not cut the fetch");
    assert_eq!(reply.body["data"], json!({"topProducts": [{"name": "Table", "inStock": null}]}));
    assert_eq!(reply.codes(), vec!["SUBGRAPH_TIMEOUT"]);
}

#[tokio::test]
async fn interfaces_and_unions_across_subgraphs() {
    let federation = start(Supergraph::Edge).await;
    let data = federation
        .data("{ featured { __typename id title ... on Book { isbn pages } ... on Movie { durationMinutes averageRating } } }")
        .await;
    assert_eq!(
        data,
        json!({"featured": [
            {"__typename": "Book", "id": "book-2", "title": "Introduction to Algorithms", "isbn": "978-0262033848", "pages": 1312},
            {"__typename": "Movie", "id": "movie-1", "title": "Hackers", "durationMinutes": 105, "averageRating": 4.666666666666667},
            {"__typename": "Book", "id": "book-1", "title": "The C Programming Language", "isbn": "978-0131103627", "pages": 272},
            {"__typename": "Movie", "id": "movie-3", "title": "Sneakers", "durationMinutes": 126, "averageRating": 3.0},
        ]})
    );
    let data = federation
        .data(r#"{ search(term: "w") { __typename ... on Book { id } ... on Movie { id title averageRating } } }"#)
        .await;
    assert_eq!(
        data,
        json!({"search": [{"__typename": "Movie", "id": "movie-2", "title": "WarGames", "averageRating": 4.0}]})
    );
}

#[tokio::test]
async fn interface_object_answers_with_concrete_types() {
    let federation = start(Supergraph::Edge).await;
    let data =
        federation.data("{ topRatedVideos(first: 2) { __typename id title durationMinutes averageRating } }").await;
    assert_eq!(
        data,
        json!({"topRatedVideos": [
            {"__typename": "Episode", "id": "episode-1", "title": "I/O", "durationMinutes": 47, "averageRating": 4.75},
            {"__typename": "Movie", "id": "movie-1", "title": "Hackers", "durationMinutes": 105, "averageRating": 4.666666666666667},
        ]})
    );
    let data = federation.data("{ videos { __typename id ratingCount } }").await;
    assert_eq!(
        data,
        json!({"videos": [
            {"__typename": "Movie", "id": "movie-1", "ratingCount": 3},
            {"__typename": "Movie", "id": "movie-2", "ratingCount": 2},
            {"__typename": "Movie", "id": "movie-3", "ratingCount": 1},
            {"__typename": "Episode", "id": "episode-1", "ratingCount": 4},
            {"__typename": "Episode", "id": "episode-2", "ratingCount": 0},
        ]})
    );
}

#[tokio::test]
async fn override_requires_with_arguments_and_multiple_keys() {
    let federation = start(Supergraph::Edge).await;
    let data = federation
        .data("{ books { id price shippingCost carbonGrams express: shippingCost(zone: EU, express: true) } }")
        .await;
    assert_eq!(
        data,
        json!({"books": [
            {"id": "book-1", "price": 4139, "shippingCost": 450, "carbonGrams": 800, "express": 1900},
            {"id": "book-2", "price": 8910, "shippingCost": 1000, "carbonGrams": 4400, "express": 3000},
            {"id": "book-3", "price": 4949, "shippingCost": 500, "carbonGrams": 1900, "express": 2000},
            {"id": "book-4", "price": 3599, "shippingCost": 600, "carbonGrams": 0, "express": 2200},
        ]})
    );
    // Ratings knows books only by their second key, `isbn`.
    let data =
        federation.data(r#"{ bookByIsbn(isbn: "978-0262033848") { id title price averageRating ratingCount } }"#).await;
    assert_eq!(
        data,
        json!({"bookByIsbn": {"id": "book-2", "title": "Introduction to Algorithms", "price": 8910, "averageRating": 4.0, "ratingCount": 1}})
    );
}

#[tokio::test]
async fn nested_keys_identify_entities() {
    let federation = start(Supergraph::Edge).await;
    let data = federation
        .data(r#"{ members { id name organization { name } role } member(id: "1", organizationId: "org-2") { name favourites { title } } }"#)
        .await;
    assert_eq!(
        data,
        json!({
            "members": [
                {"id": "1", "name": "Ada", "organization": {"name": "Acme Library"}, "role": "LIBRARIAN"},
                {"id": "2", "name": "Brian", "organization": {"name": "Acme Library"}, "role": "READER"},
                {"id": "1", "name": "Carla", "organization": {"name": "Globex Archive"}, "role": "READER"},
                {"id": "2", "name": "Dmitri", "organization": {"name": "Globex Archive"}, "role": "LIBRARIAN"},
            ],
            "member": {"name": "Carla", "favourites": [
                {"title": "Design Patterns"}, {"title": "The Rust Programming Language"}, {"title": "Sneakers"},
            ]},
        })
    );
}

#[tokio::test]
async fn inaccessible_elements_are_invisible() {
    let federation = start(Supergraph::Edge).await;
    let reply = federation.query("{ books { id internalNotes } }", json!(null)).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.codes(), vec!["GRAPHQL_VALIDATION_FAILED"]);
    let data = federation
        .data(r#"{ __type(name: "Book") { fields { name } } f: __type(name: "BookFormat") { enumValues { name } } a: __type(name: "Audit") { name } }"#)
        .await;
    let fields: Vec<&str> =
        data["__type"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "id",
            "isbn",
            "title",
            "pages",
            "format",
            "price",
            "weight",
            "shippingCost",
            "carbonGrams",
            "averageRating",
            "ratingCount"
        ]
    );
    assert_eq!(data["f"], json!({"enumValues": [{"name": "HARDCOVER"}, {"name": "PAPERBACK"}, {"name": "EBOOK"}]}));
    assert_eq!(data["a"], json!(null));
}

#[tokio::test]
async fn introspection_of_the_public_schema() {
    let federation = start(Supergraph::Edge).await;
    let data = federation
        .data(r#"{ __schema { queryType { name } mutationType { name } types { name } directives { name } }
                   __type(name: "Video") { kind possibleTypes { name } fields { name type { kind ofType { name } } } } }"#)
        .await;
    let types: Vec<&str> =
        data["__schema"]["types"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(types.contains(&"Book") && types.contains(&"__Type") && types.contains(&"String"), "{types:?}");
    assert!(!types.iter().any(|t| t.starts_with("join__") || t.starts_with("link__") || *t == "Audit"), "{types:?}");
    assert_eq!(data["__schema"]["queryType"], json!({"name": "Query"}));
    assert_eq!(data["__schema"]["mutationType"], json!(null));
    let directives: Vec<&str> =
        data["__schema"]["directives"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert!(directives.contains(&"include") && directives.contains(&"skip"), "{directives:?}");
    assert_eq!(data["__type"]["kind"], "INTERFACE");
    assert_eq!(data["__type"]["possibleTypes"], json!([{"name": "Episode"}, {"name": "Movie"}]));
    assert_eq!(
        data["__type"]["fields"][0],
        json!({"name": "id", "type": {"kind": "NON_NULL", "ofType": {"name": "ID"}}})
    );
    // The query GraphiQL sends on load works in full.
    let reply = federation.query(INTROSPECTION_QUERY, json!(null)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(reply.body.get("errors").is_none(), "{reply:?}");
}

#[tokio::test]
async fn introspection_can_be_turned_off() {
    let federation = Builder::new(Supergraph::Demo).config(|c| c.introspection.enabled = false).start().await;
    let reply = federation.query("{ __schema { types { name } } }", json!(null)).await;
    assert_eq!(reply.codes(), vec!["INTROSPECTION_DISABLED"]);
    assert_eq!(federation.data("{ __typename }").await, json!({"__typename": "Query"}));
}

const INTROSPECTION_QUERY: &str = "query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } }
}";

#[tokio::test]
async fn batch_fetch_of_two_roots_equals_the_roots_fetched_alone() {
    // Both roots in one operation make the planner batch their entity fetches (BatchFetch).
    let federation = start(Supergraph::Demo).await;
    let users = "users { id reviews { product { reviews { author { reviews { product { name inStock } } } } } } }";
    let top = "topProducts { upc reviews { author { reviews { product { name inStock } } } } }";
    let both = federation.data(&format!("{{ {users} {top} }}")).await;
    let alone_users = federation.data(&format!("{{ {users} }}")).await;
    let alone_top = federation.data(&format!("{{ {top} }}")).await;
    assert_eq!(both["users"], alone_users["users"]);
    assert_eq!(both["topProducts"], alone_top["topProducts"]);
    assert_eq!(
        both["topProducts"][0]["reviews"][0]["author"]["reviews"][1]["product"],
        json!({"name": "Couch", "inStock": false})
    );
}
