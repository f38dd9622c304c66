//! TLS: the gateway serving HTTPS and calling its subgraphs over HTTPS and WSS, mutual TLS
//! between them, and every certificate that must be refused refused. Each test makes its own
//! CA and certificates (`braid_testkit::pki`).

use std::time::Duration;

use braid_gateway::GatewayConfig;
use braid_kit::config::{ClientTlsConfig, ServerTlsConfig};
use braid_kit::tls::ServerTls;
use braid_test_subgraphs::{Options, Supergraph};
use braid_testkit::pki::Pki;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const QUERY: &str = "{ topProducts { upc name price inStock reviews { body author { username } } } }";

/// Servers of a test; dropping it stops them.
#[derive(Default)]
struct Servers(Vec<oneshot::Sender<()>>);

impl Servers {
    fn stopper(&mut self) -> impl Future<Output = ()> + Send + 'static {
        let (stop, stopped) = oneshot::channel::<()>();
        self.0.push(stop);
        async {
            stopped.await.ok();
        }
    }
}

fn server_tls(pki: &Pki, client_ca: Option<&Pki>) -> ServerTlsConfig {
    ServerTlsConfig {
        cert_path: Some(pki.server_cert.clone()),
        key_path: Some(pki.server_key.clone()),
        client_ca_path: client_ca.map(|ca| ca.ca.clone()),
        ..ServerTlsConfig::default()
    }
}

/// Serves every demo subgraph over TLS with `pki`'s server certificate (asking for client
/// certificates signed by `client_ca`, when given); returns the supergraph with their
/// `https://` URLs.
async fn tls_subgraphs(servers: &mut Servers, pki: &Pki, client_ca: Option<&Pki>) -> String {
    let tls = ServerTls::load(&server_tls(pki, client_ca)).unwrap().expect("TLS is on");
    let mut urls = Vec::new();
    for &subgraph in Supergraph::Demo.subgraphs() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://localhost:{}/graphql", listener.local_addr().unwrap().port());
        let router = subgraph.router(Options::default());
        tokio::spawn(braid_kit::tls::serve(listener, Some(tls.clone()), router, servers.stopper()));
        urls.push((subgraph.name(), url));
    }
    Supergraph::Demo.sdl_with_urls(urls.iter().map(|(name, url)| (*name, url.as_str())))
}

/// Runs a gateway as `braid gateway` does, over `sdl`; returns its base URL (`https://` when
/// `config` turns TLS on). Its port is bound already: requests wait until it serves.
async fn gateway(servers: &mut Servers, pki: &Pki, sdl: &str, mut config: GatewayConfig) -> String {
    let path = pki.dir().join(braid_testkit::unique("supergraph-")).with_extension("graphql");
    std::fs::write(&path, sdl).unwrap();
    config.supergraph.path = Some(path);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheme = if config.server.tls.enabled() { "https" } else { "http" };
    let url = format!("{scheme}://localhost:{}", listener.local_addr().unwrap().port());
    let metrics = braid_kit::telemetry::prometheus().clone();
    tokio::spawn(braid_gateway::run(config, listener, metrics, servers.stopper()));
    url
}

async fn post(client: &reqwest::Client, url: &str) -> Result<Value, reqwest::Error> {
    client.post(format!("{url}/graphql")).json(&json!({ "query": QUERY })).send().await?.json().await
}

fn codes(reply: &Value) -> Vec<&str> {
    reply["errors"].as_array().into_iter().flatten().filter_map(|e| e["extensions"]["code"].as_str()).collect()
}

fn trusting(pki: &Pki, identity: Option<&Pki>) -> ClientTlsConfig {
    ClientTlsConfig {
        ca_path: Some(pki.ca.clone()),
        cert_path: identity.map(|p| p.client_cert.clone()),
        key_path: identity.map(|p| p.client_key.clone()),
    }
}

/// What the same query answers through a gateway and subgraphs on plain HTTP.
async fn plain_answer() -> Value {
    let federation = crate::federation::start(Supergraph::Demo).await;
    federation.query(QUERY, Value::Null).await.body
}

#[tokio::test]
async fn the_gateway_serves_https_and_reaches_its_subgraphs_over_https() {
    let (pki, other) = (Pki::generate("braid"), Pki::generate("other"));
    let mut servers = Servers::default();
    let sdl = tls_subgraphs(&mut servers, &pki, None).await;
    let mut config = GatewayConfig::default();
    config.server.tls = server_tls(&pki, None);
    config.client_tls = trusting(&pki, None);
    let url = gateway(&mut servers, &pki, &sdl, config).await;

    let answer = post(&pki.http_client(false), &url).await.expect("an answer over TLS");
    assert!(answer["data"]["topProducts"].as_array().is_some_and(|p| !p.is_empty()), "{answer}");
    assert_eq!(answer, plain_answer().await);

    // A client that does not trust the gateway's CA, and plain HTTP on the TLS port, get nothing.
    assert!(post(&other.http_client(false), &url).await.is_err(), "a certificate of an unknown CA was accepted");
    let plain = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    assert!(post(&plain, &url.replace("https://", "http://")).await.is_err(), "plain HTTP was answered");

    // A gateway that trusts another CA refuses the subgraphs' certificates.
    let config = GatewayConfig { client_tls: trusting(&other, None), ..GatewayConfig::default() };
    let distrusting = gateway(&mut servers, &pki, &sdl, config).await;
    let answer = post(&pki.http_client(false), &distrusting).await.expect("an answer");
    assert_eq!(answer["data"], Value::Null, "{answer}");
    assert_eq!(codes(&answer)[0], "SUBGRAPH_REQUEST_FAILED", "{answer}");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("UnknownIssuer"), "{answer}");
}

