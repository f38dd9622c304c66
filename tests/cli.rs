//! The `braid` command as a newcomer runs it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

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

/// `braid demo` on a fresh data directory of its own, and the CEO's token: (data directory,
/// address, process, client, token).
async fn demo_as_ceo(prefix: &str) -> (std::path::PathBuf, String, BraidProcess, GraphqlClient, String) {
    let dir = std::env::temp_dir().join(braid_testkit::unique(prefix));
    let data_dir = dir.to_str().unwrap().to_string();
    let addr = free_addr();
    let demo = BraidProcess::start(Path::new(BRAID), &["demo", "--listen", &addr, "--data-dir", &data_dir], &[], &addr);
    let client = GraphqlClient::new(format!("http://{addr}/graphql"));
    let login = "mutation { login(email: \"ceo@demo.braid\", password: \"braid-demo\") { accessToken } }";
    let token = client.query(login, json!({})).await.data()["login"]["accessToken"].as_str().unwrap().to_string();
    (dir, addr, demo, client, token)
}

/// The order saga in the demo, as the README tells a newcomer to try it.
#[tokio::test]
async fn demo_buys_cancels_and_lets_the_ceo_create_a_product() {
    let (dir, _, demo, client, token) = demo_as_ceo("braid-demo-").await;
    let stock = "{ products(first: 2, sort: NAME) { edges { node { id inventory { available } } } } }";
    let before = client.query(stock, json!({})).await.data()["products"]["edges"].clone();
    let ids: Vec<String> = (0..2).map(|i| before[i]["node"]["id"].as_str().unwrap().to_string()).collect();
    let available = |edges: &serde_json::Value, i: usize| edges[i]["node"]["inventory"]["available"].as_i64().unwrap();
    let add = "mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { itemCount } }";
    let place = "mutation($key: String!) { placeOrder(input: { idempotencyKey: $key, shippingAddress: \
                 { name: \"Ada\", line1: \"1 Main St\", city: \"Berlin\", postalCode: \"10115\", country: \"DE\" } }) { id } }";
    let read = "query($id: ID!) { order(id: $id) { status timeline { step outcome at } } }";

    client.query_as(&token, add, json!({ "p": ids[0], "q": 2 })).await.data();
    client.query_as(&token, add, json!({ "p": ids[1], "q": 1 })).await.data();
    let order = client.query_as(&token, place, json!({ "key": "demo-1" })).await.data()["placeOrder"]["id"].clone();
    let done = braid_testkit::eventually("the demo order to complete", std::time::Duration::from_secs(30), || async {
        let o = client.query_as(&token, read, json!({ "id": order })).await.data()["order"].clone();
        (o["status"] == "COMPLETED").then_some(o)
    })
    .await;
    let steps: Vec<&str> = done["timeline"].as_array().unwrap().iter().map(|e| e["step"].as_str().unwrap()).collect();
    for step in ["stock.reserve", "payment.capture", "stock.commit", "shipment.create", "order.complete"] {
        assert!(steps.contains(&step), "{step} missing from {steps:?}");
    }
    let after = client.query(stock, json!({})).await.data()["products"]["edges"].clone();
    assert_eq!((available(&after, 0), available(&after, 1)), (available(&before, 0) - 2, available(&before, 1) - 1));

    // Cancelled while the warehouse prepares it: the stock comes back.
    client.query_as(&token, add, json!({ "p": ids[0], "q": 1 })).await.data();
    let order = client.query_as(&token, place, json!({ "key": "demo-2" })).await.data()["placeOrder"]["id"].clone();
    let status = "query($id: ID!) { order(id: $id) { status canCancel } }";
    braid_testkit::eventually("the demo order to be paid", std::time::Duration::from_secs(30), || async {
        let o = client.query_as(&token, status, json!({ "id": order })).await.data()["order"].clone();
        (o["status"] == "PAID").then_some(())
    })
    .await;
    let cancel = "mutation($id: ID!) { cancelOrder(id: $id) { id } }";
    client.query_as(&token, cancel, json!({ "id": order })).await.data();
    braid_testkit::eventually("the demo order to be cancelled", std::time::Duration::from_secs(30), || async {
        let o = client.query_as(&token, read, json!({ "id": order })).await.data()["order"].clone();
        (o["status"] == "CANCELLED").then_some(())
    })
    .await;
    let last = client.query(stock, json!({})).await.data()["products"]["edges"].clone();
    assert_eq!(available(&last, 0), available(&after, 0), "the cancelled order's stock is back");

    // Every demo subgraph verifies the demo's tokens: the CEO may create a product.
    let create = "mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }";
    let categories = client.query("{ categories { id } }", json!({})).await.data()["categories"].clone();
    let input = json!({ "sku": "DEMO-NEW-1", "name": "Braided Lanyard", "price": { "amount": "4.50", "currency": "EUR" },
                        "categoryId": categories[0]["id"], "initialStock": 5 });
    client.query_as(&token, create, json!({ "input": input })).await.data();
    let search = "{ products(first: 5, filter: { search: \"Braided Lanyard\" }) { totalCount } }";
    assert_eq!(client.query(search, json!({})).await.data()["products"]["totalCount"], 1);
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
    for command in ["demo", "subgraph", "migrate", "sdl", "config-schema", "payment-provider", "orders"] {
        assert!(help.contains(command), "{command} missing from --help");
    }
}

