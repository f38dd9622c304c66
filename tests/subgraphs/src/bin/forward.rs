//! A bare HTTP forwarder: every `POST /graphql` body goes unchanged to one upstream URL and the
//! upstream's answer comes back unchanged. No GraphQL work at all, on the same HTTP stack as the
//! gateway (axum, a pooled hyper client, and like each gateway worker one single-threaded event
//! loop): the gateway benchmark uses it to show what one loopback proxy hop costs on the
//! machine, the floor under any gateway's added latency.
//!
//! ```text
//! forward LISTEN UPSTREAM      e.g. forward 127.0.0.1:0 http://127.0.0.1:4002/graphql
//! ```
//!
//! Prints `forward http://<address>/graphql` once it listens, then `ready`.

use std::process::ExitCode;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Clone)]
struct Upstream {
    client: Client<HttpConnector, Full<Bytes>>,
    uri: Uri,
}

async fn forward(State(upstream): State<Upstream>, body: Bytes) -> Response {
    let request = hyper::Request::post(upstream.uri.clone())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(body));
    let Ok(request) = request else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
    match upstream.client.request(request).await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            match body.collect().await {
                Ok(collected) => Response::from_parts(parts, axum::body::Body::from(collected.to_bytes())),
                Err(_) => StatusCode::BAD_GATEWAY.into_response(),
            }
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [listen, upstream] = args.as_slice() else {
        eprintln!("usage: forward LISTEN UPSTREAM_URL");
        return ExitCode::from(2);
    };
    let (Ok(listen), Ok(uri)) = (listen.parse::<std::net::SocketAddr>(), upstream.parse::<Uri>()) else {
        eprintln!("forward: LISTEN must be host:port and UPSTREAM_URL an http URL");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("forward: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let router = Router::new()
            .route("/graphql", post(forward))
            .route("/health", get(|| async { "ok" }))
            .with_state(Upstream { client, uri });
        let listener = tokio::net::TcpListener::bind(listen).await?;
        println!("forward http://{}/graphql", listener.local_addr()?);
        println!("ready");
        axum::serve(listener, router).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("forward: {error}");
            ExitCode::FAILURE
        }
    }
}
