//! GraphQL over WebSocket at `/graphql`, in the `graphql-transport-ws` protocol: the token in
//! `connection_init`, then any number of operations on the socket, each under its own id.
//! Queries and mutations run through the same stages as over HTTP and answer with one `next`
//! and a `complete`.
//!
//! One task reads the socket and owns the connection's state; operations run on tasks of their
//! own and hand their messages back to it, so an id is free again exactly when its `complete`
//! leaves. Another task writes, so a slow client never blocks the reader.

pub mod protocol;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::error::{GraphqlError, codes};
use crate::gateway::{Gateway, GraphqlRequest};
use crate::subscriptions::hub::End;
use crate::subscriptions::live::{self, Next};
use protocol::{ClientMessage, Close, SUBPROTOCOL, ServerMessage};

/// Whether the request asks for a WebSocket in our subprotocol.
fn offers_subprotocol(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == SUBPROTOCOL)
}

fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [GraphqlError::new(code, message)] });
    (status, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], body.to_string()).into_response()
}

/// Answers a WebSocket upgrade at `/graphql`: refused with a status and a code when the client
/// does not speak our subprotocol or the instance is full, never accepted and then left idle.
pub fn upgrade(gateway: Arc<Gateway>, ws: WebSocketUpgrade, headers: &HeaderMap) -> Response {
    let config = &gateway.config.websocket;
    let connections = &gateway.sockets;
    if !config.enabled {
        return refusal(StatusCode::NOT_FOUND, codes::BAD_REQUEST, "GraphQL over WebSocket is switched off");
    }
    if !offers_subprotocol(headers) {
        let message =
            format!("WebSocket connections to /graphql speak {SUBPROTOCOL}; ask for it in Sec-WebSocket-Protocol");
        return refusal(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, &message);
    }
    let closing = connections.closing();
    if *closing.borrow() {
        return refusal(StatusCode::SERVICE_UNAVAILABLE, codes::BAD_REQUEST, "the gateway is shutting down");
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
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            let _slot = slot;
            Connection::new(gateway).run(socket, closing).await;
        })
}

/// What goes to the writer. Small (boxed text): every connection's channel allocates room
/// for 32 of them up front.
enum Outgoing {
    Text(Box<str>),
    Close(Box<(Close, String)>),
}

/// An operation's messages, handed back to the reader when it ends.
struct Finished {
    id: String,
    messages: Vec<ServerMessage>,
}

struct Connection {
    gateway: Arc<Gateway>,
    /// Set by `connection_init`: the headers every operation runs with (the token).
    headers: Option<HeaderMap>,
    initialised: bool,
    /// When the token of `connection_init` expires: the connection closes with 4403 then.
    expires_at: Option<u64>,
    operations: HashMap<String, AbortHandle>,
}

impl Connection {
    fn new(gateway: Arc<Gateway>) -> Self {
        Self { gateway, headers: None, initialised: false, expires_at: None, operations: HashMap::new() }
    }

