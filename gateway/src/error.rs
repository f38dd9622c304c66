//! Errors: internal ones ([`GatewayError`]) and the GraphQL errors clients see ([`GraphqlError`]).

use serde::Serialize;

/// Internal errors of the gateway process; never shown to clients as they are.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("supergraph: {0}")]
    Supergraph(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl From<braid_kit::config::ConfigError> for GatewayError {
    fn from(e: braid_kit::config::ConfigError) -> Self {
        Self::Config(e.0)
    }
}

/// The stable `extensions.code` values.
pub mod codes {
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
    pub const NOT_ACCEPTABLE: &str = "NOT_ACCEPTABLE";
    pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    pub const OPERATION_NOT_FOUND: &str = "OPERATION_NOT_FOUND";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const MAX_DEPTH_EXCEEDED: &str = "MAX_DEPTH_EXCEEDED";
    pub const MAX_ALIASES_EXCEEDED: &str = "MAX_ALIASES_EXCEEDED";
    pub const MAX_ROOT_FIELDS_EXCEEDED: &str = "MAX_ROOT_FIELDS_EXCEEDED";
    pub const MAX_TOKENS_EXCEEDED: &str = "MAX_TOKENS_EXCEEDED";
    pub const PLANNING_TIMEOUT: &str = "PLANNING_TIMEOUT";
    pub const QUERY_PLANNING_FAILED: &str = "QUERY_PLANNING_FAILED";
    pub const INTROSPECTION_DISABLED: &str = "INTROSPECTION_DISABLED";
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    pub const PERSISTED_QUERY_NOT_SUPPORTED: &str = "PERSISTED_QUERY_NOT_SUPPORTED";
    pub const PERSISTED_QUERY_HASH_MISMATCH: &str = "PERSISTED_QUERY_HASH_MISMATCH";
    pub const OPERATION_NOT_ALLOWED: &str = "OPERATION_NOT_ALLOWED";
    pub const SUBGRAPH_REQUEST_FAILED: &str = "SUBGRAPH_REQUEST_FAILED";
    pub const SUBGRAPH_TIMEOUT: &str = "SUBGRAPH_TIMEOUT";
    pub const SUBGRAPH_INVALID_RESPONSE: &str = "SUBGRAPH_INVALID_RESPONSE";
    pub const NON_NULL_VIOLATION: &str = "NON_NULL_VIOLATION";
    pub const INVALID_TOKEN: &str = "INVALID_TOKEN";
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const REQUEST_TIMEOUT: &str = "REQUEST_TIMEOUT";
    pub const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";
    pub const TOO_MANY_CONNECTIONS: &str = "TOO_MANY_CONNECTIONS";
    pub const TOO_MANY_OPERATIONS: &str = "TOO_MANY_OPERATIONS";
    pub const SUBSCRIBER_LAGGED: &str = "SUBSCRIBER_LAGGED";
    pub const SUBSCRIPTION_UNAVAILABLE: &str = "SUBSCRIPTION_UNAVAILABLE";
    pub const STREAMING_REQUIRED: &str = "STREAMING_REQUIRED";
    pub const INVALID_LAST_EVENT_ID: &str = "INVALID_LAST_EVENT_ID";
    pub const TOKEN_EXPIRED: &str = "TOKEN_EXPIRED";
}

/// One step of a response path: an object key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

/// A source position in the operation text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// A GraphQL error as it appears in a response's `errors`.
#[derive(Debug, Clone, Serialize)]
pub struct GraphqlError {
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<PathSegment>>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl GraphqlError {
    /// An error with a message and a stable code.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        let mut extensions = serde_json::Map::new();
        extensions.insert("code".into(), code.into());
        Self { message: message.into(), locations: Vec::new(), path: None, extensions }
    }

    pub fn with_path(mut self, path: Vec<PathSegment>) -> Self {
        self.path = Some(path);
        self
    }

    pub fn with_locations(mut self, locations: Vec<Location>) -> Self {
        self.locations = locations;
        self
    }

    pub fn with_extension(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.extensions.insert(key.into(), value.into());
        self
    }

    /// The `extensions.code`, if any.
    pub fn code(&self) -> Option<&str> {
        self.extensions.get("code").and_then(|c| c.as_str())
    }
}

/// A request refused before execution: the errors and the HTTP status the spec asks for.
#[derive(Debug, Clone)]
pub struct RequestError {
    pub status: http::StatusCode,
    pub errors: Vec<GraphqlError>,
}

impl RequestError {
    pub fn new(status: http::StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self { status, errors: vec![GraphqlError::new(code, message)] }
    }

    /// A client error about the GraphQL document or variables (400 with the GraphQL media type).
    pub fn bad(code: &str, message: impl Into<String>) -> Self {
        Self::new(http::StatusCode::BAD_REQUEST, code, message)
    }
}
