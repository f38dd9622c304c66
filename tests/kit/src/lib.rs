//! Builders for Braid's end-to-end tests and benchmarks: a PostgreSQL database per test, a
//! Redis key prefix per test, Kafka topic prefixes and tansu brokers, signed tokens, a GraphQL
//! client, child processes and a load generator.
//!
//! Every resource is unique to its test and removed when its guard drops, so tests run in
//! parallel and leave nothing behind.

pub mod broker;
pub mod client;
pub mod db;
pub mod jwt;
pub mod load;
pub mod process;
pub mod redis_prefix;
pub mod service;

/// A name no other test uses: `prefix` plus 12 random hex digits.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// The repository root (for `schema/`).
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root exists")
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
