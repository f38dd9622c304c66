//! The operation as it is planned, which may differ from what the client wrote: fields the
//! viewer may not have are taken out (so no subgraph is asked for them), and every owned
//! object also fetches its owner's id under the alias [`OWNER_KEY`], for the per-object check,
//! and its mark's `unless` field under [`SHARED_KEY`]. The client's response shape is compiled
//! from the original, so neither change shows.

use std::collections::HashSet;

use graphql_tools::static_graphql::query::{
    Definition, Document, Field, InlineFragment, Selection, SelectionSet, TypeCondition,
};

use crate::policy::{OwnedBy, Policies};
use crate::types::{Kind, TypeIndex, named};

/// The response key owner ids are fetched under.
pub const OWNER_KEY: &str = "_braidOwner";
/// The response key an `@ownedBy(unless:)` field is fetched under: `true` shows the object
/// without the owner check.
pub const SHARED_KEY: &str = "_braidShared";

/// Fields of `document` whose response key is one the gateway adds: a client's own value
/// under it would be read as the owner or as shared, so such operations are refused.
pub fn reserved_keys(document: &Document) -> Vec<&Field> {
    fn walk<'d>(set: &'d SelectionSet, found: &mut Vec<&'d Field>) {
        for item in &set.items {
            match item {
                Selection::Field(f) => {
                    let key = f.alias.as_deref().unwrap_or(&f.name);
                    if key == OWNER_KEY || key == SHARED_KEY {
                        found.push(f);
                    }
                    walk(&f.selection_set, found);
                }
                Selection::InlineFragment(fragment) => walk(&fragment.selection_set, found),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    use graphql_tools::static_graphql::query::OperationDefinition as Op;
    let mut found = Vec::new();
    for definition in &document.definitions {
        let set = match definition {
            Definition::Operation(Op::SelectionSet(s)) => s,
            Definition::Operation(Op::Query(q)) => &q.selection_set,
            Definition::Operation(Op::Mutation(m)) => &m.selection_set,
            Definition::Operation(Op::Subscription(s)) => &s.selection_set,
            Definition::Fragment(fragment) => &fragment.selection_set,
        };
        walk(set, &mut found);
    }
    found
}

/// The fields an owned object fetches for its check.
fn mark_fields(mark: &OwnedBy) -> impl Iterator<Item = Selection> + '_ {
    std::iter::once(leaf(Some(OWNER_KEY), &mark.field))
        .chain(mark.unless.as_deref().map(|unless| leaf(Some(SHARED_KEY), unless)))
}

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
                if let Some(mark) = self.policies.owner_of(parent) {
                    self.injected.set(true);
                    set.items.extend(mark_fields(mark));
                }
            }
            Kind::Interface | Kind::Union => {
                let mut possible: Vec<&String> = info.possible_types.iter().collect();
                possible.sort();
                for object in possible {
                    if let Some(mark) = self.policies.owner_of(object) {
                        self.injected.set(true);
                        set.items.push(Selection::InlineFragment(InlineFragment {
                            position: Default::default(),
                            type_condition: Some(TypeCondition::On(object.clone())),
                            directives: Vec::new(),
                            selection_set: SelectionSet {
                                span: Default::default(),
                                items: mark_fields(mark).collect(),
                            },
                        }));
                    }
                }
            }
            _ => {}
        }
    }
}

/// `document` with `denied` (parent type, field) pairs removed and owner ids (and `unless`
/// values) added, and whether any owner id was added (else no response of it holds an owned
/// object).
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

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"type Query { memos: [Memo] notes: [Note] anything: [Item] }
        type Memo @ownedBy(field: "ownerId", unless: "shared") { id: ID ownerId: ID shared: Boolean }
        type Note @ownedBy(field: "ownerId") { id: ID ownerId: ID }
        union Item = Memo | Note"#;

    fn rewritten(query: &str) -> String {
        let schema = graphql_tools::parser::parse_schema::<String>(SDL).unwrap().into_static();
        let types = TypeIndex::new(&schema);
        let policies = Policies::new(&types);
        let document = graphql_tools::parser::parse_query::<String>(query).unwrap().into_static();
        let (document, injected) = rewrite(&document, &types, &policies, &HashSet::new());
        assert!(injected);
        document.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn the_unless_field_is_fetched_beside_the_owner() {
        assert_eq!(
            rewritten("{ memos { id } notes { id } }"),
            "{ memos { id _braidOwner: ownerId _braidShared: shared } notes { id _braidOwner: ownerId } }"
        );
        assert_eq!(
            rewritten("{ anything { __typename } }"),
            "{ anything { __typename ... on Memo { _braidOwner: ownerId _braidShared: shared } \
             ... on Note { _braidOwner: ownerId } } }"
        );
    }

    #[test]
    fn the_private_keys_are_found_anywhere() {
        let document = graphql_tools::parser::parse_query::<String>(
            "{ memos { _braidShared: shared ... on Memo { id } } } fragment F on Note { _braidOwner: id _braidOwner2: id }",
        )
        .unwrap()
        .into_static();
        let found: Vec<&str> = reserved_keys(&document).iter().map(|f| f.name.as_str()).collect();
        assert_eq!(found, ["shared", "id"]);
    }
}
