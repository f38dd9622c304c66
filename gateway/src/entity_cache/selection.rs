//! The types an answer can hold, read off the selection fetched: a change to an entity of one
//! of them may change the answer, so the answer carries their `l:` tags.

use hive_router_query_planner::ast::document::Document;
use hive_router_query_planner::ast::selection_item::SelectionItem;
use hive_router_query_planner::ast::selection_set::SelectionSet;

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
