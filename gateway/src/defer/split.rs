//! An operation with active `@defer`s split into operations the gateway runs as any other: the
//! primary one without the deferred fragments, and one per deferred fragment that selects the
//! path from the root down to it and the fragment's fields there. Named fragments are inlined
//! first, so each operation stands alone; variables no operation uses are dropped from it.

use std::collections::HashMap;

use graphql_tools::static_graphql::query::{
    Definition, Directive, Document, Field, FragmentDefinition, InlineFragment, OperationDefinition, Query, Selection,
    SelectionSet, Value,
};
use serde_json::{Map, Value as Json};

use crate::subscriptions::rewrite::{variables_in_value, variables_used};

/// Deepest nesting of fragment spreads inlined; beyond, the document is left to validation.
const MAX_DEPTH: usize = 64;

/// One deferred fragment.
#[derive(Debug, Clone, PartialEq)]
pub struct Deferred {
    pub label: Option<String>,
    /// The deferred fragment it is nested in, by index; its data comes after that one's.
    pub parent: Option<usize>,
    /// The response keys from the root down to the object the fragment's fields belong to.
    pub path: Vec<String>,
    /// The operation that answers it.
    pub query: String,
}

/// An operation with its deferred fragments taken out.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub primary: String,
    pub deferred: Vec<Deferred>,
}

/// One step from the root down to a deferred fragment.
#[derive(Clone)]
enum Step {
    Field(Field),
    Fragment(InlineFragment),
}

/// `text` split at its active `@defer`s (those whose `if` is not false with `variables`);
/// `None` when it has none, or is not a query this can split (the caller runs it whole).
pub fn split(text: &str, operation_name: Option<&str>, variables: &Map<String, Json>) -> Option<Split> {
    let document = graphql_tools::parser::parse_query::<String>(text).ok()?.into_static();
    let fragments: HashMap<String, FragmentDefinition> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Fragment(f) => Some((f.name.clone(), f.clone())),
            Definition::Operation(_) => None,
        })
        .collect();
    let mut operations = document.definitions.iter().filter_map(|d| match d {
        Definition::Operation(o) => Some(o),
        Definition::Fragment(_) => None,
    });
    let operation = match operation_name {
        Some(name) => {
            operations.find(|o| matches!(o, OperationDefinition::Query(q) if q.name.as_deref() == Some(name)))?
        }
        None => {
            let first = operations.next()?;
            operations.next().is_none().then_some(first)?
        }
    };
    let mut query = match operation {
        OperationDefinition::Query(q) => q.clone(),
        OperationDefinition::SelectionSet(s) => Query {
            position: s.span.0,
            name: None,
            variable_definitions: Vec::new(),
            directives: Vec::new(),
            selection_set: s.clone(),
        },
        _ => return None,
    };
    inline_spreads(&mut query.selection_set, &fragments, 0)?;
    let mut found = Vec::new();
    take_deferred(&mut query.selection_set, &mut Vec::new(), None, variables, &mut found);
    if found.is_empty() {
        return None;
    }
    let deferred = found
        .into_iter()
        .map(|(label, parent, steps, content)| Deferred {
            label,
            parent,
            path: steps
                .iter()
                .filter_map(|s| match s {
                    Step::Field(f) => Some(response_key(f).to_string()),
                    Step::Fragment(_) => None,
                })
                .collect(),
            query: print(&query, nest(&steps, content)),
        })
        .collect();
    Some(Split { primary: print(&query, query.selection_set.clone()), deferred })
}

/// Replaces every fragment spread by an inline fragment with the fragment's fields.
fn inline_spreads(set: &mut SelectionSet, fragments: &HashMap<String, FragmentDefinition>, depth: usize) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    for item in &mut set.items {
        match item {
            Selection::Field(field) => inline_spreads(&mut field.selection_set, fragments, depth + 1)?,
            Selection::InlineFragment(fragment) => inline_spreads(&mut fragment.selection_set, fragments, depth + 1)?,
            Selection::FragmentSpread(spread) => {
                let definition = fragments.get(&spread.fragment_name)?;
                let mut inline = InlineFragment {
                    position: spread.position,
                    type_condition: Some(definition.type_condition.clone()),
                    directives: spread.directives.clone(),
                    selection_set: definition.selection_set.clone(),
                };
                inline_spreads(&mut inline.selection_set, fragments, depth + 1)?;
                *item = Selection::InlineFragment(inline);
            }
        }
    }
    Some(())
}

type Found = (Option<String>, Option<usize>, Vec<Step>, SelectionSet);

