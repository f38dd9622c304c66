//! Stage: cost (demand control). The static cost of an operation, estimated from the schema's
//! `@cost` and `@listSize` marks as the IBM GraphQL cost specification counts it: a field that
//! returns an object costs 1 (a leaf 0) unless marked, a list field costs as many times its
//! items as its `@listSize` says (its slicing argument, its assumed size, else
//! `cost.list_size`), a mutation starts at 10. Above `cost.max` the operation is refused before
//! any subgraph is asked; the actual cost, counted the same way on what was returned, is
//! reported in `extensions.cost` when the request asks with `"extensions": {"cost": true}`.

pub mod model;

use serde_json::{Map, Value};

use crate::config::{CostConfig, CostMode};
use crate::error::{Code, GraphqlError, RequestError};
use crate::execute::tree::{ObjRef, Ref};
use crate::plan::shape::{Argument, FieldKind, FieldShape, Shape};
use crate::types::{Type, TypeIndex, named};
use model::{CostModel, ListSize};

/// A mutation's cost before its fields.
const MUTATION_BASE: f64 = 10.0;

/// The estimate of one request, and whether to report costs in its response.
#[derive(Debug, Clone, Copy)]
pub struct Estimate {
    pub estimated: f64,
    pub max: u64,
    pub report: bool,
    /// `cost.list_size`, for counting the actual cost the same way.
    pub list_size: f64,
}

/// Counts costs of one operation.
pub struct Costing<'a> {
    pub model: &'a CostModel,
    pub types: &'a TypeIndex,
    pub variables: &'a Map<String, Value>,
    pub list_size: f64,
}

/// Estimates the operation's cost when `cost.mode` asks; refused (`COST_ESTIMATED_TOO_EXPENSIVE`,
/// with the cost and the maximum) above `cost.max` when it enforces.
pub fn check(
    config: &CostConfig,
    costing: &Costing<'_>,
    (shape, root, mutation): (&Shape, &str, bool),
    extensions: Option<&Map<String, Value>>,
) -> Result<Option<Estimate>, RequestError> {
    if config.mode == CostMode::Off {
        return Ok(None);
    }
    let estimated = costing.operation(shape, root, mutation);
    if config.mode == CostMode::Enforce && estimated > config.max as f64 {
        let message = format!("the operation's estimated cost {estimated} is above the maximum of {}", config.max);
        let error = GraphqlError::new(Code::CostEstimatedTooExpensive, message)
            .with_extension("cost", estimated)
            .with_extension("maxCost", config.max);
        return Err(RequestError::with_errors(http::StatusCode::BAD_REQUEST, vec![error]));
    }
    let report = extensions.and_then(|e| e.get("cost")).and_then(Value::as_bool).unwrap_or(false);
    Ok(Some(Estimate { estimated, max: config.max, report, list_size: costing.list_size }))
}

fn is_list(ty: &Type) -> bool {
    match ty {
        Type::NonNullType(inner) => is_list(inner),
        Type::ListType(_) => true,
        Type::NamedType(_) => false,
    }
}

