//! Writes the merged subgraph data in the client's shape: response keys in the client's order,
//! fields not asked for dropped, and null propagation per the specification (a null in a
//! non-null position nulls the nearest nullable parent, with one error at its path).

use serde_json::{Map, Value};
use sonic_rs::{JsonContainerTrait, JsonValueTrait};

use crate::authorize::Verdict;
use crate::authorize::owners::{is_shared, owner_id};
use crate::error::{Code, GraphqlError, PathSegment};
use crate::execute::tree::{Cursor, ObjRef, Ref, write_str, write_value};
use crate::introspection::Introspection;
use crate::plan::rewrite::OWNER_KEY;
use crate::plan::shape::{Argument, FieldKind, FieldShape, Leaf, Shape};
use crate::policy::OwnedBy;
use crate::types::{Type, named};

/// A null that must travel up to the nearest nullable position.
struct Bubble;

enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Projection state for one response.
pub struct Projector<'a> {
    variables: &'a Map<String, Value>,
    introspection: &'a Introspection,
    verdict: &'a Verdict<'a>,
    errors: &'a mut Vec<GraphqlError>,
    path: Vec<Step<'a>>,
    out: Vec<u8>,
}

impl<'a> Projector<'a> {
    pub fn new(
        variables: &'a Map<String, Value>,
        introspection: &'a Introspection,
        verdict: &'a Verdict<'a>,
        errors: &'a mut Vec<GraphqlError>,
    ) -> Self {
        Self { variables, introspection, verdict, errors, path: Vec::with_capacity(16), out: Vec::with_capacity(4096) }
    }

    /// The JSON text of `data` for the root `shape` (`null` when a null reached the root).
    pub fn project(mut self, data: ObjRef<'a>, shape: &'a Shape, root: &str) -> Vec<u8> {
        let fields = shape.fields_for(Some(root));
        if self.object(data, fields).is_err() {
            self.out.clear();
            self.out.extend_from_slice(b"null");
        }
        self.out
    }

    fn included(&self, field: &FieldShape) -> bool {
        let Some(any) = &field.conditions else { return true };
        any.iter().any(|all| {
            all.iter().all(|c| self.variables.get(&c.variable).and_then(Value::as_bool).unwrap_or(false) == c.when)
        })
    }

    fn object(&mut self, object: ObjRef<'a>, fields: &'a [FieldShape]) -> Result<(), Bubble> {
        self.out.push(b'{');
        let mut first = true;
        let mut members = object.cursor();
        for field in fields {
            if !self.included(field) {
                continue;
            }
            if !first {
                self.out.push(b',');
            }
            first = false;
            self.out.push(b'"');
            self.out.extend_from_slice(field.key.as_bytes());
            self.out.extend_from_slice(b"\":");
            let depth = self.path.len();
            self.path.push(Step::Key(&field.key));
            let result = self.field(object, &mut members, field);
            self.path.truncate(depth);
            result?;
        }
        self.out.push(b'}');
        Ok(())
    }

    fn field(&mut self, object: ObjRef<'a>, members: &mut Cursor<'a>, field: &'a FieldShape) -> Result<(), Bubble> {
        let value = match (&field.kind, field.name.as_str()) {
            (FieldKind::Typename, _) => {
                let name = object.typename().unwrap_or(&field.parent);
                write_str(name, &mut self.out);
                return Ok(());
            }
            (_, "__schema") => Some(Ref::Value(self.introspection.schema())),
            (_, "__type") => match self.argument(field, "name") {
                Some(Value::String(name)) => self.introspection.type_named(&name).map(Ref::Value),
                _ => None,
            },
            // Introspection objects are the gateway's own, keyed by field name whatever the alias.
            (_, name) if field.parent.starts_with("__") => members.get(name),
            _ => members.get(&field.key),
        };
        if let Some(code) = self.refusal(object, field) {
            return self.refuse(code, field);
        }
        self.value(value, &field.ty, field)
    }

