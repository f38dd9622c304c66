//! Catalog reads on a streaming replica: a hot standby of the shared PostgreSQL of the test's
//! own (`braid_testkit::replica`), a writer instance on the primary and a reader instance with
//! `database.replica_url` pointing at the standby, both on Kafka and one Redis prefix.

mod support;

use std::time::Duration;

use braid_testkit::client::readiness;
use braid_testkit::replica::PgReplica;
use braid_testkit::{eventually, jwt};
use serde_json::{Value, json};
use support::{Catalog, Env};

const WAIT: Duration = Duration::from_secs(30);
const READ: &str = "query($id: ID!) { product(id: $id) { name } }";
const RENAME: &str = "mutation($id: ID!, $n: String!) { updateProduct(id: $id, input: { name: $n }) { version } }";

/// Posts a GraphQL request; the answer and the write token it carried.
async fn post(url: &str, query: &str, variables: Value, headers: &[(&str, String)]) -> (Value, Option<String>) {
    let mut request = reqwest::Client::new().post(url).json(&json!({ "query": query, "variables": variables }));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("the catalog answers");
    let token = response.headers().get("braid-read-after").and_then(|v| v.to_str().ok()).map(str::to_string);
    (response.json().await.expect("JSON"), token)
}

async fn rename(writer: &Catalog, id: &str, name: &str) -> Option<String> {
    let auth = ("authorization", format!("Bearer {}", jwt::token("admin-1", &["catalog:write"])));
    let (body, token) = post(&writer.url, RENAME, json!({ "id": id, "n": name }), &[auth]).await;
    assert!(body["errors"].is_null(), "{body}");
    token
}

async fn name_of(reader: &Catalog, id: &str, token: Option<&str>) -> String {
    let headers: Vec<(&str, String)> = token.map(|t| ("braid-read-after", t.to_string())).into_iter().collect();
    let (body, _) = post(&reader.url, READ, json!({ "id": id }), &headers).await;
    body["data"]["product"]["name"].as_str().unwrap_or_else(|| panic!("a product: {body}")).to_string()
}

