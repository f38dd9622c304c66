//! The merged response tree. Subgraph answers are shared, never copied: every part of an answer
//! that no later fetch merges into stays borrowed from the decoded answer, which an [`Arena`]
//! keeps for the execution. An object becomes owned (its members still borrowed) only where a
//! merge reaches it, so a fetch joined by many requests, or an entity that occurs many times,
//! costs no copy.

use std::sync::Arc;

use sonic_rs::{JsonContainerTrait, JsonType, JsonValueTrait, Value};

use super::client::SubgraphResponse;
use crate::types::{Kind, TypeIndex};

/// What one execution has decoded, kept so that its tree can borrow from it.
#[derive(Default)]
pub struct Arena {
    responses: boxcar::Vec<Arc<SubgraphResponse>>,
    values: boxcar::Vec<Value>,
}

impl Arena {
    /// Keeps a subgraph response for the execution's lifetime.
    pub fn response(&self, response: Arc<SubgraphResponse>) -> &SubgraphResponse {
        &self.responses[self.responses.push(response)]
    }

    /// Keeps a value made during the execution (a rewritten answer).
    pub fn value(&self, value: Value) -> &Value {
        &self.values[self.values.push(value)]
    }
}

/// One position of the merged tree.
#[derive(Debug)]
pub enum Node<'r> {
    /// Exactly what a subgraph answered here.
    Value(&'r Value),
    /// An object that answers were merged into.
    Object(Object<'r>),
    /// A list with objects that answers were merged into.
    Array(Vec<Node<'r>>),
}

impl Default for Node<'_> {
    /// An empty object.
    fn default() -> Self {
        Node::Object(Object::default())
    }
}

/// An object's members in the order they arrived. Objects are small (their keys are the
/// fields an operation selects), so a linear search beats hashing or a tree.
#[derive(Debug, Default)]
pub struct Object<'r> {
    members: Vec<(&'r str, Node<'r>)>,
}

impl<'r> Object<'r> {
    fn borrowing(map: &'r sonic_rs::Object) -> Self {
        Self { members: map.iter().map(|(k, v)| (k, Node::Value(v))).collect() }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node<'r>> {
        self.members.iter_mut().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Merges `source` in: members key by key. Of two `__typename`s the object type's wins: an
    /// `@interfaceObject` subgraph answers with the interface's name, which clients must never see.
    pub fn merge(&mut self, source: &'r sonic_rs::Object, types: &TypeIndex) {
        if self.members.is_empty() {
            *self = Self::borrowing(source);
            return;
        }
        for (key, value) in source.iter() {
            match self.members.iter_mut().find(|(k, _)| *k == key) {
                Some((k, existing)) if *k == "__typename" => {
                    // Equal names (the common case) need no type lookup.
                    let current = Ref::from(&*existing).as_str();
                    if current != value.as_str() {
                        let is_object = current.and_then(|t| types.get(t)).is_some_and(|t| t.kind == Kind::Object);
                        if !is_object {
                            *existing = Node::Value(value);
                        }
                    }
                }
                Some((_, existing)) => existing.merge(value, types),
                None => self.members.push((key, Node::Value(value))),
            }
        }
    }
}

impl<'r> Node<'r> {
    /// Merges `source` into this position: objects member by member, equal-length lists item
    /// by item; a null never replaces a value; anything else is replaced.
    pub fn merge(&mut self, source: &'r Value, types: &TypeIndex) {
        if let Some(map) = source.as_object() {
            if let Some(object) = self.object_mut() {
                object.merge(map, types);
                return;
            }
        } else if let Some(items) = source.as_array() {
            if let Some(list) = self.array_mut()
                && list.len() == items.len()
            {
                list.iter_mut().zip(items.iter()).for_each(|(t, s)| t.merge(s, types));
                return;
            }
        } else if source.is_null() && !Ref::from(&*self).is_null() {
            return;
        }
        *self = Node::Value(source);
    }