#[test]
fn config_schema_is_json_schema_of_every_section() {
    let out = Command::new(BRAID).arg("config-schema").output().unwrap();
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for section in
        ["server", "database", "events", "cache", "auth", "issuer", "access", "orders", "payment", "shipping"]
    {
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
    // Logged to a pipe: plain text, no terminal colour codes.
    let logs = String::from_utf8_lossy(&out.stdout);
    assert!(logs.contains("Applying migration"), "{logs}");
    assert!(!logs.contains('\u{1b}'), "colour codes in {logs:?}");
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
    // A budget of two requests per client, by address (the thread-per-core listener's).
    let env = [
        ("BRAID_LIMITS__MAX_DEPTH", "2".to_string()),
        ("BRAID_RATE_LIMIT__BACKEND", "memory".to_string()),
        ("BRAID_RATE_LIMIT__CLIENT__CAPACITY", "2".to_string()),
        ("BRAID_RATE_LIMIT__CLIENT__PER_SECOND", "0.01".to_string()),
    ];
    let gateway = BraidProcess::start(Path::new(BRAID), &args, &env, &addr);
    let client = GraphqlClient::new(format!("http://{addr}/graphql"));
    let reply = client.query("{ __typename }", json!({})).await;
    assert_eq!(reply.data(), &json!({"__typename": "Query"}));
    let reply = client.query("{ topProducts { reviews { author { name } } } }", json!({})).await;
    assert_eq!(reply.body["errors"][0]["extensions"]["code"], "MAX_DEPTH_EXCEEDED", "{:?}", reply.body);
    assert_eq!(client.query("{ __typename }", json!({})).await.status, 200);
    let reply = client.query("{ __typename }", json!({})).await;
    assert_eq!((reply.status, reply.code()), (429, "RATE_LIMITED"), "{:?}", reply.body);
    assert!(gateway.terminate().success(), "SIGTERM is a clean shutdown");
}

#[tokio::test]
async fn on_sigterm_the_gateway_frees_its_port_at_once_and_finishes_what_is_in_flight() {
    use braid_test_subgraphs::{Options, Subgraph, Supergraph};
    // products answers after 1.5 s, so a query is in flight when the signal comes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let products = listener.local_addr().unwrap();
    let options = Options { delay: Some(Duration::from_millis(1500)), ..Options::default() };
    tokio::spawn(braid_test_subgraphs::serve(Subgraph::Products, listener, options, std::future::pending()));
    let sdl = Supergraph::Demo.sdl().replace("127.0.0.1:4002", &products.to_string());
    let dir = std::env::temp_dir().join(braid_testkit::unique("braid-gateway-stop-"));
    std::fs::create_dir_all(&dir).unwrap();
    let supergraph = dir.join("supergraph.graphql");
    std::fs::write(&supergraph, sdl).unwrap();
    let addr = free_addr();
    let args = ["gateway", "--supergraph", supergraph.to_str().unwrap(), "--listen", &addr];
    let mut gateway = BraidProcess::start(Path::new(BRAID), &args, &[], &addr);
    let client = GraphqlClient::new(format!("http://{addr}/graphql"));
    let in_flight = tokio::spawn(async move { client.query("{ topProducts(first: 1) { upc } }", json!({})).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    gateway.signal_term();
    // A new instance could bind the port while this one still drains.
    let deadline = Instant::now() + Duration::from_secs(1);
    while std::net::TcpListener::bind(&addr).is_err() {
        assert!(Instant::now() < deadline, "the port is still held a second after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!in_flight.is_finished(), "the query was answered before the port was free");
    assert_eq!(in_flight.await.unwrap().data(), &json!({"topProducts": [{"upc": "1"}]}));
    assert!(gateway.wait().success(), "SIGTERM is a clean shutdown");
    std::fs::remove_dir_all(&dir).ok();
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
    assert_eq!(config.rate_limit.operations["CreateProduct"].capacity, 10);
    assert_eq!(config.cost.mode, braid_gateway::config::CostMode::Enforce);
    assert_eq!(config.entity_cache.backend, braid_gateway::config::EntityCacheBackend::Redis);
    assert_eq!(config.entity_cache.type_events["permissions.grant"], ["Document", "Employee"]);
    assert_eq!(config.server.tls.handshake_timeout_ms, 10_000);
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
        "rate_limit",
        "cost",
        "entity_cache",
        "client_tls",
    ] {
        assert!(schema["properties"].get(section).is_some(), "{section} missing");
    }
}

/// `braid demo` streams an order through its saga to a `myOrders` subscription over a
/// WebSocket (every status in order, each once) and the stock it took to a `stockChanged`
/// subscription, as the events of the in-process bus arrive.
#[tokio::test]
async fn demo_streams_an_order_through_its_saga_to_a_subscriber() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let (dir, addr, demo, client, token) = demo_as_ceo("braid-demo-live-").await;

    let mut request = format!("ws://{addr}/graphql").into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = async |socket: &mut tokio_tungstenite::WebSocketStream<_>, message: serde_json::Value| {
        socket.send(Message::Text(message.to_string().into())).await.unwrap();
    };
    send(&mut socket, json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}}))
        .await;
    let products = "{ products(first: 1, sort: NAME) { edges { node { id inventory { available } } } } }";
    let products = client.query(products, json!({})).await.data()["products"]["edges"][0]["node"].clone();
    let (product, available) = (products["id"].clone(), products["inventory"]["available"].as_i64().unwrap());
    let subscription = "subscription { myOrders { id status buyer { name } } }";
    send(&mut socket, json!({"id": "live", "type": "subscribe", "payload": {"query": subscription}})).await;
    let stock = "subscription ($ids: [ID!]!) { stockChanged(ids: $ids) { id name inventory { available } } }";
    let variables = json!({ "ids": [product] });
    send(&mut socket, json!({"id": "stock", "type": "subscribe", "payload": {"query": stock, "variables": variables}}))
        .await;
    // Subscribed once the gateway counts them.
    braid_testkit::eventually("the subscriptions to be registered", std::time::Duration::from_secs(10), || async {
        let metrics = reqwest::get(format!("http://{addr}/metrics")).await.ok()?.text().await.ok()?;
        metrics.lines().any(|l| l == "braid_gateway_subscriptions_active 2").then_some(())
    })
    .await;

    let add = "mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { itemCount } }";
    client.query_as(&token, add, json!({ "p": product })).await.data();
    let place = "mutation { placeOrder(input: { idempotencyKey: \"live-1\", shippingAddress: \
                 { name: \"Ada\", line1: \"1 Main St\", city: \"Berlin\", postalCode: \"10115\", country: \"DE\" } }) { id } }";
    let order = client.query_as(&token, place, json!({})).await.data()["placeOrder"]["id"].clone();

    let (mut statuses, mut stock_seen) = (Vec::new(), Vec::new());
    while statuses.last().map(String::as_str) != Some("COMPLETED") || stock_seen.is_empty() {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(30), socket.next()).await;
        let Message::Text(text) = frame.expect("the next event in time").unwrap().unwrap() else { continue };
        let message: serde_json::Value = serde_json::from_str(&text).unwrap();
        if message["type"] == "connection_ack" || message["type"] == "ping" {
            continue;
        }
        assert_eq!(message["type"], "next", "{message}");
        if message["id"] == "stock" {
            // A field only the catalog resolves, as the order's reservation changed it.
            let product_now = &message["payload"]["data"]["stockChanged"];
            assert_eq!(product_now["id"], product);
            stock_seen.push(product_now["inventory"]["available"].as_i64().unwrap());
            continue;
        }
        let live = &message["payload"]["data"]["myOrders"];
        assert_eq!(live["id"], order, "only the order placed here changes");
        assert_eq!(live["buyer"]["name"].as_str().map(|n| !n.is_empty()), Some(true), "{message}");
        statuses.push(live["status"].as_str().unwrap().to_string());
    }
    assert_eq!(statuses, ["PENDING", "STOCK_RESERVED", "PAID", "SHIPPING", "COMPLETED"]);
    // Read past the catalog's caches (which the same event may not have reached yet), and not
    // sent again when the stock commit changes nothing selected.
    assert_eq!(stock_seen, [available - 1]);
    assert!(demo.terminate().success());
    let _ = std::fs::remove_dir_all(dir);
}

