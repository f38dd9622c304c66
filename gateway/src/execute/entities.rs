//! Entity fetches: representations collected at a plan path, deduplicated, and the `_entities`
//! answers merged back where they came from.

use std::collections::HashMap;

use hive_router_query_planner::ast::selection_item::SelectionItem;
use hive_router_query_planner::ast::selection_set::SelectionSet;
use hive_router_query_planner::planner::plan_nodes::{FetchNodePathSegment, FetchRewrite, FlattenNodePathSegment};
use sonic_rs::{JsonValueMutTrait, JsonValueTrait, Value};

use super::tree::{Node, ObjRef, Object, Ref, write_str};
use crate::error::PathSegment;
use crate::types::TypeIndex;

/// One step of the response path to an entity, borrowed from the plan.
#[derive(Clone, Copy)]
pub enum Trail<'p> {
    Key(&'p str),
    Index(usize),
}

pub fn trail_path(trail: &[Trail<'_>]) -> Vec<PathSegment> {
    trail
        .iter()
        .map(|t| match t {
            Trail::Key(k) => PathSegment::Key((*k).to_string()),
            Trail::Index(i) => PathSegment::Index(*i),
        })
        .collect()
}

/// What [`visit`] calls for each entity: the object and its response path.
pub type Visitor<'v, 'a, 'p> = dyn FnMut(ObjRef<'a>, &[Trail<'p>]) + 'v;

/// Calls `visit` on every object at `path` below `value`, in document order.
pub fn visit<'a, 'p>(
    value: Ref<'a>,
    path: &'p [FlattenNodePathSegment],
    trail: &mut Vec<Trail<'p>>,
    visit: &mut Visitor<'_, 'a, 'p>,
) {
    if let Some(items) = value.list() {
        let rest = below_list(path);
        for (index, item) in items.iter().enumerate() {
            trail.push(Trail::Index(index));
            self::visit(item, rest, trail, visit);
            trail.pop();
        }
    } else if let Some(object) = value.object() {
        match path.first() {
            None => visit(object, trail),
            Some(FlattenNodePathSegment::Field(key)) => {
                if let Some(child) = object.get(key) {
                    trail.push(Trail::Key(key));
                    self::visit(child, &path[1..], trail, visit);
                    trail.pop();
                }
            }
            Some(FlattenNodePathSegment::TypeCondition(types)) => {
                if object.typename().is_none_or(|name| types.contains(name)) {
                    self::visit(value, &path[1..], trail, visit);
                }
            }
            Some(FlattenNodePathSegment::List) => {}
        }
    }
}

/// The path below a list: lists are stepped through whether or not the path says `@`.
fn below_list(path: &[FlattenNodePathSegment]) -> &[FlattenNodePathSegment] {
    match path.first() {
        Some(FlattenNodePathSegment::List) => &path[1..],
        _ => path,
    }
}

/// What [`visit_mut`] calls for each entity: the object, to merge into, and its response path.
pub type MutVisitor<'v, 'r, 'p> = dyn FnMut(&mut Object<'r>, &[Trail<'p>]) + 'v;

/// [`visit`] for merging: the same objects in the same order, each made mergeable.
pub fn visit_mut<'r, 'p>(
    node: &mut Node<'r>,
    path: &'p [FlattenNodePathSegment],
    trail: &mut Vec<Trail<'p>>,
    visit: &mut MutVisitor<'_, 'r, 'p>,
) {
    if Ref::from(&*node).list().is_some() {
        let rest = below_list(path);
        for (index, item) in node.array_mut().into_iter().flatten().enumerate() {
            trail.push(Trail::Index(index));
            visit_mut(item, rest, trail, visit);
            trail.pop();
        }
        return;
    }
    if let Some(FlattenNodePathSegment::TypeCondition(types)) = path.first() {
        let matches = Ref::from(&*node).object().is_some_and(|o| o.typename().is_none_or(|n| types.contains(n)));
        if matches {
            visit_mut(node, &path[1..], trail, visit);
        }
        return;
    }
    let Some(object) = node.object_mut() else { return };
    visit_object(object, path, trail, visit);
}

fn visit_object<'r, 'p>(
    object: &mut Object<'r>,
    path: &'p [FlattenNodePathSegment],
    trail: &mut Vec<Trail<'p>>,
    visit: &mut MutVisitor<'_, 'r, 'p>,
) {
    match path.first() {
        None => visit(object, trail),
        Some(FlattenNodePathSegment::Field(key)) => {
            if let Some(child) = object.get_mut(key) {
                trail.push(Trail::Key(key));
                visit_mut(child, &path[1..], trail, visit);
                trail.pop();
            }
        }
        Some(FlattenNodePathSegment::TypeCondition(types)) => {
            if ObjRef::from(&*object).typename().is_none_or(|n| types.contains(n)) {
                visit_object(object, &path[1..], trail, visit);
            }
        }
        Some(FlattenNodePathSegment::List) => {}
    }
}

/// Appends the JSON text of the representation of `entity` that `requires` asks for, without
/// building a value. Returns false, leaving `out` as it was, when a required field is missing
/// (the entity cannot be resolved, so it is not sent).
pub fn write_representation(entity: ObjRef<'_>, requires: &SelectionSet, types: &TypeIndex, out: &mut Vec<u8>) -> bool {
    let start = out.len();
    let mut written: Vec<&str> = Vec::new();
    out.push(b'{');
    if !write_fields(entity, requires, types, out, &mut written) || written.is_empty() {
        out.truncate(start);
        return false;
    }
    out.push(b'}');
    true
}

fn write_fields<'s>(
    entity: ObjRef<'_>,
    selection: &'s SelectionSet,
    types: &TypeIndex,
    out: &mut Vec<u8>,
    written: &mut Vec<&'s str>,
) -> bool {
    for item in &selection.items {
        match item {
            SelectionItem::Field(field) => {
                // A field the planner had to alias in an earlier fetch (the same field with other
                // arguments) comes as `key: alias`, parsed as alias `key` of a field named
                // `alias`: read at the name, sent under the key the subgraph asked for.
                let Some(value) = entity.get(&field.name) else { return false };
                let key = field.selection_identifier();
                if written.contains(&key) {
                    continue;
                }
                if !written.is_empty() {
                    out.push(b',');
                }
                written.push(key);
                write_str(key, out);
                out.push(b':');
                if field.selections.items.is_empty() {
                    value.write_json(out);
                } else if !write_value(value, &field.selections, types, out) {
                    return false;
                }
            }
            SelectionItem::InlineFragment(fragment) => {
                let typename = entity.typename();
                if typename.is_none_or(|t| types.matches(&fragment.type_condition, t))
                    && !write_fields(entity, &fragment.selections, types, out, written)
                {
                    return false;
                }
            }
            SelectionItem::FragmentSpread(_) => {}
        }
    }
    true
}

fn write_value(value: Ref<'_>, selection: &SelectionSet, types: &TypeIndex, out: &mut Vec<u8>) -> bool {
    if let Some(object) = value.object() {
        out.push(b'{');
        let mut written = Vec::new();
        // An object in an abstract position (its selection has type conditions) is sent with
        // its type, or the subgraph could not tell which fragment's fields it holds.
        if let Some(typename) = object.typename()
            && selection.items.iter().any(|item| matches!(item, SelectionItem::InlineFragment(_)))
        {
            write_str("__typename", out);
            out.push(b':');
            write_str(typename, out);
            written.push("__typename");
        }
        if !write_fields(object, selection, types, out, &mut written) {
            return false;
        }
        out.push(b'}');
    } else if let Some(items) = value.list() {
        out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if !write_value(item, selection, types, out) {
                return false;
            }
        }
        out.push(b']');
    } else {
        value.write_json(out);
    }
    true
}

/// Applies the plan's input or output rewrites to one value. A `TypenameEquals` step matches
/// an object whose type is one of the names or implements/belongs to one of them.
pub fn rewrite(value: &mut Value, rewrites: &[FetchRewrite], types: &TypeIndex) {
    for rewrite in rewrites {
        match rewrite {
            FetchRewrite::ValueSetter(setter) => apply(value, &setter.path, types, &mut |object, key| {
                object.insert(key, setter.set_value_to.as_str());
            }),
            FetchRewrite::KeyRenamer(renamer) => apply(value, &renamer.path, types, &mut |object, key| {
                if let Some(v) = object.remove(&key) {
                    object.insert(&renamer.rename_key_to, v);
                }
            }),
        }
    }
}

type Action<'a> = dyn FnMut(&mut sonic_rs::Object, &str) + 'a;

fn apply(value: &mut Value, path: &[FetchNodePathSegment], types: &TypeIndex, action: &mut Action<'_>) {
    if let Some(items) = value.as_array_mut() {
        items.iter_mut().for_each(|i| apply(i, path, types, action));
        return;
    }
    let Some(object) = value.as_object_mut() else { return };
    match path {
        [] => {}
        [FetchNodePathSegment::Key(key)] => action(object, key),
        [FetchNodePathSegment::Key(key), rest @ ..] => {
            if let Some(child) = object.get_mut(key) {
                apply(child, rest, types, action);
            }
        }
        [FetchNodePathSegment::TypenameEquals(names), rest @ ..] => {
            let typename = object.get(&"__typename").and_then(|t| t.as_str());
            if typename.is_some_and(|t| names.iter().any(|n| types.matches(n, t))) {
                apply(value, rest, types, action);
            }
        }
    }
}

/// Representations deduplicated by their JSON text, kept as one JSON array body.
#[derive(Default)]
pub struct Representations {
    /// `[rep0,rep1,...` (without the closing bracket until [`finish`](Self::finish)).
    pub list: Vec<u8>,
    /// Where each representation's text starts and ends in `list`.
    spans: Vec<(usize, usize)>,
    /// Text hash to the indices with that hash.
    index: HashMap<u64, Vec<usize>>,
}

impl Representations {
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// The JSON text of each representation, by index.
    pub fn texts(&self) -> impl Iterator<Item = &[u8]> {
        self.spans.iter().map(|&(start, end)| &self.list[start..end])
    }

    /// The JSON array of the representations at `indices` (the ones a cache did not have).
    pub fn subset(&self, indices: &[usize]) -> Vec<u8> {
        let mut list = Vec::with_capacity(self.list.len() + 2);
        list.push(b'[');
        for (n, &i) in indices.iter().enumerate() {
            if n > 0 {
                list.push(b',');
            }
            let (start, end) = self.spans[i];
            list.extend_from_slice(&self.list[start..end]);
        }
        list.push(b']');
        list
    }

    /// The index of `representation`, adding it if it is new.
    pub fn add(&mut self, representation: &Value) -> usize {
        let mut text = Vec::new();
        super::tree::write_value(representation, &mut text);
        self.add_text(&text)
    }

    /// The index of the representation with this JSON text, adding it if it is new.
    pub fn add_text(&mut self, text: &[u8]) -> usize {
        let hash = xxhash_rust::xxh3::xxh3_64(text);
        let candidates = self.index.entry(hash).or_default();
        if let Some(&i) = candidates.iter().find(|&&i| &self.list[self.spans[i].0..self.spans[i].1] == text) {
            return i;
        }
        let i = self.spans.len();
        candidates.push(i);
        self.list.push(if i == 0 { b'[' } else { b',' });
        let start = self.list.len();
        self.list.extend_from_slice(text);
        self.spans.push((start, self.list.len()));
        i
    }

    /// The JSON array of every representation.
    pub fn finish(mut self) -> Vec<u8> {
        if self.spans.is_empty() {
            self.list.push(b'[');
        }
        self.list.push(b']');
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonic_rs::json;

    #[test]
    fn representations_are_deduplicated() {
        let mut reps = Representations::default();
        assert_eq!(reps.add(&json!({"id": "1"})), 0);
        assert_eq!(reps.add(&json!({"id": "2"})), 1);
        assert_eq!(reps.add(&json!({"id": "1"})), 0);
        assert_eq!(reps.finish(), br#"[{"id":"1"},{"id":"2"}]"#.to_vec());
    }
}