    /// This position as an object that can be merged into, if it holds an object.
    pub fn object_mut(&mut self) -> Option<&mut Object<'r>> {
        if let &mut Node::Value(value) = self {
            *self = Node::Object(Object::borrowing(value.as_object()?));
        }
        match self {
            Node::Object(object) => Some(object),
            _ => None,
        }
    }

    /// This position as a list whose items can be merged into, if it holds a list.
    pub fn array_mut(&mut self) -> Option<&mut Vec<Node<'r>>> {
        if let &mut Node::Value(value) = self {
            *self = Node::Array(value.as_array()?.iter().map(Node::Value).collect());
        }
        match self {
            Node::Array(items) => Some(items),
            _ => None,
        }
    }
}

/// A read-only view of a position: a merged node or a borrowed value.
#[derive(Clone, Copy, Debug)]
pub enum Ref<'a> {
    Node(&'a Node<'a>),
    Value(&'a Value),
}

/// A read-only view of an object.
#[derive(Clone, Copy, Debug)]
pub enum ObjRef<'a> {
    Node(&'a Object<'a>),
    Value(&'a sonic_rs::Object),
}

/// A read-only view of a list.
#[derive(Clone, Copy, Debug)]
pub enum ListRef<'a> {
    Node(&'a [Node<'a>]),
    Value(&'a [Value]),
}

impl<'a> From<&'a Node<'a>> for Ref<'a> {
    fn from(node: &'a Node<'a>) -> Self {
        match node {
            Node::Value(value) => Ref::Value(value),
            other => Ref::Node(other),
        }
    }
}

impl<'a> Ref<'a> {
    /// The subgraph value at this position, when no answer was merged into it.
    fn value(self) -> Option<&'a Value> {
        match self {
            Ref::Node(&Node::Value(v)) | Ref::Value(v) => Some(v),
            Ref::Node(_) => None,
        }
    }

    pub fn object(self) -> Option<ObjRef<'a>> {
        match self {
            Ref::Node(Node::Object(o)) => Some(ObjRef::Node(o)),
            _ => self.value()?.as_object().map(ObjRef::Value),
        }
    }

    pub fn list(self) -> Option<ListRef<'a>> {
        match self {
            Ref::Node(Node::Array(items)) => Some(ListRef::Node(items)),
            _ => self.value()?.as_array().map(|a| ListRef::Value(a.as_slice())),
        }
    }

    /// The value, when this position holds a scalar or null.
    pub fn leaf(self) -> Option<&'a Value> {
        self.value().filter(|v| !matches!(v.get_type(), JsonType::Object | JsonType::Array))
    }

    pub fn is_null(self) -> bool {
        self.value().is_some_and(|v| v.is_null())
    }

    pub fn as_str(self) -> Option<&'a str> {
        self.value().and_then(|v| v.as_str())
    }

    pub fn as_bool(self) -> Option<bool> {
        self.value().and_then(|v| v.as_bool())
    }

    /// The member `key`, when this position holds an object.
    pub fn get(self, key: &str) -> Option<Ref<'a>> {
        self.object().and_then(|o| o.get(key))
    }

    /// Appends this position's JSON text.
    pub fn write_json(self, out: &mut Vec<u8>) {
        match self {
            Ref::Node(&Node::Value(v)) | Ref::Value(v) => write_value(v, out),
            Ref::Node(Node::Object(object)) => {
                out.push(b'{');
                for (i, (key, value)) in object.members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_str(key, out);
                    out.push(b':');
                    Ref::from(value).write_json(out);
                }
                out.push(b'}');
            }
            Ref::Node(Node::Array(items)) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    Ref::from(item).write_json(out);
                }
                out.push(b']');
            }
        }
    }
}

