//! From a subscription to the query that answers one of its events.
//!
//! A subscription field fed by events is bound to a lookup field of `Query` that takes the
//! entity's key (`orderUpdated(id)` to `order(id)`). For each event the gateway runs the
//! subscription's own selection under that lookup, with the event's key, as the subscriber: so
//! every field of the entity, from any subgraph, resolves exactly as in a query, and the
//! viewer's authorization is checked again for every event (an order the viewer may not see is
//! NOT_FOUND, and the event is not delivered).

use std::collections::HashSet;

use graphql_tools::static_graphql::query::{
    Definition, Document, Field, OperationDefinition, Query, Selection, SelectionSet, Subscription, Type, Value,
    VariableDefinition,
};
use serde_json::{Map, Value as Json};

use crate::error::{Code, RequestError};

/// The variable that carries the event's key into the lookup.
pub const KEY_VARIABLE: &str = "__braid_event_key";

/// A subscription operation taken apart: its one root field, and the query per event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventQuery {
    /// The subscription field's name (`orderUpdated`).
    pub field: String,
    /// Where its value is in a response: its alias, else its name.
    pub response_key: String,
    /// The leaf fields selected directly on it, as (response key, field name): an event that
    /// carries a field of that name gives its value, the state at that event.
    pub overlay: Vec<(String, String)>,
    /// The query text to run for an event, with the key in [`KEY_VARIABLE`].
    pub text: String,
}

/// Rewrites the operation `operation_name` of `document` (a subscription with one root field)
/// into the query that runs `lookup(key_argument: $key)` with the same selection, answering
/// under the subscription field's response key.
pub fn rewrite(
    document: &Document,
    operation_name: Option<&str>,
    lookup: &str,
    key_argument: &str,
) -> Result<EventQuery, RequestError> {
    let subscription = subscription(document, operation_name)
        .ok_or_else(|| RequestError::bad(Code::BadRequest, "the operation is not a subscription"))?;
    let field = root_field(&subscription.selection_set)?;
    let lookup_field = Field {
        position: field.position,
        alias: Some(field.alias.clone().unwrap_or_else(|| field.name.clone())),
        name: lookup.to_string(),
        arguments: vec![(key_argument.to_string(), Value::Variable(KEY_VARIABLE.to_string()))],
        directives: field.directives.clone(),
        selection_set: field.selection_set.clone(),
    };
    let selection_set =
        SelectionSet { span: subscription.selection_set.span, items: vec![Selection::Field(lookup_field)] };
    let fragments: Vec<_> =
        document.definitions.iter().filter(|d| matches!(d, Definition::Fragment(_))).cloned().collect();
    // Variables only the subscription's own arguments used would be unused in the query.
    let used = variables_used(&selection_set, &fragments);
    let mut variable_definitions: Vec<VariableDefinition> =
        subscription.variable_definitions.iter().filter(|v| used.contains(&v.name)).cloned().collect();
    variable_definitions.push(VariableDefinition {
        position: subscription.position,
        name: KEY_VARIABLE.to_string(),
        var_type: Type::NonNullType(Box::new(Type::NamedType("ID".to_string()))),
        default_value: None,
    });
    let query = Query {
        position: subscription.position,
        name: subscription.name.clone(),
        variable_definitions,
        directives: subscription.directives.clone(),
        selection_set,
    };
    let mut definitions = vec![Definition::Operation(OperationDefinition::Query(query))];
    definitions.extend(fragments);
    let overlay = field
        .selection_set
        .items
        .iter()
        .filter_map(|s| match s {
            Selection::Field(f)
                if f.selection_set.items.is_empty() && f.directives.is_empty() && !f.name.starts_with("__") =>
            {
                Some((f.alias.clone().unwrap_or_else(|| f.name.clone()), f.name.clone()))
            }
            _ => None,
        })
        .collect();
    Ok(EventQuery {
        field: field.name.clone(),
        response_key: field.alias.clone().unwrap_or_else(|| field.name.clone()),
        overlay,
        text: Document { definitions }.to_string(),
    })
}

