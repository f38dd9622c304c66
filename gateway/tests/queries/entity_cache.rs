//! The entity cache against the demo subgraphs, which send async-graphql's `Cache-Control`
//! hints (a minute for products, users and reviews; `me` private): repeated queries are answered
//! without asking the subgraphs, only the entities a cache lacks are fetched, private answers
//! are kept per viewer, and invalidations (the endpoint, on one instance or on another sharing
//! Redis) are seen at once.

use braid_gateway::GatewayConfig;
use braid_gateway::config::EntityCacheBackend;
use braid_test_subgraphs::{Options, Subgraph, Supergraph};
use braid_testkit::redis_prefix::RedisPrefix;
use serde_json::{Value, json};

use crate::federation::{Builder, Federation, Run};

const TOKEN: &str = "an-invalidation-secret";

const PRODUCTS: &str =
    "{ topProducts { upc name price inStock shippingEstimate reviews { body author { username } } } }";

/// The entity cache on `backend`, with the invalidation token; `x-user` sent on to the subgraphs.
pub(crate) fn cached(config: &mut GatewayConfig, backend: EntityCacheBackend) {
    config.entity_cache.backend = backend;
    config.entity_cache.invalidation.token = Some(TOKEN.into());
    config.headers.propagate = vec!["x-user".into()];
}

/// The demo federation with every subgraph behind a recording proxy.
fn recorded(edit: impl FnOnce(&mut GatewayConfig)) -> Builder {
    let mut builder = Builder::new(Supergraph::Demo).config(edit);
    for subgraph in [Subgraph::Accounts, Subgraph::Products, Subgraph::Inventory, Subgraph::Reviews] {
        builder = builder.subgraph(subgraph, Run::Recorded(Options::default()));
    }
    builder
}

/// The requests each subgraph received since the last call, as (subgraph, body).
fn take(federation: &Federation) -> Vec<(&'static str, String)> {
    std::mem::take(&mut *federation.requests.lock().unwrap())
}