/// A child process killed when dropped (a failing test leaves nothing running).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `braid args...` with `env` and waits until `https://addr/health` answers `client`.
async fn start_over_tls(args: &[&str], env: &[(&str, String)], addr: &str, client: &reqwest::Client) -> Child {
    let mut command = Command::new(BRAID);
    command.args(args).envs(env.iter().map(|(k, v)| (*k, v.as_str()))).env("RUST_LOG", "warn");
    let child = Child(command.spawn().expect("braid starts"));
    let port = addr.rsplit(':').next().unwrap();
    let health = format!("https://localhost:{port}/health");
    braid_testkit::eventually("the process to answer over TLS", Duration::from_secs(60), || async {
        client.get(&health).send().await.ok().filter(|r| r.status().is_success())
    })
    .await;
    child
}

#[tokio::test]
async fn subgraphs_and_the_payment_provider_serve_mutual_tls_from_their_config() {
    let pki = braid_testkit::pki::Pki::generate("cli");
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let tls = [
        ("BRAID_SERVER__TLS__CERT_PATH", path(&pki.server_cert)),
        ("BRAID_SERVER__TLS__KEY_PATH", path(&pki.server_key)),
        ("BRAID_SERVER__TLS__CLIENT_CA_PATH", path(&pki.ca)),
    ];
    let (with_cert, without_cert) = (pki.http_client(true), pki.http_client(false));

    let addr = free_addr();
    let db = format!("sqlite://{}?mode=rwc", path(&pki.dir().join("catalog.db")));
    let admin = free_addr();
    let mut env = vec![("BRAID_DATABASE__URL", db), ("BRAID_SERVER__ADMIN_LISTEN", admin.clone())];
    env.extend(tls.iter().cloned());
    let mut catalog = start_over_tls(&["subgraph", "catalog", "--listen", &addr], &env, &addr, &with_cert).await;
    let url = format!("https://localhost:{}/graphql", addr.rsplit(':').next().unwrap());
    let query = json!({ "query": "{ categories { slug } }" });
    let reply: serde_json::Value = with_cert.post(&url).json(&query).send().await.unwrap().json().await.unwrap();
    assert!(reply["data"]["categories"].is_array(), "{reply}");
    assert!(without_cert.post(&url).json(&query).send().await.is_err(), "a client without a certificate was served");
    // The probes and the metrics over plain HTTP on the admin listener, and nothing else there.
    for (path, status) in [("/ready", 200), ("/metrics", 200), ("/graphql", 404)] {
        let response = reqwest::get(format!("http://{admin}{path}")).await.unwrap();
        assert_eq!(response.status(), status, "{path}");
    }
    // SIGTERM frees the TLS port at once, as it does the plain one.
    let _ = Command::new("kill").arg("-TERM").arg(catalog.0.id().to_string()).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpListener::bind(&addr).is_err() {
        assert!(Instant::now() < deadline, "the port is still held after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(catalog.0.wait().unwrap().success(), "SIGTERM is a clean shutdown");

    let addr = free_addr();
    let provider = start_over_tls(&["payment-provider", "--listen", &addr], &tls, &addr, &with_cert).await;
    let url = format!("https://localhost:{}/v1/ledger", addr.rsplit(':').next().unwrap());
    assert_eq!(with_cert.get(&url).send().await.unwrap().status(), 200);
    assert!(without_cert.get(&url).send().await.is_err(), "a client without a certificate was served");
    drop(provider);
}

/// The metric names a dashboard panel or a Prometheus rule in `deploy/` reads (histograms by
/// their base name).
fn metrics_used_in_deploy() -> std::collections::BTreeSet<String> {
    let root = braid_testkit::repo_root().join("deploy");
    let files = ["grafana/braid.json", "prometheus/braid-rules.yml"];
    let mut names = std::collections::BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')) {
            if token.starts_with("braid_") {
                let base = ["_bucket", "_count", "_sum"].iter().find_map(|s| token.strip_suffix(s)).unwrap_or(token);
                names.insert(base.to_string());
            }
        }
    }
    names
}

