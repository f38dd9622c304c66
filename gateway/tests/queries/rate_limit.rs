//! Rate limits: a client over its budget is answered 429 with `Retry-After` and `RateLimit-*`
//! headers, other clients are unaffected, and with Redis the budget is shared by every gateway
//! instance. Clients are told apart by address here: each connects from its own loopback
//! address (127.0.0.2, 127.0.0.3).

use std::net::{IpAddr, Ipv4Addr};

use braid_gateway::GatewayConfig;
use braid_gateway::config::{Bucket, RateLimitBackend};
use braid_test_subgraphs::Supergraph;
use braid_testkit::redis_prefix::RedisPrefix;
use serde_json::{Value, json};

use crate::federation::{Builder, Federation};

/// A client connecting from `127.0.0.<n>`.
fn client(n: u8) -> reqwest::Client {
    reqwest::Client::builder().local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))).build().unwrap()
}

/// Status, the `RateLimit-*` and `Retry-After` headers (absent: empty) and the body.
async fn send(http: &reqwest::Client, federation: &Federation, query: &str) -> (u16, [String; 4], Value) {
    let response =
        http.post(format!("{}/graphql", federation.url)).json(&json!({ "query": query })).send().await.unwrap();
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let headers =
        [header("ratelimit-limit"), header("ratelimit-remaining"), header("ratelimit-reset"), header("retry-after")];
    (response.status().as_u16(), headers, response.json().await.unwrap())
}

const PRODUCTS: &str = "{ topProducts(first: 1) { upc } }";

#[tokio::test]
async fn a_client_over_its_budget_gets_429_and_the_others_do_not() {
    let federation = Builder::new(Supergraph::Demo)
        .config(|c| {
            c.rate_limit.backend = RateLimitBackend::Memory;
            c.rate_limit.client = Bucket { capacity: 3, per_second: 0.2 };
        })
        .start()
        .await;
    let (a, b) = (client(2), client(3));
    for remaining in ["2", "1", "0"] {
        let (status, headers, body) = send(&a, &federation, PRODUCTS).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"], json!({"topProducts": [{"upc": "1"}]}));
        assert_eq!(headers[..2], ["3".to_string(), remaining.to_string()]);
        assert_eq!(headers[3], "", "Retry-After only on a refusal");
    }
    let (status, headers, body) = send(&a, &federation, PRODUCTS).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(body.get("data").is_none(), "{body}");
    // One token comes back every 5 s; the bucket is full 15 s after the last one was taken.
    assert_eq!(headers, ["3", "0", "15", "5"].map(String::from));
    let (status, headers, _) = send(&b, &federation, PRODUCTS).await;
    assert_eq!((status, headers[1].as_str()), (200, "2"), "another client has its own budget");
}

/// Two gateway instances on one Redis, each with its own subgraphs.
async fn two_instances(prefix: &str) -> (Federation, Federation) {
    let configure = |c: &mut GatewayConfig| {
        c.rate_limit.backend = RateLimitBackend::Redis;
        c.rate_limit.redis_url = braid_testkit::redis_prefix::url();
        c.rate_limit.key_prefix = prefix.to_string();
        c.rate_limit.client = Bucket { capacity: 4, per_second: 0.05 };
        c.rate_limit.operations.insert("Expensive".into(), Bucket { capacity: 1, per_second: 0.05 });
        c.rate_limit.subgraphs.insert("inventory".into(), Bucket { capacity: 2, per_second: 0.05 });
    };
    let first = Builder::new(Supergraph::Demo).config(configure).start().await;
    let second = Builder::new(Supergraph::Demo).config(configure).start().await;
    (first, second)
}

#[tokio::test]
async fn budgets_in_redis_are_shared_by_every_instance_per_client_operation_and_subgraph() {
    let redis = RedisPrefix::new();
    let (one, two) = two_instances(&redis.prefix).await;
    let (a, b) = (client(2), client(3));
    let status = |reply: (u16, [String; 4], Value)| reply.0;
    let expensive = "query Expensive { topProducts(first: 1) { upc } }";
    let stock = "{ topProducts(first: 1) { inStock } }";
    // The operation's budget of one, spent through the first instance, is gone on the second.
    assert_eq!(status(send(&a, &one, expensive).await), 200);
    let (code, headers, body) = send(&a, &two, expensive).await;
    assert_eq!(code, 429, "{body}");
    assert_eq!(headers[..2], ["1".to_string(), "0".to_string()]);
    // inventory's budget of two, across both instances; a refused request takes no token.
    assert_eq!(status(send(&a, &one, stock).await), 200);
    assert_eq!(status(send(&a, &two, stock).await), 200);
    assert_eq!(status(send(&a, &one, stock).await), 429);
    // The client's own budget of four: three taken so far, one left, on either instance.
    let (code, headers, _) = send(&a, &two, PRODUCTS).await;
    assert_eq!((code, headers[1].as_str()), (200, "0"));
    let (code, headers, body) = send(&a, &one, PRODUCTS).await;
    assert_eq!(code, 429, "{body}");
    assert_eq!(headers[3], "20", "a token comes back every 20 s");
    // Another client spends its own budgets.
    assert_eq!(status(send(&b, &one, PRODUCTS).await), 200);
    assert_eq!(status(send(&b, &two, expensive).await), 200);
    assert_eq!(status(send(&b, &one, stock).await), 200);
}

#[tokio::test]
async fn requests_pass_without_headers_while_redis_cannot_answer() {
    let redis = RedisPrefix::new();
    let proxy = braid_testkit::proxy::CutProxy::start("127.0.0.1:6379").await;
    let url = format!("redis://{}", proxy.address());
    let federation = Builder::new(Supergraph::Demo)
        .config(|c| {
            c.rate_limit.backend = RateLimitBackend::Redis;
            c.rate_limit.redis_url = url;
            c.rate_limit.key_prefix = redis.prefix.clone();
            c.rate_limit.client = Bucket { capacity: 1, per_second: 0.05 };
        })
        .start()
        .await;
    let a = client(2);
    assert_eq!(send(&a, &federation, PRODUCTS).await.0, 200);
    assert_eq!(send(&a, &federation, PRODUCTS).await.0, 429);
    // Redis out of reach: a limiter must not take the gateway down with it.
    proxy.cut();
    for _ in 0..3 {
        let (status, headers, body) = send(&a, &federation, PRODUCTS).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(headers, [""; 4].map(String::from), "no budget to tell");
    }
    // Back: the budget is enforced again.
    proxy.restore();
    let refused = braid_testkit::eventually("the limit to apply again", std::time::Duration::from_secs(10), || async {
        (send(&a, &federation, PRODUCTS).await.0 == 429).then_some(())
    });
    refused.await;
}
