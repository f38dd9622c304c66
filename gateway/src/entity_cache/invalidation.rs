//! Invalidation requests, in the shape of Apollo Router's: a JSON list of what to evict (a
//! subgraph's entries, a type's, one entity's), authorized by a shared secret.

use std::collections::{BTreeMap, HashMap};

use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::keys;
use super::schema::{CacheSchema, entity_tag};
use crate::error::{Code, RequestError};
use crate::types::{TypeIndex, named};

/// One thing to evict.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Invalidation {
    /// Every entry of a subgraph.
    Subgraph { subgraph: String },
    /// Every entry of a type (from any subgraph), and every root answer that can hold one.
    Type {
        subgraph: String,
        #[serde(rename = "type")]
        ty: String,
    },
    /// One entity, by its key fields, and every root answer that can hold its type.
    Entity {
        subgraph: String,
        #[serde(rename = "type")]
        ty: String,
        key: serde_json::Map<String, serde_json::Value>,
    },
    /// Every answer of these subgraphs that carries this cache tag (see [`super::tags`]).
    CacheTag { subgraphs: Vec<String>, cache_tag: String },
}

/// The tags of the entities a mutation's response returns at its root fields (their type from
/// `__typename`, else from the mutation field), so that a write through this gateway is not read
/// back from its cache even before its event arrives.
pub fn written(schema: &CacheSchema, types: &TypeIndex, body: &[u8]) -> Vec<String> {
    let Ok(response) = serde_json::from_slice::<serde_json::Value>(body) else { return Vec::new() };
    let mutation = types.mutation.as_ref().and_then(|m| types.types.get(m));
    let mut tags = Vec::new();
    for (field, value) in response.get("data").and_then(|d| d.as_object()).into_iter().flatten() {
        let declared = mutation.and_then(|m| m.fields.get(field)).map(|f| named(&f.field_type));
        let objects = match value {
            serde_json::Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for object in objects.into_iter().filter_map(|o| o.as_object()) {
            let Some(typename) = object.get("__typename").and_then(|t| t.as_str()).or(declared) else { continue };
            let mut object = object.clone();
            object.insert("__typename".into(), typename.into());
            if let Some(tag) = schema.entity_tag(&serde_json::Value::Object(object)) {
                for tag in [keys::entity_tag(&tag), keys::list_tag(typename)] {
                    if !tags.contains(&tag) {
                        tags.push(tag);
                    }
                }
            }
        }
    }
    tags
}

/// Whether `headers` carry `Authorization: Bearer <token>`. Digests are compared, so the time
/// taken tells nothing of the secret.
pub fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let sent =
        headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    sent.is_some_and(|sent| Sha256::digest(sent.trim().as_bytes()) == Sha256::digest(token.as_bytes()))
}

