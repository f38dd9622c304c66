//! SDL golden files and the behaviour the gateway's tests rely on.

use std::path::Path;

use async_graphql::{Request, Value};
use serde_json::json;

use super::*;

/// `schema/<name>.graphql` is what `Subgraph::sdl()` prints; `BLESS=1` rewrites the files.
#[test]
fn sdl_golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let bless = std::env::var_os("BLESS").is_some_and(|value| value != "0");
    let mut drift = Vec::new();
    for subgraph in Subgraph::ALL {
        let path = dir.join(format!("{}.graphql", subgraph.name()));
        let sdl = subgraph.sdl();
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &sdl).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(sdl.as_str()) {
            drift.push(format!("tests/subgraphs/schema/{}.graphql", subgraph.name()));
        }
    }
    assert!(
        drift.is_empty(),
        "the subgraph SDL drifted from {drift:?}; regenerate with \
         `BLESS=1 cargo test -p braid-test-subgraphs sdl_golden_files`, then recompose with `scripts/compose.sh`"
    );
}

async fn send(router: axum::Router, request: axum::http::Request<axum::body::Body>) -> (u16, serde_json::Value) {
    use tower::ServiceExt;
    let response = router.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

/// POSTs `query` with `variables` to a freshly built router of `subgraph`.
async fn post(subgraph: Subgraph, options: Options, query: &str, variables: serde_json::Value) -> serde_json::Value {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let request = axum::http::Request::post("/graphql")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body))
        .unwrap();
    let (status, body) = send(subgraph.router(options), request).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn query(subgraph: Subgraph, query: &str) -> serde_json::Value {
    post(subgraph, Options::default(), query, json!({})).await
}

/// An `_entities` query selecting `__typename` and `selection` (inline fragments on the types).
fn entities_query(selection: &str) -> String {
    format!("query($r: [_Any!]!) {{ _entities(representations: $r) {{ __typename {selection} }} }}")
}

async fn entities(subgraph: Subgraph, selection: &str, representations: serde_json::Value) -> serde_json::Value {
    post(subgraph, Options::default(), &entities_query(selection), json!({ "r": representations })).await
}

#[test]
fn supergraphs_name_every_subgraph_at_its_default_port() {
    for supergraph in Supergraph::ALL {
        let sdl = supergraph.sdl();
        assert!(sdl.contains("@link(url: \"https://specs.apollo.dev/join/v0.3\""), "{}", supergraph.name());
        for subgraph in supergraph.subgraphs() {
            assert_eq!(subgraph.supergraph(), *supergraph);
            let graph = format!(
                "{} @join__graph(name: \"{}\", url: \"http://127.0.0.1:{}/graphql\")",
                subgraph.name().to_uppercase(),
                subgraph.name(),
                subgraph.default_port()
            );
            assert!(sdl.contains(&graph), "{} lacks `{graph}`", supergraph.name());
        }
    }
    let demo = Supergraph::Demo.sdl();
    assert!(demo.contains("shippingEstimate: Int @join__field(graph: INVENTORY, requires: \"price weight\")"));
    assert!(demo.contains("author: User @join__field(graph: REVIEWS, provides: \"username\")"));
    let edge = Supergraph::Edge.sdl();
    assert!(edge.contains("price: Int! @join__field(graph: PRICING, override: \"books\")"));
    assert!(edge.contains("@join__type(graph: RATINGS, key: \"id\", isInterfaceObject: true)"));
    assert!(edge.contains("MANUSCRIPT @join__enumValue(graph: BOOKS) @inaccessible"));
}

#[test]
fn names_parse_back() {
    for subgraph in Subgraph::ALL {
        assert_eq!(subgraph.name().parse::<Subgraph>(), Ok(*subgraph));
    }
    assert!("nope".parse::<Subgraph>().unwrap_err().contains("accounts"));
}

#[tokio::test]
async fn service_sdl_is_the_exported_sdl() {
    for subgraph in Subgraph::ALL {
        let body = query(*subgraph, "{ _service { sdl } }").await;
        assert_eq!(body["data"]["_service"]["sdl"], subgraph.sdl(), "{subgraph}");
    }
}

