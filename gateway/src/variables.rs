//! Stage: coerce the request's variables to the operation's variable types (input coercion
//! rules of the specification), with defaults applied and a clear error per bad value.

use graphql_tools::static_graphql::query::VariableDefinition;
use serde_json::{Map, Value};

use crate::error::{Code, GraphqlError, RequestError};
use crate::plan::shape::literal;
use crate::types::{Kind, Type, TypeIndex};

/// The coerced variables, or every coercion error.
pub fn coerce(
    definitions: &[VariableDefinition],
    provided: Option<&Map<String, Value>>,
    types: &TypeIndex,
) -> Result<Map<String, Value>, RequestError> {
    let mut coerced = Map::new();
    let mut errors = Vec::new();
    for definition in definitions {
        let name = &definition.name;
        let ty = &definition.var_type;
        match provided.and_then(|p| p.get(name)) {
            Some(value) => match coerce_value(value, ty, types) {
                Ok(value) => {
                    coerced.insert(name.clone(), value);
                }
                Err(reason) => errors.push(format!("Variable \"${name}\" got invalid value {value}; {reason}")),
            },
            None => match &definition.default_value {
                Some(default) => {
                    coerced.insert(name.clone(), literal(default));
                }
                None if matches!(ty, Type::NonNullType(_)) => {
                    errors.push(format!("Variable \"${name}\" of required type \"{ty}\" was not provided."))
                }
                None => {}
            },
        }
    }
    if errors.is_empty() {
        Ok(coerced)
    } else {
        let errors = errors.into_iter().map(|m| GraphqlError::new(Code::BadUserInput, m)).collect();
        Err(RequestError::with_errors(http::StatusCode::BAD_REQUEST, errors))
    }
}

fn coerce_value(value: &Value, ty: &Type, types: &TypeIndex) -> Result<Value, String> {
    match ty {
        Type::NonNullType(inner) => {
            if value.is_null() {
                return Err(format!("Expected non-nullable type \"{ty}\" not to be null."));
            }
            coerce_value(value, inner, types)
        }
        _ if value.is_null() => Ok(Value::Null),
        Type::ListType(item) => match value {
            Value::Array(items) => {
                items.iter().map(|i| coerce_value(i, item, types)).collect::<Result<_, _>>().map(Value::Array)
            }
            single => Ok(Value::Array(vec![coerce_value(single, item, types)?])),
        },
        Type::NamedType(name) => coerce_named(value, name, types),
    }
}

fn coerce_named(value: &Value, name: &str, types: &TypeIndex) -> Result<Value, String> {
    let expected = |what: &str| Err(format!("{what} cannot represent {value}"));
    match name {
        "Int" => match value.as_i64() {
            Some(i) if i32::try_from(i).is_ok() => Ok(value.clone()),
            Some(_) => expected("Int (32-bit)"),
            None => expected("Int"),
        },
        "Float" => {
            if value.is_number() {
                Ok(value.clone())
            } else {
                expected("Float")
            }
        }
        "String" => {
            if value.is_string() {
                Ok(value.clone())
            } else {
                expected("String")
            }
        }
        "Boolean" => {
            if value.is_boolean() {
                Ok(value.clone())
            } else {
                expected("Boolean")
            }
        }
        "ID" => match value {
            Value::String(_) => Ok(value.clone()),
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Value::String(n.to_string())),
            _ => expected("ID"),
        },
        _ => match types.get(name).map(|t| t.kind) {
            Some(Kind::Enum) => match value.as_str() {
                Some(v) if types.get(name).is_some_and(|t| t.enum_values.contains(v)) => Ok(value.clone()),
                _ => Err(format!("Value {value} does not exist in \"{name}\" enum.")),
            },
            Some(Kind::InputObject) => coerce_input_object(value, name, types),
            Some(Kind::Scalar) => Ok(value.clone()),
            _ => Err(format!("\"{name}\" is not an input type")),
        },
    }
}

fn coerce_input_object(value: &Value, name: &str, types: &TypeIndex) -> Result<Value, String> {
    let Value::Object(object) = value else { return Err(format!("Expected type \"{name}\" to be an object.")) };
    let Some(info) = types.get(name) else { return Err(format!("unknown type \"{name}\"")) };
    if let Some(unknown) = object.keys().find(|k| !info.input_fields.contains_key(*k)) {
        return Err(format!("Field \"{unknown}\" is not defined by type \"{name}\"."));
    }
    let mut out = Map::new();
    for (field, definition) in &info.input_fields {
        match object.get(field) {
            Some(v) => {
                let coerced =
                    coerce_value(v, &definition.value_type, types).map_err(|e| format!("at \"{field}\": {e}"))?;
                out.insert(field.clone(), coerced);
            }
            None => match &definition.default_value {
                Some(default) => {
                    out.insert(field.clone(), literal(default));
                }
                None if matches!(definition.value_type, Type::NonNullType(_)) => {
                    return Err(format!(
                        "Field \"{field}\" of required type \"{}\" was not provided.",
                        definition.value_type
                    ));
                }
                None => {}
            },
        }
    }
    Ok(Value::Object(out))
}