    /// Why the viewer may not have this field, if they may not.
    fn refusal(&self, object: ObjRef<'_>, field: &FieldShape) -> Option<Code> {
        let v = self.verdict;
        if !v.fields.is_empty()
            && let Some(missing_token) = v.fields.get(&field.parent).and_then(|f| f.get(&field.name))
        {
            return Some(if *missing_token { Code::Unauthenticated } else { Code::Forbidden });
        }
        if let Some(owned) = v.owned_fields
            && let Some(mark) = owned.get(&field.parent).and_then(|f| f.get(&field.name))
            && !self.may_see(mark, object)
        {
            return Some(Code::Forbidden);
        }
        None
    }

    /// May the viewer see `object` under `mark`: is it shared with them (when the mark says
    /// that is enough), or may they see the employee it is owned by? (No owner id: no.)
    fn may_see(&self, mark: &OwnedBy, object: ObjRef<'_>) -> bool {
        if mark.unless.is_some() && is_shared(object) {
            return true;
        }
        object
            .get(OWNER_KEY)
            .and_then(Ref::leaf)
            .and_then(owner_id)
            .is_some_and(|o| !self.verdict.denied_owners.contains(&o))
    }

    /// A field or object the viewer may not see: an error at its path, and a null (which travels
    /// up from a non-null position like any field error).
    fn refuse(&mut self, code: Code, field: &FieldShape) -> Result<(), Bubble> {
        let path = self.current_path();
        let message = match code {
            Code::Unauthenticated => format!("{}.{} needs an authenticated request", field.parent, field.name),
            _ => format!("not allowed to see {}.{} here", field.parent, field.name),
        };
        self.errors.push(GraphqlError::new(code, message).with_path(path));
        match field.ty {
            Type::NonNullType(_) => Err(Bubble),
            _ => {
                self.out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }

    fn argument(&self, field: &FieldShape, name: &str) -> Option<Value> {
        match field.arguments.iter().find(|(n, _)| n == name).map(|(_, a)| a)? {
            Argument::Literal(v) => Some(v.clone()),
            Argument::Variable(v) => self.variables.get(v).cloned(),
        }
    }

    fn value(&mut self, value: Option<Ref<'a>>, ty: &'a Type, field: &'a FieldShape) -> Result<(), Bubble> {
        let (nullable, inner) = match ty {
            Type::NonNullType(inner) => (false, &**inner),
            other => (true, other),
        };
        let value = match value {
            Some(value) if !value.is_null() => value,
            _ if nullable => {
                self.out.extend_from_slice(b"null");
                return Ok(());
            }
            _ => {
                self.violation(field);
                return Err(Bubble);
            }
        };
        let start = self.out.len();
        let depth = self.path.len();
        match self.complete(value, inner, field) {
            Ok(()) => Ok(()),
            Err(Bubble) if nullable => {
                self.out.truncate(start);
                self.path.truncate(depth);
                self.out.extend_from_slice(b"null");
                Ok(())
            }
            Err(Bubble) => Err(Bubble),
        }
    }

    fn complete(&mut self, value: Ref<'a>, ty: &'a Type, field: &'a FieldShape) -> Result<(), Bubble> {
        match (ty, &field.kind) {
            (Type::ListType(item), _) => {
                let Some(items) = value.list() else { return self.invalid(field, "a list") };
                let keep_deprecated = self.keep_deprecated(field);
                self.out.push(b'[');
                let mut first = true;
                for (index, element) in items.iter().enumerate() {
                    if !keep_deprecated && element.get("isDeprecated").and_then(Ref::as_bool) == Some(true) {
                        continue;
                    }
                    if !first {
                        self.out.push(b',');
                    }
                    first = false;
                    self.path.push(Step::Index(index));
                    self.value(Some(element), item, field)?;
                    self.path.pop();
                }
                self.out.push(b']');
                Ok(())
            }
            (_, FieldKind::Composite(shape)) => {
                let Some(object) = value.object() else { return self.invalid(field, "an object") };
                // Introspection types refer to one another by name.
                let reference = named(ty).starts_with("__").then(|| object.get("__ref").and_then(Ref::as_str));
                let object = match reference.flatten() {
                    Some(name) => match self.introspection.type_named(name).and_then(|t| t.as_object()) {
                        Some(resolved) => ObjRef::Value(resolved),
                        None => return self.invalid(field, "a known type"),
                    },
                    None => object,
                };
                // An object type's fields do not depend on what `__typename` says.
                let runtime = if shape.polymorphic { object.typename() } else { None };
                let type_name = runtime.unwrap_or(named(ty));
                if let Some(owned) = self.verdict.owned_types
                    && let Some(mark) = owned.get(type_name)
                    && !self.may_see(mark, object)
                {
                    let path = self.current_path();
                    let message = format!("not allowed to see this {type_name}");
                    self.errors.push(GraphqlError::new(Code::Forbidden, message).with_path(path));
                    return Err(Bubble);
                }
                self.object(object, shape.fields_for(runtime))
            }
            (_, FieldKind::Leaf(leaf)) => {
                let Some(value) = value.leaf() else { return self.invalid(field, "a leaf value") };
                self.leaf(value, leaf, field)
            }
            (_, FieldKind::Typename) => {
                let Some(value) = value.leaf() else { return self.invalid(field, "a leaf value") };
                write_value(value, &mut self.out);
                Ok(())
            }
        }
    }

    /// Writes a leaf value the public schema can represent; anything else is an error and a
    /// null (an enum value it does not have never reaches the client).
    fn leaf(&mut self, value: &sonic_rs::Value, leaf: &Leaf, field: &FieldShape) -> Result<(), Bubble> {
        let fits = match leaf {
            Leaf::Int => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            Leaf::Float => value.is_number(),
            Leaf::String => value.is_str(),
            Leaf::Boolean => value.is_boolean(),
            Leaf::Id if value.is_i64() || value.is_u64() => {
                self.out.push(b'"');
                write_value(value, &mut self.out);
                self.out.push(b'"');
                return Ok(());
            }
            Leaf::Id => value.is_str(),
            Leaf::Enum(values) => value.as_str().is_some_and(|v| values.contains(v)),
            Leaf::Custom => true,
        };
        if !fits {
            let expected = match leaf {
                Leaf::Enum(_) => format!("a value of the enum {}", named(&field.ty)),
                _ => format!("a value of type {}", named(&field.ty)),
            };
            return self.invalid(field, &expected);
        }
        write_value(value, &mut self.out);
        Ok(())
    }

    /// Introspection's `includeDeprecated: false` (the default) hides deprecated elements.
    fn keep_deprecated(&self, field: &FieldShape) -> bool {
        if !field.parent.starts_with("__")
            || !matches!(field.name.as_str(), "fields" | "enumValues" | "args" | "inputFields")
        {
            return true;
        }
        self.argument(field, "includeDeprecated").and_then(|v| v.as_bool()).unwrap_or(false)
    }

    /// A value of the wrong kind from a subgraph: reported, and treated as null.
    fn invalid(&mut self, field: &FieldShape, expected: &str) -> Result<(), Bubble> {
        let path = self.current_path();
        self.errors.push(
            GraphqlError::new(
                Code::SubgraphInvalidResponse,
                format!("invalid value for {}.{}: expected {expected}", field.parent, field.name),
            )
            .with_path(path),
        );
        Err(Bubble)
    }

    fn violation(&mut self, field: &FieldShape) {
        let path = self.current_path();
        if self.errors.iter().any(|e| e.path.as_ref() == Some(&path)) {
            return;
        }
        self.errors.push(
            GraphqlError::new(
                Code::NonNullViolation,
                format!("Cannot return null for non-nullable field {}.{}.", field.parent, field.name),
            )
            .with_path(path),
        );
    }

    fn current_path(&self) -> Vec<PathSegment> {
        self.path
            .iter()
            .map(|s| match s {
                Step::Key(k) => PathSegment::Key((*k).to_string()),
                Step::Index(i) => PathSegment::Index(*i),
            })
            .collect()
    }
}
