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

pub use braid_kit::error::Code;

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
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        let mut extensions = serde_json::Map::new();
        extensions.insert("code".into(), code.as_str().into());
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
    pub fn new(status: http::StatusCode, code: Code, message: impl Into<String>) -> Self {
        Self { status, errors: vec![GraphqlError::new(code, message)] }
    }

    /// A client error about the GraphQL document or variables (400 with the GraphQL media type).
    pub fn bad(code: Code, message: impl Into<String>) -> Self {
        Self::new(http::StatusCode::BAD_REQUEST, code, message)
    }
}
