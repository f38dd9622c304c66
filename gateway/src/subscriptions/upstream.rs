//! The client side of graphql-transport-ws: one subscription on a subgraph that serves its own
//! subscriptions, over a WebSocket of its own (as Apollo Router and Hive Router pass them
//! through). Dropping an [`Upstream`] closes its socket, which ends the subscription there.

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http::{HeaderMap, HeaderValue};
use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::error::{Code, GraphqlError};
use crate::execute::client::UpstreamTarget;
use crate::execute::subgraph_error;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The one operation id used on an upstream socket (one socket per subscription).
const ID: &str = "1";

/// A subscription open on a subgraph.
pub struct Upstream {
    service: String,
    socket: Socket,
}

/// What the subgraph sent next.
pub enum Upstreamed {
    /// One result (`{"data": ..., "errors": ...}`), as the subgraph wrote it.
    Next(Bytes),
    /// The subscription failed: the subgraph's errors, or why the connection broke.
    Failed(Vec<GraphqlError>),
    /// The subgraph completed the subscription.
    Complete,
}

impl Upstream {
    /// Connects to `url` (the subgraph `service`), sends `connection_init` and, once
    /// acknowledged within `timeout`, subscribes with `query` and `variables`. `headers` (the
    /// ones propagated to subgraphs) go on the upgrade request and in the init payload.
    pub async fn open(
        service: &str,
        target: UpstreamTarget<'_>,
        headers: &HeaderMap,
        query: &str,
        variables: &Map<String, Value>,
        max_message_bytes: usize,
    ) -> Result<Self, GraphqlError> {
        let UpstreamTarget { url, timeout, tls } = target;
        let failed = |message: String| request_failed(service, message);
        let mut request = url.into_client_request().map_err(|e| failed(format!("subscription URL {url}: {e}")))?;
        request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static("graphql-transport-ws"));
        let mut payload = Map::new();
        for (name, value) in headers {
            request.headers_mut().append(name.clone(), value.clone());
            if let Ok(text) = value.to_str() {
                payload.insert(name.as_str().to_string(), Value::String(text.to_string()));
            }
        }
        let config = WebSocketConfig::default().max_message_size(Some(max_message_bytes));
        let service = service.to_string();
        let handshake = async {
            let tls = Some(tokio_tungstenite::Connector::Rustls(tls));
            let (mut socket, _) = tokio_tungstenite::connect_async_tls_with_config(request, Some(config), false, tls)
                .await
                .map_err(|e| failed(format!("subscription connection to {url}: {e}")))?;
            send(&mut socket, json!({"type": "connection_init", "payload": payload})).await.map_err(&failed)?;
            loop {
                match next_message(&mut socket).await.map_err(&failed)? {
                    Some(message) if message["type"] == "connection_ack" => break,
                    Some(message) if message["type"] == "ping" => {
                        send(&mut socket, json!({"type": "pong"})).await.map_err(&failed)?;
                    }
                    Some(message) => return Err(failed(format!("expected connection_ack, got {message}"))),
                    None => return Err(failed("the subgraph closed the connection before acknowledging it".into())),
                }
            }
            let subscribe = json!({"id": ID, "type": "subscribe", "payload": {"query": query, "variables": variables}});
            send(&mut socket, subscribe).await.map_err(&failed)?;
            Ok(socket)
        };
        let socket = tokio::time::timeout(timeout, handshake).await.map_err(|_| {
            GraphqlError::new(
                Code::SubgraphTimeout,
                format!("the subgraph did not accept the subscription within {} ms", timeout.as_millis()),
            )
            .with_extension("serviceName", service.as_str())
        })??;
        Ok(Self { service, socket })
    }

    /// The subgraph serving the subscription.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The subgraph's next message for the subscription; pings are answered on the way.
    pub async fn next(&mut self) -> Upstreamed {
        let failed = |message: String| Upstreamed::Failed(vec![request_failed(&self.service, message)]);
        loop {
            let message = match next_message(&mut self.socket).await {
                Ok(Some(message)) => message,
                Ok(None) => return failed("the subgraph closed the subscription's connection".into()),
                Err(e) => return failed(e),
            };
            match message["type"].as_str() {
                Some("next") if message["id"] == ID => match serde_json::to_vec(&message["payload"]) {
                    Ok(body) => return Upstreamed::Next(Bytes::from(body)),
                    Err(e) => return failed(e.to_string()),
                },
                Some("error") if message["id"] == ID => {
                    // As a query's subgraph errors are: message, extensions, a default code, the
                    // subgraph's name. They come before execution, so they have no path.
                    let errors = message["payload"].as_array().cloned().unwrap_or_default();
                    let errors = errors.iter().filter_map(|e| sonic_rs::to_value(e).ok());
                    return Upstreamed::Failed(errors.map(|e| subgraph_error(&self.service, &e, None)).collect());
                }
                Some("complete") if message["id"] == ID => return Upstreamed::Complete,
                Some("ping") => {
                    if let Err(e) = send(&mut self.socket, json!({"type": "pong"})).await {
                        return failed(e);
                    }
                }
                Some("pong") => {}
                _ => return failed(format!("unexpected message from the subgraph: {message}")),
            }
        }
    }
}

/// Why the subscription could not go on, naming the subgraph.
fn request_failed(service: &str, message: String) -> GraphqlError {
    GraphqlError::new(Code::SubgraphRequestFailed, message).with_extension("serviceName", service)
}

async fn send(socket: &mut Socket, message: Value) -> Result<(), String> {
    socket.send(Message::Text(message.to_string().into())).await.map_err(|e| e.to_string())
}

/// The next protocol message (a JSON object); `None` when the socket closed.
async fn next_message(socket: &mut Socket) -> Result<Option<Value>, String> {
    while let Some(frame) = socket.next().await {
        match frame.map_err(|e| e.to_string())? {
            Message::Text(text) => {
                return serde_json::from_str::<Value>(&text)
                    .ok()
                    .filter(Value::is_object)
                    .map(Some)
                    .ok_or_else(|| format!("the subgraph sent a message that is not a JSON object: {text}"));
            }
            Message::Close(_) => return Ok(None),
            // WebSocket pings are answered by the library.
            _ => {}
        }
    }
    Ok(None)
}
