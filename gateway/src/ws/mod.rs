//! GraphQL over WebSocket at `/graphql`, in the `graphql-transport-ws` protocol: the token in
//! `connection_init`, then any number of operations on the socket, each under its own id.
//! Queries and mutations run through the same stages as over HTTP and answer with one `next`
//! and a `complete`.
//!
//! One task per connection reads the socket, polls every operation's stream of messages and
//! writes them: an id is free again exactly when its `complete` leaves, and an idle subscriber
//! costs its connection's one task and its operation's boxed stream (see `operation`).

mod operation;
pub mod protocol;
mod times;

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::connections::Slot;
use crate::error::{Code, GraphqlError};
use crate::request::GraphqlRequest;
use crate::service::Gateway;
use operation::Sent;
use protocol::{ClientMessage, Close, SUBPROTOCOL, ServerMessage};
use times::Times;

/// Whether the request asks for a WebSocket in our subprotocol.
fn offers_subprotocol(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == SUBPROTOCOL)
}

fn refusal(status: StatusCode, code: Code, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [GraphqlError::new(code, message)] });
    (status, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], body.to_string()).into_response()
}

/// Answers a WebSocket upgrade at `/graphql`: refused with a status and a code when the client
/// does not speak our subprotocol or the instance is full, never accepted and then left idle.
pub fn upgrade(gateway: Arc<Gateway>, ws: WebSocketUpgrade, headers: &HeaderMap) -> Response {
    let config = &gateway.config.websocket;
    let connections = &gateway.sockets;
    if !config.enabled {
        return refusal(StatusCode::NOT_FOUND, Code::BadRequest, "GraphQL over WebSocket is switched off");
    }
    if !offers_subprotocol(headers) {
        let message =
            format!("WebSocket connections to /graphql speak {SUBPROTOCOL}; ask for it in Sec-WebSocket-Protocol");
        return refusal(StatusCode::BAD_REQUEST, Code::BadRequest, &message);
    }
    let closing = connections.closing();
    if closing.is_cancelled() {
        return refusal(StatusCode::SERVICE_UNAVAILABLE, Code::BadRequest, "the gateway is shutting down");
    }
    let Some(slot) = connections.take(config.max_connections) else {
        return crate::connections::full(
            "this gateway instance holds as many WebSocket connections as it may; try again later",
        );
    };
    let max_bytes = config.max_message_bytes;
    // Small buffers: tungstenite's defaults (128 KiB to read, 128 KiB to write) would hold
    // 2.5 GiB for ten thousand idle subscribers, and its read buffer is allocated whole for
    // every connection; clients' messages are small, and a large one is read in more steps.
    ws.protocols([SUBPROTOCOL])
        .max_message_size(max_bytes)
        .max_frame_size(max_bytes)
        .read_buffer_size(256)
        .write_buffer_size(0)
        .on_upgrade(move |socket| Connection::new(gateway, socket, slot).run(closing))
}

/// Longest a frame may wait for the client to take it: a client that stops reading is closed
/// rather than holding its connection's operations still.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// An operation running on the connection, and its messages still to come.
struct Running {
    id: String,
    messages: operation::Messages,
}

/// What woke the connection.
enum Wake {
    Close(Option<(Close, String)>),
    Frame(Option<Result<Message, axum::Error>>),
    Sent(ServerMessage),
    Keepalive,
}

/// One client's connection. Kept on the heap, apart from the future that drives it: a value
/// moved into an async fn is stored in its future again, and ten thousand idle subscribers
/// would pay for the socket's state twice.
struct Connection {
    gateway: Arc<Gateway>,
    socket: WebSocket,
    /// Counts the connection against `websocket.max_connections` while it lives.
    _slot: Slot,
    /// Set by `connection_init`: the headers every operation runs with (the token).
    headers: Option<Arc<HeaderMap>>,
    initialised: bool,
    /// When the token of `connection_init` expires: the connection closes with 4403 then.
    expires_at: Option<u64>,
    /// Every operation, polled on this connection's one task; dropping one ends it. A few at
    /// most: a list costs an idle subscriber less than a map or a `SelectAll`.
    operations: Vec<Running>,
    /// Where the next poll of the operations starts, so that a busy one does not keep the
    /// others waiting.
    turn: usize,
}

