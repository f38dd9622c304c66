//! The authorization marks of a supergraph: `@authenticated` and `@requiresScopes` (federation
//! v2.5) and Braid's `@ownedBy` (composed with `@composeDirective`).

use std::collections::{HashMap, HashSet};

use graphql_tools::static_graphql::query::{Definition, Document, Selection, SelectionSet, TypeCondition};
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

/// One `@ownedBy` mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedBy {
    /// The field holding the owning employee's id.
    pub field: String,
    /// The `Boolean` field that, when true, shows the object without the owner check.
    pub unless: Option<String>,
}

/// Every mark of one supergraph.
#[derive(Debug, Default)]
pub struct Policies {
    /// Requirements by (parent type, field), type-level marks folded in.
    pub fields: HashMap<(String, String), Requirement>,
    /// Owned types and their marks.
    pub owned_types: HashMap<String, OwnedBy>,
    /// Owned fields by parent type, then field (nested so the projector looks them up by
    /// `&str`, allocating nothing per field).
    pub owned_fields: HashMap<String, HashMap<String, OwnedBy>>,
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

fn owned_by(directives: &[Directive]) -> Option<OwnedBy> {
    let d = directives.iter().find(|d| d.name == "ownedBy")?;
    let argument = |name: &str| {
        d.arguments.iter().find(|(n, _)| n == name).and_then(|(_, v)| match v {
            Value::String(s) => Some(s.clone()),
            _ => None,
        })
    };
    Some(OwnedBy { field: argument("field")?, unless: argument("unless") })
}

/// The directives applied to a type definition.
pub(crate) fn type_directives(definition: &TypeDefinition) -> &[Directive] {
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
            if let Some(mark) = owned_by(type_directives(&info.definition))
                && info.kind == Kind::Object
            {
                policies.owned_types.insert(name.clone(), mark);
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
                if let Some(mark) = owned_by(&field.directives) {
                    policies.owned_fields.entry(name.clone()).or_default().insert(field_name.clone(), mark);
                }
            }
        }
        policies.agree_on_unless();
        policies
    }

    /// One type's objects fetch one `unless` value, and an object shown by it never has its
    /// owner looked up: so a type's `unless` counts only when all its marks name the same one.
    /// Otherwise none of them does, and every mark of the type checks the owner (denying, never
    /// wrongly allowing).
    fn agree_on_unless(&mut self) {
        let types: HashSet<String> = self.owned_types.keys().chain(self.owned_fields.keys()).cloned().collect();
        for name in types {
            let marks = self
                .owned_types
                .get(&name)
                .into_iter()
                .chain(self.owned_fields.get(&name).into_iter().flat_map(|f| f.values()));
            let unless: HashSet<Option<&String>> = marks.map(|m| m.unless.as_ref()).collect();
            if unless.len() <= 1 {
                continue;
            }
            tracing::warn!(r#type = %name, "@ownedBy marks of one type name different `unless` fields: ignoring them");
            let marks = self
                .owned_types
                .get_mut(&name)
                .into_iter()
                .chain(self.owned_fields.get_mut(&name).into_iter().flat_map(|f| f.values_mut()));
            for mark in marks {
                mark.unless = None;
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.owned_types.is_empty() && self.owned_fields.is_empty()
    }

    /// The mark whose fields objects of `object_type` fetch, if any mark needs them.
    pub fn owner_of(&self, object_type: &str) -> Option<&OwnedBy> {
        self.owned_types.get(object_type).or_else(|| self.owned_fields.get(object_type)?.values().next())
    }
}

/// The marked fields an operation selects anywhere, with the type they are selected on.
pub fn marked_fields(document: &Document, types: &TypeIndex, policies: &Policies) -> Vec<(String, String)> {
    let mut found = HashSet::new();
    collect(document, types, policies, &mut found);
    let mut found: Vec<(String, String)> = found.into_iter().collect();
    found.sort();
    found
}

fn collect(document: &Document, types: &TypeIndex, policies: &Policies, found: &mut HashSet<(String, String)>) {
    fn walk(
        set: &SelectionSet,
        parent: &str,
        types: &TypeIndex,
        policies: &Policies,
        found: &mut HashSet<(String, String)>,
    ) {
        for item in &set.items {
            match item {
                Selection::Field(f) => {
                    let key = (parent.to_string(), f.name.clone());
                    if policies.fields.contains_key(&key) {
                        found.insert(key);
                    }
                    if let Some(def) = types.field(parent, &f.name) {
                        walk(&f.selection_set, named(&def.field_type), types, policies, found);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let on = match &fragment.type_condition {
                        Some(TypeCondition::On(t)) => t.as_str(),
                        None => parent,
                    };
                    walk(&fragment.selection_set, on, types, policies, found);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    use graphql_tools::static_graphql::query::OperationDefinition as Op;
    for definition in &document.definitions {
        match definition {
            Definition::Operation(op) => {
                let (set, root) = match op {
                    Op::SelectionSet(s) => (s, types.query.as_str()),
                    Op::Query(q) => (&q.selection_set, types.query.as_str()),
                    Op::Mutation(m) => (&m.selection_set, types.mutation.as_deref().unwrap_or("")),
                    Op::Subscription(s) => (&s.selection_set, types.subscription.as_deref().unwrap_or("")),
                };
                walk(set, root, types, policies, found);
            }
            Definition::Fragment(fragment) => {
                let TypeCondition::On(on) = &fragment.type_condition;
                walk(&fragment.selection_set, on, types, policies, found);
            }
        }
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

    fn policies(sdl: &str) -> Policies {
        let document = graphql_tools::parser::parse_schema::<String>(sdl).unwrap().into_static();
        Policies::new(&TypeIndex::new(&document))
    }

    fn mark(field: &str, unless: Option<&str>) -> OwnedBy {
        OwnedBy { field: field.into(), unless: unless.map(str::to_string) }
    }

    #[test]
    fn owned_by_reads_unless_on_types_and_fields() {
        let p = policies(
            r#"type Query { a: A b: B }
            type A @ownedBy(field: "ownerId", unless: "shared") { ownerId: ID shared: Boolean }
            type B @ownedBy(field: "ownerId") { ownerId: ID shared: Boolean
              secret: String @ownedBy(field: "ownerId") }
            type C { ownerId: ID shared: Boolean secret: String @ownedBy(field: "ownerId", unless: "shared") }"#,
        );
        assert_eq!(p.owned_types["A"], mark("ownerId", Some("shared")));
        assert_eq!(p.owned_types["B"], mark("ownerId", None));
        assert_eq!(p.owned_fields["B"]["secret"], mark("ownerId", None));
        assert_eq!(p.owned_fields["C"]["secret"], mark("ownerId", Some("shared")));
        assert_eq!(p.owner_of("C"), Some(&mark("ownerId", Some("shared"))));
    }

    #[test]
    fn marks_of_one_type_that_disagree_on_unless_check_the_owner() {
        let p = policies(
            r#"type Query { a: A }
            type A @ownedBy(field: "ownerId", unless: "shared") { ownerId: ID shared: Boolean other: Boolean
              x: String @ownedBy(field: "ownerId")
              y: String @ownedBy(field: "ownerId", unless: "other") }"#,
        );
        assert_eq!(p.owned_types["A"], mark("ownerId", None));
        assert!(p.owned_fields["A"].values().all(|m| m.unless.is_none()));
    }
}
