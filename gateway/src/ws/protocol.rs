//! The `graphql-transport-ws` protocol's messages and close codes (the protocol of the
//! `graphql-ws` library: github.com/enisdenjo/graphql-ws, PROTOCOL.md).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The WebSocket subprotocol name clients ask for.
pub const SUBPROTOCOL: &str = "graphql-transport-ws";

/// Why the server closes a connection: the protocol's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// A frame that is not a message of the protocol (bad JSON, an unknown type).
    InvalidMessage,
    /// `subscribe` before the connection was acknowledged.
    Unauthorized,
    /// `connection_init` with a token that does not verify, or a token that expired.
    Forbidden,
    /// No `connection_init` within the configured time.
    InitTimeout,
    /// `subscribe` with the id of an operation still running.
    DuplicateId,
    /// A second `connection_init`.
    TooManyInits,
    /// A frame larger than the configured limit (RFC 6455's "message too big").
    TooBig,
    /// The server is shutting down (RFC 6455's "going away"); clients reconnect elsewhere.
    GoingAway,
}

impl Close {
    pub fn code(self) -> u16 {
        match self {
            Close::InvalidMessage => 4400,
            Close::Unauthorized => 4401,
            Close::Forbidden => 4403,
            Close::InitTimeout => 4408,
            Close::DuplicateId => 4409,
            Close::TooManyInits => 4429,
            Close::TooBig => 1009,
            Close::GoingAway => 1001,
        }
    }
}

/// What a client sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Map<String, Value>>,
    },
    Ping {
        #[serde(default)]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)] // a pong answers our ping; its payload means nothing to us
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
}

/// A `subscribe` message's operation.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribePayload {
    pub query: Option<String>,
    #[serde(default)]
    pub operation_name: Option<String>,
    #[serde(default)]
    pub variables: Option<Map<String, Value>>,
    #[serde(default)]
    pub extensions: Option<Map<String, Value>>,
}

/// What the server sends. `Next` carries a response body already serialized.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    ConnectionAck,
    Ping,
    Pong {
        #[serde(skip_serializing_if = "Option::is_none")]
        payload: Option<Value>,
    },
    Next {
        id: String,
        payload: Box<serde_json::value::RawValue>,
    },
    Error {
        id: String,
        payload: Vec<Value>,
    },
    Complete {
        id: String,
    },
}

impl ServerMessage {
    /// The `error` that ends operation `id` with `errors`.
    pub fn error(id: impl Into<String>, errors: &[crate::error::GraphqlError]) -> Self {
        let payload = errors.iter().map(|e| serde_json::to_value(e).unwrap_or(Value::Null)).collect();
        ServerMessage::Error { id: id.into(), payload }
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("protocol messages serialize")
    }
}

/// Reads one text frame; `Err` is the reason to close with 4400.
pub fn parse(text: &str) -> Result<ClientMessage, String> {
    serde_json::from_str(text).map_err(|e| format!("not a graphql-transport-ws message: {e}"))
}

/// The bearer token a `connection_init` payload carries, under `Authorization` (any case,
/// `Bearer <token>`, as the HTTP header) or `token` (the bare token).
pub fn authorization(payload: Option<&Map<String, Value>>) -> Option<String> {
    let payload = payload?;
    let header = payload.iter().find(|(k, _)| k.eq_ignore_ascii_case("authorization")).and_then(|(_, v)| v.as_str());
    match header {
        Some(h) => Some(h.to_string()),
        // Exactly as long as it must be: the connection keeps it (as its header) while it lives.
        None => payload.get("token").and_then(Value::as_str).map(|t| ["Bearer ", t].concat()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_parse_and_unknown_ones_are_refused() {
        let init = parse(r#"{"type":"connection_init","payload":{"Authorization":"Bearer x"}}"#).unwrap();
        let ClientMessage::ConnectionInit { payload } = init else { panic!("an init") };
        assert_eq!(authorization(payload.as_ref()).as_deref(), Some("Bearer x"));
        let sub = parse(r#"{"id":"1","type":"subscribe","payload":{"query":"{ a }"}}"#).unwrap();
        assert!(matches!(sub, ClientMessage::Subscribe { id, .. } if id == "1"));
        assert!(parse(r#"{"type":"connection_init"}"#).is_ok());
        for bad in [r#"{"type":"start","id":"1"}"#, r#"{"type":"subscribe"}"#, "{", "[]", r#"{"id":"1"}"#] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_bare_token_is_read_too() {
        let payload = json!({ "token": "abc" });
        assert_eq!(authorization(payload.as_object()).as_deref(), Some("Bearer abc"));
        assert_eq!(authorization(None), None);
    }

    #[test]
    fn server_messages_have_the_protocol_shape() {
        let next = ServerMessage::Next {
            id: "7".into(),
            payload: serde_json::value::RawValue::from_string(r#"{"data":{"a":1}}"#.into()).unwrap(),
        };
        assert_eq!(next.to_text(), r#"{"type":"next","id":"7","payload":{"data":{"a":1}}}"#);
        assert_eq!(ServerMessage::ConnectionAck.to_text(), r#"{"type":"connection_ack"}"#);
        assert_eq!(ServerMessage::Complete { id: "7".into() }.to_text(), r#"{"type":"complete","id":"7"}"#);
    }
}
