//! A federation under test: the test subgraphs on free ports and a gateway in front of them,
//! all in this process, over real loopback HTTP.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use braid_gateway::{Gateway, GatewayConfig};
use braid_test_subgraphs::{Options, Subgraph, Supergraph};
use serde_json::Value;
use tokio::sync::oneshot;

/// How one subgraph of the federation runs.
#[derive(Clone)]
pub enum Run {
    Up(Options),
    /// Not started: its URL refuses connections.
    Down,
    /// Started behind a proxy that records the headers of every request it forwards.
    Recorded(Options),
    /// A stand-in: this router answers at the subgraph's URL.
    Router(axum::Router),
}

/// Headers of the requests a [`Run::Recorded`] subgraph received.
pub type Recorded = Arc<std::sync::Mutex<Vec<http::HeaderMap>>>;

/// The subgraph and body of each request a [`Run::Recorded`] subgraph received.
pub type Requests = Arc<std::sync::Mutex<Vec<(&'static str, String)>>>;

pub struct Federation {
    pub url: String,
    pub gateway: Arc<Gateway>,
    pub subgraph_urls: HashMap<&'static str, String>,
    pub recorded: Recorded,
    pub requests: Requests,
    http: reqwest::Client,
    stops: Vec<oneshot::Sender<()>>,
}

impl Drop for Federation {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
    }
}

/// Starts every subgraph of `supergraph` and a gateway with the default configuration.
pub async fn start(supergraph: Supergraph) -> Federation {
    Builder::new(supergraph).start().await
}

pub struct Builder {
    supergraph: Supergraph,
    runs: HashMap<Subgraph, Run>,
    config: GatewayConfig,
    sdl: Option<String>,
}

impl Builder {
    pub fn new(supergraph: Supergraph) -> Self {
        Self { supergraph, runs: HashMap::new(), config: GatewayConfig::default(), sdl: None }
    }

    pub fn subgraph(mut self, subgraph: Subgraph, run: Run) -> Self {
        self.runs.insert(subgraph, run);
        self
    }

    pub fn config(mut self, edit: impl FnOnce(&mut GatewayConfig)) -> Self {
        edit(&mut self.config);
        self
    }

    /// Serves this SDL instead of the supergraph's committed file.
    pub fn sdl(mut self, sdl: String) -> Self {
        self.sdl = Some(sdl);
        self
    }

    pub async fn start(mut self) -> Federation {
        let mut stops = Vec::new();
        let mut subgraph_urls = HashMap::new();
        let recorded = Recorded::default();
        let requests = Requests::default();
        for &subgraph in self.supergraph.subgraphs() {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/graphql", listener.local_addr().unwrap());
            match self.runs.get(&subgraph).cloned().unwrap_or(Run::Up(Options::default())) {
                Run::Up(options) => {
                    let (stop, stopped) = oneshot::channel::<()>();
                    tokio::spawn(braid_test_subgraphs::serve(subgraph, listener, options, async {
                        stopped.await.ok();
                    }));
                    stops.push(stop);
                }
                Run::Down => drop(listener),
                Run::Router(router) => stops.push(serve_router(listener, router)),
                Run::Recorded(options) => {
                    let inner = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                    let target = format!("http://{}/graphql", inner.local_addr().unwrap());
                    let (stop, stopped) = oneshot::channel::<()>();
                    tokio::spawn(braid_test_subgraphs::serve(subgraph, inner, options, async {
                        stopped.await.ok();
                    }));
                    stops.push(stop);
                    let proxy = recording_proxy(target, recorded.clone(), (subgraph.name(), requests.clone()));
                    stops.push(serve_router(listener, proxy));
                }
            }
            let entry = self.config.subgraphs.entry(subgraph.name().to_string()).or_default();
            entry.url = Some(url.clone());
            subgraph_urls.insert(subgraph.name(), url);
        }
        // The metrics recorder goes in before the gateway registers its metrics.
        let metrics = braid_kit::telemetry::prometheus().clone();
        let sdl = self.sdl.unwrap_or_else(|| self.supergraph.sdl().to_string());
        let gateway = braid_gateway::gateway_from_sdl(self.config, &sdl, None).await.expect("the supergraph loads");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = braid_gateway::server::router(gateway.clone(), metrics);
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(braid_gateway::server::serve(listener, None, router, async {
            stopped.await.ok();
        }));
        stops.push(stop);
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        Federation { url, gateway, subgraph_urls, recorded, requests, http, stops }
    }
}

