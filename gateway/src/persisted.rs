//! Automatic persisted queries (APQ) and the allowlist of registered operations.

use std::collections::HashMap;
use std::path::Path;

use moka::sync::Cache;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::config::{PersistedConfig, PersistedMode};
use crate::error::{AllowlistError, Code, GatewayError, RequestError};

/// Resolves the operation text of a request from its `query` and `extensions.persistedQuery`.
pub struct Persisted {
    mode: PersistedMode,
    apq: Option<Cache<String, String>>,
    allowlist: HashMap<String, String>,
}

impl Persisted {
    pub fn new(config: &PersistedConfig) -> Result<Self, GatewayError> {
        let allowlist = match &config.allowlist_path {
            Some(path) => load_allowlist(path)?,
            None => HashMap::new(),
        };
        let apq = (config.apq && config.mode == PersistedMode::Open).then(|| Cache::new(config.apq_capacity));
        Ok(Self { mode: config.mode, apq, allowlist })
    }

    /// The operation text to run.
    pub fn resolve(
        &self,
        query: Option<String>,
        extensions: Option<&Map<String, Value>>,
    ) -> Result<String, RequestError> {
        let hash = persisted_hash(extensions)?;
        match self.mode {
            PersistedMode::Allowlist => {
                let text =
                    match (query, hash) {
                        (Some(text), _) => text,
                        (None, Some(hash)) => {
                            return self.allowlist.get(&hash).cloned().ok_or_else(|| {
                                RequestError::bad(Code::PersistedQueryNotFound, "PersistedQueryNotFound")
                            });
                        }
                        (None, None) => return Err(missing_query()),
                    };
                if self.allowlist.contains_key(&sha256_hex(&text)) {
                    Ok(text)
                } else {
                    Err(RequestError::new(
                        http::StatusCode::FORBIDDEN,
                        Code::OperationNotAllowed,
                        "this gateway serves registered operations only, and this one is not registered",
                    ))
                }
            }
            PersistedMode::Open => match (query, hash) {
                (Some(text), None) => Ok(text),
                (None, None) => Err(missing_query()),
                (query, Some(hash)) => {
                    let Some(apq) = &self.apq else {
                        return Err(RequestError::bad(Code::PersistedQueryNotSupported, "PersistedQueryNotSupported"));
                    };
                    match query {
                        Some(text) => {
                            if sha256_hex(&text) != hash {
                                return Err(RequestError::bad(
                                    Code::PersistedQueryHashMismatch,
                                    "the sha256Hash does not match the query",
                                ));
                            }
                            apq.insert(hash, text.clone());
                            Ok(text)
                        }
                        None => apq
                            .get(&hash)
                            .ok_or_else(|| RequestError::bad(Code::PersistedQueryNotFound, "PersistedQueryNotFound")),
                    }
                }
            },
        }
    }
}

fn missing_query() -> RequestError {
    RequestError::bad(Code::BadRequest, "the request has no query")
}

/// `extensions.persistedQuery.sha256Hash` (version 1), lowercased.
fn persisted_hash(extensions: Option<&Map<String, Value>>) -> Result<Option<String>, RequestError> {
    let Some(persisted) = extensions.and_then(|e| e.get("persistedQuery")) else { return Ok(None) };
    let version = persisted.get("version").and_then(Value::as_i64);
    let hash = persisted.get("sha256Hash").and_then(Value::as_str);
    match (version, hash) {
        (Some(1), Some(hash)) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(Some(hash.to_ascii_lowercase()))
        }
        _ => Err(RequestError::bad(
            Code::BadRequest,
            "extensions.persistedQuery must be {\"version\": 1, \"sha256Hash\": <64 hex digits>}",
        )),
    }
}

pub fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// An allowlist file: `{"<sha256>": "<operation>", ...}` or `["<operation>", ...]`.
fn load_allowlist(path: &Path) -> Result<HashMap<String, String>, GatewayError> {
    read_allowlist(path).map_err(|source| GatewayError::Allowlist { path: path.to_path_buf(), source })
}

fn read_allowlist(path: &Path) -> Result<HashMap<String, String>, AllowlistError> {
    let value: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let mut map = HashMap::new();
    match value {
        Value::Array(items) => {
            for item in items {
                let Value::String(text) = item else { return Err(AllowlistError::Shape("entries must be strings")) };
                map.insert(sha256_hex(&text), text);
            }
        }
        Value::Object(entries) => {
            for (hash, text) in entries {
                let Value::String(text) = text else { return Err(AllowlistError::Shape("values must be strings")) };
                if sha256_hex(&text) != hash.to_ascii_lowercase() {
                    return Err(AllowlistError::HashMismatch(hash));
                }
                map.insert(hash.to_ascii_lowercase(), text);
            }
        }
        _ => return Err(AllowlistError::Shape("expected an object or an array")),
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ext(hash: &str) -> Map<String, Value> {
        json!({"persistedQuery": {"version": 1, "sha256Hash": hash}}).as_object().unwrap().clone()
    }

    #[test]
    fn apq_registers_then_serves_by_hash() {
        let persisted = Persisted::new(&PersistedConfig::default()).unwrap();
        let query = "{ __typename }";
        let hash = sha256_hex(query);
        let miss = persisted.resolve(None, Some(&ext(&hash))).unwrap_err();
        assert_eq!(miss.errors[0].code(), Some(Code::PersistedQueryNotFound.as_str()));
        assert_eq!(persisted.resolve(Some(query.into()), Some(&ext(&hash))).unwrap(), query);
        assert_eq!(persisted.resolve(None, Some(&ext(&hash))).unwrap(), query);
        let wrong = persisted.resolve(Some("{ a }".into()), Some(&ext(&hash))).unwrap_err();
        assert_eq!(wrong.errors[0].code(), Some(Code::PersistedQueryHashMismatch.as_str()));
    }

    #[test]
    fn a_bad_allowlist_is_refused_with_its_path_and_the_reason() {
        let path = std::env::temp_dir().join(format!("braid-allowlist-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"00": "{ a }"}"#).unwrap();
        let error = load_allowlist(&path).unwrap_err();
        assert!(matches!(&error, GatewayError::Allowlist { source: AllowlistError::HashMismatch(h), .. } if h == "00"));
        assert!(error.to_string().contains(&path.display().to_string()), "{error}");
        std::fs::write(&path, "[1]").unwrap();
        assert!(matches!(load_allowlist(&path), Err(GatewayError::Allowlist { source: AllowlistError::Shape(_), .. })));
        std::fs::write(&path, "not json").unwrap();
        assert!(matches!(load_allowlist(&path), Err(GatewayError::Allowlist { source: AllowlistError::Json(_), .. })));
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(load_allowlist(&path), Err(GatewayError::Allowlist { source: AllowlistError::Read(_), .. })));
    }
}
