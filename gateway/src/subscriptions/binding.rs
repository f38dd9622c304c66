//! Which subscription fields are fed by events: the `@event` marks of the supergraph (declared
//! by the subgraph that owns the events, composed with `@composeDirective`).

use std::collections::HashMap;

use graphql_tools::static_graphql::schema::{Directive, Value};

use crate::types::TypeIndex;

/// One subscription field bound to a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The topic without the deployment's prefix (`orders.order`).
    pub topic: String,
    /// The `Query` field that takes the entity's key as `id`.
    pub lookup: String,
    /// The field's argument (an id or a list of ids) the event's key must match.
    pub argument: Option<String>,
    /// The event's data field that must equal the subscriber's token subject.
    pub owner: Option<String>,
    /// The event's boolean data field that must be true.
    pub when: Option<String>,
    /// What the event's type must begin with (`documents.document.deleted`).
    pub kind: Option<String>,
}

/// The bound fields of the subscription type, by field name. `all` is the whole supergraph
/// (directives included); `public` the consumer schema, where the lookup must exist.
pub fn bindings(all: &TypeIndex, public: &TypeIndex) -> HashMap<String, Binding> {
    let Some(subscription) = all.subscription.as_ref().and_then(|name| all.types.get(name)) else {
        return HashMap::new();
    };
    let lookups = public.types.get(&public.query).map(|q| &q.fields);
    let mut found = HashMap::new();
    for (name, field) in &subscription.fields {
        let Some(binding) = field.directives.iter().find_map(binding) else { continue };
        let lookup_takes_id = lookups
            .and_then(|fields| fields.get(&binding.lookup))
            .is_some_and(|lookup| lookup.arguments.iter().any(|a| a.name == "id"));
        if !lookup_takes_id {
            tracing::warn!(field = %name, lookup = %binding.lookup, "@event names a lookup that is not a Query field taking `id`: the field is not served");
            continue;
        }
        found.insert(name.clone(), binding);
    }
    found
}

fn binding(directive: &Directive) -> Option<Binding> {
    if directive.name != "event" {
        return None;
    }
    let argument = |name: &str| {
        directive.arguments.iter().find(|(n, _)| n == name).and_then(|(_, v)| match v {
            Value::String(s) => Some(s.clone()),
            _ => None,
        })
    };
    Some(Binding {
        topic: argument("topic")?,
        lookup: argument("lookup")?,
        argument: argument("argument"),
        owner: argument("owner"),
        when: argument("when"),
        kind: argument("kind"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supergraph::Supergraph;

    #[test]
    fn the_composed_supergraph_binds_the_order_subscriptions() {
        let sdl = include_str!("../../../schema/supergraph.graphql");
        let supergraph = Supergraph::parse(sdl).unwrap();
        let order_updated = Binding {
            topic: "orders.order".into(),
            lookup: "order".into(),
            argument: Some("id".into()),
            owner: None,
            when: None,
            kind: None,
        };
        assert_eq!(supergraph.events.get("orderUpdated"), Some(&order_updated));
        assert_eq!(supergraph.events["myOrders"].owner.as_deref(), Some("buyerId"));
        assert_eq!(supergraph.events["lowStock"].when.as_deref(), Some("lowStock"));
    }
}
