//! What the supergraph says fields cost: `@cost(weight:)` on fields, arguments and types, and
//! `@listSize` on list fields, as the IBM GraphQL cost specification defines them (Apollo
//! composes them as `@cost` and `@listSize`; a `prefix__cost` spelling is read too).

use std::collections::HashMap;

use graphql_tools::static_graphql::schema::{Directive, Value};

use crate::policy::type_directives;
use crate::types::TypeIndex;

/// How many items a list field holds, for the estimate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListSize {
    /// A fixed size.
    pub assumed: Option<f64>,
    /// Arguments whose value is the size (`first`, `limit`); the largest one given counts.
    pub slicing: Vec<String>,
    /// The size applies to these child fields (a connection's `edges`, `nodes`), not here.
    pub sized_fields: Vec<String>,
}

/// The marks of one field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldCost {
    pub weight: Option<f64>,
    pub list_size: Option<ListSize>,
    /// `@cost` weights of its arguments, added when the argument is given.
    pub arguments: Vec<(String, f64)>,
}

/// Every cost mark of a supergraph.
#[derive(Debug, Default)]
pub struct CostModel {
    /// By type, then field: looked up by `&str`, so counting allocates nothing.
    fields: HashMap<String, HashMap<String, FieldCost>>,
    /// `@cost` on object, scalar and enum types: the weight of a field returning one.
    types: HashMap<String, f64>,
}

impl CostModel {
    /// The marks found in every type of the supergraph.
    pub fn new(types: &TypeIndex) -> Self {
        let mut model = Self::default();
        for (name, info) in &types.types {
            if let Some(weight) = cost(type_directives(&info.definition)) {
                model.types.insert(name.clone(), weight);
            }
            for (field_name, field) in &info.fields {
                let marks = FieldCost {
                    weight: cost(&field.directives),
                    list_size: list_size(&field.directives),
                    arguments: field
                        .arguments
                        .iter()
                        .filter_map(|a| cost(&a.directives).map(|w| (a.name.clone(), w)))
                        .collect(),
                };
                if marks != FieldCost::default() {
                    model.fields.entry(name.clone()).or_default().insert(field_name.clone(), marks);
                }
            }
        }
        model
    }

    pub fn field(&self, parent: &str, field: &str) -> Option<&FieldCost> {
        self.fields.get(parent)?.get(field)
    }

    pub fn type_weight(&self, name: &str) -> Option<f64> {
        self.types.get(name).copied()
    }
}

fn named<'d>(directives: &'d [Directive], name: &str) -> Option<&'d Directive> {
    directives.iter().find(|d| d.name == name || d.name.strip_suffix(name).is_some_and(|p| p.ends_with("__")))
}

fn argument<'d>(directive: &'d Directive, name: &str) -> Option<&'d Value> {
    directive.arguments.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Int(i) => i.as_i64().map(|i| i as f64),
        Value::Float(f) => Some(*f),
        // The specification types `weight` as a String (it may hold a decimal).
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn cost(directives: &[Directive]) -> Option<f64> {
    named(directives, "cost").and_then(|d| argument(d, "weight")).and_then(number)
}

fn list_size(directives: &[Directive]) -> Option<ListSize> {
    let directive = named(directives, "listSize")?;
    Some(ListSize {
        assumed: argument(directive, "assumedSize").and_then(number),
        slicing: strings(argument(directive, "slicingArguments")),
        sized_fields: strings(argument(directive, "sizedFields")),
    })
}