    async fn run(mut self, socket: WebSocket, mut closing: tokio::sync::watch::Receiver<bool>) {
        let (mut sink, mut stream) = socket.split();
        let (out, mut outgoing) = mpsc::channel::<Outgoing>(64);
        let writer = tokio::spawn(async move {
            while let Some(message) = outgoing.recv().await {
                let frame = match message {
                    Outgoing::Text(text) => Message::Text(String::from(text).into()),
                    Outgoing::Close(close) => {
                        let (close, reason) = *close;
                        let frame = CloseFrame { code: close.code(), reason: fit_close_reason(reason).into() };
                        let _ = sink.send(Message::Close(Some(frame))).await;
                        break;
                    }
                };
                if sink.send(frame).await.is_err() {
                    break;
                }
            }
        });
        // Boxed, as `Outgoing`: the channel allocates room for 32 up front.
        let (done, mut finished) = mpsc::unbounded_channel::<Box<Finished>>();
        let config = &self.gateway.config.websocket;
        let init_timeout = tokio::time::sleep(Duration::from_millis(config.init_timeout_ms));
        tokio::pin!(init_timeout);
        let mut keepalive = tokio::time::interval(Duration::from_millis(config.keepalive_ms));
        keepalive.reset();
        let expiry = tokio::time::sleep(Duration::MAX);
        tokio::pin!(expiry);
        let mut expiry_set = false;
        let closed = async move {
            let _ = closing.wait_for(|closing| *closing).await;
        };
        tokio::pin!(closed);
        let close = loop {
            if !expiry_set && let Some(at) = self.expires_at {
                expiry.as_mut().reset(tokio::time::Instant::now() + crate::connections::time_until(at));
                expiry_set = true;
            }
            tokio::select! {
                () = &mut init_timeout, if !self.initialised => {
                    break Some((Close::InitTimeout, "connection initialisation timeout".to_string()));
                }
                () = &mut closed => {
                    break Some((Close::GoingAway, "the gateway is shutting down".to_string()));
                }
                () = &mut expiry, if expiry_set => {
                    break Some((Close::Forbidden, "the token has expired; connect again with a fresh one".to_string()));
                }
                Some(f) = finished.recv() => {
                    self.operations.remove(&f.id);
                    for m in f.messages {
                        let _ = out.send(Outgoing::Text(m.to_text().into())).await;
                    }
                }
                _ = keepalive.tick(), if self.headers.is_some() => {
                    let _ = out.send(Outgoing::Text(ServerMessage::Ping.to_text().into())).await;
                }
                frame = stream.next() => match frame {
                    None | Some(Ok(Message::Close(_))) => break None,
                    Some(Err(e)) => break too_big(&e).then(|| (Close::TooBig, "the frame is larger than allowed".into())),
                    Some(Ok(Message::Text(text))) => {
                        let reply = match protocol::parse(&text) {
                            Ok(message) => self.handle(message, &out, &done).await,
                            Err(reason) => Err((Close::InvalidMessage, reason)),
                        };
                        if let Err(close) = reply {
                            break Some(close);
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        break Some((Close::InvalidMessage, "binary frames are not part of the protocol".into()));
                    }
                    Some(Ok(_)) => {} // WebSocket pings and pongs: answered below us
                },
            }
        };
        for (_, operation) in self.operations.drain() {
            operation.abort();
        }
        if let Some((code, reason)) = close {
            let _ = out.send(Outgoing::Close(Box::new((code, reason)))).await;
        }
        drop(out);
        let _ = writer.await;
    }

    /// One message; `Err` closes the connection with that code.
    async fn handle(
        &mut self,
        message: ClientMessage,
        out: &mpsc::Sender<Outgoing>,
        done: &mpsc::UnboundedSender<Box<Finished>>,
    ) -> Result<(), (Close, String)> {
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.initialised {
                    return Err((Close::TooManyInits, "too many initialisation requests".into()));
                }
                self.initialised = true;
                let mut headers = HeaderMap::new();
                if let Some(value) = protocol::authorization(payload.as_ref()) {
                    let value = HeaderValue::try_from(value)
                        .map_err(|_| (Close::Forbidden, "the authorization is not a header value".to_string()))?;
                    headers.insert(header::AUTHORIZATION, value);
                }
                match Box::pin(self.gateway.authenticate(&headers)).await {
                    Ok(expires_at) => self.expires_at = expires_at,
                    Err(e) => {
                        let reason = e.errors.first().map(|e| e.message.clone()).unwrap_or_default();
                        return Err((Close::Forbidden, format!("forbidden: {reason}")));
                    }
                }
                self.headers = Some(headers);
                let _ = out.send(Outgoing::Text(ServerMessage::ConnectionAck.to_text().into())).await;
            }
            ClientMessage::Ping { payload } => {
                let _ = out.send(Outgoing::Text(ServerMessage::Pong { payload }.to_text().into())).await;
            }
            ClientMessage::Pong { .. } => {}
            ClientMessage::Subscribe { id, payload } => {
                let Some(headers) = self.headers.clone() else {
                    return Err((Close::Unauthorized, "unauthorized".into()));
                };
                if self.operations.contains_key(&id) {
                    return Err((Close::DuplicateId, format!("subscriber for {id} already exists")));
                }
                if self.operations.len() >= self.gateway.config.websocket.max_operations {
                    let error = GraphqlError::new(
                        codes::TOO_MANY_OPERATIONS,
                        "this connection runs as many operations as it may; complete one first",
                    );
                    let message = ServerMessage::Error { id, payload: vec![to_value(&error)] };
                    let _ = out.send(Outgoing::Text(message.to_text().into())).await;
                    return Ok(());
                }
                let request = GraphqlRequest {
                    query: payload.query,
                    operation_name: payload.operation_name,
                    variables: payload.variables,
                    extensions: payload.extensions,
                };
                let (gateway, done, op_id, out) = (self.gateway.clone(), done.clone(), id.clone(), out.clone());
                let task = tokio::spawn(async move {
                    let messages = run(&gateway, request, &headers, &op_id, &out).await;
                    let _ = done.send(Box::new(Finished { id: op_id, messages }));
                });
                self.operations.insert(id, task.abort_handle());
            }
            ClientMessage::Complete { id } => {
                if let Some(operation) = self.operations.remove(&id) {
                    operation.abort();
                }
            }
        }
        Ok(())
    }
}

