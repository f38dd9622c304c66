//! `@defer` (incremental delivery). The directive is declared in the public schema and
//! validated like any other. A client that asks for incremental delivery (multipart with
//! `deferSpec=20220824` or `incrementalSpec=v0.2`) gets the operation without its deferred
//! fragments first and each fragment's data as it is ready ([`split`], [`deliver`]); any other
//! client one complete response with the deferred data in place, which the proposal allows.
//! Either way the fragments are inlined before planning, so no subgraph sees the directive.

pub mod deliver;
mod incremental;
pub mod split;

use graphql_tools::static_graphql::query::{Definition, Document, Selection, SelectionSet};
use graphql_tools::static_graphql::schema;

/// The directive as the incremental delivery proposal defines it, for validation and
/// introspection.
const DEFER: &str = "directive @defer(label: String, if: Boolean! = true) on FRAGMENT_SPREAD | INLINE_FRAGMENT";

/// Adds `@defer` to the public schema unless the supergraph defines it.
pub fn declare(public: &mut schema::Document) {
    let defined =
        public.definitions.iter().any(|d| matches!(d, schema::Definition::DirectiveDefinition(d) if d.name == "defer"));
    if defined {
        return;
    }
    if let Ok(parsed) = graphql_tools::parser::parse_schema::<String>(DEFER) {
        public.definitions.extend(parsed.into_static().definitions);
    }
}

/// `document` without `@defer`: every deferred fragment answered with the rest.
pub fn inline(mut document: Document) -> Document {
    for definition in &mut document.definitions {
        match definition {
            Definition::Operation(operation) => strip(crate::limits::selection_set_mut(operation)),
            Definition::Fragment(fragment) => strip(&mut fragment.selection_set),
        }
    }
    document
}

fn strip(set: &mut SelectionSet) {
    for item in &mut set.items {
        match item {
            Selection::Field(field) => strip(&mut field.selection_set),
            Selection::InlineFragment(fragment) => {
                fragment.directives.retain(|d| d.name != "defer");
                strip(&mut fragment.selection_set);
            }
            Selection::FragmentSpread(spread) => spread.directives.retain(|d| d.name != "defer"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deferred_fragments_are_inlined_and_other_directives_kept() {
        let text = r#"query Q($d: Boolean!) { a { ... @defer(label: "x") { b } ...F @defer(if: $d) ... on A @include(if: $d) @defer { c } } }
            fragment F on A { d { ... @defer { e } } }"#;
        let document = graphql_tools::parser::parse_query::<String>(text).unwrap().into_static();
        let printed = inline(document).to_string();
        assert!(!printed.contains("defer"), "{printed}");
        assert!(printed.contains("... on A @include(if: $d)"), "{printed}");
    }

    #[test]
    fn the_directive_is_declared_once() {
        let mut public = graphql_tools::parser::parse_schema::<String>("type Query { a: Int }").unwrap().into_static();
        declare(&mut public);
        declare(&mut public);
        assert_eq!(public.to_string().matches("directive @defer").count(), 1);
    }
}