/// Every metric the Grafana dashboard and the alerting rules use is exported by a running
/// Braid (`braid demo`, after a query and an order): a renamed metric fails here, not on a
/// dashboard gone blank in production.
#[tokio::test]
async fn every_metric_the_dashboard_and_the_alerts_use_is_exported() {
    let (dir, addr, demo, client, token) = demo_as_ceo("braid-demo-metrics-").await;
    let first = "{ products(first: 1, sort: NAME) { edges { node { id name inventory { available } } } } }";
    let product = client.query(first, json!({})).await.data()["products"]["edges"][0]["node"]["id"].clone();
    let add = "mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { itemCount } }";
    client.query_as(&token, add, json!({ "p": product })).await.data();
    let place = "mutation { placeOrder(input: { idempotencyKey: \"metrics-1\", shippingAddress: { name: \"Ada\", \
                 line1: \"1 Main St\", city: \"Berlin\", postalCode: \"10115\", country: \"DE\" } }) { id } }";
    let order = client.query_as(&token, place, json!({})).await.data()["placeOrder"]["id"].clone();
    let status = "query($id: ID!) { order(id: $id) { status } }";
    braid_testkit::eventually("the order to complete", Duration::from_secs(30), || async {
        let o = client.query_as(&token, status, json!({ "id": order })).await.data()["order"].clone();
        (o["status"] == "COMPLETED").then_some(())
    })
    .await;

    let scrape = reqwest::get(format!("http://{addr}/metrics")).await.unwrap().text().await.unwrap();
    let exported: std::collections::BTreeSet<&str> = scrape
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    let used = metrics_used_in_deploy();
    assert!(used.len() > 25, "the scan found only {used:?}");
    let missing: Vec<&String> = used.iter().filter(|name| !exported.contains(name.as_str())).collect();
    assert!(missing.is_empty(), "used in deploy/ but not exported: {missing:?}");
    assert!(scrape.contains("braid_gateway_request_seconds_bucket{"), "histograms have buckets");
    assert!(demo.terminate().success());
    let _ = std::fs::remove_dir_all(dir);
}

/// The configuration files the Kubernetes manifests mount load as they are (an unknown key or
/// a bad value there would stop the pods).
#[test]
fn the_kubernetes_config_files_load() {
    let dir = braid_testkit::repo_root().join("deploy/k8s/base/config");
    let gateway = braid_gateway::GatewayConfig::load(Some(&dir.join("gateway.toml"))).expect("gateway.toml loads");
    assert_eq!(gateway.subgraphs["catalog"].url.as_deref(), Some("http://catalog/graphql"));
    for service in ["catalog", "documents", "orders", "permissions"] {
        let path = dir.join(format!("{service}.toml"));
        let config = braid_kit::SubgraphConfig::load(Some(&path)).unwrap_or_else(|e| panic!("{service}.toml: {e}"));
        assert_eq!(config.server.listen.port(), 8080, "{service} listens where the Service sends");
    }
}
