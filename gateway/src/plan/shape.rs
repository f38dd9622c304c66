//! The client's operation compiled into a response shape: for every position, the fields to write
//! per runtime type, in the client's order with aliases, fragments collected and merged (the
//! specification's CollectFields). Compiled once per operation and cached with its plan.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use graphql_tools::static_graphql::query::{self, Document, FragmentDefinition, Selection, SelectionSet};

use crate::types::{Kind, Type, TypeIndex, named};

/// A `@skip`/`@include` on a variable: the field is written when the variable equals `when`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub variable: String,
    pub when: bool,
}

/// An argument as written: for fields the gateway resolves itself (introspection) and for
/// the cost of list fields (`@listSize` slicing arguments).
#[derive(Debug, Clone)]
pub enum Argument {
    Literal(serde_json::Value),
    Variable(String),
}

#[derive(Debug)]
pub enum FieldKind {
    Typename,
    Leaf(Leaf),
    Composite(Shape),
}

/// The values a leaf position may hold in the public schema. A subgraph's answer outside them
/// (an `@inaccessible` enum value, one the supergraph does not have, a string for an `Int`) is
/// never passed on.
#[derive(Debug)]
pub enum Leaf {
    Int,
    Float,
    String,
    Boolean,
    /// A string; an integer is written as one.
    Id,
    /// The enum's public values.
    Enum(Arc<HashSet<String>>),
    /// A custom scalar: any JSON value.
    Custom,
}

impl Leaf {
    fn of(name: &str, types: &TypeIndex) -> Self {
        match name {
            "Int" => Leaf::Int,
            "Float" => Leaf::Float,
            "String" => Leaf::String,
            "Boolean" => Leaf::Boolean,
            "ID" => Leaf::Id,
            _ => match types.get(name) {
                Some(info) if info.kind == Kind::Enum => Leaf::Enum(info.enum_values.clone()),
                _ => Leaf::Custom,
            },
        }
    }
}

/// One response key of an object.
#[derive(Debug)]
pub struct FieldShape {
    pub key: String,
    pub name: String,
    /// The type the field is defined on (for error messages).
    pub parent: String,
    pub ty: Type,
    pub kind: FieldKind,
    /// Written when any of these conjunctions holds; `None` means always.
    pub conditions: Option<Vec<Vec<Condition>>>,
    pub arguments: Vec<(String, Argument)>,
}

/// The fields of a composite position for each object type it may hold.
#[derive(Debug, Default)]
pub struct Shape {
    pub by_type: HashMap<String, Arc<[FieldShape]>>,
    /// For an object whose runtime type is unknown (no `__typename`): the declared type's fields.
    pub fallback: Arc<[FieldShape]>,
    /// Whether the fields depend on the runtime type (an abstract declared type).
    pub polymorphic: bool,
}

impl Shape {
    pub fn fields_for(&self, runtime: Option<&str>) -> &[FieldShape] {
        runtime.and_then(|t| self.by_type.get(t)).unwrap_or(&self.fallback)
    }
}

/// Compiles the operation's root selection set (on `root`).
pub fn compile(document: &Document, selection_set: &SelectionSet, root: &str, types: &TypeIndex) -> Shape {
    let compiler = Compiler { fragments: crate::limits::fragments(document), types };
    compiler.shape(&[selection_set], root)
}

struct Compiler<'a> {
    fragments: HashMap<&'a str, &'a FragmentDefinition>,
    types: &'a TypeIndex,
}

/// The occurrences of one response key, with the conditions each sits under.
struct Group<'a> {
    key: &'a str,
    occurrences: Vec<(&'a query::Field, Vec<Condition>)>,
}