/// The subscription operation `operation_name` of `document` (the only one when unnamed).
fn subscription<'d>(document: &'d Document, operation_name: Option<&str>) -> Option<&'d Subscription> {
    document.definitions.iter().find_map(|d| match d {
        Definition::Operation(OperationDefinition::Subscription(s))
            if operation_name.is_none() || s.name.as_deref() == operation_name =>
        {
            Some(s)
        }
        _ => None,
    })
}

/// The name of the field the subscription `operation_name` of `document` selects.
pub fn root_field_name(document: &Document, operation_name: Option<&str>) -> Result<String, RequestError> {
    let subscription = subscription(document, operation_name)
        .ok_or_else(|| RequestError::bad(Code::BadRequest, "the operation is not a subscription"))?;
    Ok(root_field(&subscription.selection_set)?.name.clone())
}

/// The one field a subscription selects at its root (the specification allows no more).
fn root_field(selection_set: &SelectionSet) -> Result<&Field, RequestError> {
    let fields: Vec<&Field> = selection_set
        .items
        .iter()
        .filter_map(|s| match s {
            Selection::Field(f) if f.name != "__typename" => Some(f),
            _ => None,
        })
        .collect();
    let only_fields = selection_set.items.iter().all(|s| matches!(s, Selection::Field(_)));
    match fields.as_slice() {
        [field] if only_fields && selection_set.items.len() == 1 => Ok(field),
        _ => Err(RequestError::bad(
            Code::GraphqlValidationFailed,
            "a subscription selects exactly one root field, written out (not through a fragment)",
        )),
    }
}

/// The variables `selection_set` uses (its arguments and directives, and the fragments it spreads).
pub(crate) fn variables_used(selection_set: &SelectionSet, fragments: &[Definition]) -> HashSet<String> {
    let mut used = HashSet::new();
    variables_in_selection(selection_set, fragments, &mut HashSet::new(), &mut used);
    used
}

fn variables_in_selection(
    selection_set: &SelectionSet,
    fragments: &[Definition],
    visited: &mut HashSet<String>,
    used: &mut HashSet<String>,
) {
    for selection in &selection_set.items {
        match selection {
            Selection::Field(field) => {
                for (_, value) in &field.arguments {
                    variables_in_value(value, used);
                }
                for directive in &field.directives {
                    directive.arguments.iter().for_each(|(_, v)| variables_in_value(v, used));
                }
                variables_in_selection(&field.selection_set, fragments, visited, used);
            }
            Selection::InlineFragment(inline) => {
                for directive in &inline.directives {
                    directive.arguments.iter().for_each(|(_, v)| variables_in_value(v, used));
                }
                variables_in_selection(&inline.selection_set, fragments, visited, used);
            }
            Selection::FragmentSpread(spread) => {
                for directive in &spread.directives {
                    directive.arguments.iter().for_each(|(_, v)| variables_in_value(v, used));
                }
                if visited.insert(spread.fragment_name.clone()) {
                    let fragment = fragments.iter().find_map(|d| match d {
                        Definition::Fragment(f) if f.name == spread.fragment_name => Some(f),
                        _ => None,
                    });
                    if let Some(fragment) = fragment {
                        variables_in_selection(&fragment.selection_set, fragments, visited, used);
                    }
                }
            }
        }
    }
}

/// Adds the variables `value` names to `used`.
pub(crate) fn variables_in_value(value: &Value, used: &mut HashSet<String>) {
    match value {
        Value::Variable(name) => {
            used.insert(name.clone());
        }
        Value::List(items) => items.iter().for_each(|v| variables_in_value(v, used)),
        Value::Object(fields) => fields.iter().for_each(|(_, v)| variables_in_value(v, used)),
        _ => {}
    }
}

/// The value of the root field's argument `name` with the request's variables in place, as
/// JSON (what an event's key is matched against); `None` when the argument is not given.
pub fn argument(
    document: &Document,
    operation_name: Option<&str>,
    name: &str,
    variables: &Map<String, Json>,
) -> Option<Json> {
    let subscription = subscription(document, operation_name)?;
    let field = root_field(&subscription.selection_set).ok()?;
    let value = &field.arguments.iter().find(|(n, _)| n == name)?.1;
    let json = to_json(value, variables);
    (!json.is_null()).then_some(json)
}