/// The tags a request body asks to bump, checked against the subgraphs `endpoints` names.
pub fn tags(body: &[u8], endpoints: &HashMap<String, String>) -> Result<Vec<String>, RequestError> {
    let bad = |message: String| RequestError::new(StatusCode::BAD_REQUEST, Code::BadRequest, message);
    let requests: Vec<Invalidation> = match serde_json::from_slice(body) {
        Ok(list) => list,
        Err(e) => return Err(bad(format!("an invalidation request is a JSON list of {{\"kind\": …}} objects: {e}"))),
    };
    let mut tags = Vec::new();
    for request in requests {
        let subgraphs = match &request {
            Invalidation::Subgraph { subgraph }
            | Invalidation::Type { subgraph, .. }
            | Invalidation::Entity { subgraph, .. } => std::slice::from_ref(subgraph),
            Invalidation::CacheTag { subgraphs, .. } => subgraphs.as_slice(),
        };
        if let Some(unknown) = subgraphs.iter().find(|s| !endpoints.contains_key(*s)) {
            return Err(bad(format!("no subgraph named '{unknown}'")));
        }
        match request {
            Invalidation::Subgraph { subgraph } => tags.push(keys::subgraph_tag(&subgraph)),
            Invalidation::Type { ty, .. } => {
                tags.push(keys::type_tag(&ty));
                tags.push(keys::list_tag(&ty));
            }
            Invalidation::Entity { ty, key, .. } => {
                if key.is_empty() {
                    return Err(bad(format!("the key of the {ty} to evict is empty")));
                }
                let key: BTreeMap<&str, &serde_json::Value> = key.iter().map(|(k, v)| (k.as_str(), v)).collect();
                tags.push(keys::entity_tag(&entity_tag(&ty, &key)));
                tags.push(keys::list_tag(&ty));
            }
            Invalidation::CacheTag { subgraphs, cache_tag } => {
                let tag_ok =
                    !cache_tag.is_empty() && cache_tag.len() <= super::tags::MAX_TAG_LEN && !cache_tag.contains('\n');
                if subgraphs.is_empty() || !tag_ok {
                    return Err(bad(format!(
                        "a cache_tag invalidation names at least one subgraph and a tag of 1 to {} characters on one line",
                        super::tags::MAX_TAG_LEN
                    )));
                }
                for subgraph in subgraphs {
                    tags.push(keys::cache_tag(&subgraph, &cache_tag));
                    tags.push(keys::cache_tags_guard(&subgraph));
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    tags.retain(|tag| seen.insert(tag.clone()));
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoints() -> HashMap<String, String> {
        HashMap::from([("catalog".to_string(), "http://127.0.0.1:1/graphql".to_string())])
    }

    #[test]
    fn each_kind_bumps_its_tags_and_an_entity_matches_what_its_event_bumps() {
        let body = br#"[{"kind":"subgraph","subgraph":"catalog"},
            {"kind":"type","subgraph":"catalog","type":"Category"},
            {"kind":"entity","subgraph":"catalog","type":"Product","key":{"id":"p-1"}},
            {"kind":"cache_tag","subgraphs":["catalog"],"cache_tag":"sale"},
            {"kind":"cache_tag","subgraphs":["catalog"],"cache_tag":"new"}]"#;
        assert_eq!(
            tags(body, &endpoints()).unwrap(),
            [
                "s:catalog",
                "t:Category",
                "l:Category",
                "e:Product:p-1",
                "l:Product",
                "c:catalog:sale",
                "ct:catalog",
                "c:catalog:new"
            ]
        );
    }

    #[test]
    fn malformed_requests_are_refused_with_a_code() {
        for body in [
            &b"{"[..],
            br#"{"kind":"subgraph","subgraph":"catalog"}"#,
            br#"[{"kind":"everything"}]"#,
            br#"[{"kind":"subgraph","subgraph":"nope"}]"#,
            br#"[{"kind":"subgraph","subgraph":"catalog","extra":1}]"#,
            br#"[{"kind":"entity","subgraph":"catalog","type":"Product","key":{}}]"#,
            br#"[{"kind":"cache_tag","subgraphs":[],"cache_tag":"sale"}]"#,
            br#"[{"kind":"cache_tag","subgraphs":["catalog","nope"],"cache_tag":"sale"}]"#,
            br#"[{"kind":"cache_tag","subgraphs":["catalog"],"cache_tag":""}]"#,
            br#"[{"kind":"cache_tag","subgraphs":["catalog"],"cache_tag":"a\nb"}]"#,
        ] {
            let error = tags(body, &endpoints()).unwrap_err();
            assert_eq!(error.status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(body));
            assert_eq!(error.errors[0].code(), Some("BAD_REQUEST"));
        }
    }

    #[test]
    fn a_mutation_evicts_the_entities_it_returns() {
        let supergraph =
            crate::supergraph::Supergraph::parse(include_str!("../../../schema/supergraph.graphql")).unwrap();
        let body = br#"{"data":{"updateProduct":{"id":"p-1","name":"Lamp"},"adjustStock":{"name":"no id"}}}"#;
        assert_eq!(written(&supergraph.cache, &supergraph.types, body), ["e:Product:p-1", "l:Product"]);
        assert!(written(&supergraph.cache, &supergraph.types, b"{\"errors\":[]}").is_empty());
    }

    #[test]
    fn only_the_configured_secret_is_authorized() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(http::header::AUTHORIZATION, value.parse().unwrap());
            headers
        };
        let token = "an-invalidation-secret";
        assert!(authorized(&with("Bearer an-invalidation-secret"), token));
        assert!(!authorized(&with("Bearer an-invalidation-secreT"), token));
        assert!(!authorized(&with("an-invalidation-secret"), token));
        assert!(!authorized(&HeaderMap::new(), token));
    }
}
