//! Errors: internal ones ([`KitError`]) and the ones shown to clients ([`ClientError`]).

use async_graphql::ErrorExtensions;

/// Internal errors of the runtime; never shown to clients as they are.
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    #[error("configuration: {0}")]
    Config(String),
    #[cfg(feature = "db")]
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("events: {0}")]
    Events(#[from] crate::events::BusError),
    #[error("cache: {0}")]
    Cache(#[from] crate::cache::CacheError),
    #[error("auth: {0}")]
    Auth(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl From<crate::config::ConfigError> for KitError {
    fn from(e: crate::config::ConfigError) -> Self {
        Self::Config(e.0)
    }
}

/// An error a client sees: a message and a stable `extensions.code`.
///
/// Deliberately not `Display`, so it converts into a GraphQL error only with its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    pub code: &'static str,
    pub message: String,
    /// The input field at fault, when there is one.
    pub field: Option<String>,
}

impl ClientError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None }
    }

    /// A rejected input value (`BAD_USER_INPUT`), naming the field.
    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        Self { code: codes::BAD_USER_INPUT, message: message.into(), field: Some(field.to_string()) }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(codes::NOT_FOUND, message)
    }

    /// Logs the internal cause and returns an opaque error: nothing internal leaks.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(codes::INTERNAL, "internal error")
    }
}

#[cfg(feature = "db")]
impl From<sea_orm::DbErr> for ClientError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::internal(&e)
    }
}

impl From<ClientError> for async_graphql::Error {
    fn from(e: ClientError) -> Self {
        let field = e.field.clone();
        async_graphql::Error::new(e.message).extend_with(|_, ext| {
            ext.set("code", e.code);
            if let Some(field) = &field {
                ext.set("field", field.as_str());
            }
        })
    }
}

/// The stable `extensions.code` values.
pub mod codes {
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const INVALID_CURSOR: &str = "INVALID_CURSOR";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const CONFLICT: &str = "CONFLICT";
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const INVALID_TOKEN: &str = "INVALID_TOKEN";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const INVALID_CREDENTIALS: &str = "INVALID_CREDENTIALS";
    pub const TOO_MANY_ATTEMPTS: &str = "TOO_MANY_ATTEMPTS";
    pub const INVALID_REFRESH_TOKEN: &str = "INVALID_REFRESH_TOKEN";
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
    pub const NOT_ACCEPTABLE: &str = "NOT_ACCEPTABLE";
    pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
    pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";
    pub const OUT_OF_STOCK: &str = "OUT_OF_STOCK";
    pub const PRODUCT_NOT_FOUND: &str = "PRODUCT_NOT_FOUND";
    pub const EMPTY_CART: &str = "EMPTY_CART";
    pub const IDEMPOTENCY_KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";
    pub const ORDER_NOT_CANCELLABLE: &str = "ORDER_NOT_CANCELLABLE";
    pub const MIXED_CURRENCIES: &str = "MIXED_CURRENCIES";
    pub const CATALOG_UNAVAILABLE: &str = "CATALOG_UNAVAILABLE";
}
