//! Errors: internal ones ([`KitError`]) and the ones shown to clients ([`ClientError`]).

use async_graphql::ErrorExtensions;

/// Internal errors of the runtime; never shown to clients as they are.
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    /// A setting is missing or inconsistent with another.
    #[error("configuration: {0}")]
    Config(String),
    /// The configuration could not be read into the settings.
    #[error("configuration: {0}")]
    Settings(#[from] crate::config::ConfigError),
    #[cfg(feature = "db")]
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("events: {0}")]
    Events(#[from] crate::events::BusError),
    #[error("cache: {0}")]
    Cache(#[from] crate::cache::CacheError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// An error a client sees: a message and a stable `extensions.code`.
///
/// Deliberately not `Display`, so it converts into a GraphQL error only with its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    pub code: Code,
    pub message: String,
    /// The input field at fault, when there is one.
    pub field: Option<String>,
}

impl ClientError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None }
    }

    /// A rejected input value (`BAD_USER_INPUT`), naming the field.
    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        Self { code: Code::BadUserInput, message: message.into(), field: Some(field.to_string()) }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, message)
    }

    /// Logs the internal cause and returns an opaque error: nothing internal leaks.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(Code::InternalServerError, "internal error")
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
            ext.set("code", e.code.as_str());
            if let Some(field) = &field {
                ext.set("field", field.as_str());
            }
        })
    }
}

