//! Cache tags a subgraph puts on its answers, in the response extensions Apollo Router reads:
//! `apolloCacheTags` (a list of strings) for a root fetch's answer, and `apolloEntityCacheTags`
//! (one list of strings per `_entities` item, in the order of the representations sent) for its
//! entities. Braid's batched entity fetches send several `_entities` fields under aliases; for
//! those a subgraph may send an object of such lists by response key. `POST /invalidation` with
//! `{"kind": "cache_tag", "subgraphs": [...], "cache_tag": "..."}` evicts every answer carrying
//! the tag.

use sonic_rs::{JsonContainerTrait, JsonValueTrait, Value};

/// Tags longer than this, or more of them on one answer than [`MAX_TAGS`], make the answer
/// one the gateway does not keep: it could not be evicted by them all.
pub const MAX_TAG_LEN: usize = 128;
pub const MAX_TAGS: usize = 32;

/// The cache tags of a root fetch's answer; `None` when they are malformed.
pub fn root(body: &Value) -> Option<Vec<String>> {
    match body.get("extensions").and_then(|e| e.get("apolloCacheTags")) {
        Some(list) => strings(list),
        None => Some(Vec::new()),
    }
}

/// The cache tags of the `position`th item of the `_entities` field at `response_key`
/// (`single`: the fetch has no other); `None` when they are malformed, or missing for it while
/// other items have some.
pub fn entity(body: &Value, response_key: &str, single: bool, position: usize) -> Option<Vec<String>> {
    let Some(all) = body.get("extensions").and_then(|e| e.get("apolloEntityCacheTags")) else {
        return Some(Vec::new());
    };
    let lists = match (all.as_array(), all.as_object()) {
        (Some(lists), _) if single => lists,
        (_, Some(by_key)) => match by_key.get(&response_key).and_then(|l| l.as_array()) {
            Some(lists) => lists,
            None => return Some(Vec::new()),
        },
        _ => return None,
    };
    strings(lists.get(position)?)
}

/// `value` as a list of tags.
fn strings(value: &Value) -> Option<Vec<String>> {
    let list = value.as_array()?;
    if list.len() > MAX_TAGS {
        return None;
    }
    list.iter()
        .map(|tag| tag.as_str().filter(|t| !t.is_empty() && t.len() <= MAX_TAG_LEN && !t.contains('\n')))
        .map(|tag| tag.map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_read_per_root_answer_and_per_entity() {
        let body: Value = sonic_rs::from_str(
            r#"{"data":{},"extensions":{"apolloCacheTags":["top"],"apolloEntityCacheTags":[["p-1"],["p-2","sale"]]}}"#,
        )
        .unwrap();
        assert_eq!(root(&body), Some(vec!["top".to_string()]));
        assert_eq!(entity(&body, "_entities", true, 1), Some(vec!["p-2".to_string(), "sale".to_string()]));
        assert_eq!(entity(&body, "_entities", true, 2), None, "an item without its list");
        assert_eq!(entity(&body, "_0", false, 0), None, "a list where several fields need an object");
        let keyed: Value = sonic_rs::from_str(r#"{"extensions":{"apolloEntityCacheTags":{"_1":[["u-1"]]}}}"#).unwrap();
        assert_eq!(entity(&keyed, "_1", false, 0), Some(vec!["u-1".to_string()]));
        assert_eq!(entity(&keyed, "_0", false, 0), Some(Vec::new()));
        let none: Value = sonic_rs::from_str(r#"{"data":{}}"#).unwrap();
        assert_eq!(root(&none), Some(Vec::new()));
        for bad in [r#"["a", 1]"#, r#"[""]"#, r#""a""#, r#"["a\nb"]"#] {
            let body: Value = sonic_rs::from_str(&format!(r#"{{"extensions":{{"apolloCacheTags":{bad}}}}}"#)).unwrap();
            assert_eq!(root(&body), None, "{bad}");
        }
        let many: Vec<String> = (0..=MAX_TAGS).map(|i| format!("\"t{i}\"")).collect();
        let body: Value =
            sonic_rs::from_str(&format!(r#"{{"extensions":{{"apolloCacheTags":[{}]}}}}"#, many.join(","))).unwrap();
        assert_eq!(root(&body), None);
    }
}