/// A stand-in subgraph for [`Run::Router`]: answers every POST with `answer(headers, body)` (the
/// body as JSON) and `cache_control`, and counts the requests.
pub fn stand_in(
    cache_control: &'static str,
    answer: impl Fn(&http::HeaderMap, &Value) -> Value + Clone + Send + Sync + 'static,
) -> (axum::Router, Arc<std::sync::atomic::AtomicUsize>) {
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = count.clone();
    let route = axum::routing::post(move |headers: http::HeaderMap, body: String| {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let body: Value = serde_json::from_str(&body).unwrap_or_default();
        let answer = answer(&headers, &body).to_string();
        async move { ([("content-type", "application/json"), ("cache-control", cache_control)], answer) }
    });
    (axum::Router::new().route("/graphql", route), count)
}

/// Serves `router` on `listener` until the returned sender is used or dropped.
fn serve_router(listener: tokio::net::TcpListener, router: axum::Router) -> oneshot::Sender<()> {
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                stopped.await.ok();
            })
            .await
    });
    stop
}

/// Forwards POSTs to `target`, recording their headers and bodies, and answers with the
/// subgraph's body and `Cache-Control`.
fn recording_proxy(target: String, recorded: Recorded, (name, requests): (&'static str, Requests)) -> axum::Router {
    let client = reqwest::Client::new();
    axum::Router::new().route(
        "/graphql",
        axum::routing::post(move |headers: http::HeaderMap, body: bytes::Bytes| {
            recorded.lock().unwrap().push(headers.clone());
            requests.lock().unwrap().push((name, String::from_utf8_lossy(&body).into_owned()));
            let (client, target) = (client.clone(), target.clone());
            async move {
                let mut request = client.post(target).header("content-type", "application/json").body(body);
                if let Some(user) = headers.get("x-user") {
                    request = request.header("x-user", user);
                }
                let response = request.send().await.unwrap();
                let cache_control = response.headers().get("cache-control").cloned();
                let mut answer = axum::response::IntoResponse::into_response((
                    [("content-type", "application/json")],
                    response.bytes().await.unwrap(),
                ));
                if let Some(value) = cache_control {
                    answer.headers_mut().insert("cache-control", value);
                }
                answer
            }
        }),
    )
}

/// A response: status, content type and JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
    /// The body as sent, for checks on key order.
    pub text: String,
}

impl Reply {
    /// The `extensions.code` of every error.
    pub fn codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|e| e["extensions"]["code"].as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }
}

impl Federation {
    /// POSTs a query (and variables) with `Accept: application/graphql-response+json`.
    pub async fn query(&self, query: &str, variables: Value) -> Reply {
        let body = serde_json::json!({ "query": query, "variables": variables });
        self.post(body.to_string(), &[("accept", "application/graphql-response+json")]).await
    }

    /// Like [`query`](Self::query), with `token` as the bearer token.
    pub async fn query_as(&self, token: &str, query: &str, variables: Value) -> Reply {
        let body = serde_json::json!({ "query": query, "variables": variables });
        let authorization = format!("Bearer {token}");
        let headers = [("accept", "application/graphql-response+json"), ("authorization", authorization.as_str())];
        self.post(body.to_string(), &headers).await
    }

    /// The `data` of a query that must succeed without errors.
    pub async fn data(&self, query: &str) -> Value {
        let reply = self.query(query, Value::Null).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        assert!(reply.body.get("errors").is_none(), "{reply:?}");
        reply.body["data"].clone()
    }

    /// POSTs a raw body to `/graphql` with `application/json` and extra headers.
    pub async fn post(&self, body: impl Into<reqwest::Body>, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.http.post(format!("{}/graphql", self.url));
        if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
            request = request.header("content-type", "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.body(body).send().await.unwrap()).await
    }

    /// GETs `/graphql` with these query parameters.
    pub async fn get(&self, params: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
        let mut request = self.http.get(format!("{}/graphql", self.url)).query(params);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send().await.unwrap()).await
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.http.get(format!("{}{path}", self.url)).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
    Reply { status, content_type, body, text }
}