/// Every stable `extensions.code` the gateway and the subgraphs answer with, each once.
macro_rules! codes {
    ($($variant:ident = $text:literal, $meaning:literal;)*) => {
        /// A stable `extensions.code`: clients may match on its text.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $(#[doc = $meaning] $variant,)*
        }

        impl Code {
            /// Every code, in the order they are declared.
            pub const ALL: &[Code] = &[$(Code::$variant),*];

            /// The code as clients see it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    BadRequest = "BAD_REQUEST", "the request is not a GraphQL request (no query, bad JSON, wrong types)";
    PayloadTooLarge = "PAYLOAD_TOO_LARGE", "the body is larger than the configured maximum";
    UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE", "the body's Content-Type is not one GraphQL over HTTP accepts";
    NotAcceptable = "NOT_ACCEPTABLE", "the Accept header allows no media type the server answers with";
    MethodNotAllowed = "METHOD_NOT_ALLOWED", "a mutation sent with GET, or a method other than GET and POST";
    GraphqlParseFailed = "GRAPHQL_PARSE_FAILED", "the operation text does not parse";
    GraphqlValidationFailed = "GRAPHQL_VALIDATION_FAILED", "the operation breaks a validation rule of the specification";
    OperationNotFound = "OPERATION_NOT_FOUND", "no operation of the name asked for, or several and no name";
    BadUserInput = "BAD_USER_INPUT", "a variable or an argument has a value its type or the domain refuses";
    MaxDepthExceeded = "MAX_DEPTH_EXCEEDED", "the operation is nested deeper than the limit";
    MaxAliasesExceeded = "MAX_ALIASES_EXCEEDED", "the operation has more aliases than the limit";
    MaxRootFieldsExceeded = "MAX_ROOT_FIELDS_EXCEEDED", "the operation selects more root fields than the limit";
    MaxTokensExceeded = "MAX_TOKENS_EXCEEDED", "the operation text has more tokens than the limit";
    MaxDefersExceeded = "MAX_DEFERS_EXCEEDED", "the operation defers more fragments than the limit";
    PlanningTimeout = "PLANNING_TIMEOUT", "planning took longer than the limit";
    QueryPlanningFailed = "QUERY_PLANNING_FAILED", "the query planner could not plan the operation";
    IntrospectionDisabled = "INTROSPECTION_DISABLED", "introspection is turned off";
    PersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND", "a persisted query hash the gateway does not know";
    PersistedQueryNotSupported = "PERSISTED_QUERY_NOT_SUPPORTED", "persisted queries are turned off";
    PersistedQueryHashMismatch = "PERSISTED_QUERY_HASH_MISMATCH", "the text sent does not have the hash sent with it";
    OperationNotAllowed = "OPERATION_NOT_ALLOWED", "an operation outside the allowlist";
    SubgraphRequestFailed = "SUBGRAPH_REQUEST_FAILED", "a subgraph could not be reached or answered with an error status";
    SubgraphTimeout = "SUBGRAPH_TIMEOUT", "a subgraph did not answer in time";
    SubgraphInvalidResponse = "SUBGRAPH_INVALID_RESPONSE", "a subgraph's answer is not a GraphQL response";
    NonNullViolation = "NON_NULL_VIOLATION", "a non-null field resolved to null";
    InvalidToken = "INVALID_TOKEN", "the bearer token is malformed, forged, expired or revoked";
    Unauthenticated = "UNAUTHENTICATED", "the field or operation needs a bearer token";
    Forbidden = "FORBIDDEN", "the viewer may not see or do this";
    RequestTimeout = "REQUEST_TIMEOUT", "the request took longer than the configured maximum";
    InternalServerError = "INTERNAL_SERVER_ERROR", "something failed inside; the cause is logged, never shown";
    TooManyConnections = "TOO_MANY_CONNECTIONS", "the instance holds as many connections as it may";
    TooManyOperations = "TOO_MANY_OPERATIONS", "the connection runs as many operations as it may";
    CostEstimatedTooExpensive = "COST_ESTIMATED_TOO_EXPENSIVE", "the operation's estimated cost is above the gateway's `cost.max`";
    RateLimited = "RATE_LIMITED", "the client spent its request budget; retry after `Retry-After` seconds";
    SubscriberLagged = "SUBSCRIBER_LAGGED", "the subscriber fell too far behind its events";
    SubscriptionUnavailable = "SUBSCRIPTION_UNAVAILABLE", "the subscription has no source the gateway can read";
    StreamingRequired = "STREAMING_REQUIRED", "a subscription sent as a request that expects a single response";
    InvalidLastEventId = "INVALID_LAST_EVENT_ID", "a Last-Event-ID the stream did not send";
    TokenExpired = "TOKEN_EXPIRED", "the token of a long-lived connection expired";
    InvalidCursor = "INVALID_CURSOR", "a page cursor this field did not make";
    NotFound = "NOT_FOUND", "the object asked for does not exist (or is not visible)";
    Conflict = "CONFLICT", "a write lost to another (a stale version, a taken unique value)";
    InvalidCredentials = "INVALID_CREDENTIALS", "the login's credentials are wrong";
    TooManyAttempts = "TOO_MANY_ATTEMPTS", "too many failed logins; try later";
    InvalidRefreshToken = "INVALID_REFRESH_TOKEN", "the refresh token is unknown, used or revoked";
    OutOfStock = "OUT_OF_STOCK", "an order asks for more than the catalog holds";
    ProductNotFound = "PRODUCT_NOT_FOUND", "an order names a product the catalog does not have";
    EmptyCart = "EMPTY_CART", "an order placed from an empty cart";
    IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED", "an idempotency key reused for a different request";
    OrderNotCancellable = "ORDER_NOT_CANCELLABLE", "the order is past the point where it can be cancelled";
    MixedCurrencies = "MIXED_CURRENCIES", "a cart holds prices in more than one currency";
    CatalogUnavailable = "CATALOG_UNAVAILABLE", "the catalog could not be asked about stock or prices";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl From<Code> for async_graphql::Value {
    fn from(code: Code) -> Self {
        code.as_str().into()
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn every_code_is_its_variant_in_screaming_snake_case_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            let camel: String = text.split('_').map(|w| w[..1].to_string() + &w[1..].to_lowercase()).collect();
            assert_eq!(format!("{code:?}"), camel);
        }
    }
}
