//! `/ready` while the broker cannot be reached: 503 naming the broker, and 200 again once it
//! can. The broker is a tansu of the test's own behind a proxy that it advertises, so that
//! cutting the proxy cuts every connection the catalog has to it (bootstrap and partition
//! leaders alike), while the broker itself keeps running. The database and the cache are
//! tested the same way in `tests/catalog.rs`.

use braid_testkit::broker::Tansu;
use braid_testkit::client::ready_becomes;
use braid_testkit::process::free_port;
use braid_testkit::proxy::CutProxy;

use super::{Setup, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_answers_503_while_the_broker_is_cut_off_and_200_again_after() {
    let port = free_port();
    let proxy = CutProxy::start(&format!("127.0.0.1:{port}")).await;
    let _broker = Tansu::start_advertising(port, proxy.port);
    let setup = Setup::new(&proxy.address()).await;
    let (_catalog, base) = setup.start();
    ready_becomes(&base, 200, &[], WAIT).await;

    proxy.cut();
    ready_becomes(&base, 503, &["broker"], WAIT).await;
    proxy.restore();
    ready_becomes(&base, 200, &[], WAIT).await;
}
