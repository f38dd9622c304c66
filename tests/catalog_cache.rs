//! The catalog's caches serve hits, counted by their metrics, and the shared cache's versioned
//! writes refuse an older version on the real Redis. A binary of its own: the hit counters are
//! process-wide, and no other test may move them meanwhile.

mod support;

use std::time::Duration;

use braid_catalog::seed::category_id;
use braid_kit::cache::{Cache, RedisCache, Versioned};
use braid_testkit::{jwt, redis_prefix};
use serde_json::json;
use support::{Catalog, Env};

const CREATE: &str = "mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }";
const PRODUCT: &str = "query($id: ID!) { product(id: $id) { id name } }";

/// The value of the counter `name` with `labels` (as Prometheus renders them), 0 when absent.
fn counter(name: &str, labels: &str) -> u64 {
    braid_testkit::metrics::sum(&braid_kit::telemetry::prometheus().render(), &format!("{name}{{{labels}}}"))
}

fn hits(tier: &str) -> u64 {
    counter("braid_cache_hits_total", &format!("cache=\"product\",tier=\"{tier}\""))
}

fn misses() -> u64 {
    counter("braid_cache_misses_total", "cache=\"product\"")
}

#[tokio::test]
async fn the_near_and_shared_caches_serve_hits() {
    let env = Env::new().await;
    // The caches are what is measured: events stay in-process (each instance its own bus).
    let mut config = env.config();
    config.events.backend = braid_kit::config::EventsBackend::Memory;
    let first = Catalog::start(config.clone(), 0).await;
    let input = json!({
        "sku": "HIT-1", "name": "Hit", "price": { "amount": "3.00", "currency": "EUR" },
        "categoryId": category_id("office"), "initialStock": 1, "lowStockThreshold": 1
    });
    let created =
        first.client.query_as(&jwt::token("admin-1", &["catalog:write"]), CREATE, json!({ "input": input })).await;
    let id = created.data()["createProduct"]["id"].as_str().unwrap().to_string();
    let read = |catalog: &Catalog| {
        let (client, id) = (catalog.client.clone(), id.clone());
        async move { client.query(PRODUCT, json!({ "id": id })).await.data()["product"]["name"].clone() }
    };

    let (near, shared, missed) = (hits("near"), hits("shared"), misses());
    assert_eq!(read(&first).await, "Hit");
    assert_eq!((hits("near") - near, hits("shared") - shared, misses() - missed), (0, 0, 1), "first read: a miss");
    let (near, shared, missed) = (hits("near"), hits("shared"), misses());
    assert_eq!(read(&first).await, "Hit");
    assert_eq!((hits("near") - near, hits("shared") - shared, misses() - missed), (1, 0, 0), "then the near cache");

    // Another instance on the same Redis: its near cache is empty, the shared one has it.
    let second = Catalog::start(config, 0).await;
    let (near, shared, missed) = (hits("near"), hits("shared"), misses());
    assert_eq!(read(&second).await, "Hit");
    assert_eq!((hits("near") - near, hits("shared") - shared, misses() - missed), (0, 1, 0), "the shared cache");
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn a_versioned_write_refuses_an_older_version_on_redis() {
    let prefix = redis_prefix::RedisPrefix::new();
    let cache = RedisCache::connect(&redis_prefix::url(), &prefix.prefix).await.unwrap();
    let ttl = Duration::from_secs(60);
    let entry = |version, value: Option<&str>| Versioned { version, value: value.map(|v| v.as_bytes().to_vec()) };
    let key = "product:1".to_string();
    assert!(cache.put_versioned(&key, &entry(2, Some("two")), ttl).await.unwrap());
    assert!(!cache.put_versioned(&key, &entry(1, Some("one")), ttl).await.unwrap(), "an older version is refused");
    assert!(!cache.put_versioned(&key, &entry(2, Some("again")), ttl).await.unwrap(), "the same version once");
    assert_eq!(cache.get_versioned(std::slice::from_ref(&key)).await.unwrap(), vec![Some(entry(2, Some("two")))]);
    // The tombstone of an invalidation at version 3 wins; a reader's version 2 cannot undo it.
    assert!(cache.put_versioned(&key, &entry(3, None), ttl).await.unwrap());
    assert!(!cache.put_versioned(&key, &entry(2, Some("two")), ttl).await.unwrap());
    assert!(cache.put_versioned(&key, &entry(3, Some("three")), ttl).await.unwrap(), "the refill after it");
    assert_eq!(cache.get_versioned(std::slice::from_ref(&key)).await.unwrap(), vec![Some(entry(3, Some("three")))]);
}