impl Connection {
    fn new(gateway: Arc<Gateway>, socket: WebSocket, slot: Slot) -> Box<Self> {
        Box::new(Self {
            gateway,
            socket,
            _slot: slot,
            headers: None,
            initialised: false,
            expires_at: None,
            operations: Vec::new(),
            turn: 0,
        })
    }

    /// Reads the client's messages and writes every operation's, on one task, until either
    /// side closes.
    async fn run(mut self: Box<Self>, closing: CancellationToken) {
        let config = &self.gateway.config.websocket;
        let keepalive = Duration::from_millis(config.keepalive_ms);
        let mut times = Times::new(Instant::now(), Duration::from_millis(config.init_timeout_ms));
        let timer = tokio::time::sleep_until(times.next());
        tokio::pin!(timer);
        let close = loop {
            if self.initialised && times.awaiting_init() {
                times.initialised(Instant::now(), self.expires_at, keepalive);
            }
            let next = times.next();
            if timer.deadline() != next {
                timer.as_mut().reset(next);
            }
            let wake = tokio::select! {
                () = &mut timer => match times.due(Instant::now(), keepalive) {
                    Some(close) => Wake::Close(Some(close)),
                    None => Wake::Keepalive,
                },
                () = closing.cancelled() => {
                    Wake::Close(Some((Close::GoingAway, "the gateway is shutting down".to_string())))
                }
                message = std::future::poll_fn(|cx| next_message(&mut self.operations, &mut self.turn, cx)),
                    if !self.operations.is_empty() => Wake::Sent(message),
                frame = self.socket.recv() => Wake::Frame(frame),
            };
            let reply = match wake {
                Wake::Close(close) => break close,
                Wake::Keepalive => ServerMessage::Ping,
                Wake::Sent(message) => message,
                Wake::Frame(None | Some(Ok(Message::Close(_)))) => break None,
                Wake::Frame(Some(Err(e))) => {
                    break too_big(&e).then(|| (Close::TooBig, "the frame is larger than allowed".into()));
                }
                Wake::Frame(Some(Ok(Message::Text(text)))) => {
                    let reply = match protocol::parse(&text) {
                        // Boxed: the connection's future keeps only what it waits on between frames.
                        Ok(message) => Box::pin(self.handle(message)).await,
                        Err(reason) => Err((Close::InvalidMessage, reason)),
                    };
                    match reply {
                        Ok(Some(reply)) => reply,
                        Ok(None) => continue,
                        Err(close) => break Some(close),
                    }
                }
                Wake::Frame(Some(Ok(Message::Binary(_)))) => {
                    break Some((Close::InvalidMessage, "binary frames are not part of the protocol".into()));
                }
                Wake::Frame(Some(Ok(_))) => continue, // WebSocket pings and pongs: answered below us
            };
            // Boxed: an idle connection's future does not keep room for a write in progress.
            if !Box::pin(send(&mut self.socket, Message::Text(reply.to_text().into()))).await {
                break None;
            }
        };
        // Dropping the streams ends every operation (and its feed) at once.
        drop(std::mem::take(&mut self.operations));
        if let Some((close, reason)) = close {
            let frame = CloseFrame { code: close.code(), reason: fit_close_reason(reason).into() };
            // Boxed: room for the last write is not kept in every idle connection's future.
            let _ = Box::pin(send(&mut self.socket, Message::Close(Some(frame)))).await;
        }
    }

