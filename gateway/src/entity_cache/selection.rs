//! The types an answer can hold, read off the selection fetched: a change to an entity of one
//! of them may change the answer, so the answer carries their `l:` tags.

use hive_router_query_planner::ast::document::Document;
use hive_router_query_planner::ast::selection_item::SelectionItem;
use hive_router_query_planner::ast::selection_set::SelectionSet;
use hive_router_query_planner::ast::value::Value;

use super::keys::list_tag;
use crate::types::{TypeIndex, named};

/// The `l:` tags of a root fetch's answer: every composite type its fields return, at any depth.
pub fn root_tags(all: &TypeIndex, document: &Document) -> Vec<String> {
    let mut types = Vec::new();
    walk(all, document, &all.query, &document.operation.selection_set, &mut types);
    types.iter().map(|t| list_tag(t)).collect()
}

/// The `l:` tags of the entities answered at `response_key` (`_entities`, or its alias in a
/// batch): the types below each entity, not the entity's own type (an event about one entity
/// must not evict every other entity of its type).
pub fn entity_tags(all: &TypeIndex, document: &Document, response_key: &str) -> Vec<String> {
    let mut types = Vec::new();
    let field = document.operation.selection_set.items.iter().find_map(|item| match item {
        SelectionItem::Field(f) if f.alias.as_deref().unwrap_or(&f.name) == response_key => Some(f),
        _ => None,
    });
    for item in field.map(|f| f.selections.items.as_slice()).unwrap_or_default() {
        match item {
            SelectionItem::InlineFragment(fragment) => {
                walk(all, document, &fragment.type_condition, &fragment.selections, &mut types);
            }
            SelectionItem::FragmentSpread(name) => {
                if let Some(fragment) = document.fragments.iter().find(|f| &f.name == name) {
                    walk(all, document, &fragment.type_condition, &fragment.selection_set, &mut types);
                }
            }
            SelectionItem::Field(_) => {}
        }
    }
    types.iter().map(|t| list_tag(t)).collect()
}

/// Adds to `types` the composite types the fields of `selections` on `parent` return.
fn walk(all: &TypeIndex, document: &Document, parent: &str, selections: &SelectionSet, types: &mut Vec<String>) {
    let add = |ty: &str, types: &mut Vec<String>| {
        if !types.iter().any(|t| t == ty) {
            types.push(ty.to_string());
        }
    };
    for item in &selections.items {
        match item {
            SelectionItem::Field(field) if !field.selections.items.is_empty() => {
                let Some(ty) = all.field(parent, &field.name).map(|f| named(&f.field_type)) else { continue };
                add(ty, types);
                walk(all, document, ty, &field.selections, types);
            }
            SelectionItem::Field(_) => {}
            SelectionItem::InlineFragment(fragment) => {
                add(&fragment.type_condition, types);
                walk(all, document, &fragment.type_condition, &fragment.selections, types);
            }
            SelectionItem::FragmentSpread(name) => {
                if let Some(fragment) = document.fragments.iter().find(|f| &f.name == name) {
                    add(&fragment.type_condition, types);
                    walk(all, document, &fragment.type_condition, &fragment.selection_set, types);
                }
            }
        }
    }
}

/// A root fetch that asks one field returning one entity by its key (`product(upc: $upc)`):
/// its answer depends on that entity (and on what the selection holds below it), so it carries
/// the entity's tag instead of the `l:` tag of its type, and an event about another entity of
/// the type leaves it be.
#[derive(Debug, PartialEq)]
pub struct KeyLookup {
    /// The entity type.
    pub ty: String,
    /// Per key field, the argument giving it: a literal or a variable of the fetch.
    pub key: Vec<(String, Argument)>,
    /// The `l:` tags of the types held below the entity.
    pub below: Vec<String>,
}

/// An argument's value in a fetch.
#[derive(Debug, PartialEq)]
pub enum Argument {
    Literal(serde_json::Value),
    Variable(String),
}

impl KeyLookup {
    /// The entity's tag (`Product:1`) given the request's `variables` (a fetch's variables are
    /// the request's, by name); `None` when a key value is missing or not a scalar.
    pub fn entity(&self, variables: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
        let mut key = std::collections::BTreeMap::new();
        for (field, argument) in &self.key {
            let value = match argument {
                Argument::Literal(value) => value,
                Argument::Variable(name) => variables.get(name)?,
            };
            if !(value.is_string() || value.is_number()) {
                return None;
            }
            key.insert(field.as_str(), value);
        }
        Some(super::schema::entity_tag(&self.ty, &key))
    }
}

/// The fetch as a [`KeyLookup`], when it is one: a single root field (besides `__typename`)
/// returning one object of an entity type, with an argument named after each of its key fields.
pub fn key_lookup(all: &TypeIndex, schema: &super::schema::CacheSchema, document: &Document) -> Option<KeyLookup> {
    let mut fields = document.operation.selection_set.items.iter().filter(|item| match item {
        SelectionItem::Field(f) => f.name != "__typename",
        _ => true,
    });
    let (Some(SelectionItem::Field(field)), None) = (fields.next(), fields.next()) else { return None };
    let definition = all.field(&all.query, &field.name)?;
    if is_list(&definition.field_type) {
        return None;
    }
    let ty = named(&definition.field_type);
    let arguments = field.arguments.as_ref()?;
    let key = schema
        .key_fields(ty)?
        .iter()
        .map(|name| {
            let argument = match arguments.get_argument(name)? {
                Value::Variable(variable) => Argument::Variable(variable.clone()),
                Value::String(s) => Argument::Literal(serde_json::Value::String(s.clone())),
                Value::Int(i) => Argument::Literal(serde_json::Value::from(*i)),
                _ => return None,
            };
            Some((name.clone(), argument))
        })
        .collect::<Option<Vec<_>>>()?;
    let mut types = Vec::new();
    walk(all, document, ty, &field.selections, &mut types);
    Some(KeyLookup { ty: ty.to_string(), key, below: types.iter().map(|t| list_tag(t)).collect() })
}

fn is_list(ty: &graphql_tools::static_graphql::schema::Type) -> bool {
    use graphql_tools::static_graphql::schema::Type;
    match ty {
        Type::NamedType(_) => false,
        Type::ListType(_) => true,
        Type::NonNullType(inner) => is_list(inner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_key_lookup_names_its_entity_from_literals_and_variables() {
        let lookup = |argument| KeyLookup { ty: "Product".into(), key: vec![("upc".into(), argument)], below: vec![] };
        let variables = |value: serde_json::Value| value.as_object().cloned().unwrap_or_default();
        let by_variable = lookup(Argument::Variable("u".into()));
        assert_eq!(by_variable.entity(&variables(json!({"u": "7"}))).as_deref(), Some("Product:7"));
        assert_eq!(by_variable.entity(&variables(json!({"u": 7}))).as_deref(), Some("Product:7"));
        assert_eq!(by_variable.entity(&variables(json!({}))), None, "a variable not sent");
        assert_eq!(by_variable.entity(&variables(json!({"u": ["7"]}))), None, "not a scalar");
        let literal = lookup(Argument::Literal(json!("2")));
        assert_eq!(literal.entity(&variables(json!({}))).as_deref(), Some("Product:2"));
    }
}
