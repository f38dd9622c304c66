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

// Reachable only with a token holding the scopes of one of the inner lists (federation
// v2.5), for the fields async-graphql cannot mark itself (subscription fields). Imported from
// the federation spec in the exported SDL, as `@authenticated` is.
#[async_graphql::TypeDirective(location = "FieldDefinition")]
pub fn requiresScopes(scopes: Vec<Vec<String>>) {}

/// The subgraph SDL for composition.
pub fn sdl<Q, M, S>(schema: &async_graphql::Schema<Q, M, S>) -> String
where
    Q: async_graphql::ObjectType + 'static,
    M: async_graphql::ObjectType + 'static,
    S: async_graphql::SubscriptionType + 'static,
{
    let mut sdl = schema.sdl_with_options(async_graphql::SDLExportOptions::new().federation().compose_directive());
    // The federation spec's own: their local definitions go (async-graphql imports
    // `@requiresScopes` already).
    let local = |sdl: &str, name: &str| {
        sdl.lines()
            .find(|l| l.starts_with(&format!("directive @{name}(")) || l.starts_with(&format!("directive @{name} ")))
            .map(str::to_string)
    };
    if let Some(definition) = local(&sdl, "requiresScopes") {
        sdl = sdl.replace(&format!("{definition}\n"), "");
    }
    if let Some(definition) = local(&sdl, "authenticated") {
        sdl = sdl.replace(&format!("{definition}\n"), "").replacen(
            "\"@requiresScopes\"]",
            "\"@requiresScopes\", \"@authenticated\"]",
            1,
        );
    }
    composed_links_in_order(&sdl)
}

/// The SDL with the `@link`s of composed directives sorted by URL: async-graphql writes them
/// in the order of a hash map, and the committed SDL must not change from run to run.
fn composed_links_in_order(sdl: &str) -> String {
    const LINK: &str = "\nextend schema @link(";
    let mut blocks: Vec<&str> = sdl.split(LINK).collect();
    if blocks.len() <= 3 {
        return sdl.to_string(); // the federation link and at most one other
    }
    // Before the first: the schema; the first link is federation's own; the rest are sorted.
    let tail = blocks.split_off(2);
    let mut tail: Vec<String> = tail.iter().map(|b| b.trim_end().to_string()).collect();
    tail.sort();
    let mut out = blocks.join(LINK);
    for block in tail {
        out.push_str(LINK);
        out.push_str(&block);
        out.push('\n');
    }
    out
}

/// A subscription field the gateway serves from the event backbone: each event on `topic`
/// (whose record key is the entity's id) is answered with the subscription's selection
/// resolved through the `Query` field `lookup(id:)`, as the subscriber. `argument` names the
/// field's argument (an id or a list of ids) the event's key must match; `owner` names the
/// event's data field that must equal the subscriber's token subject; `when` names a boolean
/// field of the event's data that must be true (an alert); `kind` keeps only the events whose
/// type begins with it (`documents.document.deleted`). Composed into the supergraph, so that
/// the binding travels with the schema.
#[async_graphql::TypeDirective(location = "FieldDefinition", composable = "https://braid.dev/events/v0.1")]
pub fn event(
    topic: String,
    lookup: String,
    argument: Option<String>,
    owner: Option<String>,
    when: Option<String>,
    kind: Option<String>,
) {
}

/// The stream of a subscription field that only the gateway serves (see [`event`]): asked
/// directly, the subgraph says so.
pub fn served_by_gateway<T: Send + 'static>() -> impl futures::Stream<Item = async_graphql::Result<T>> + Send + 'static
{
    futures::stream::once(async {
        Err(async_graphql::Error::new("this subscription is served by the gateway from the event backbone"))
    })
}

#[cfg(test)]
mod tests {
    use super::composed_links_in_order;

    #[test]
    fn composed_links_come_out_in_one_order_whatever_order_they_went_in() {
        let link =
            |url: &str| format!("\nextend schema @link(\n\turl: \"{url}\"\n)\n\t@composeDirective(name: \"@x\")\n");
        let head =
            "type Query { a: Int }\nextend schema @link(\n\turl: \"https://specs.apollo.dev/federation/v2.5\"\n)\n";
        let one = format!("{head}{}{}", link("https://b.dev"), link("https://a.dev"));
        let other = format!("{head}{}{}", link("https://a.dev"), link("https://b.dev"));
        let (one, other) = (composed_links_in_order(&one), composed_links_in_order(&other));
        assert_eq!(one, other);
        assert!(one.find("a.dev").unwrap() < one.find("b.dev").unwrap());
        assert!(one.starts_with(head), "federation's own link stays first");
        assert_eq!(composed_links_in_order(head), head);
    }
}
