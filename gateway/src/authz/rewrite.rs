//! The operation as it is planned, which may differ from what the client wrote: fields the
//! viewer may not have are taken out (so no subgraph is asked for them), and every owned
//! object also fetches its owner's id under the alias [`OWNER_KEY`], for the per-object check.
//! The client's response shape is compiled from the original, so neither change shows.

use std::collections::HashSet;

use graphql_tools::static_graphql::query::{
    Definition, Document, Field, InlineFragment, Selection, SelectionSet, TypeCondition,
};

use super::policy::Policies;
use crate::types::{Kind, TypeIndex, named};

/// The response key owner ids are fetched under.
pub const OWNER_KEY: &str = "_braidOwner";

fn leaf(alias: Option<&str>, name: &str) -> Selection {
    Selection::Field(Field {
        position: Default::default(),
        alias: alias.map(str::to_string),
        name: name.to_string(),
        arguments: Vec::new(),
        directives: Vec::new(),
        selection_set: SelectionSet { span: Default::default(), items: Vec::new() },
    })
}

struct Rewriter<'a> {
    types: &'a TypeIndex,
    policies: &'a Policies,
    denied: &'a HashSet<(String, String)>,
    /// Whether any owner id was added.
    injected: std::cell::Cell<bool>,
}

impl Rewriter<'_> {
    fn selection_set(&self, set: &mut SelectionSet, parent: &str) {
        set.items.retain(|item| match item {
            Selection::Field(f) => !self.denied.contains(&(parent.to_string(), f.name.clone())),
            _ => true,
        });
        for item in &mut set.items {
            match item {
                Selection::Field(f) if !f.name.starts_with("__") => {
                    if let Some(def) = self.types.field(parent, &f.name) {
                        let child = named(&def.field_type).to_string();
                        if self.types.is_composite(&child) {
                            self.selection_set(&mut f.selection_set, &child);
                        }
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let on = match &fragment.type_condition {
                        Some(TypeCondition::On(t)) => t.clone(),
                        None => parent.to_string(),
                    };
                    self.selection_set(&mut fragment.selection_set, &on);
                }
                _ => {}
            }
        }
        self.inject(set, parent);
        if set.items.is_empty() {
            // Everything asked here was taken out; a selection set cannot be empty.
            set.items.push(leaf(None, "__typename"));
        }
    }

    fn inject(&self, set: &mut SelectionSet, parent: &str) {
        let Some(info) = self.types.get(parent) else { return };
        match info.kind {
            Kind::Object => {
                if let Some(owner) = self.policies.owner_of(parent) {
                    self.injected.set(true);
                    set.items.push(leaf(Some(OWNER_KEY), owner));
                }
            }
            Kind::Interface | Kind::Union => {
                let mut possible: Vec<&String> = info.possible_types.iter().collect();
                possible.sort();
                for object in possible {
                    if let Some(owner) = self.policies.owner_of(object) {
                        self.injected.set(true);
                        set.items.push(Selection::InlineFragment(InlineFragment {
                            position: Default::default(),
                            type_condition: Some(TypeCondition::On(object.clone())),
                            directives: Vec::new(),
                            selection_set: SelectionSet {
                                span: Default::default(),
                                items: vec![leaf(Some(OWNER_KEY), owner)],
                            },
                        }));
                    }
                }
            }
            _ => {}
        }
    }
}

/// `document` with `denied` (parent type, field) pairs removed and owner ids added, and
/// whether any owner id was added (else no response of it holds an owned object).
pub fn rewrite(
    document: &Document,
    types: &TypeIndex,
    policies: &Policies,
    denied: &HashSet<(String, String)>,
) -> (Document, bool) {
    let mut document = document.clone();
    let rewriter = Rewriter { types, policies, denied, injected: Default::default() };
    let roots = [
        types.query.clone(),
        types.mutation.clone().unwrap_or_default(),
        types.subscription.clone().unwrap_or_default(),
    ];
    for definition in &mut document.definitions {
        match definition {
            Definition::Operation(op) => {
                use graphql_tools::static_graphql::query::OperationDefinition as Op;
                let (set, root) = match op {
                    Op::SelectionSet(s) => (s, &roots[0]),
                    Op::Query(q) => (&mut q.selection_set, &roots[0]),
                    Op::Mutation(m) => (&mut m.selection_set, &roots[1]),
                    Op::Subscription(s) => (&mut s.selection_set, &roots[2]),
                };
                rewriter.selection_set(set, root);
            }
            Definition::Fragment(fragment) => {
                let TypeCondition::On(on) = &fragment.type_condition;
                let on = on.clone();
                rewriter.selection_set(&mut fragment.selection_set, &on);
            }
        }
    }
    (document, rewriter.injected.get())
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
