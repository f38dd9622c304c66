//! Errors: internal ones ([`GatewayError`]) and the GraphQL errors clients see ([`GraphqlError`]).

use serde::Serialize;

/// Internal errors of the gateway process; never shown to clients as they are.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// A setting is missing, out of range or inconsistent with another.
    #[error("configuration: {0}")]
    Config(String),
    /// The configuration file or the environment could not be read into the settings.
    #[error("configuration: {0}")]
    Settings(#[from] braid_kit::config::ConfigError),
    #[error("access.cache: {0}")]
    Cache(#[from] braid_kit::cache::CacheError),
    #[error("events: {0}")]
    Events(#[from] braid_kit::events::BusError),
    #[error("headers.propagate: invalid header name {name}")]
    HeaderName { name: String, source: http::header::InvalidHeaderName },
    #[error("subgraph {name}: URL {url}: {source}")]
    SubgraphUrl { name: String, url: String, source: http::uri::InvalidUri },
    #[error("allowlist {}: {source}", path.display())]
    Allowlist { path: std::path::PathBuf, source: AllowlistError },
    #[error("cannot read the supergraph {}: {source}", path.display())]
    SupergraphFile { path: std::path::PathBuf, source: std::io::Error },
    /// The supergraph SDL does not parse or is not a valid supergraph.
    #[error("supergraph: {0}")]
    Supergraph(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Tls(#[from] braid_kit::tls::TlsError),
}

/// Why an allowlist file was refused.
#[derive(Debug, thiserror::Error)]
pub enum AllowlistError {
    #[error(transparent)]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Shape(&'static str),
    #[error("the hash {0} does not match its operation")]
    HashMismatch(String),
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
    /// The client's budget, when the request was refused for spending it.
    pub quota: Option<crate::rate_limit::Quota>,
}

impl RequestError {
    pub fn new(status: http::StatusCode, code: Code, message: impl Into<String>) -> Self {
        Self::with_errors(status, vec![GraphqlError::new(code, message)])
    }

    /// A refusal with these errors.
    pub fn with_errors(status: http::StatusCode, errors: Vec<GraphqlError>) -> Self {
        Self { status, errors, quota: None }
    }

    /// A client error about the GraphQL document or variables (400 with the GraphQL media type).
    pub fn bad(code: Code, message: impl Into<String>) -> Self {
        Self::new(http::StatusCode::BAD_REQUEST, code, message)
    }
}