#[tokio::test]
async fn with_mutual_tls_only_clients_with_a_certificate_of_the_ca_are_served() {
    let (pki, other) = (Pki::generate("braid"), Pki::generate("other"));
    let mut servers = Servers::default();
    let sdl = tls_subgraphs(&mut servers, &pki, Some(&pki)).await;
    let expected = plain_answer().await;

    // The gateway presents its client certificate to the subgraphs, and asks its own clients
    // for theirs.
    let mut config = GatewayConfig::default();
    config.server.tls = server_tls(&pki, Some(&pki));
    config.client_tls = trusting(&pki, Some(&pki));
    let admin = braid_testkit::process::free_addr();
    config.server.admin_listen = Some(admin.parse().unwrap());
    let url = gateway(&mut servers, &pki, &sdl, config).await;
    assert_eq!(post(&pki.http_client(true), &url).await.expect("an answer"), expected);
    assert!(post(&pki.http_client(false), &url).await.is_err(), "a client without a certificate was served");
    // Probes and Prometheus, which have no certificate, use the admin listener: plain HTTP,
    // and nothing there but the probes and the metrics.
    let plain = reqwest::Client::new();
    for (path, status) in [("/health", 200), ("/ready", 200), ("/metrics", 200), ("/graphql", 404)] {
        let response = plain.get(format!("http://{admin}{path}")).send().await.expect("the admin listener answers");
        assert_eq!(response.status(), status, "{path}");
    }
    // The services' own HTTP client (JWKS, permission lookups, the orders service's calls) from
    // `client_tls`: its certificate gets in, another CA's does not.
    let own = braid_kit::tls::http_client(&trusting(&pki, Some(&pki)), Duration::from_secs(5)).unwrap();
    assert_eq!(post(&own, &url).await.expect("the configured client certificate is presented"), expected);
    let stranger = braid_kit::tls::http_client(&trusting(&pki, Some(&other)), Duration::from_secs(5)).unwrap();
    assert!(post(&stranger, &url).await.is_err(), "a certificate of another CA was accepted");

    // Without a certificate, or with one of another CA, the gateway's fetches are refused.
    for identity in [None, Some(&other)] {
        let config = GatewayConfig { client_tls: trusting(&pki, identity), ..GatewayConfig::default() };
        let refused = gateway(&mut servers, &pki, &sdl, config).await;
        let answer = post(&pki.http_client(false), &refused).await.expect("an answer");
        assert_eq!(answer["data"], Value::Null, "{answer}");
        assert!(codes(&answer).contains(&"SUBGRAPH_REQUEST_FAILED"), "{answer}");
    }
}

#[tokio::test]
async fn subscriptions_pass_through_to_a_subgraph_over_wss() {
    let pki = Pki::generate("braid");
    let mut servers = Servers::default();
    let sdl = tls_subgraphs(&mut servers, &pki, Some(&pki)).await;
    let mut config = GatewayConfig::default();
    config.server.tls = server_tls(&pki, None);
    config.client_tls = trusting(&pki, Some(&pki));
    let url = gateway(&mut servers, &pki, &sdl, config).await;

    let mut request = format!("{}/graphql", url.replace("https://", "wss://")).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let tls = braid_kit::tls::client_config(&trusting(&pki, None)).unwrap();
    let connector = tokio_tungstenite::Connector::Rustls(std::sync::Arc::new(tls));
    let (mut socket, _) = tokio_tungstenite::connect_async_tls_with_config(request, None, false, Some(connector))
        .await
        .expect("the socket opens over TLS");
    let send = |message: Value| Message::Text(message.to_string().into());
    socket.send(send(json!({"type": "connection_init"}))).await.unwrap();
    let query = "subscription { reviewAdded(count: 2, intervalMs: 20) { id product { name } } }";
    socket.send(send(json!({"id": "1", "type": "subscribe", "payload": {"query": query}}))).await.unwrap();
    let mut received = Vec::new();
    while let Some(frame) = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("in time") {
        let Message::Text(text) = frame.unwrap() else { continue };
        let message: Value = serde_json::from_str(&text).unwrap();
        match message["type"].as_str() {
            Some("next") => received.push(message["payload"].clone()),
            Some("complete") => break,
            Some("connection_ack" | "ping" | "pong") => {}
            _ => panic!("unexpected {message}"),
        }
    }
    assert_eq!(
        received,
        vec![
            json!({"data": {"reviewAdded": {"id": "1", "product": {"name": "Table"}}}}),
            json!({"data": {"reviewAdded": {"id": "2", "product": {"name": "Couch"}}}}),
        ]
    );
}

#[test]
fn half_a_tls_configuration_is_refused_with_the_key_named() {
    let mut config = GatewayConfig::default();
    config.server.tls.cert_path = Some("/etc/braid/server.pem".into());
    let error = config.validate().unwrap_err().to_string();
    assert!(error.contains("server.tls") && error.contains("key_path"), "{error}");

    let mut config = GatewayConfig::default();
    config.client_tls.key_path = Some("/etc/braid/client.key".into());
    let error = config.validate().unwrap_err().to_string();
    assert!(error.contains("client_tls") && error.contains("cert_path"), "{error}");

    let missing = ServerTlsConfig {
        cert_path: Some("/nonexistent/server.pem".into()),
        key_path: Some("/nonexistent/server.key".into()),
        ..ServerTlsConfig::default()
    };
    let error = ServerTls::load(&missing).err().expect("a missing file is an error").to_string();
    assert!(error.contains("/nonexistent/server.pem"), "{error}");
}