#[tokio::test]
async fn classic_demo_data() {
    let body = query(Subgraph::Accounts, "{ me { id name username birthDate } users { id } }").await;
    assert_eq!(
        body["data"]["me"],
        json!({ "id": "1", "name": "Ada Lovelace", "username": "@ada", "birthDate": "1815-12-10" })
    );
    assert_eq!(body["data"]["users"].as_array().unwrap().len(), 4);

    let body = query(Subgraph::Products, "{ topProducts { upc name price weight } }").await;
    let names: Vec<_> = body["data"]["topProducts"].as_array().unwrap().iter().map(|p| p["name"].clone()).collect();
    assert_eq!(names, ["Table", "Couch", "Chair", "Lamp", "Bookshelf"]);
    assert_eq!(body["data"]["topProducts"][1], json!({ "upc": "2", "name": "Couch", "price": 1299, "weight": 1000 }));

    let reps = json!([{ "__typename": "User", "id": "2" }, { "__typename": "Product", "upc": "1" }]);
    let body = entities(
        Subgraph::Reviews,
        "... on User { reviews { body author { username } } } ... on Product { reviews { id } }",
        reps,
    )
    .await;
    assert_eq!(
        body["data"]["_entities"],
        json!([
            { "__typename": "User", "reviews": [
                { "body": "Could be better.", "author": { "username": "@complete" } },
                { "body": "Prefer something else.", "author": { "username": "@complete" } },
            ] },
            { "__typename": "Product", "reviews": [{ "id": "1" }, { "id": "4" }] },
        ])
    );

    let reps = json!([
        { "__typename": "Product", "upc": "1", "price": 899, "weight": 100 },
        { "__typename": "Product", "upc": "2", "price": 1299, "weight": 1000 },
    ]);
    let body = entities(Subgraph::Inventory, "... on Product { upc inStock shippingEstimate }", reps).await;
    assert_eq!(
        body,
        json!({ "data": { "_entities": [
            { "__typename": "Product", "upc": "1", "inStock": true, "shippingEstimate": 50 },
            { "__typename": "Product", "upc": "2", "inStock": false, "shippingEstimate": 0 },
        ] } })
    );
}

#[tokio::test]
async fn scale_grows_the_data_and_keeps_the_classic_records() {
    let options = Options { scale: 10, ..Options::default() };
    let body = post(Subgraph::Accounts, options.clone(), "{ users { id name } }", json!({})).await;
    let users = body["data"]["users"].as_array().unwrap();
    assert_eq!(users.len(), 40);
    assert_eq!(users[1]["name"], "Alan Turing");
    assert_eq!(users[39], json!({ "id": "40", "name": "User 40" }));
    let body = post(Subgraph::Products, options.clone(), "{ topProducts(first: 100) { upc } }", json!({})).await;
    assert_eq!(body["data"]["topProducts"].as_array().unwrap().len(), 50);
    let reps: Vec<_> = (1..=50).map(|upc| json!({ "__typename": "Product", "upc": upc.to_string() })).collect();
    let document = entities_query("... on Product { reviews { id } }");
    let body = post(Subgraph::Reviews, options.clone(), &document, json!({ "r": reps })).await;
    let count: usize =
        body["data"]["_entities"].as_array().unwrap().iter().map(|p| p["reviews"].as_array().unwrap().len()).sum();
    assert_eq!(count, 100);
    let again = post(Subgraph::Reviews, options, &document, json!({ "r": reps })).await;
    assert_eq!(body, again);
}

#[tokio::test]
async fn nullable_field_error_is_null_with_the_error_at_its_path() {
    let reps =
        json!([{ "__typename": "Product", "upc": "1" }, { "__typename": "Product", "upc": FAILING_WAREHOUSE_UPC }]);
    let body = entities(Subgraph::Inventory, "... on Product { upc warehouse }", reps).await;
    assert_eq!(
        body["data"]["_entities"],
        json!([
            { "__typename": "Product", "upc": "1", "warehouse": "WH-1" },
            { "__typename": "Product", "upc": "3", "warehouse": null },
        ])
    );
    assert_eq!(body["errors"].as_array().unwrap().len(), 1);
    assert_eq!(body["errors"][0]["path"], json!(["_entities", 1, "warehouse"]));
    assert_eq!(body["errors"][0]["extensions"]["code"], "WAREHOUSE_UNAVAILABLE");
}

#[tokio::test]
async fn non_null_field_error_nulls_only_its_entity() {
    let reps: Vec<_> = (1..=5).map(|upc| json!({ "__typename": "Product", "upc": upc.to_string() })).collect();
    let body = entities(Subgraph::Inventory, "... on Product { upc stockLevel }", json!(reps)).await;
    let items = body["data"]["_entities"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(items[3], Value::Null.into_json().unwrap());
    assert!(items.iter().enumerate().all(|(i, item)| (i == 3) == item.is_null()), "{body}");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1);
    assert_eq!(body["errors"][0]["path"], json!(["_entities", 3, "stockLevel"]));
    assert_eq!(body["errors"][0]["extensions"]["code"], "STOCK_LEVEL_UNAVAILABLE");
    assert_eq!(FAILING_STOCK_LEVEL_UPC, "4");
}

#[tokio::test]
async fn entity_errors_are_per_item_with_duplicates_and_unknown_types() {
    let reps = json!([
        { "__typename": "Product", "upc": "4" },
        { "__typename": "Nope", "upc": "1" },
        { "__typename": "Product", "upc": "4" },
        { "__typename": "Product", "upc": "1" },
    ]);
    let body = entities(Subgraph::Inventory, "... on Product { upc stockLevel }", reps).await;
    assert_eq!(
        body["data"]["_entities"],
        json!([null, null, null, { "__typename": "Product", "upc": "1", "stockLevel": 1 }])
    );
    let mut paths: Vec<_> = body["errors"].as_array().unwrap().iter().map(|e| e["path"].clone()).collect();
    paths.sort_by_key(|path| path.to_string());
    assert_eq!(
        paths,
        [json!(["_entities", 0, "stockLevel"]), json!(["_entities", 1]), json!(["_entities", 2, "stockLevel"])]
    );
}

