//! What the entity cache reads off the supergraph: each entity type's key fields (an entry's
//! identity) and the types each event topic is about.

use std::collections::{BTreeMap, HashMap};

use graphql_tools::static_graphql::schema::Value;

use crate::policy::type_directives;
use crate::subscriptions::binding::Binding;
use crate::types::{TypeIndex, named};

/// The supergraph as the entity cache sees it; rebuilt with the supergraph.
#[derive(Debug, Default)]
pub struct CacheSchema {
    /// Per entity type, the top-level fields of its `@key`s, in the order first met.
    keys: HashMap<String, Vec<String>>,
    /// Per topic, the types its events are about (the types its `@event` fields return).
    topics: HashMap<String, Vec<String>>,
}

impl CacheSchema {
    /// Reads `all` (the whole supergraph) and the event bindings of its subscription fields.
    pub fn new(all: &TypeIndex, events: &HashMap<String, Binding>) -> Self {
        let mut keys: HashMap<String, Vec<String>> = HashMap::new();
        for (name, info) in &all.types {
            for directive in type_directives(&info.definition).iter().filter(|d| d.name == "join__type") {
                let key = directive.arguments.iter().find_map(|(n, v)| match v {
                    Value::String(s) if n == "key" => Some(s.as_str()),
                    _ => None,
                });
                let fields = keys.entry(name.clone()).or_default();
                for field in key.map(top_level_fields).unwrap_or_default() {
                    if !fields.contains(&field) {
                        fields.push(field);
                    }
                }
            }
        }
        keys.retain(|_, fields| !fields.is_empty());
        let mut topics: HashMap<String, Vec<String>> = HashMap::new();
        let subscription = all.subscription.as_ref().and_then(|s| all.types.get(s));
        for (field, binding) in events {
            let Some(field) = subscription.and_then(|s| s.fields.get(field)) else { continue };
            let types = topics.entry(binding.topic.clone()).or_default();
            let ty = named(&field.field_type).to_string();
            if !types.contains(&ty) {
                types.push(ty);
            }
        }
        Self { keys, topics }
    }

    /// The tag of the entity a representation names (`Product:42`, or the key's JSON when it has
    /// several fields), or `None` for a type without a key.
    pub fn entity_tag(&self, representation: &serde_json::Value) -> Option<String> {
        let typename = representation.get("__typename")?.as_str()?;
        let fields = self.keys.get(typename)?;
        let key: BTreeMap<&str, &serde_json::Value> =
            fields.iter().filter_map(|f| representation.get(f).map(|v| (f.as_str(), v))).collect();
        // Without its key, no entity is named (a representation always carries one key whole).
        (!key.is_empty()).then(|| entity_tag(typename, &key))
    }

    /// The top-level fields of the keys of an entity type.
    pub fn key_fields(&self, ty: &str) -> Option<&[String]> {
        self.keys.get(ty).map(Vec::as_slice)
    }

    /// The types the events of `topic` are about.
    pub fn topic_types(&self, topic: &str) -> &[String] {
        self.topics.get(topic).map(Vec::as_slice).unwrap_or_default()
    }
}

/// `Type:value` for a key of one scalar field, else `Type:` and the key as JSON, fields sorted.
pub fn entity_tag(typename: &str, key: &BTreeMap<&str, &serde_json::Value>) -> String {
    let mut values = key.values();
    match (values.next(), values.next()) {
        (Some(serde_json::Value::String(s)), None) => format!("{typename}:{s}"),
        (Some(serde_json::Value::Number(n)), None) => format!("{typename}:{n}"),
        _ => format!("{typename}:{}", serde_json::to_string(key).unwrap_or_default()),
    }
}

/// The top-level field names of a field set (`id organization { id }` gives `id`, `organization`).
fn top_level_fields(set: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut depth = 0usize;
    let mut word = String::new();
    let flush = |word: &mut String, depth: usize, fields: &mut Vec<String>| {
        if depth == 0 && !word.is_empty() {
            fields.push(std::mem::take(word));
        }
        word.clear();
    };
    for c in set.chars() {
        match c {
            '{' => {
                flush(&mut word, depth, &mut fields);
                depth += 1;
            }
            '}' => {
                flush(&mut word, depth, &mut fields);
                depth = depth.saturating_sub(1);
            }
            c if c.is_alphanumeric() || c == '_' => word.push(c),
            _ => flush(&mut word, depth, &mut fields),
        }
    }
    flush(&mut word, depth, &mut fields);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supergraph::Supergraph;

    #[test]
    fn key_fields_reachable_types_and_topics_come_from_the_supergraph() {
        let supergraph = Supergraph::parse(include_str!("../../../schema/supergraph.graphql")).unwrap();
        let schema = &supergraph.cache;
        let product = serde_json::json!({"__typename": "Product", "id": "p-1", "price": 3});
        assert_eq!(schema.entity_tag(&product).as_deref(), Some("Product:p-1"));
        assert_eq!(schema.entity_tag(&serde_json::json!({"__typename": "Money"})), None);
        assert_eq!(schema.entity_tag(&serde_json::json!({"__typename": "Product", "name": "no id"})), None);
        assert_eq!(schema.topic_types("catalog.product"), ["Product"]);
        assert_eq!(top_level_fields("id organization { id  name } isbn"), ["id", "organization", "isbn"]);
    }

    #[test]
    fn a_key_of_several_fields_is_tagged_by_its_sorted_json() {
        let (a, b) = (serde_json::json!("m-1"), serde_json::json!({"id": "o-1"}));
        let key = BTreeMap::from([("organization", &b), ("id", &a)]);
        assert_eq!(entity_tag("Member", &key), r#"Member:{"id":"m-1","organization":{"id":"o-1"}}"#);
    }
}
