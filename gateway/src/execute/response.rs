//! A subgraph's answer as the gateway keeps it.

use sonic_rs::{JsonContainerTrait, JsonValueTrait};

/// A subgraph's GraphQL response, decoded once and shared by every request that joined the fetch.
/// Decoded as one sonic-rs value: one pass, keys and strings in one arena, members in order.
#[derive(Debug, Default)]
pub struct SubgraphResponse {
    body: sonic_rs::Value,
    /// What the response's `Cache-Control` allows the entity cache.
    pub(super) cache_control: Option<crate::entity_cache::control::CacheControl>,
}

impl SubgraphResponse {
    /// Decodes a response body: a JSON object whose `errors`, if present, is a list.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let body: sonic_rs::Value = sonic_rs::from_slice(bytes).map_err(|e| e.to_string())?;
        if !body.is_object() {
            return Err("the response is not a JSON object".into());
        }
        if body.get("errors").is_some_and(|e| !e.is_null() && !e.is_array()) {
            return Err("`errors` is not a list".into());
        }
        Ok(Self { body, cache_control: None })
    }

    /// The response's `Cache-Control` directives, if it had any.
    pub fn cache_control(&self) -> Option<crate::entity_cache::control::CacheControl> {
        self.cache_control
    }

    /// A response made of `body` (an entity's answer kept by the entity cache).
    pub fn from_value(body: sonic_rs::Value) -> Self {
        Self { body, cache_control: None }
    }

    /// The whole body.
    pub fn body(&self) -> &sonic_rs::Value {
        &self.body
    }

    /// `data`, unless absent or null.
    pub fn data(&self) -> Option<&sonic_rs::Value> {
        self.body.get("data").filter(|d| !d.is_null())
    }

    /// The `errors` list (empty when absent).
    pub fn errors(&self) -> &[sonic_rs::Value] {
        self.body.get("errors").and_then(|e| e.as_array()).map(|a| a.as_slice()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::SubgraphResponse;

    #[test]
    fn a_response_is_an_object_whose_errors_are_a_list_or_null() {
        let decode = |text: &str| SubgraphResponse::decode(text.as_bytes());
        let answered = decode(r#"{"data": {"a": 1}, "errors": null}"#).unwrap();
        assert!(answered.errors().is_empty());
        assert_eq!(answered.data().map(ToString::to_string).as_deref(), Some(r#"{"a":1}"#));
        let failed = decode(r#"{"data": null, "errors": [{"message": "no"}]}"#).unwrap();
        assert_eq!((failed.errors().len(), failed.data().is_none()), (1, true));
        assert_eq!(decode(r#"{"errors": "boom"}"#).unwrap_err(), "`errors` is not a list");
        assert_eq!(decode(r#"{"errors": {"message": "boom"}}"#).unwrap_err(), "`errors` is not a list");
        assert_eq!(decode("[1]").unwrap_err(), "the response is not a JSON object");
        assert!(decode("{").is_err());
    }
}
