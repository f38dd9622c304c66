//! Introspection of the public schema, built once per supergraph as JSON values that the
//! projection serves like any other data. A named type inside another is stored as
//! `{"__ref": name}` and resolved when written, so the tree stays finite.

use std::collections::HashMap;

use graphql_tools::static_graphql::schema::{
    self, Definition, DirectiveDefinition, Document, EnumValue, InputValue, TypeDefinition,
};
use serde_json::{Value, json};

use crate::types::{Type, TypeIndex, type_name};

/// Introspection answers for one public schema.
#[derive(Debug)]
pub struct Introspection {
    schema: sonic_rs::Value,
    types: HashMap<String, sonic_rs::Value>,
}

impl Introspection {
    pub fn new(document: &Document, index: &TypeIndex) -> Self {
        let mut types = HashMap::new();
        let mut names = Vec::new();
        let mut directives = builtin_directives();
        for definition in &document.definitions {
            match definition {
                Definition::TypeDefinition(t) => {
                    names.push(type_name(t).to_string());
                    types.insert(type_name(t).to_string(), named_type(t, index));
                }
                Definition::DirectiveDefinition(d) if !directives.iter().any(|x| x["name"] == d.name.as_str()) => {
                    directives.push(directive(d));
                }
                _ => {}
            }
        }
        for scalar in ["String", "Int", "Float", "Boolean", "ID"] {
            if !types.contains_key(scalar) {
                names.push(scalar.to_string());
                types.insert(scalar.to_string(), scalar_type(scalar, None));
            }
        }
        names.sort();
        let reference = |name: &Option<String>| name.as_ref().map(|n| json!({ "__ref": n })).unwrap_or(Value::Null);
        let schema = json!({
            "description": null,
            "types": names.iter().map(|n| json!({ "__ref": n })).collect::<Vec<_>>(),
            "queryType": { "__ref": index.query },
            "mutationType": reference(&index.mutation),
            "subscriptionType": reference(&index.subscription),
            "directives": directives,
        });
        // Served from the same value type as subgraph data; built once per supergraph.
        let data = |value: &Value| sonic_rs::to_value(value).unwrap_or_default();
        Self { schema: data(&schema), types: types.iter().map(|(name, t)| (name.clone(), data(t))).collect() }
    }

    /// The value of `__schema`.
    pub fn schema(&self) -> &sonic_rs::Value {
        &self.schema
    }

    /// The `__Type` named `name`, as `__type(name:)` returns it.
    pub fn type_named(&self, name: &str) -> Option<&sonic_rs::Value> {
        self.types.get(name)
    }
}

fn named_type(definition: &TypeDefinition, index: &TypeIndex) -> Value {
    let name = type_name(definition);
    let mut value = json!({
        "kind": Value::Null, "name": name, "description": Value::Null, "specifiedByURL": Value::Null,
        "fields": Value::Null, "interfaces": Value::Null, "possibleTypes": Value::Null,
        "enumValues": Value::Null, "inputFields": Value::Null, "ofType": Value::Null, "isOneOf": Value::Null,
    });
    let refs = |names: &mut Vec<String>| {
        names.sort();
        Value::Array(names.iter().map(|n| json!({ "__ref": n })).collect())
    };
    match definition {
        TypeDefinition::Scalar(s) => return scalar_type(&s.name, s.description.as_deref()),
        TypeDefinition::Object(o) => {
            value["kind"] = "OBJECT".into();
            value["description"] = description(&o.description);
            value["fields"] = fields(&o.fields);
            value["interfaces"] = refs(&mut o.implements_interfaces.clone());
        }
        TypeDefinition::Interface(i) => {
            value["kind"] = "INTERFACE".into();
            value["description"] = description(&i.description);
            value["fields"] = fields(&i.fields);
            value["interfaces"] = refs(&mut i.implements_interfaces.clone());
            let mut possible: Vec<String> =
                index.get(name).map(|t| t.possible_types.iter().cloned().collect()).unwrap_or_default();
            value["possibleTypes"] = refs(&mut possible);
        }
        TypeDefinition::Union(u) => {
            value["kind"] = "UNION".into();
            value["description"] = description(&u.description);
            value["possibleTypes"] = refs(&mut u.types.clone());
        }
        TypeDefinition::Enum(e) => {
            value["kind"] = "ENUM".into();
            value["description"] = description(&e.description);
            value["enumValues"] = Value::Array(e.values.iter().map(enum_value).collect());
        }
        TypeDefinition::InputObject(i) => {
            value["kind"] = "INPUT_OBJECT".into();
            value["description"] = description(&i.description);
            value["inputFields"] = Value::Array(i.fields.iter().map(input_value).collect());
            value["isOneOf"] = i.directives.iter().any(|d| d.name == "oneOf").into();
        }
    }
    value
}