/// Reads the reader sent to the standby (`braid_db_reads_total`; only the reader has one).
fn standby_reads() -> u64 {
    let text = braid_kit::telemetry::prometheus().render();
    text.lines()
        .filter(|l| l.starts_with("braid_db_reads_total{to=\"standby\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Pages the caches do not hold (a filter never asked before), through `catalog`.
async fn uncached_pages(catalog: &Catalog, n: usize) {
    for i in 0..n {
        let query = "query($s: String!) { products(first: 5, filter: { search: $s }) { totalCount } }";
        let (body, _) = post(&catalog.url, query, json!({ "s": braid_testkit::unique(&format!("p{i}")) }), &[]).await;
        assert!(body["errors"].is_null(), "{body}");
    }
}

async fn replica_check(reader: &Catalog) -> Value {
    let body: Value = reqwest::get(format!("{}/ready", reader.base)).await.unwrap().json().await.unwrap();
    body
}

/// Waits until `/ready` says "degraded" with a replica check `expected` accepts; that check.
async fn degraded_because(reader: &Catalog, what: &str, expected: impl Fn(&str) -> bool) -> String {
    eventually(&format!("/ready to report {what}"), WAIT, || async {
        let ready = replica_check(reader).await;
        let replica = ready["checks"]["replica"].as_str().unwrap_or_default().to_string();
        (ready["status"] == "degraded" && expected(&replica)).then_some(replica)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_go_to_the_replica_the_writer_reads_its_writes_and_a_paused_or_gone_replica_is_left_aside() {
    let env = Env::new().await;
    let writer = Catalog::start(env.config(), 10).await;
    let standby = tokio::task::block_in_place(PgReplica::start);
    let mut config = env.config();
    config.database.replica_url = Some(standby.url(&env.db.name));
    config.database.replica_max_lag_ms = 300;
    let reader = Catalog::start(config, 0).await;
    let (body, _) = post(&writer.url, "{ products(first: 1) { edges { node { id } } } }", json!({}), &[]).await;
    let id = body["data"]["products"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();

    // The standby keeps up: /ready says so.
    eventually("the replica serving reads", WAIT, || async {
        let ready = replica_check(&reader).await;
        (ready["checks"]["replica"] == "ok" && ready["status"] == "ready").then_some(())
    })
    .await;
    assert_eq!(readiness(&reader.base).await.0, 200);
    let before = standby_reads();
    uncached_pages(&reader, 10).await;
    assert!(standby_reads() >= before + 10, "the reader's database reads went to the standby");

    // Read your writes: the token the write returned, sent with the read.
    for round in 0..5 {
        let name = format!("Written {round}");
        let token = rename(&writer, &id, &name).await.expect("a write with a standby configured returns a token");
        assert_eq!(name_of(&reader, &id, Some(&token)).await, name, "the writer reads its own write");
    }

    // Replay paused: /ready says why, reads go to the primary, and once the change's event is
    // consumed the reader never answers the old name again (its caches were not refilled from
    // the standby, which still has it).
    let admin = sea_orm::Database::connect(standby.url(&env.db.name)).await.unwrap();
    use sea_orm::ConnectionTrait;
    admin.execute_unprepared("SELECT pg_wal_replay_pause()").await.unwrap();
    let said = degraded_because(&reader, "the paused replay", |why| why.contains("replay paused")).await;
    assert!(said.ends_with("reads go to the primary"), "{said}");
    assert_eq!(readiness(&reader.base).await.0, 200, "a paused replica leaves the service ready");
    let before = standby_reads();
    uncached_pages(&reader, 10).await;
    assert_eq!(standby_reads(), before, "no read went to the paused standby");
    let old_name = name_of(&reader, &id, None).await;
    let token = rename(&writer, &id, "After the pause").await.unwrap();
    assert_eq!(name_of(&reader, &id, Some(&token)).await, "After the pause");
    eventually("the change to reach the reader", WAIT, || async {
        (name_of(&reader, &id, None).await == "After the pause").then_some(())
    })
    .await;
    for _ in 0..20 {
        assert_eq!(name_of(&reader, &id, None).await, "After the pause", "never {old_name:?} again");
    }
    let page = "{ products(first: 10) { edges { node { id name } } } }";
    let (body, _) = post(&reader.url, page, json!({}), &[]).await;
    let listed = body["data"]["products"]["edges"].as_array().unwrap();
    assert!(listed.iter().any(|e| e["node"]["name"] == "After the pause"), "{body}");

    // Replay resumed: the standby serves again.
    admin.execute_unprepared("SELECT pg_wal_replay_resume()").await.unwrap();
    eventually("the replica serving reads again", WAIT, || async {
        (replica_check(&reader).await["checks"]["replica"] == "ok").then_some(())
    })
    .await;
    admin.close().await.unwrap();

    // The standby gone: /ready says so and the reader answers from the primary.
    tokio::task::block_in_place(|| standby.stop());
    let said = degraded_because(&reader, "the standby gone", |why| why.starts_with("unreachable")).await;
    assert!(said.ends_with("reads go to the primary"), "{said}");
    let token = rename(&writer, &id, "With the standby down").await.unwrap();
    assert_eq!(name_of(&reader, &id, Some(&token)).await, "With the standby down");
    uncached_pages(&reader, 3).await;
    reader.stop().await;
    writer.stop().await;
    drop(standby);
}

#[tokio::test]
async fn a_malformed_read_token_is_refused_with_a_code() {
    let env = Env::new().await;
    let catalog = Catalog::start(env.config(), 1).await;
    let (body, _) = post(
        &catalog.url,
        "{ products(first: 1) { totalCount } }",
        json!({}),
        &[("braid-read-after", "not-a-position".to_string())],
    )
    .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{body}");
    catalog.stop().await;
}
