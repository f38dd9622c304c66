//! An axum listener that serves over TLS.
//!
//! Handshakes run as tasks of their own, each with a time limit, so a client that connects and
//! then says nothing (or says it slowly) holds up nobody else's connection. The wrapped listener
//! is driven by a task too: `accept` is then only a channel receive, which axum may cancel at
//! any point without losing a connection. Dropping the listener stops that task, so the port is
//! released as soon as the server stops accepting.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::Listener;
use rustls::ServerConfig;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Serves the connections of `L` over TLS.
pub struct TlsListener<L: Listener> {
    ready: mpsc::Receiver<(TlsStream<L::Io>, L::Addr)>,
    local: io::Result<L::Addr>,
    acceptor: AbortHandle,
}

impl<L> TlsListener<L>
where
    L: Listener,
    L::Addr: Clone + Send + std::fmt::Debug + 'static,
{
    /// Wraps `inner`; handshakes taking longer than `timeout` are dropped.
    pub fn new(mut inner: L, config: Arc<ServerConfig>, timeout: Duration) -> Self {
        let local = inner.local_addr();
        let (tx, ready) = mpsc::channel(64);
        let tls = TlsAcceptor::from(config);
        let acceptor = tokio::spawn(async move {
            loop {
                let (io, addr) = inner.accept().await;
                let (tls, tx) = (tls.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(timeout, tls.accept(io)).await {
                        Ok(Ok(stream)) => {
                            let _ = tx.send((stream, addr)).await;
                        }
                        // Refused certificates, plain HTTP on the TLS port, scanners: the
                        // client learns it from the alert; the server goes on.
                        Ok(Err(error)) => tracing::debug!(?addr, %error, "tls handshake failed"),
                        Err(_) => tracing::debug!(?addr, "tls handshake timed out"),
                    }
                });
            }
        })
        .abort_handle();
        Self { ready, local, acceptor }
    }
}

impl<L: Listener> Drop for TlsListener<L> {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl<L> Listener for TlsListener<L>
where
    L: Listener,
    L::Addr: Clone,
{
    type Io = TlsStream<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The acceptor task ended (it panicked): accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        match &self.local {
            Ok(addr) => Ok(addr.clone()),
            Err(error) => Err(io::Error::new(error.kind(), error.to_string())),
        }
    }
}
