//! The keys and tags of cached answers. A key covers everything the answer depends on: the
//! subgraph, the fetch's query text and variables, the representation (for an entity) and, for
//! a private answer, the viewer (the headers the subgraph was sent).

use http::HeaderMap;
use xxhash_rust::xxh3::Xxh3;

use super::schema::CacheSchema;

/// The tag of one entity (`e:Product:42`); `tag` as [`CacheSchema::entity_tag`] makes it.
pub fn entity_tag(tag: &str) -> String {
    format!("e:{tag}")
}

/// The tag every entry of a type carries (`t:Product`).
pub fn type_tag(ty: &str) -> String {
    format!("t:{ty}")
}

/// The tag of root answers that can hold a type (`l:Product`): any change to one of its entities
/// may change them.
pub fn list_tag(ty: &str) -> String {
    format!("l:{ty}")
}

/// The tag every entry of a subgraph carries (`s:catalog`).
pub fn subgraph_tag(subgraph: &str) -> String {
    format!("s:{subgraph}")
}

/// The tag of a subgraph's own cache tag (`c:catalog:product-42`), set by the subgraph in its
/// response's extensions (see [`super::tags`]).
pub fn cache_tag(subgraph: &str, tag: &str) -> String {
    format!("c:{subgraph}:{tag}")
}

/// The tag bumped with every cache tag of a subgraph (`ct:catalog`): an answer whose cache tags
/// are learnt only once it arrives is stored only if none of them can have been invalidated
/// while it was fetched, which this tag's generation, read before the fetch, tells.
pub fn cache_tags_guard(subgraph: &str) -> String {
    format!("ct:{subgraph}")
}

/// The hash of what a fetch shares with every answer of it; each answer adds its own part.
#[derive(Clone, Copy)]
pub struct Prefix(u64);

impl Prefix {
    /// `kind` tells root answers from entities; `text` is the fetch's query and variables;
    /// `viewer` is set for private answers.
    pub fn new(kind: u8, subgraph: &str, text: &[u8], viewer: Option<u64>) -> Self {
        let mut hasher = Xxh3::new();
        hasher.update(&[kind]);
        hasher.update(subgraph.as_bytes());
        hasher.update(&[0]);
        hasher.update(text);
        hasher.update(&[0]);
        match viewer {
            Some(viewer) => hasher.update(&viewer.to_le_bytes()),
            None => hasher.update(b"public"),
        }
        Self(hasher.digest())
    }

    /// The key of the answer whose own part is `rest` (an entity's representation).
    pub fn key(self, rest: &[u8]) -> u128 {
        xxhash_rust::xxh3::xxh3_128_with_seed(rest, self.0)
    }
}

/// Who a private answer belongs to: the headers the subgraph is sent (its token among them),
/// less those that differ per request.
pub fn viewer(headers: &HeaderMap) -> u64 {
    let mut hasher = Xxh3::new();
    let mut names: Vec<(&str, &[u8])> = headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "traceparent" | "tracestate" | "cache-control"))
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect();
    names.sort_unstable();
    for (name, value) in names {
        hasher.update(name.as_bytes());
        hasher.update(&[0]);
        hasher.update(value);
        hasher.update(&[0]);
    }
    hasher.digest()
}

/// The tags of an entity's answer from `subgraph`, read off its representation's JSON, and the
/// `l:` tags of what the answer holds; `None` when it is no object with a `__typename`.
pub fn entity_tags(
    schema: &CacheSchema,
    subgraph: &str,
    representation: &[u8],
    lists: &[String],
) -> Option<Vec<String>> {
    let value: serde_json::Value = serde_json::from_slice(representation).ok()?;
    let typename = value.get("__typename")?.as_str()?;
    let mut tags = Vec::with_capacity(3 + lists.len());
    tags.extend([subgraph_tag(subgraph), type_tag(typename)]);
    if let Some(tag) = schema.entity_tag(&value) {
        tags.push(entity_tag(&tag));
    }
    tags.extend(lists.iter().cloned());
    Some(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_viewer_ignores_trace_headers_and_header_order() {
        let headers = |pairs: &[(&str, &str)]| {
            let mut map = HeaderMap::new();
            for (k, v) in pairs {
                map.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
            }
            map
        };
        let a = headers(&[("authorization", "Bearer a"), ("x-tenant", "1"), ("traceparent", "00-1")]);
        let b = headers(&[("x-tenant", "1"), ("authorization", "Bearer a"), ("traceparent", "00-2")]);
        let c = headers(&[("authorization", "Bearer c"), ("x-tenant", "1")]);
        assert_eq!(viewer(&a), viewer(&b));
        assert_ne!(viewer(&a), viewer(&c));
    }

    #[test]
    fn keys_differ_by_subgraph_text_viewer_and_representation() {
        let public = Prefix::new(b'e', "catalog", b"q", None);
        let key = public.key(b"{\"id\":\"1\"}");
        assert_eq!(key, Prefix::new(b'e', "catalog", b"q", None).key(b"{\"id\":\"1\"}"));
        assert_ne!(key, public.key(b"{\"id\":\"2\"}"));
        assert_ne!(key, Prefix::new(b'e', "orders", b"q", None).key(b"{\"id\":\"1\"}"));
        assert_ne!(key, Prefix::new(b'e', "catalog", b"q2", None).key(b"{\"id\":\"1\"}"));
        assert_ne!(key, Prefix::new(b'e', "catalog", b"q", Some(1)).key(b"{\"id\":\"1\"}"));
        assert_ne!(key, Prefix::new(b'r', "catalog", b"q", None).key(b"{\"id\":\"1\"}"));
    }
}