fn scalar_type(name: &str, description: Option<&str>) -> Value {
    json!({
        "kind": "SCALAR", "name": name, "description": description, "specifiedByURL": null,
        "fields": null, "interfaces": null, "possibleTypes": null, "enumValues": null,
        "inputFields": null, "ofType": null, "isOneOf": null,
    })
}

fn fields(fields: &[schema::Field]) -> Value {
    Value::Array(
        fields
            .iter()
            .filter(|f| !f.name.starts_with("__"))
            .map(|f| {
                let (deprecated, reason) = deprecation(&f.directives);
                json!({
                    "name": f.name, "description": description(&f.description),
                    "args": f.arguments.iter().map(input_value).collect::<Vec<_>>(),
                    "type": type_ref(&f.field_type), "isDeprecated": deprecated, "deprecationReason": reason,
                })
            })
            .collect(),
    )
}

fn input_value(v: &InputValue) -> Value {
    let (deprecated, reason) = deprecation(&v.directives);
    json!({
        "name": v.name, "description": description(&v.description), "type": type_ref(&v.value_type),
        "defaultValue": v.default_value.as_ref().map(|d| d.to_string()),
        "isDeprecated": deprecated, "deprecationReason": reason,
    })
}

fn enum_value(v: &EnumValue) -> Value {
    let (deprecated, reason) = deprecation(&v.directives);
    json!({
        "name": v.name, "description": description(&v.description),
        "isDeprecated": deprecated, "deprecationReason": reason,
    })
}

fn directive(d: &DirectiveDefinition) -> Value {
    json!({
        "name": d.name, "description": description(&d.description),
        "locations": d.locations.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "args": d.arguments.iter().map(input_value).collect::<Vec<_>>(),
        "isRepeatable": d.repeatable,
    })
}

fn builtin_directives() -> Vec<Value> {
    let boolean_arg = |description: &str| {
        json!({ "name": "if", "description": description, "defaultValue": null, "isDeprecated": false,
                "deprecationReason": null,
                "type": { "kind": "NON_NULL", "name": null, "ofType": { "__ref": "Boolean" } } })
    };
    let reason = json!({ "name": "reason", "description": "Why the element is deprecated.",
        "defaultValue": "\"No longer supported\"", "isDeprecated": false, "deprecationReason": null,
        "type": { "__ref": "String" } });
    let url = json!({ "name": "url", "description": "The URL of the scalar's specification.",
        "defaultValue": null, "isDeprecated": false, "deprecationReason": null,
        "type": { "kind": "NON_NULL", "name": null, "ofType": { "__ref": "String" } } });
    vec![
        json!({ "name": "include", "description": "Includes this field or fragment only when `if` is true.",
                "locations": ["FIELD", "FRAGMENT_SPREAD", "INLINE_FRAGMENT"],
                "args": [boolean_arg("Included when true.")], "isRepeatable": false }),
        json!({ "name": "skip", "description": "Skips this field or fragment when `if` is true.",
                "locations": ["FIELD", "FRAGMENT_SPREAD", "INLINE_FRAGMENT"],
                "args": [boolean_arg("Skipped when true.")], "isRepeatable": false }),
        json!({ "name": "deprecated", "description": "Marks an element of the schema as no longer supported.",
                "locations": ["FIELD_DEFINITION", "ARGUMENT_DEFINITION", "INPUT_FIELD_DEFINITION", "ENUM_VALUE"],
                "args": [reason], "isRepeatable": false }),
        json!({ "name": "specifiedBy", "description": "Exposes a URL that specifies the behaviour of a scalar.",
                "locations": ["SCALAR"], "args": [url], "isRepeatable": false }),
    ]
}

fn type_ref(ty: &Type) -> Value {
    match ty {
        Type::NamedType(name) => json!({ "__ref": name }),
        Type::ListType(inner) => json!({ "kind": "LIST", "name": null, "ofType": type_ref(inner) }),
        Type::NonNullType(inner) => json!({ "kind": "NON_NULL", "name": null, "ofType": type_ref(inner) }),
    }
}

fn description(d: &Option<String>) -> Value {
    d.as_ref().map(|s| Value::String(s.clone())).unwrap_or(Value::Null)
}

fn deprecation(directives: &[schema::Directive]) -> (bool, Value) {
    match directives.iter().find(|d| d.name == "deprecated") {
        Some(d) => {
            let reason = d
                .arguments
                .iter()
                .find(|(n, _)| n == "reason")
                .and_then(|(_, v)| match v {
                    schema::Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| "No longer supported".to_string());
            (true, Value::String(reason))
        }
        None => (false, Value::Null),
    }
}