/// Takes the active deferred fragments out of `set` (and, recursively, out of their own
/// fields), each with the steps down to it.
fn take_deferred(
    set: &mut SelectionSet,
    steps: &mut Vec<Step>,
    parent: Option<usize>,
    variables: &Map<String, Json>,
    found: &mut Vec<Found>,
) {
    if set.items.is_empty() {
        return;
    }
    let mut kept = Vec::with_capacity(set.items.len());
    for mut item in std::mem::take(&mut set.items) {
        match &mut item {
            Selection::Field(field) => {
                let mut step = field.clone();
                step.selection_set.items.clear();
                steps.push(Step::Field(step));
                take_deferred(&mut field.selection_set, steps, parent, variables, found);
                steps.pop();
            }
            Selection::InlineFragment(fragment) => {
                let defer = fragment.directives.iter().position(|d| d.name == "defer" && active(d, variables));
                let mut step = fragment.clone();
                step.selection_set.items.clear();
                step.directives.retain(|d| d.name != "defer");
                steps.push(Step::Fragment(step));
                if let Some(at) = defer {
                    let label = argument(&fragment.directives[at], "label").and_then(|v| match v {
                        Value::String(s) => Some(s.clone()),
                        _ => None,
                    });
                    let index = found.len();
                    found.push((
                        label,
                        parent,
                        Vec::new(),
                        SelectionSet { span: fragment.selection_set.span, items: Vec::new() },
                    ));
                    let span = fragment.selection_set.span;
                    let mut content =
                        std::mem::replace(&mut fragment.selection_set, SelectionSet { span, items: Vec::new() });
                    take_deferred(&mut content, steps, Some(index), variables, found);
                    found[index].2 = steps.clone();
                    found[index].3 = non_empty(content);
                    steps.pop();
                    continue;
                }
                take_deferred(&mut fragment.selection_set, steps, parent, variables, found);
                steps.pop();
                fragment.directives.retain(|d| d.name != "defer");
            }
            Selection::FragmentSpread(_) => {}
        }
        kept.push(item);
    }
    set.items = kept;
    // A field whose every selection was deferred still needs one.
    if set.items.is_empty() {
        let span = set.span;
        *set = non_empty(std::mem::replace(set, SelectionSet { span, items: Vec::new() }));
    }
}

/// `set`, or `{ __typename }` when it is empty.
fn non_empty(mut set: SelectionSet) -> SelectionSet {
    if set.items.is_empty() {
        set.items.push(Selection::Field(Field {
            position: set.span.0,
            alias: None,
            name: "__typename".into(),
            arguments: Vec::new(),
            directives: Vec::new(),
            selection_set: SelectionSet { span: set.span, items: Vec::new() },
        }));
    }
    set
}

/// Whether `@defer` applies: `if` absent, true, or a variable that is not false.
fn active(directive: &Directive, variables: &Map<String, Json>) -> bool {
    match argument(directive, "if") {
        Some(Value::Boolean(on)) => *on,
        Some(Value::Variable(name)) => variables.get(name).and_then(Json::as_bool).unwrap_or(true),
        _ => true,
    }
}

fn argument<'d>(directive: &'d Directive, name: &str) -> Option<&'d Value> {
    directive.arguments.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn response_key(field: &Field) -> &str {
    field.alias.as_deref().unwrap_or(&field.name)
}

/// `content` wrapped in the steps down to it.
fn nest(steps: &[Step], content: SelectionSet) -> SelectionSet {
    steps.iter().rev().fold(content, |inner, step| {
        let span = inner.span;
        let item = match step {
            Step::Field(field) => Selection::Field(Field { selection_set: inner, ..field.clone() }),
            Step::Fragment(fragment) => {
                Selection::InlineFragment(InlineFragment { selection_set: inner, ..fragment.clone() })
            }
        };
        SelectionSet { span, items: vec![item] }
    })
}

/// The operation `query` with `selection_set`, keeping only the variables it uses (spreads are
/// inlined by then, so no fragment is needed).
fn print(query: &Query, selection_set: SelectionSet) -> String {
    let mut used = variables_used(&selection_set, &[]);
    query.directives.iter().for_each(|d| d.arguments.iter().for_each(|(_, v)| variables_in_value(v, &mut used)));
    let mut query = Query { selection_set, ..query.clone() };
    query.variable_definitions.retain(|v| used.contains(&v.name));
    Document { definitions: vec![Definition::Operation(OperationDefinition::Query(query))] }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn deferred_fragments_become_operations_along_their_path() {
        let text = r#"query Q($n: Int, $d: Boolean!, $u: Int) { top: topProducts(first: $n) { upc ...Stock @defer(label: "stock")
            reviews { body ... @defer(if: $d) { author { username } } } } }
            fragment Stock on Product { inStock ... @defer { shippingEstimate } }"#;
        let variables = serde_json::json!({"d": true}).as_object().cloned().unwrap();
        let split = split(text, Some("Q"), &variables).unwrap();
        assert_eq!(
            compact(&split.primary),
            "query Q($n: Int) { top: topProducts(first: $n) { upc reviews { body } } }"
        );
        let summary: Vec<_> =
            split.deferred.iter().map(|d| (d.label.clone(), d.parent, d.path.join("."), compact(&d.query))).collect();
        assert_eq!(
            summary,
            [
                (
                    Some("stock".into()),
                    None,
                    "top".into(),
                    "query Q($n: Int) { top: topProducts(first: $n) { ... on Product { inStock } } }".into()
                ),
                (
                    None,
                    Some(0),
                    "top".into(),
                    "query Q($n: Int) { top: topProducts(first: $n) { ... on Product { ... { shippingEstimate } } } }"
                        .into()
                ),
                (
                    None,
                    None,
                    "top.reviews".into(),
                    "query Q($n: Int) { top: topProducts(first: $n) { reviews { ... { author { username } } } } }"
                        .into()
                ),
            ]
        );
    }

    #[test]
    fn inactive_defers_and_other_operations_are_not_split() {
        let none = Map::new();
        assert_eq!(split("{ a { ... @defer(if: false) { b } } }", None, &none), None);
        assert_eq!(split("{ a { b } }", None, &none), None);
        assert_eq!(split("mutation { a { ... @defer { b } } }", None, &none), None);
        assert_eq!(split("{ a", None, &none), None);
        let all = split("{ a { ... @defer { b } } }", None, &none).unwrap();
        assert_eq!(compact(&all.primary), "query { a { __typename } }");
    }
}