fn asked(requests: &[(&'static str, String)]) -> Vec<&'static str> {
    let mut names: Vec<&str> = requests.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    names
}

async fn post(federation: &Federation, query: &str, headers: &[(&str, &str)]) -> Value {
    let reply = federation.post(json!({ "query": query }).to_string(), headers).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    reply.body["data"].clone()
}

/// Checks that a fetch's `body` sent product `upc`'s representation and no other demo product's.
fn sent_only(name: &str, body: &str, upc: &str) {
    assert!(body.contains(&format!(r#""upc":"{upc}""#)), "{name}: {body}");
    for cached in ["1", "2", "3", "4", "5"].into_iter().filter(|c| *c != upc) {
        assert!(!body.contains(&format!(r#""upc":"{cached}""#)), "{name} was sent a cached product: {body}");
    }
}

async fn invalidate(federation: &Federation, body: Value, token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/invalidation", federation.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_repeated_query_is_answered_from_the_cache_and_only_missing_entities_are_fetched() {
    let federation = recorded(|c| cached(c, EntityCacheBackend::Memory)).start().await;
    let uncached = crate::federation::start(Supergraph::Demo).await;
    let expected = uncached.data(PRODUCTS).await;
    assert_eq!(post(&federation, PRODUCTS, &[]).await, expected);
    assert_eq!(asked(&take(&federation)), ["inventory", "products", "reviews"]);
    // Everything is cached: no subgraph is asked, and the answer is the same.
    assert_eq!(post(&federation, PRODUCTS, &[]).await, expected);
    assert_eq!(asked(&take(&federation)), Vec::<&str>::new());
    // Other root arguments, the same selection: the root fetch is new, its entities are all
    // cached (an entity's answer is kept per selection: another selection would be fetched).
    let two =
        "{ topProducts(first: 2) { upc name price inStock shippingEstimate reviews { body author { username } } } }";
    assert_eq!(post(&federation, two, &[]).await, uncached.data(two).await);
    assert_eq!(asked(&take(&federation)), ["products"]);
    // One product evicted: only its representation is sent again.
    let (status, body) = invalidate(
        &federation,
        json!([{"kind": "entity", "subgraph": "inventory", "type": "Product", "key": {"upc": "2"}}]),
        TOKEN,
    )
    .await;
    assert_eq!((status, body), (200, json!({"count": 2})));
    assert_eq!(post(&federation, PRODUCTS, &[]).await, expected);
    let requests = take(&federation);
    assert_eq!(asked(&requests), ["inventory", "products", "reviews"], "the list and product 2's entities");
    for (name, body) in requests.iter().filter(|(name, _)| *name != "products") {
        sent_only(name, body, "2");
    }
    // A client asking past caches is answered by the subgraphs.
    assert_eq!(post(&federation, PRODUCTS, &[("cache-control", "no-cache")]).await, expected);
    assert_eq!(asked(&take(&federation)), ["inventory", "products", "reviews"]);
}

#[tokio::test]
async fn private_answers_are_kept_per_viewer_and_never_shared() {
    let federation = recorded(|c| cached(c, EntityCacheBackend::Memory)).start().await;
    let me = "{ me { id username } }";
    let ada = json!({"me": {"id": "1", "username": "@ada"}});
    let alan = json!({"me": {"id": "2", "username": "@complete"}});
    assert_eq!(post(&federation, me, &[("x-user", "1")]).await, ada);
    assert_eq!(post(&federation, me, &[("x-user", "2")]).await, alan, "another viewer gets their own");
    assert_eq!(asked(&take(&federation)), ["accounts", "accounts"]);
    assert_eq!(post(&federation, me, &[("x-user", "1")]).await, ada);
    assert_eq!(post(&federation, me, &[("x-user", "2")]).await, alan);
    assert_eq!(asked(&take(&federation)), Vec::<&str>::new(), "each viewer's answer is cached");
    assert_eq!(post(&federation, me, &[("x-user", "3")]).await["me"]["username"], "@grace");
}

#[tokio::test]
async fn invalidation_requests_need_the_token_and_a_well_formed_list() {
    let federation = recorded(|c| cached(c, EntityCacheBackend::Memory)).start().await;
    let (status, body) = invalidate(&federation, json!([{"kind": "subgraph", "subgraph": "products"}]), "wrong").await;
    assert_eq!((status, body["errors"][0]["extensions"]["code"].as_str()), (401, Some("UNAUTHENTICATED")));
    for bad in
        [json!({"kind": "subgraph"}), json!([{"kind": "subgraph", "subgraph": "nope"}]), json!([{"kind": "all"}])]
    {
        let (status, body) = invalidate(&federation, bad.clone(), TOKEN).await;
        assert_eq!((status, body["errors"][0]["extensions"]["code"].as_str()), (400, Some("BAD_REQUEST")), "{bad}");
    }
    post(&federation, PRODUCTS, &[]).await;
    take(&federation);
    let (status, _) = invalidate(&federation, json!([{"kind": "subgraph", "subgraph": "reviews"}]), TOKEN).await;
    assert_eq!(status, 200);
    post(&federation, PRODUCTS, &[]).await;
    assert_eq!(asked(&take(&federation)), ["reviews"], "only the evicted subgraph is asked again");
}

#[tokio::test]
async fn with_redis_an_instance_answers_from_what_another_cached_and_sees_its_invalidations() {
    let redis = RedisPrefix::new();
    let shared = |c: &mut GatewayConfig| {
        cached(c, EntityCacheBackend::Redis);
        c.entity_cache.key_prefix = redis.prefix.clone();
    };
    let first = recorded(shared).start().await;
    let second = recorded(shared).start().await;
    let expected = post(&first, PRODUCTS, &[]).await;
    assert_eq!(asked(&take(&first)), ["inventory", "products", "reviews"]);
    // The second instance's subgraphs are other processes: asking none shows Redis answered.
    assert_eq!(post(&second, PRODUCTS, &[]).await, expected);
    assert_eq!(asked(&take(&second)), Vec::<&str>::new());
    // An invalidation sent to the first instance reaches the second's in-process tier.
    let (status, _) =
        invalidate(&first, json!([{"kind": "type", "subgraph": "reviews", "type": "Review"}]), TOKEN).await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(post(&second, PRODUCTS, &[]).await, expected);
    // products' answer to the list holds no review: only reviews is asked again.
    assert_eq!(asked(&take(&second)), ["reviews"]);
}

#[tokio::test]
async fn while_redis_cannot_answer_queries_are_fetched_and_answered_alike() {
    let redis = RedisPrefix::new();
    let proxy = braid_testkit::proxy::CutProxy::start("127.0.0.1:6379").await;
    let url = format!("redis://{}", proxy.address());
    let federation = recorded(|c| {
        cached(c, EntityCacheBackend::Redis);
        c.entity_cache.redis_url = url;
        c.entity_cache.key_prefix = redis.prefix.clone();
        // Redis alone: what is answered from memory would not show Redis missing.
        c.entity_cache.memory_entries = 0;
    })
    .start()
    .await;
    let expected = post(&federation, PRODUCTS, &[]).await;
    post(&federation, PRODUCTS, &[]).await;
    take(&federation);
    proxy.cut();
    for _ in 0..2 {
        assert_eq!(post(&federation, PRODUCTS, &[]).await, expected);
        assert_eq!(asked(&take(&federation)), ["inventory", "products", "reviews"], "fetched, not failed");
    }
    proxy.restore();
    braid_testkit::eventually("answers from Redis again", std::time::Duration::from_secs(10), || async {
        assert_eq!(post(&federation, PRODUCTS, &[]).await, expected);
        take(&federation).is_empty().then_some(())
    })
    .await;
}

/// The demo federation with products and inventory putting cache tags on their answers.
fn tagging(edit: impl FnOnce(&mut GatewayConfig)) -> Builder {
    let tags = Options { cache_tags: true, ..Options::default() };
    Builder::new(Supergraph::Demo)
        .config(edit)
        .subgraph(Subgraph::Accounts, Run::Recorded(Options::default()))
        .subgraph(Subgraph::Products, Run::Recorded(tags.clone()))
        .subgraph(Subgraph::Inventory, Run::Recorded(tags))
        .subgraph(Subgraph::Reviews, Run::Recorded(Options::default()))
}

async fn evict_tag(federation: &Federation, subgraph: &str, tag: &str) {
    let body = json!([{"kind": "cache_tag", "subgraphs": [subgraph], "cache_tag": tag}]);
    assert_eq!(invalidate(federation, body, TOKEN).await, (200, json!({"count": 2})));
}

#[tokio::test]
async fn answers_a_subgraph_tags_are_evicted_by_their_cache_tag_and_no_other() {
    let federation = tagging(|c| cached(c, EntityCacheBackend::Memory)).start().await;
    let expected = post(&federation, PRODUCTS, &[]).await;
    assert_eq!(asked(&take(&federation)), ["inventory", "products", "reviews"]);
    // Tags learnt with these answers: they were not kept (a tag could have been invalidated
    // while they were fetched, unseen); from now on they are.
    assert_eq!(post(&federation, PRODUCTS, &[]).await, expected);
    assert_eq!(asked(&take(&federation)), ["inventory", "products"]);
    assert_eq!(post(&federation, PRODUCTS, &[]).await, expected);
    assert_eq!(asked(&take(&federation)), Vec::<&str>::new());
    // One product's inventory answer, by its tag: only its representation is sent again.
    evict_tag(&federation, "inventory", "Product-2").await;
    assert_eq!(post(&federation, PRODUCTS, &[]).await, expected);
    let requests = take(&federation);
    assert_eq!(asked(&requests), ["inventory"]);
    sent_only(requests[0].0, &requests[0].1, "2");
    // The list, by the tag products put on it; a tag of another subgraph evicts nothing here.
    evict_tag(&federation, "products", "topProducts").await;
    assert_eq!(post(&federation, PRODUCTS, &[]).await, expected);
    assert_eq!(asked(&take(&federation)), ["products"]);
    evict_tag(&federation, "products", "Product-2").await;
    assert_eq!(post(&federation, PRODUCTS, &[]).await, expected);
    assert_eq!(asked(&take(&federation)), Vec::<&str>::new());
}

#[tokio::test]
async fn with_redis_a_cache_tag_evicts_in_every_instance() {
    let redis = RedisPrefix::new();
    let shared = |c: &mut GatewayConfig| {
        cached(c, EntityCacheBackend::Redis);
        c.entity_cache.key_prefix = redis.prefix.clone();
    };
    let first = tagging(shared).start().await;
    let second = tagging(|c| {
        shared(c);
        // Redis alone: the tagged entries and their tags' generations are read from it.
        c.entity_cache.memory_entries = 0;
    })
    .start()
    .await;
    let expected = post(&first, PRODUCTS, &[]).await;
    post(&first, PRODUCTS, &[]).await;
    assert_eq!(asked(&take(&first)), ["inventory", "inventory", "products", "products", "reviews"]);
    // The second instance learns that inventory tags its answers from them, found in Redis.
    assert_eq!(post(&second, PRODUCTS, &[]).await, expected);
    assert_eq!(asked(&take(&second)), Vec::<&str>::new());
    evict_tag(&second, "inventory", "Product-3").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // The first instance's in-process entry was evicted by the announcement: it asks again
    // for that product only, and stores the answer with the tag's new generation.
    assert_eq!(post(&first, PRODUCTS, &[]).await, expected);
    let requests = take(&first);
    assert_eq!(asked(&requests), ["inventory"]);
    sent_only(requests[0].0, &requests[0].1, "3");
    // The second finds that refill in Redis, not the entry the eviction made stale.
    assert_eq!(post(&second, PRODUCTS, &[]).await, expected);
    assert_eq!(asked(&take(&second)), Vec::<&str>::new());
    evict_tag(&first, "inventory", "Product-4").await;
    assert_eq!(post(&second, PRODUCTS, &[]).await, expected);
    let requests = take(&second);
    assert_eq!(asked(&requests), ["inventory"]);
    sent_only(requests[0].0, &requests[0].1, "4");
}

#[tokio::test]
async fn a_root_field_asking_one_entity_by_its_key_is_evicted_by_that_entity_and_not_by_others() {
    let federation = recorded(|c| cached(c, EntityCacheBackend::Memory)).start().await;
    let uncached = crate::federation::start(Supergraph::Demo).await;
    let page = |upc: &str| {
        let query = "query Page($upc: String!) { product(upc: $upc) { upc name price inStock } }";
        json!({ "query": query, "variables": { "upc": upc } }).to_string()
    };
    let ask = |body: String| async {
        let reply = federation.post(body, &[]).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    };
    let literal = r#"{ product(upc: "2") { upc name price inStock } }"#;
    let expected = [uncached.post(page("1"), &[]).await.body, uncached.data(literal).await];
    assert_eq!(ask(page("1")).await, expected[0]);
    assert_eq!(post(&federation, literal, &[]).await, expected[1]);
    post(&federation, PRODUCTS, &[]).await;
    take(&federation);
    // Another product changed: the list is asked again, neither page.
    let (status, _) = invalidate(
        &federation,
        json!([{"kind": "entity", "subgraph": "products", "type": "Product", "key": {"upc": "3"}}]),
        TOKEN,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(ask(page("1")).await, expected[0]);
    assert_eq!(post(&federation, literal, &[]).await, expected[1]);
    assert_eq!(asked(&take(&federation)), Vec::<&str>::new(), "a page of another product");
    post(&federation, PRODUCTS, &[]).await;
    assert!(asked(&take(&federation)).contains(&"products"), "the list holds product 3");
    // Its own product changed: asked again, by variable and by literal alike.
    for (upc, body) in [("1", page("1")), ("2", json!({ "query": literal }).to_string())] {
        let key = json!([{"kind": "entity", "subgraph": "products", "type": "Product", "key": {"upc": upc}}]);
        assert_eq!(invalidate(&federation, key, TOKEN).await.0, 200);
        ask(body).await;
        assert_eq!(asked(&take(&federation)), ["inventory", "products"], "product {upc}");
    }
    // The whole type invalidated: every page goes.
    let (status, _) =
        invalidate(&federation, json!([{"kind": "type", "subgraph": "products", "type": "Product"}]), TOKEN).await;
    assert_eq!(status, 200);
    ask(page("1")).await;
    assert!(asked(&take(&federation)).contains(&"products"));
}
