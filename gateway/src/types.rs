//! An index of the public schema's types, for projection, variable coercion and introspection.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use graphql_tools::static_graphql::schema::{self, Definition, Document, TypeDefinition};

pub use graphql_tools::static_graphql::schema::Type;

/// What kind of named type a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Scalar,
    Object,
    Interface,
    Union,
    Enum,
    InputObject,
}

/// One named type of the public schema.
#[derive(Debug)]
pub struct TypeInfo {
    pub kind: Kind,
    pub definition: TypeDefinition,
    /// Output fields by name (objects and interfaces).
    pub fields: HashMap<String, schema::Field>,
    /// Input fields by name (input objects).
    pub input_fields: HashMap<String, schema::InputValue>,
    /// Enum values.
    pub enum_values: Arc<HashSet<String>>,
    /// Object types this abstract type may resolve to (itself for objects).
    pub possible_types: HashSet<String>,
}

/// Every type of the public schema by name, and the root types.
#[derive(Debug)]
pub struct TypeIndex {
    pub types: HashMap<String, TypeInfo>,
    pub query: String,
    pub mutation: Option<String>,
    pub subscription: Option<String>,
}

impl TypeIndex {
    pub fn new(document: &Document) -> Self {
        let mut types = HashMap::new();
        let (mut query, mut mutation, mut subscription) = (None, None, None);
        for definition in &document.definitions {
            match definition {
                Definition::SchemaDefinition(s) => {
                    query = s.query.clone();
                    mutation = s.mutation.clone();
                    subscription = s.subscription.clone();
                }
                Definition::TypeDefinition(t) => {
                    let info = TypeInfo::new(t);
                    types.insert(type_name(t).to_string(), info);
                }
                _ => {}
            }
        }
        // Interfaces and unions learn their members from the objects.
        let mut members: Vec<(String, String)> = Vec::new();
        for (name, info) in &types {
            match &info.definition {
                TypeDefinition::Object(o) => {
                    members.extend(o.implements_interfaces.iter().map(|i| (i.clone(), name.clone())));
                }
                TypeDefinition::Union(u) => members.extend(u.types.iter().map(|m| (name.clone(), m.clone()))),
                _ => {}
            }
        }
        for (abstract_name, object) in members {
            if let Some(info) = types.get_mut(&abstract_name) {
                info.possible_types.insert(object);
            }
        }
        let query = query.unwrap_or_else(|| "Query".to_string());
        let mutation = mutation.or_else(|| types.contains_key("Mutation").then(|| "Mutation".to_string()));
        let subscription =
            subscription.or_else(|| types.contains_key("Subscription").then(|| "Subscription".to_string()));
        Self { types, query, mutation, subscription }
    }

    pub fn get(&self, name: &str) -> Option<&TypeInfo> {
        self.types.get(name)
    }

    /// The type of `field` on the object or interface `parent`.
    pub fn field(&self, parent: &str, field: &str) -> Option<&schema::Field> {
        self.types.get(parent)?.fields.get(field)
    }

    /// Whether an object of type `object` matches a fragment on `condition`.
    pub fn matches(&self, condition: &str, object: &str) -> bool {
        condition == object || self.types.get(condition).is_some_and(|t| t.possible_types.contains(object))
    }

    pub fn is_composite(&self, name: &str) -> bool {
        self.types.get(name).is_some_and(|t| matches!(t.kind, Kind::Object | Kind::Interface | Kind::Union))
    }
}

impl TypeInfo {
    fn new(definition: &TypeDefinition) -> Self {
        let mut info = TypeInfo {
            kind: Kind::Scalar,
            definition: definition.clone(),
            fields: HashMap::new(),
            input_fields: HashMap::new(),
            enum_values: Arc::default(),
            possible_types: HashSet::new(),
        };
        match definition {
            TypeDefinition::Scalar(_) => {}
            TypeDefinition::Object(o) => {
                info.kind = Kind::Object;
                info.fields = o.fields.iter().map(|f| (f.name.clone(), f.clone())).collect();
                info.possible_types.insert(o.name.clone());
            }
            TypeDefinition::Interface(i) => {
                info.kind = Kind::Interface;
                info.fields = i.fields.iter().map(|f| (f.name.clone(), f.clone())).collect();
            }
            TypeDefinition::Union(_) => info.kind = Kind::Union,
            TypeDefinition::Enum(e) => {
                info.kind = Kind::Enum;
                info.enum_values = Arc::new(e.values.iter().map(|v| v.name.clone()).collect());
            }
            TypeDefinition::InputObject(i) => {
                info.kind = Kind::InputObject;
                info.input_fields = i.fields.iter().map(|f| (f.name.clone(), f.clone())).collect();
            }
        }
        info
    }
}

/// The name a type definition declares.
pub fn type_name(definition: &TypeDefinition) -> &str {
    match definition {
        TypeDefinition::Scalar(t) => &t.name,
        TypeDefinition::Object(t) => &t.name,
        TypeDefinition::Interface(t) => &t.name,
        TypeDefinition::Union(t) => &t.name,
        TypeDefinition::Enum(t) => &t.name,
        TypeDefinition::InputObject(t) => &t.name,
    }
}

/// The named type at the bottom of a wrapped type.
pub fn named(ty: &Type) -> &str {
    match ty {
        Type::NamedType(name) => name,
        Type::ListType(inner) | Type::NonNullType(inner) => named(inner),
    }
}
