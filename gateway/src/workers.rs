//! Thread-per-core serving: one acceptor hands connections round-robin to worker threads, each
//! running its own single-threaded runtime (event loop, timers, subgraph connection pool).
//!
//! A request then lives on one thread from its first byte to its last: no task is woken on
//! another thread and no idle worker is unparked to steal work, which on a work-stealing runtime
//! costs a futex round trip or more per request. Round-robin rather than `SO_REUSEPORT` keeps the
//! workers evenly loaded even with a handful of long-lived keep-alive connections.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use braid_kit::tls::ServerTls;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::server::PeerAddr;

/// An accepted connection on its way to a worker: the std socket and the peer's address.
type Accepted = (std::net::TcpStream, SocketAddr);

/// A worker's end of the acceptor: connections arrive already accepted, as std sockets, and are
/// registered with the worker's own event loop.
struct Handoff {
    connections: mpsc::UnboundedReceiver<Accepted>,
    local: SocketAddr,
}

impl Connected<IncomingStream<'_, Handoff>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, Handoff>) -> Self {
        Self(*stream.remote_addr())
    }
}

impl axum::serve::Listener for Handoff {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            // A closed channel means the acceptor stopped: wait for the shutdown signal.
            let Some((stream, peer)) = self.connections.recv().await else { std::future::pending().await };
            match TcpStream::from_std(stream) {
                Ok(stream) => {
                    // The worker's other tasks run before it takes the next connection: when
                    // clients pour in faster than it serves them, connections wait in the
                    // channel as sockets, not half served with their read buffers.
                    tokio::task::yield_now().await;
                    return (stream, peer);
                }
                Err(error) => tracing::warn!(%error, "cannot register an accepted connection"),
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// One worker's serving of the connections `listener` hands it.
async fn work<L>(listener: L, router: Router, peers: bool, stopped: WaitForCancellationFutureOwned) -> io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    PeerAddr: for<'a> Connected<IncomingStream<'a, L>>,
{
    if peers {
        let service = router.into_make_service_with_connect_info::<PeerAddr>();
        axum::serve(listener, service).with_graceful_shutdown(stopped).await
    } else {
        axum::serve(listener, router).with_graceful_shutdown(stopped).await
    }
}

/// The number of workers for `configured` (0: one per available core).
pub fn count(configured: usize) -> usize {
    match configured {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        n => n,
    }
}

/// Serves `router` on `listener` (over `tls` when given) with `workers` threads until
/// `shutdown` resolves, then lets requests in flight finish on every worker. With `peers`, each
/// request carries its client's address ([`PeerAddr`], for rate limits); without, requests skip
/// that extension's cost.
pub async fn serve(
    listener: TcpListener,
    tls: Option<ServerTls>,
    router: Router,
    (workers, peers): (usize, bool),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    let stop = CancellationToken::new();
    let (done_tx, done_rx) = std_mpsc::channel::<io::Result<()>>();
    let mut senders = Vec::with_capacity(workers);
    for index in 0..workers.max(1) {
        let (tx, rx) = mpsc::unbounded_channel();
        senders.push(tx);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (router, stopped, done) = (router.clone(), stop.clone().cancelled_owned(), done_tx.clone());
        let tls = tls.clone();
        std::thread::Builder::new().name(format!("braid-worker-{index}")).spawn(move || {
            let result = runtime.block_on(async move {
                tokio::spawn(keep_a_timer_due());
                let handoff = Handoff { connections: rx, local };
                match tls {
                    Some(tls) => work(tls.listener(handoff), router, peers, stopped).await,
                    None => work(handoff, router, peers, stopped).await,
                }
            });
            let _ = done.send(result);
        })?;
    }
    drop(done_tx);
    let started = senders.len();
    accept(&listener, &senders, shutdown).await;
    // The port is free at once: a new instance may bind it while this one drains.
    drop(listener);
    drop(senders);
    stop.cancel();
    // Each worker reports once its connections have drained; wait off the async threads. A
    // worker that panicked reports nothing.
    tokio::task::spawn_blocking(move || {
        let results: Vec<io::Result<()>> = done_rx.iter().collect();
        if results.len() < started {
            return Err(io::Error::other("a gateway worker stopped unexpectedly"));
        }
        results.into_iter().find(Result::is_err).unwrap_or(Ok(()))
    })
    .await
    .unwrap_or_else(|e| Err(io::Error::other(e)))
}

/// Keeps a timer due within a quarter of a second, for the life of the worker. Setting a timer
/// that fires before every other pending one makes tokio wake its own event loop (an eventfd
/// write, then one more `epoll_wait`), and every request sets two: its own time limit and its
/// subgraph fetch's. With this one always earlier, a request's timers never are.
async fn keep_a_timer_due() {
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Accepts connections and deals them to the workers in turn until `shutdown` resolves.
async fn accept(
    listener: &TcpListener,
    workers: &[mpsc::UnboundedSender<Accepted>],
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut next = 0;
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        match accepted.and_then(|(stream, peer)| {
            // Responses leave in one write; do not let Nagle hold back a small one.
            stream.set_nodelay(true)?;
            Ok((stream.into_std()?, peer))
        }) {
            Ok(connection) => {
                if workers[next].send(connection).is_err() {
                    tracing::error!(worker = next, "a gateway worker stopped; no longer accepting");
                    return;
                }
                next = (next + 1) % workers.len();
            }
            // Out of file descriptors and the like: back off instead of spinning.
            Err(error) => {
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// One request on its own connection; the response body.
    async fn get_once(addr: SocketAddr) -> io::Result<String> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(b"GET / HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n").await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        Ok(body.to_string())
    }

    #[tokio::test]
    async fn connections_are_dealt_to_every_worker_and_drained_on_shutdown() {
        // Answers with the name of the thread that served the request, after a while.
        let router = Router::new().route(
            "/",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                std::thread::current().name().unwrap_or_default().to_string()
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, None, router, (2, true), async {
            let _ = stop_rx.await;
        }));

        let mut names: Vec<String> =
            futures::future::join_all((0..4).map(|_| get_once(addr))).await.into_iter().map(Result::unwrap).collect();
        names.sort();
        assert_eq!(names, ["braid-worker-0", "braid-worker-0", "braid-worker-1", "braid-worker-1"]);

        // The port closes as soon as shutdown begins; a request in flight is still answered.
        let in_flight = tokio::spawn(get_once(addr));
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop_tx.send(()).unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!in_flight.is_finished());
        assert!(TcpStream::connect(addr).await.is_err(), "the port is still open while draining");
        assert_eq!(in_flight.await.unwrap().unwrap(), "braid-worker-0");
        server.await.unwrap().unwrap();
    }

    #[test]
    fn zero_workers_means_one_per_core() {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap();
        assert_eq!(count(0), cores);
        assert_eq!(count(3), 3);
    }
}