/// One operation: a subscription streams a `next` per event straight to the writer until its
/// feed ends; a query or mutation answers once. Answers the messages that end it.
async fn run(
    gateway: &Gateway,
    request: GraphqlRequest,
    headers: &HeaderMap,
    id: &str,
    out: &mpsc::Sender<Outgoing>,
) -> Vec<ServerMessage> {
    // Boxed, as the answers in `Live::next`: an idle operation's task keeps only what it waits on.
    let mut live = match Box::pin(live::open(gateway, &request, headers)).await {
        Ok(Some(live)) => live,
        Ok(None) => return Box::pin(execute(gateway, request, headers, id)).await,
        Err(e) => {
            return vec![ServerMessage::Error { id: id.to_string(), payload: e.errors.iter().map(to_value).collect() }];
        }
    };
    loop {
        match live.next(gateway, headers).await {
            Next::Response { body } => {
                let next = ServerMessage::Next { id: id.to_string(), payload: body };
                if out.send(Outgoing::Text(next.to_text().into())).await.is_err() {
                    return Vec::new();
                }
            }
            Next::Ended(End::Lagged) => {
                return vec![ServerMessage::Error { id: id.to_string(), payload: vec![to_value(&live::lagged())] }];
            }
            Next::Ended(End::Closed) | Next::Complete => return vec![ServerMessage::Complete { id: id.to_string() }],
            Next::Failed(errors) => {
                return vec![ServerMessage::Error {
                    id: id.to_string(),
                    payload: errors.iter().map(to_value).collect(),
                }];
            }
        }
    }
}

/// A query or mutation: its response as one `next`, then `complete`; or the request's errors.
async fn execute(gateway: &Gateway, request: GraphqlRequest, headers: &HeaderMap, id: &str) -> Vec<ServerMessage> {
    match gateway.execute(request, headers, false).await {
        Ok(body) => {
            let text = String::from_utf8_lossy(&body).into_owned();
            match serde_json::value::RawValue::from_string(text) {
                Ok(payload) => {
                    vec![
                        ServerMessage::Next { id: id.to_string(), payload },
                        ServerMessage::Complete { id: id.to_string() },
                    ]
                }
                Err(_) => {
                    let error = GraphqlError::new(codes::INTERNAL_SERVER_ERROR, "the response was not JSON");
                    vec![ServerMessage::Error { id: id.to_string(), payload: vec![to_value(&error)] }]
                }
            }
        }
        Err(e) => vec![ServerMessage::Error { id: id.to_string(), payload: e.errors.iter().map(to_value).collect() }],
    }
}

fn to_value(error: &GraphqlError) -> Value {
    serde_json::to_value(error).unwrap_or(Value::Null)
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
