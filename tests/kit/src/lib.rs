//! Builders for Braid's end-to-end tests and benchmarks: a PostgreSQL database per test, a
//! Redis key prefix per test, Kafka topic prefixes and tansu brokers, RabbitMQ nodes, signed tokens, a GraphQL
//! client, child processes, a TCP proxy to cut, a load generator, a private PKI (TLS)
//! and an OTLP receiver (traces).
//!
//! Every resource is unique to its test and removed when its guard drops, so tests run in
//! parallel and leave nothing behind.

pub mod broker;
pub mod client;
pub mod db;
pub mod jwt;
pub mod load;
pub mod metrics;
pub mod otlp;
pub mod pki;
pub mod process;
pub mod proxy;
pub mod rabbitmq;
pub mod redis_prefix;
pub mod replica;
pub mod service;
pub mod stream;

/// A name no other test uses: `prefix` plus 12 random hex digits.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// The repository root (for `schema/`).
///
/// Found from the running test's package (cargo sets `CARGO_MANIFEST_DIR` for it), not from
/// where this crate was compiled: build caches are shared between clones, and a cached build
/// of this crate may come from another clone of the repository.
pub fn repo_root() -> std::path::PathBuf {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let start = start.canonicalize().unwrap_or(start);
    start
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file() && dir.join("schema/supergraph.graphql").is_file())
        .map(std::path::Path::to_path_buf)
        .expect("the test runs inside a clone of the repository")
}

/// Polls `check` every 20 ms until it returns `Some`, or fails after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: std::time::Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