/// Appends the JSON text of `value`, formatted as serde_json formats it (as clients have always
/// seen it); scalars, the common case, without the serializer's machinery.
pub fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value.get_type() {
        JsonType::Null => out.extend_from_slice(b"null"),
        JsonType::Boolean => out.extend_from_slice(if value.is_true() { b"true" } else { b"false" }),
        JsonType::String => write_str(value.as_str().unwrap_or_default(), out),
        JsonType::Number => {
            serde_json::to_writer(&mut *out, &value.as_number()).ok();
        }
        JsonType::Object | JsonType::Array => {
            serde_json::to_writer(&mut *out, value).ok();
        }
    }
}

/// Looks up the members of one object in the order they are asked for: each lookup first tries
/// the member after the last one found (subgraphs answer in the order the fetch asked), and
/// searches the whole object only when that is not it.
pub struct Cursor<'a> {
    object: ObjRef<'a>,
    next: Members<'a>,
}

enum Members<'a> {
    Node(std::slice::Iter<'a, (&'a str, Node<'a>)>),
    Value(std::iter::Peekable<sonic_rs::value::object::Iter<'a>>),
}

impl<'a> Cursor<'a> {
    /// The member `key`, if the object has one.
    pub fn get(&mut self, key: &str) -> Option<Ref<'a>> {
        let next = match &mut self.next {
            Members::Node(members) => match members.as_slice().first() {
                Some((k, v)) if *k == key => {
                    members.next();
                    Some(Ref::from(v))
                }
                _ => None,
            },
            Members::Value(members) => match members.peek() {
                Some(&(k, v)) if k == key => {
                    members.next();
                    Some(Ref::Value(v))
                }
                _ => None,
            },
        };
        next.or_else(|| self.object.get(key))
    }
}

/// Appends `s` as a JSON string, escaped as serde_json escapes it; the common string that needs
/// no escape is copied as it is.
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        serde_json::to_writer(&mut *out, s).ok();
        return;
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

impl<'a> ObjRef<'a> {
    /// A cursor over this object's members, for lookups in member order.
    pub fn cursor(self) -> Cursor<'a> {
        let next = match self {
            ObjRef::Node(object) => Members::Node(object.members.iter()),
            ObjRef::Value(map) => Members::Value(map.iter().peekable()),
        };
        Cursor { object: self, next }
    }

    pub fn get(self, key: &str) -> Option<Ref<'a>> {
        match self {
            ObjRef::Node(object) => object.members.iter().find(|(k, _)| *k == key).map(|(_, v)| Ref::from(v)),
            ObjRef::Value(map) => map.get(&key).map(Ref::Value),
        }
    }

    pub fn typename(self) -> Option<&'a str> {
        self.get("__typename").and_then(Ref::as_str)
    }

    /// Every member, in order.
    pub fn members(self) -> Box<dyn Iterator<Item = (&'a str, Ref<'a>)> + 'a> {
        match self {
            ObjRef::Node(object) => Box::new(object.members.iter().map(|(k, v)| (*k, Ref::from(v)))),
            ObjRef::Value(map) => Box::new(map.iter().map(|(k, v)| (k, Ref::Value(v)))),
        }
    }
}

impl<'a> ListRef<'a> {
    pub fn len(self) -> usize {
        match self {
            ListRef::Node(items) => items.len(),
            ListRef::Value(items) => items.len(),
        }
    }

    pub fn get(self, index: usize) -> Option<Ref<'a>> {
        match self {
            ListRef::Node(items) => items.get(index).map(Ref::from),
            ListRef::Value(items) => items.get(index).map(Ref::Value),
        }
    }

    pub fn iter(self) -> impl Iterator<Item = Ref<'a>> {
        (0..self.len()).filter_map(move |i| self.get(i))
    }
}

impl<'a> From<&'a Object<'a>> for ObjRef<'a> {
    fn from(object: &'a Object<'a>) -> Self {
        ObjRef::Node(object)
    }
}

#[cfg(test)]
mod tests;
