//! The authorization marks of a supergraph: `@authenticated` and `@requiresScopes` (federation
//! v2.5) and Braid's `@ownedBy` (composed with `@composeDirective`).

use std::collections::{HashMap, HashSet};

use graphql_tools::static_graphql::schema::{Directive, TypeDefinition, Value};

use crate::types::{Kind, TypeIndex, named};

/// What a field needs from the viewer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirement {
    pub authenticated: bool,
    /// Any one of these sets, each wholly held (`[["a", "b"], ["c"]]`: a and b, or c).
    pub scopes: Option<Vec<Vec<String>>>,
}

/// What the request's token says about the viewer.
#[derive(Debug, Clone, Default)]
pub struct Claims {
    pub subject: Option<String>,
    pub scopes: HashSet<String>,
}

impl Requirement {
    fn merge(&mut self, other: &Requirement) {
        self.authenticated |= other.authenticated;
        if let Some(scopes) = &other.scopes {
            // Both must hold: every combination of one set from each.
            self.scopes = Some(match self.scopes.take() {
                None => scopes.clone(),
                Some(mine) => {
                    mine.iter().flat_map(|a| scopes.iter().map(move |b| a.iter().chain(b).cloned().collect())).collect()
                }
            });
        }
    }

    /// Does the viewer meet it? `Err(true)` when only a token is missing.
    pub fn check(&self, claims: &Claims) -> Result<(), bool> {
        let needs_token = self.authenticated || self.scopes.is_some();
        if needs_token && claims.subject.is_none() {
            return Err(true);
        }
        match &self.scopes {
            Some(any) if !any.iter().any(|all| all.iter().all(|s| claims.scopes.contains(s))) => Err(false),
            _ => Ok(()),
        }
    }
}

/// Every mark of one supergraph.
#[derive(Debug, Default)]
pub struct Policies {
    /// Requirements by (parent type, field), type-level marks folded in.
    pub fields: HashMap<(String, String), Requirement>,
    /// Owned types: the field holding the owning employee's id.
    pub owned_types: HashMap<String, String>,
    /// Owned fields by parent type, then field: the parent's field holding the owner's id
    /// (nested so the projector looks them up by `&str`, allocating nothing per field).
    pub owned_fields: HashMap<String, HashMap<String, String>>,
}

fn requirement(directives: &[Directive]) -> Requirement {
    let mut r = Requirement::default();
    for d in directives {
        match d.name.as_str() {
            "authenticated" => r.authenticated = true,
            "requiresScopes" => {
                let sets = d.arguments.iter().find(|(n, _)| n == "scopes").map(|(_, v)| v);
                if let Some(Value::List(sets)) = sets {
                    let parsed = sets
                        .iter()
                        .map(|set| match set {
                            Value::List(items) => items
                                .iter()
                                .filter_map(|s| match s {
                                    Value::String(s) => Some(s.clone()),
                                    _ => None,
                                })
                                .collect(),
                            Value::String(s) => vec![s.clone()],
                            _ => Vec::new(),
                        })
                        .collect();
                    r.merge(&Requirement { authenticated: false, scopes: Some(parsed) });
                }
            }
            _ => {}
        }
    }
    r
}

fn owner_field(directives: &[Directive]) -> Option<String> {
    directives.iter().find(|d| d.name == "ownedBy").and_then(|d| {
        d.arguments.iter().find(|(n, _)| n == "field").and_then(|(_, v)| match v {
            Value::String(s) => Some(s.clone()),
            _ => None,
        })
    })
}

fn type_directives(definition: &TypeDefinition) -> &[Directive] {
    match definition {
        TypeDefinition::Scalar(t) => &t.directives,
        TypeDefinition::Object(t) => &t.directives,
        TypeDefinition::Interface(t) => &t.directives,
        TypeDefinition::Union(t) => &t.directives,
        TypeDefinition::Enum(t) => &t.directives,
        TypeDefinition::InputObject(t) => &t.directives,
    }
}

impl Policies {
    /// Reads the marks of `types` (the whole supergraph).
    pub fn new(types: &TypeIndex) -> Self {
        let mut policies = Policies::default();
        let type_requirement: HashMap<&str, Requirement> = types
            .types
            .iter()
            .map(|(name, info)| (name.as_str(), requirement(type_directives(&info.definition))))
            .filter(|(_, r)| *r != Requirement::default())
            .collect();
        for (name, info) in &types.types {
            if name.starts_with("join__") || name.starts_with("link__") || name.starts_with("__") {
                continue;
            }
            if let Some(owner) = owner_field(type_directives(&info.definition))
                && info.kind == Kind::Object
            {
                policies.owned_types.insert(name.clone(), owner);
            }
            for (field_name, field) in &info.fields {
                let mut r = requirement(&field.directives);
                // A mark on a type covers its fields and every field returning it.
                for t in [name.as_str(), named(&field.field_type)] {
                    if let Some(tr) = type_requirement.get(t) {
                        r.merge(tr);
                    }
                }
                if r != Requirement::default() {
                    policies.fields.insert((name.clone(), field_name.clone()), r);
                }
                if let Some(owner) = owner_field(&field.directives) {
                    policies.owned_fields.entry(name.clone()).or_default().insert(field_name.clone(), owner);
                }
            }
        }
        policies
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.owned_types.is_empty() && self.owned_fields.is_empty()
    }

    /// The owner field to fetch on objects of `object_type`, if any mark needs one.
    pub fn owner_of(&self, object_type: &str) -> Option<&str> {
        self.owned_types
            .get(object_type)
            .map(String::as_str)
            .or_else(|| self.owned_fields.get(object_type)?.values().next().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(subject: bool, scopes: &[&str]) -> Claims {
        Claims { subject: subject.then(|| "1".into()), scopes: scopes.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn scope_sets_are_any_of_all_of() {
        let r =
            Requirement { authenticated: false, scopes: Some(vec![vec!["a".into(), "b".into()], vec!["c".into()]]) };
        assert_eq!(r.check(&claims(false, &["a", "b"])), Err(true));
        assert_eq!(r.check(&claims(true, &["a"])), Err(false));
        assert_eq!(r.check(&claims(true, &["a", "b"])), Ok(()));
        assert_eq!(r.check(&claims(true, &["c"])), Ok(()));
        let mut both = r.clone();
        both.merge(&Requirement { authenticated: true, scopes: Some(vec![vec!["d".into()]]) });
        assert_eq!(both.check(&claims(true, &["c"])), Err(false));
        assert_eq!(both.check(&claims(true, &["c", "d"])), Ok(()));
        let auth = Requirement { authenticated: true, scopes: None };
        assert_eq!(auth.check(&claims(false, &[])), Err(true));
        assert_eq!(auth.check(&claims(true, &[])), Ok(()));
    }
}
