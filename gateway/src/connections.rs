//! The cap on long-lived connections of an instance (WebSockets, event streams) and the signal
//! that closes them on shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Open connections of one kind on this gateway instance, and the signal that closes them on
/// shutdown.
pub struct Connections {
    open: Arc<AtomicUsize>,
    /// The same count, for operators.
    gauge: metrics::Gauge,
    closing: tokio_util::sync::CancellationToken,
}

/// One counted connection; uncounted when dropped.
pub(crate) struct Slot(Arc<AtomicUsize>, metrics::Gauge);

impl Drop for Slot {
    fn drop(&mut self) {
        self.1.decrement(1.0);
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Connections {
    /// Connections counted in the gauge `gauge`.
    pub fn new(gauge: &'static str) -> Self {
        Self {
            open: Arc::default(),
            gauge: metrics::gauge!(gauge),
            closing: tokio_util::sync::CancellationToken::new(),
        }
    }

    /// A slot for one more connection, unless `max` are open.
    pub(crate) fn take(&self, max: usize) -> Option<Slot> {
        let taken = self.open.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < max).then_some(n + 1));
        taken.ok().map(|_| {
            self.gauge.increment(1.0);
            Slot(self.open.clone(), self.gauge.clone())
        })
    }

    /// How many are open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Tells a connection when to close (the server is shutting down).
    pub(crate) fn closing(&self) -> tokio_util::sync::CancellationToken {
        self.closing.clone()
    }

    /// Closes every connection (a WebSocket with 1001, going away) and refuses new ones: the
    /// server is shutting down, and upgraded sockets and endless streams would hold up its
    /// graceful drain.
    pub fn close_all(&self) {
        self.closing.cancel();
    }

    /// Whether [`Connections::close_all`] was called.
    pub fn is_closing(&self) -> bool {
        self.closing.is_cancelled()
    }
}

/// Time left until `at` (seconds since the Unix epoch, as a token's `exp`); zero when it has
/// passed.
pub(crate) fn time_until(at: u64) -> std::time::Duration {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    std::time::Duration::from_secs(at).saturating_sub(now)
}

/// 503 with `Retry-After` and `TOO_MANY_CONNECTIONS`: the instance is full, try again soon.
pub(crate) fn full(message: &str) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;
    let error = crate::error::GraphqlError::new(crate::error::Code::TooManyConnections, message);
    let body = serde_json::json!({ "errors": [error] });
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}