#[tokio::test]
async fn executes_without_the_http_layer_too() {
    // Without the per-request state, `_entities` still answers per item (linear index lookup).
    let schema = demo::inventory::schema(demo::data::DemoData::new(1));
    let document =
        r#"{ _entities(representations: [{__typename: "Product", upc: "3"}]) { ... on Product { warehouse } } }"#;
    let response = schema.execute(Request::new(document)).await;
    assert_eq!(response.errors[0].path.len(), 3);
}

#[tokio::test]
async fn get_requests_and_bad_bodies() {
    let uri = "/graphql?query=query%20Q(%24id%3A%20ID!)%20%7B%20user(id%3A%20%24id)%20%7B%20name%20%7D%20%7D\
               &operationName=Q&variables=%7B%22id%22%3A%222%22%7D";
    let request = axum::http::Request::get(uri).body(axum::body::Body::empty()).unwrap();
    let (status, body) = send(Subgraph::Accounts.router(Options::default()), request).await;
    assert_eq!((status, body), (200, json!({ "data": { "user": { "name": "Alan Turing" } } })));

    let request = axum::http::Request::post("/graphql").body(axum::body::Body::from("{")).unwrap();
    let (status, body) = send(Subgraph::Accounts.router(Options::default()), request).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");

    let batch = json!([{ "query": "{ me { id } }" }, { "query": "{ user(id: \"9\") { id } }" }]).to_string();
    let request = axum::http::Request::post("/graphql").body(axum::body::Body::from(batch)).unwrap();
    let (_, body) = send(Subgraph::Accounts.router(Options::default()), request).await;
    assert_eq!(body, json!([{ "data": { "me": { "id": "1" } } }, { "data": { "user": null } }]));
}

#[tokio::test]
async fn delay_applies_to_every_request() {
    let options = Options { delay: Some(std::time::Duration::from_millis(150)), ..Options::default() };
    let started = std::time::Instant::now();
    let body = post(Subgraph::Products, options, "{ product(upc: \"1\") { name } }", json!({})).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
    assert_eq!(body["data"]["product"]["name"], "Table");
}

#[tokio::test]
async fn edge_cases_answer_as_documented() {
    // Entity interface: a `Video` representation from ratings resolves to its concrete type.
    let reps = json!([{ "__typename": "Video", "id": "episode-1" }, { "__typename": "Video", "id": "movie-2" }]);
    let body = entities(Subgraph::Films, "... on Video { id title }", reps).await;
    assert_eq!(
        body["data"]["_entities"],
        json!([
            { "__typename": "Episode", "id": "episode-1", "title": "I/O" },
            { "__typename": "Movie", "id": "movie-2", "title": "WarGames" },
        ])
    );
    // Nested key: member "1" exists in both organizations.
    let reps = json!([
        { "__typename": "Member", "id": "1", "organization": { "id": "org-1" } },
        { "__typename": "Member", "id": "1", "organization": { "id": "org-2" } },
    ]);
    let body = entities(Subgraph::People, "... on Member { name }", reps.clone()).await;
    let names: Vec<_> = body["data"]["_entities"].as_array().unwrap().iter().map(|m| m["name"].clone()).collect();
    assert_eq!(names, ["Ada", "Carla"]);
    let body = entities(Subgraph::Shelf, "... on Member { favourites { __typename id } }", reps).await;
    assert_eq!(body["data"]["_entities"][1]["favourites"].as_array().unwrap().len(), 3);
    // Two keys: a book by isbn (and a named fragment on the concrete type).
    let reps = json!([{ "__typename": "Book", "isbn": "978-0201633610" }]);
    let document = format!("{} fragment B on Book {{ id title }}", entities_query("...B"));
    let body = post(Subgraph::Books, Options::default(), &document, json!({ "r": reps })).await;
    assert_eq!(body["data"]["_entities"][0]["id"], "book-3");
    // @requires with arguments, and the overriding price.
    let reps = json!([{ "__typename": "Book", "id": "book-2", "pages": 1312, "weight": 2.2 }]);
    let fragment = "... on Book { price shippingCost world: shippingCost(zone: WORLD, express: true) carbonGrams }";
    let body = entities(Subgraph::Pricing, fragment, reps).await;
    assert_eq!(
        body["data"]["_entities"][0],
        json!({ "__typename": "Book", "price": 8910, "shippingCost": 1000, "world": 4400, "carbonGrams": 4400 })
    );
    // Interface and union across subgraphs: shelf knows only ids (and book titles).
    let body = query(Subgraph::Shelf, "{ featured { __typename id } search(term: \"ER\") { __typename } }").await;
    assert_eq!(body["data"]["featured"].as_array().unwrap().len(), 4);
    assert_eq!(
        body["data"]["search"],
        json!([{ "__typename": "Book" }, { "__typename": "Movie" }, { "__typename": "Movie" }])
    );
}