impl<'a> Compiler<'a> {
    fn shape(&self, sets: &[&'a SelectionSet], declared: &str) -> Shape {
        let mut shape = Shape::default();
        let possible: Vec<String> = match self.types.get(declared) {
            Some(info) if info.kind == Kind::Object => vec![declared.to_string()],
            Some(info) => {
                let mut p: Vec<String> = info.possible_types.iter().cloned().collect();
                p.sort();
                p
            }
            None => Vec::new(),
        };
        for runtime in &possible {
            shape.by_type.insert(runtime.clone(), self.fields(sets, runtime).into());
        }
        shape.polymorphic = possible.len() != 1 || possible[0] != declared;
        shape.fallback = match shape.by_type.get(declared) {
            Some(fields) => fields.clone(),
            None => self.fields(sets, declared).into(),
        };
        shape
    }

    fn fields(&self, sets: &[&'a SelectionSet], runtime: &str) -> Vec<FieldShape> {
        let mut groups: Vec<Group<'a>> = Vec::new();
        for set in sets {
            self.collect(set, runtime, &[], &mut groups, &mut Vec::new());
        }
        groups.iter().filter_map(|g| self.field(g, runtime)).collect()
    }

    fn collect(
        &self,
        set: &'a SelectionSet,
        runtime: &str,
        conditions: &[Condition],
        groups: &mut Vec<Group<'a>>,
        visiting: &mut Vec<&'a str>,
    ) {
        for selection in &set.items {
            match selection {
                Selection::Field(field) => {
                    let Some(conditions) = extend(conditions, &field.directives) else { continue };
                    let key = field.alias.as_deref().unwrap_or(&field.name);
                    match groups.iter_mut().find(|g| g.key == key) {
                        Some(group) => group.occurrences.push((field, conditions)),
                        None => groups.push(Group { key, occurrences: vec![(field, conditions)] }),
                    }
                }
                Selection::InlineFragment(fragment) => {
                    if let Some(query::TypeCondition::On(on)) = &fragment.type_condition
                        && !self.types.matches(on, runtime)
                    {
                        continue;
                    }
                    let Some(conditions) = extend(conditions, &fragment.directives) else { continue };
                    self.collect(&fragment.selection_set, runtime, &conditions, groups, visiting);
                }
                Selection::FragmentSpread(spread) => {
                    let Some(fragment) = self.fragments.get(spread.fragment_name.as_str()).copied() else {
                        continue;
                    };
                    let query::TypeCondition::On(on) = &fragment.type_condition;
                    if visiting.contains(&fragment.name.as_str()) || !self.types.matches(on, runtime) {
                        continue;
                    }
                    let Some(conditions) = extend(conditions, &spread.directives) else { continue };
                    visiting.push(&fragment.name);
                    self.collect(&fragment.selection_set, runtime, &conditions, groups, visiting);
                    visiting.pop();
                }
            }
        }
    }

    fn field(&self, group: &Group<'a>, runtime: &str) -> Option<FieldShape> {
        let (first, _) = group.occurrences.first()?;
        let conditions = if group.occurrences.iter().any(|(_, c)| c.is_empty()) {
            None
        } else {
            Some(group.occurrences.iter().map(|(_, c)| c.clone()).collect())
        };
        let key = group.key.to_string();
        if first.name == "__typename" {
            return Some(FieldShape {
                key,
                name: first.name.clone(),
                parent: runtime.to_string(),
                ty: Type::NonNullType(Box::new(Type::NamedType("String".into()))),
                kind: FieldKind::Typename,
                conditions,
                arguments: Vec::new(),
            });
        }
        // Validation guarantees the field exists on the runtime type (or the fallback's type).
        let definition = self.types.field(runtime, &first.name)?;
        let ty = definition.field_type.clone();
        let kind = if self.types.is_composite(named(&ty)) {
            let sets: Vec<&'a SelectionSet> = group.occurrences.iter().map(|(f, _)| &f.selection_set).collect();
            FieldKind::Composite(self.shape(&sets, named(&ty)))
        } else {
            FieldKind::Leaf(Leaf::of(named(&ty), self.types))
        };
        let arguments = first.arguments.iter().map(|(name, value)| (name.clone(), argument(value))).collect();
        Some(FieldShape { key, name: first.name.clone(), parent: runtime.to_string(), ty, kind, conditions, arguments })
    }
}

/// The conditions plus the selection's own `@skip`/`@include`; `None` when a literal excludes it.
fn extend(conditions: &[Condition], directives: &[query::Directive]) -> Option<Vec<Condition>> {
    let mut out = conditions.to_vec();
    for directive in directives {
        let when = match directive.name.as_str() {
            "include" => true,
            "skip" => false,
            _ => continue,
        };
        match directive.arguments.iter().find(|(n, _)| n == "if").map(|(_, v)| v) {
            Some(query::Value::Boolean(b)) if *b != when => return None,
            Some(query::Value::Variable(v)) => out.push(Condition { variable: v.clone(), when }),
            _ => {}
        }
    }
    Some(out)
}

fn argument(value: &query::Value) -> Argument {
    match value {
        query::Value::Variable(v) => Argument::Variable(v.clone()),
        other => Argument::Literal(literal(other)),
    }
}

/// A constant GraphQL value as JSON (enums as strings).
pub fn literal(value: &query::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        query::Value::Variable(_) | query::Value::Null => J::Null,
        query::Value::Int(i) => i.as_i64().map(J::from).unwrap_or(J::Null),
        query::Value::Float(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
        query::Value::String(s) => J::String(s.clone()),
        query::Value::Boolean(b) => J::Bool(*b),
        query::Value::Enum(e) => J::String(e.clone()),
        query::Value::List(items) => J::Array(items.iter().map(literal).collect()),
        query::Value::Object(fields) => J::Object(fields.iter().map(|(k, v)| (k.clone(), literal(v))).collect()),
    }
}