impl Costing<'_> {
    /// The static estimate of the operation whose root selection is `shape` on `root`.
    pub fn operation(&self, shape: &Shape, root: &str, mutation: bool) -> f64 {
        let base = if mutation { MUTATION_BASE } else { 0.0 };
        base + self.fields(shape.fields_for(Some(root)), None)
    }

    /// The costliest of the runtime types a position may hold.
    fn selection(&self, shape: &Shape, sized: Option<(&[String], f64)>) -> f64 {
        if shape.by_type.is_empty() {
            return self.fields(&shape.fallback, sized);
        }
        shape.by_type.values().map(|fields| self.fields(fields, sized)).fold(0.0, f64::max)
    }

    fn fields(&self, fields: &[FieldShape], sized: Option<(&[String], f64)>) -> f64 {
        fields.iter().map(|field| self.field(field, sized)).sum()
    }

    fn field(&self, field: &FieldShape, sized: Option<(&[String], f64)>) -> f64 {
        if skipped(field) {
            return 0.0;
        }
        let marks = self.model.field(&field.parent, &field.name);
        let list_size = marks.and_then(|m| m.list_size.as_ref());
        let size = list_size.and_then(|list| self.size(list, field));
        // A size for child fields (a connection's `edges`) goes down; this field counts once.
        let (own_size, for_children) = match list_size {
            Some(list) if !list.sized_fields.is_empty() => (None, size.map(|s| (&list.sized_fields[..], s))),
            _ => (size, None),
        };
        let count = if is_list(&field.ty) {
            let from_parent = sized.filter(|(names, _)| names.contains(&field.name)).map(|(_, s)| s);
            from_parent.or(own_size).unwrap_or(self.list_size)
        } else {
            1.0
        };
        let children = match &field.kind {
            FieldKind::Composite(shape) => self.selection(shape, for_children),
            _ => 0.0,
        };
        count * (self.weight(field) + children) + self.arguments(field)
    }

    /// The field's own weight: its `@cost`, else its type's, else 1 for an object and 0 for a leaf.
    fn weight(&self, field: &FieldShape) -> f64 {
        let marked = self.model.field(&field.parent, &field.name).and_then(|m| m.weight);
        let default = if matches!(field.kind, FieldKind::Composite(_)) { 1.0 } else { 0.0 };
        marked.or_else(|| self.model.type_weight(named(&field.ty))).unwrap_or(default)
    }

    /// The weights of the marked arguments the field is given.
    fn arguments(&self, field: &FieldShape) -> f64 {
        let Some(marks) = self.model.field(&field.parent, &field.name) else { return 0.0 };
        marks.arguments.iter().filter(|(name, _)| field.arguments.iter().any(|(n, _)| n == name)).map(|(_, w)| w).sum()
    }

    /// The largest slicing argument given (or defaulted in the schema), else the assumed size.
    fn size(&self, list: &ListSize, field: &FieldShape) -> Option<f64> {
        let value = |name: &String| -> Option<f64> {
            match field.arguments.iter().find(|(n, _)| n == name).map(|(_, a)| a) {
                Some(Argument::Literal(v)) => v.as_f64(),
                Some(Argument::Variable(v)) => self.variables.get(v).and_then(Value::as_f64),
                None => {
                    let definition = self.types.field(&field.parent, &field.name)?;
                    let default = definition.arguments.iter().find(|a| &a.name == name)?.default_value.as_ref()?;
                    crate::plan::shape::literal(default).as_f64()
                }
            }
        };
        let given = list.slicing.iter().filter_map(value).reduce(f64::max);
        given.or(list.assumed)
    }

    /// The actual cost of `data`, the merged answer to the operation: the same counts, with
    /// the lists as long as they came.
    pub fn actual(&self, shape: &Shape, root: &str, data: ObjRef<'_>, mutation: bool) -> f64 {
        let base = if mutation { MUTATION_BASE } else { 0.0 };
        base + self.actual_fields(shape.fields_for(Some(root)), data)
    }

    fn actual_fields(&self, fields: &[FieldShape], object: ObjRef<'_>) -> f64 {
        fields
            .iter()
            .filter(|field| !skipped(field))
            .map(|field| self.actual_value(field, object.get(&field.key)) + self.arguments(field))
            .sum()
    }

    fn actual_value(&self, field: &FieldShape, value: Option<Ref<'_>>) -> f64 {
        let Some(value) = value.filter(|v| !v.is_null()) else { return 0.0 };
        if let Some(items) = value.list() {
            return items.iter().map(|item| self.actual_value(field, Some(item))).sum();
        }
        let children = match (&field.kind, value.object()) {
            (FieldKind::Composite(shape), Some(object)) => {
                let runtime = if shape.polymorphic { object.typename() } else { None };
                self.actual_fields(shape.fields_for(runtime), object)
            }
            _ => 0.0,
        };
        self.weight(field) + children
    }
}

/// `__typename` and introspection cost nothing.
fn skipped(field: &FieldShape) -> bool {
    matches!(field.kind, FieldKind::Typename) || field.name.starts_with("__")
}

#[cfg(test)]
mod tests;
