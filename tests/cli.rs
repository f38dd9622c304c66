//! The `braid` command as a newcomer runs it.

use std::path::Path;
use std::process::Command;

use braid_testkit::client::GraphqlClient;
use braid_testkit::process::{BraidProcess, free_addr};
use serde_json::json;

const BRAID: &str = env!("CARGO_BIN_EXE_braid");

#[tokio::test]
async fn demo_serves_the_catalog_and_documents_with_nothing_installed() {
    let dir = std::env::temp_dir().join(braid_testkit::unique("braid-demo-"));
    let data_dir = dir.to_str().unwrap().to_string();
    let addr = free_addr();
    let query = "{ products(first: 5) { totalCount edges { node { id name price { amount currency } } } } }";

    let demo = BraidProcess::start(Path::new(BRAID), &["demo", "--listen", &addr, "--data-dir", &data_dir], &[], &addr);
    let client = GraphqlClient::new(format!("http://{addr}/graphql"));
    let reply = client.query(query, json!({})).await;
    let products = &reply.data()["products"];
    assert_eq!(products["edges"].as_array().unwrap().len(), 5);
    assert!(products["totalCount"].as_u64().unwrap() >= 1000, "{products}");
    assert_eq!(products["edges"][0]["node"]["price"]["currency"], "EUR");

    // The README's documents query, with a demo login.
    let login = "mutation { login(email: \"ceo@demo.braid\", password: \"braid-demo\") { accessToken } }";
    let token = client.query(login, json!({})).await;
    let token = token.data()["login"]["accessToken"].as_str().unwrap().to_string();
    let documents = "{ visibleDocuments(first: 50) { totalCount edges { node { title owner { name manager { name } } } } \
                     pageInfo { endCursor hasNextPage } } }";
    let page = client.query_as(&token, documents, json!({})).await;
    let page = &page.data()["visibleDocuments"];
    assert_eq!(page["totalCount"], 20_000, "the CEO sees every demo document");
    assert_eq!(page["edges"].as_array().unwrap().len(), 50);
    assert!(page["edges"][0]["node"]["owner"]["name"].is_string(), "{page}");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert!(demo.terminate().success(), "SIGTERM is a clean shutdown");

    // A second start keeps the data and does not seed twice.
    let demo = BraidProcess::start(Path::new(BRAID), &["demo", "--listen", &addr, "--data-dir", &data_dir], &[], &addr);
    // A new client: the old one's pooled connection went with the first process.
    let client = GraphqlClient::new(format!("http://{addr}/graphql"));
    let again = client.query(query, json!({})).await;
    assert_eq!(again.data()["products"]["totalCount"], products["totalCount"]);
    assert!(demo.terminate().success());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn unknown_config_keys_and_bad_values_stop_the_process_with_their_name() {
    let dir = std::env::temp_dir().join(braid_testkit::unique("braid-config-"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("catalog.toml");
    std::fs::write(&file, "[database]\nurl = \"sqlite::memory:\"\nmax_conections = 4\n").unwrap();
    let out = Command::new(BRAID).args(["subgraph", "catalog", "--config", file.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("max_conections"), "{stderr}");

    std::fs::write(&file, "[database]\nurl = \"sqlite::memory:\"\n").unwrap();
    let out = Command::new(BRAID)
        .args(["subgraph", "catalog", "--config", file.to_str().unwrap()])
        .env("BRAID_CACHE__BACKEND", "memcached")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cache.backend") && stderr.contains("BRAID_"), "{stderr}");

    let out = Command::new(BRAID)
        .args(["subgraph", "catalog", "--config", dir.join("missing.toml").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn help_names_every_command() {
    let out = Command::new(BRAID).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for command in ["demo", "subgraph", "migrate", "sdl", "config-schema"] {
        assert!(help.contains(command), "{command} missing from --help");
    }
}

#[test]
fn config_schema_is_json_schema_of_every_section() {
    let out = Command::new(BRAID).arg("config-schema").output().unwrap();
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for section in ["server", "database", "events", "cache", "auth", "issuer", "access"] {
        assert!(schema["properties"].get(section).is_some(), "{section} missing");
    }
}

#[test]
fn the_example_config_is_valid() {
    let path = braid_testkit::repo_root().join("config/catalog.example.toml");
    let config = braid_kit::SubgraphConfig::load(Some(&path)).expect("example config loads");
    assert_eq!(config.cache.backend, braid_kit::config::CacheBackend::Redis);
    let path = braid_testkit::repo_root().join("config/permissions.example.toml");
    let config = braid_kit::SubgraphConfig::load(Some(&path)).expect("permissions example config loads");
    assert_eq!(config.issuer.key_publish_ahead_secs, 60);
}

#[tokio::test]
async fn migrate_creates_the_catalog_tables() {
    use sea_orm::ConnectionTrait;
    let db = braid_testkit::db::TestDb::create().await;
    let out = Command::new(BRAID).args(["migrate", "catalog", "--database-url", &db.url]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Twice is fine: nothing pending the second time.
    let out = Command::new(BRAID).args(["migrate", "catalog", "--database-url", &db.url]).output().unwrap();
    assert!(out.status.success());
    let conn = sea_orm::Database::connect(&db.url).await.unwrap();
    for table in ["products", "categories", "inventory", "outbox", "inbox"] {
        let sql = format!("SELECT count(*) FROM {table}");
        conn.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("{table}: {e}"));
    }
    conn.close().await.unwrap();
}

#[tokio::test]
async fn gateway_serves_a_supergraph_with_env_overrides_and_stops_on_sigterm() {
    let addr = free_addr();
    let supergraph = braid_testkit::repo_root().join("tests/subgraphs/supergraphs/demo.graphql");
    let args = ["gateway", "--supergraph", supergraph.to_str().unwrap(), "--listen", &addr];
    let env = [("BRAID_LIMITS__MAX_DEPTH", "2".to_string())];
    let gateway = BraidProcess::start(Path::new(BRAID), &args, &env, &addr);
    let client = GraphqlClient::new(format!("http://{addr}/graphql"));
    let reply = client.query("{ __typename }", json!({})).await;
    assert_eq!(reply.data(), &json!({"__typename": "Query"}));
    let reply = client.query("{ topProducts { reviews { author { name } } } }", json!({})).await;
    assert_eq!(reply.body["errors"][0]["extensions"]["code"], "MAX_DEPTH_EXCEEDED", "{:?}", reply.body);
    assert!(gateway.terminate().success(), "SIGTERM is a clean shutdown");
}

#[test]
fn gateway_refuses_unknown_config_keys_and_broken_supergraphs() {
    let dir = std::env::temp_dir().join(braid_testkit::unique("braid-gateway-config-"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("gateway.toml");
    std::fs::write(&file, "[limits]\nmax_dept = 3\n").unwrap();
    let supergraph = braid_testkit::repo_root().join("tests/subgraphs/supergraphs/demo.graphql");
    let out = Command::new(BRAID)
        .args(["gateway", "--config", file.to_str().unwrap(), "--supergraph", supergraph.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_dept"));

    let broken = dir.join("broken.graphql");
    std::fs::write(&broken, "type Query { a: Int }").unwrap();
    let out = Command::new(BRAID).args(["gateway", "--supergraph", broken.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("join__Graph"), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_gateway_example_config_and_schema_cover_every_section() {
    let path = braid_testkit::repo_root().join("config/gateway.example.toml");
    let config = braid_gateway::GatewayConfig::load(Some(&path)).expect("example config loads");
    assert_eq!(config.subgraphs["catalog"].timeout_ms, Some(5000));
    assert_eq!(config.access.cache.backend, braid_kit::config::CacheBackend::Redis);
    let out = Command::new(BRAID).args(["config-schema", "gateway"]).output().unwrap();
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for section in [
        "server",
        "supergraph",
        "subgraphs",
        "limits",
        "headers",
        "traffic",
        "persisted",
        "introspection",
        "auth",
        "access",
    ] {
        assert!(schema["properties"].get(section).is_some(), "{section} missing");
    }
}