fn to_json(value: &Value, variables: &Map<String, Json>) -> Json {
    match value {
        Value::Variable(name) => variables.get(name).cloned().unwrap_or(Json::Null),
        Value::Int(n) => n.as_i64().map_or(Json::Null, Json::from),
        Value::Float(f) => Json::from(*f),
        Value::String(s) => Json::String(s.clone()),
        Value::Boolean(b) => Json::Bool(*b),
        Value::Null => Json::Null,
        Value::Enum(e) => Json::String(e.clone()),
        Value::List(items) => Json::Array(items.iter().map(|v| to_json(v, variables)).collect()),
        Value::Object(fields) => Json::Object(fields.iter().map(|(k, v)| (k.clone(), to_json(v, variables))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Document {
        graphql_tools::parser::parse_query::<String>(text).unwrap().into_static()
    }

    #[test]
    fn the_selection_moves_under_the_lookup_with_the_event_key() {
        let document = parse(
            "subscription Live($id: ID!, $withBuyer: Boolean!) {
               orderUpdated(id: $id) { status buyer @include(if: $withBuyer) { name } ...Lines }
             }
             fragment Lines on Order { lines { quantity } }",
        );
        let query = rewrite(&document, Some("Live"), "order", "id").unwrap();
        assert_eq!((query.field.as_str(), query.response_key.as_str()), ("orderUpdated", "orderUpdated"));
        assert_eq!(query.overlay, vec![("status".to_string(), "status".to_string())], "leaves only");
        let expected = "query Live($withBuyer: Boolean!, $__braid_event_key: ID!) {\n  orderUpdated: order(id: $__braid_event_key) {\n    status\n    buyer @include(if: $withBuyer) {\n      name\n    }\n    ...Lines\n  }\n}\n\nfragment Lines on Order {\n  lines {\n    quantity\n  }\n}\n";
        assert_eq!(query.text, expected);
        // The text is a query the gateway's parser takes.
        assert!(graphql_tools::parser::parse_query::<String>(&query.text).is_ok());
    }

    #[test]
    fn an_alias_is_kept_and_the_operation_is_chosen_by_name() {
        let document = parse("query Q { __typename } subscription S { mine: orderUpdated(id: \"7\") { id } }");
        let query = rewrite(&document, Some("S"), "order", "id").unwrap();
        assert_eq!(query.response_key, "mine");
        assert!(query.text.starts_with("query S($__braid_event_key: ID!) {\n  mine: order(id: $__braid_event_key)"));
        assert!(rewrite(&document, Some("Q"), "order", "id").is_err(), "a query is no subscription");
    }

    #[test]
    fn more_than_one_root_field_or_a_fragment_at_the_root_is_refused() {
        for text in [
            "subscription { a: orderUpdated(id: 1) { id } b: orderUpdated(id: 2) { id } }",
            "subscription { ...F } fragment F on Subscription { orderUpdated(id: 1) { id } }",
            "subscription { __typename orderUpdated(id: 1) { id } }",
        ] {
            let error = rewrite(&parse(text), None, "order", "id").unwrap_err();
            assert_eq!(error.errors[0].extensions["code"], Code::GraphqlValidationFailed.as_str(), "{text}");
        }
    }

    #[test]
    fn arguments_are_read_with_the_variables_in_place() {
        let document = parse("subscription ($ids: [ID!]!) { productChanged(ids: $ids, also: [\"x\", 2]) { id } }");
        let variables = json!({"ids": ["a", "b"]});
        let variables = variables.as_object().unwrap();
        assert_eq!(argument(&document, None, "ids", variables), Some(json!(["a", "b"])));
        assert_eq!(argument(&document, None, "also", variables), Some(json!(["x", 2])));
        assert_eq!(argument(&document, None, "missing", variables), None);
    }
}
