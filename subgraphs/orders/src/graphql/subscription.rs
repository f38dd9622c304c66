//! The subscription root: live orders, served by the gateway.

use async_graphql::{ID, Result};
use braid_kit::auth::Authenticated;
use braid_kit::federation::{authenticated, event, served_by_gateway};

use super::Order;

/// Live orders, served by the gateway from the `orders.order` events (see
/// `braid_kit::federation::event`): each change of an order reaches its subscribers as the
/// order, with whatever fields they selected, read as they are allowed to.
pub struct Subscription;

#[async_graphql::Subscription]
impl Subscription {
    /// One order, each time its status or timeline changes (the viewer's own, or any with
    /// `orders:read_all`).
    #[graphql(
        guard = "Authenticated",
        directive = authenticated::apply(),
        directive = event::apply("orders.order".into(), "order".into(), Some("id".into()), None, None, None)
    )]
    async fn order_updated(&self, id: ID) -> impl futures::Stream<Item = Result<Order>> {
        let _ = id;
        served_by_gateway()
    }

    /// Every order of the viewer, each time one is placed or changes.
    #[graphql(
        guard = "Authenticated",
        directive = authenticated::apply(),
        directive = event::apply("orders.order".into(), "order".into(), None, Some("buyerId".into()), None, None)
    )]
    async fn my_orders(&self) -> impl futures::Stream<Item = Result<Order>> {
        served_by_gateway()
    }
}