    /// One message; the reply to send, if any; `Err` closes the connection with that code.
    async fn handle(&mut self, message: ClientMessage) -> Result<Option<ServerMessage>, (Close, String)> {
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.initialised {
                    return Err((Close::TooManyInits, "too many initialisation requests".into()));
                }
                self.initialised = true;
                // Room for the one header it holds (a map's default room is 600 bytes).
                let mut headers = HeaderMap::with_capacity(1);
                if let Some(value) = protocol::authorization(payload.as_ref()) {
                    let value = HeaderValue::try_from(value)
                        .map_err(|_| (Close::Forbidden, "the authorization is not a header value".to_string()))?;
                    headers.insert(header::AUTHORIZATION, value);
                }
                match self.gateway.authenticate(&headers).await {
                    Ok(expires_at) => self.expires_at = expires_at,
                    Err(e) => {
                        let reason = e.errors.first().map(|e| e.message.clone()).unwrap_or_default();
                        return Err((Close::Forbidden, format!("forbidden: {reason}")));
                    }
                }
                self.headers = Some(Arc::new(headers));
                Ok(Some(ServerMessage::ConnectionAck))
            }
            ClientMessage::Ping { payload } => Ok(Some(ServerMessage::Pong { payload })),
            ClientMessage::Pong { .. } => Ok(None),
            ClientMessage::Subscribe { id, payload } => {
                let Some(headers) = self.headers.clone() else {
                    return Err((Close::Unauthorized, "unauthorized".into()));
                };
                if self.operations.iter().any(|r| r.id == id) {
                    return Err((Close::DuplicateId, format!("subscriber for {id} already exists")));
                }
                if self.operations.len() >= self.gateway.config.websocket.max_operations {
                    let error = GraphqlError::new(
                        Code::TooManyOperations,
                        "this connection runs as many operations as it may; complete one first",
                    );
                    return Ok(Some(ServerMessage::error(id, &[error])));
                }
                let request = GraphqlRequest {
                    query: payload.query,
                    operation_name: payload.operation_name,
                    variables: payload.variables,
                    extensions: payload.extensions,
                };
                let messages = operation::messages(self.gateway.clone(), request, headers, id.clone());
                if self.operations.is_empty() {
                    self.operations.reserve_exact(1); // a first push would make room for four
                }
                self.operations.push(Running { id, messages });
                Ok(None)
            }
            ClientMessage::Complete { id } => {
                if let Some(at) = self.operations.iter().position(|r| r.id == id) {
                    drop(self.operations.swap_remove(at));
                }
                Ok(None)
            }
        }
    }
}

/// The next message of any operation, taking them in turn from `turn`; an operation is
/// dropped with its last message, so its id is free again exactly when its `complete` leaves.
fn next_message(operations: &mut Vec<Running>, turn: &mut usize, cx: &mut Context<'_>) -> Poll<ServerMessage> {
    let count = operations.len();
    for step in 0..count {
        let at = (*turn + step) % count;
        match operations[at].messages.as_mut().poll_next(cx) {
            Poll::Ready(Some(Sent { message, last })) => {
                if last {
                    operations.swap_remove(at);
                }
                *turn = at + 1;
                return Poll::Ready(message);
            }
            // Every operation's stream ends after its last message, never before.
            Poll::Ready(None) => {
                operations.swap_remove(at);
                return next_message(operations, turn, cx);
            }
            Poll::Pending => {}
        }
    }
    Poll::Pending
}

/// Writes one frame; false when the client is gone or stopped reading.
async fn send(socket: &mut WebSocket, message: Message) -> bool {
    matches!(tokio::time::timeout(WRITE_TIMEOUT, socket.send(message)).await, Ok(Ok(())))
}

/// A close frame carries at most 123 bytes of reason (RFC 6455, 5.5): cut at a character.
fn fit_close_reason(mut reason: String) -> String {
    const MAX: usize = 123;
    if reason.len() > MAX {
        let mut end = MAX;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    reason
}

/// Whether a read failed on the size limit.
fn too_big(error: &axum::Error) -> bool {
    let text = error.to_string();
    text.contains("too long") || text.contains("too big") || text.contains("Space limit")
}

#[cfg(test)]
mod tests {
    use super::fit_close_reason;

    #[test]
    fn close_reasons_fit_a_control_frame() {
        assert_eq!(fit_close_reason("short".into()), "short");
        let long = "é".repeat(100);
        let cut = fit_close_reason(long);
        assert!(cut.len() <= 123 && cut.chars().all(|c| c == 'é'), "{cut}");
    }
}
