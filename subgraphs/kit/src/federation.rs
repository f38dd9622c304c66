//! Federation v2 SDL export with the directives async-graphql does not know by itself.
//!
//! `@authenticated` (federation v2.5) is declared here as a type directive so resolvers can be
//! marked with it; the exported SDL then imports it from the federation spec instead of
//! defining it, as composition expects.
#![allow(non_snake_case)] // directive names are camelCase in GraphQL

// Reachable only with a verified token (the gateway refuses anonymous requests for it). A
// plain comment: a doc comment would become a description the export leaves behind.
#[async_graphql::TypeDirective(location = "Object", location = "FieldDefinition")]
pub fn authenticated() {}

/// The subgraph SDL for composition.
pub fn sdl<Q, M, S>(schema: &async_graphql::Schema<Q, M, S>) -> String
where
    Q: async_graphql::ObjectType + 'static,
    M: async_graphql::ObjectType + 'static,
    S: async_graphql::SubscriptionType + 'static,
{
    let sdl = schema.sdl_with_options(async_graphql::SDLExportOptions::new().federation().compose_directive());
    let definition = sdl.lines().find(|l| l.starts_with("directive @authenticated ")).map(str::to_string);
    match definition {
        None => sdl,
        Some(definition) => sdl.replace(&format!("{definition}\n"), "").replacen(
            "\"@requiresScopes\"]",
            "\"@requiresScopes\", \"@authenticated\"]",
            1,
        ),
    }
}
