//! A TCP forwarder a test can cut and restore: the network between a service and one of its
//! dependencies failing, without the dependency itself restarting (a restarted broker is
//! another fault, and one that crashes librdkafka: see docs/testing.md).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Forwards every connection on its own port to `upstream` until cut.
pub struct CutProxy {
    pub port: u16,
    cut: Arc<AtomicBool>,
    /// Bumped on every cut: connections forwarding at that moment are dropped.
    cuts: watch::Sender<u64>,
    accept: JoinHandle<()>,
}

impl CutProxy {
    /// Listens on a free loopback port, forwarding to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let port = listener.local_addr().expect("local address").port();
        let cut = Arc::new(AtomicBool::new(false));
        let (cuts, _) = watch::channel(0);
        let accept = tokio::spawn(accept(listener, upstream.to_string(), cut.clone(), cuts.clone()));
        Self { port, cut, cuts, accept }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Drops every forwarded connection; new ones are closed as soon as they are accepted.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    /// Forwards new connections again.
    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cuts.send_modify(|n| *n += 1);
    }
}

async fn accept(listener: TcpListener, upstream: String, cut: Arc<AtomicBool>, cuts: watch::Sender<u64>) {
    while let Ok((client, _)) = listener.accept().await {
        if cut.load(Ordering::SeqCst) {
            continue; // dropped: closed at once
        }
        let (upstream, mut cuts) = (upstream.clone(), cuts.subscribe());
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(&upstream).await else { return };
            let (mut client, mut server) = (client, server);
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                _ = cuts.changed() => {}
            }
        });
    }
}
