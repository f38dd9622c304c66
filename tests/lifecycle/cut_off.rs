//! `/ready` while the broker cannot be reached: 503 naming the broker, and 200 again once it
//! can. The broker is a tansu of the test's own behind a proxy that it advertises, so that
//! cutting the proxy cuts every connection the catalog has to it (bootstrap and partition
//! leaders alike), while the broker itself keeps running. The database and the cache are
//! tested the same way in `tests/catalog.rs`.

use std::time::Duration;

use braid_testkit::broker::{Tansu, free_port};
use braid_testkit::proxy::CutProxy;
use serde_json::Value;

use super::{Setup, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_answers_503_while_the_broker_is_cut_off_and_200_again_after() {
    let port = free_port();
    let proxy = CutProxy::start(&format!("127.0.0.1:{port}")).await;
    let _broker = Tansu::start_advertising(port, proxy.port);
    let setup = Setup::new(&proxy.address()).await;
    let (_catalog, base) = setup.start();
    ready_becomes(&base, 200, &[]).await;

    proxy.cut();
    ready_becomes(&base, 503, &["broker"]).await;
    proxy.restore();
    ready_becomes(&base, 200, &[]).await;
}

/// Waits until `/ready` answers `status` with exactly `failing` failing.
async fn ready_becomes(base: &str, status: u16, failing: &[&str]) {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut last = None;
    while tokio::time::Instant::now() < deadline {
        let reply = reqwest::get(format!("{base}/ready")).await.unwrap();
        let code = reply.status().as_u16();
        let body: Value = reply.json().await.unwrap();
        let checks = body["checks"].as_object().cloned().unwrap_or_default();
        let mut failed: Vec<&str> = checks.iter().filter(|(_, v)| *v != "ok").map(|(k, _)| k.as_str()).collect();
        failed.sort_unstable();
        if code == status && failed == failing {
            return;
        }
        last = Some((code, body));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/ready did not answer {status} with {failing:?} failing; last: {last:?}");
}
