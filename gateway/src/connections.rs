//! The connection cap of an instance and the signal that closes its connections on shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Open connections of this gateway instance, and the signal that closes them on shutdown.
pub struct Connections {
    open: Arc<AtomicUsize>,
    closing: tokio::sync::watch::Sender<bool>,
}

impl Default for Connections {
    fn default() -> Self {
        Self { open: Arc::default(), closing: tokio::sync::watch::Sender::new(false) }
    }
}

/// Open WebSocket connections, for operators.
static CONNECTIONS: std::sync::LazyLock<metrics::Gauge> =
    std::sync::LazyLock::new(|| metrics::gauge!("braid_gateway_websocket_connections"));

/// One counted connection; uncounted when dropped.
pub(super) struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        CONNECTIONS.decrement(1.0);
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Connections {
    pub(super) fn take(&self, max: usize) -> Option<Slot> {
        let taken = self.open.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < max).then_some(n + 1));
        taken.ok().map(|_| {
            CONNECTIONS.increment(1.0);
            Slot(self.open.clone())
        })
    }

    /// How many are open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Tells a connection when to close (the server is shutting down).
    pub(super) fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Closes every connection with 1001 (going away) and refuses new ones: the server is
    /// shutting down, and upgraded sockets are not part of the HTTP server's graceful drain.
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }
}
