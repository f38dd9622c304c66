//! The errors of a fetch as the client sees them.

use serde_json::Map;
use sonic_rs::{JsonValueTrait, Value};

use super::client::FetchError;
use crate::error::{Code, GraphqlError, PathSegment};

pub(super) fn fetch_error(service: &str, error: &FetchError) -> GraphqlError {
    let code = match error {
        FetchError::Timeout(..) => Code::SubgraphTimeout,
        FetchError::Invalid(..) => Code::SubgraphInvalidResponse,
        _ => Code::SubgraphRequestFailed,
    };
    GraphqlError::new(code, error.to_string()).with_extension("serviceName", service)
}

pub(super) fn json_path(path: &[Value]) -> Vec<PathSegment> {
    path.iter()
        .filter_map(|p| match p.as_str() {
            Some(key) => Some(PathSegment::Key(key.to_string())),
            None => p.as_u64().map(|i| PathSegment::Index(i as usize)),
        })
        .collect()
}

/// A subgraph's error as the client sees it: its message and extensions, the client's path,
/// the subgraph's name, and a code when the subgraph gave none.
pub(crate) fn subgraph_error(service: &str, error: &Value, path: Option<Vec<PathSegment>>) -> GraphqlError {
    use serde_json::Value as Json;
    let message = error.get("message").and_then(|m| m.as_str()).unwrap_or("subgraph error").to_string();
    let mut extensions: Map<String, Json> = error
        .get("extensions")
        .filter(|e| e.is_object())
        .and_then(|e| sonic_rs::from_value(e).ok())
        .unwrap_or_default();
    extensions.entry("code").or_insert_with(|| Json::String("DOWNSTREAM_SERVICE_ERROR".into()));
    extensions.insert("serviceName".into(), Json::String(service.to_string()));
    GraphqlError { message, locations: Vec::new(), path, extensions }
}
