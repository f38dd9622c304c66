//! The query root: the viewer's cart and orders, and the order entity.

use async_graphql::{Context, ID, Object, Result};
use braid_kit::auth::{Authenticated, RequireScope, viewer};
use braid_kit::connection;
use braid_kit::federation::authenticated;

use super::{Cart, MAX_PAGE, Order, OrderConnection, READ_ALL, me, not_found, reads_all};
use crate::cart::Carts;
use crate::read::{Filter, Reader};
use crate::view::OrderStatus;

async fn page(ctx: &Context<'_>, filter: Filter, first: i32, after: Option<String>) -> Result<OrderConnection> {
    let first = connection::page_size(first, MAX_PAGE)?;
    Ok(ctx.data_unchecked::<Reader>().page(&filter, first, after.as_deref()).await?.into())
}

pub struct Query;

#[Object]
impl Query {
    /// The viewer's cart.
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn cart(&self, ctx: &Context<'_>) -> Result<Cart> {
        Ok(Cart(ctx.data_unchecked::<Carts>().lines(me(ctx)?).await?))
    }

    /// One of the viewer's orders (any order with the scope `orders:read_all`).
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn order(&self, ctx: &Context<'_>, id: ID) -> Result<Order> {
        let found = ctx.data_unchecked::<Reader>().order(me(ctx)?, &id, reads_all(ctx)).await?;
        Ok(Order(found.ok_or_else(|| not_found(&id))?))
    }

    /// The viewer's orders, newest first.
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn my_orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
        status: Option<OrderStatus>,
    ) -> Result<OrderConnection> {
        page(ctx, Filter { buyer: Some(me(ctx)?.to_string()), status }, first, after).await
    }

    /// Every buyer's orders, newest first (scope `orders:read_all`).
    #[graphql(guard = "RequireScope(READ_ALL)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
        status: Option<OrderStatus>,
        buyer_id: Option<ID>,
    ) -> Result<OrderConnection> {
        page(ctx, Filter { buyer: buyer_id.map(|b| b.0), status }, first, after).await
    }

    /// An order for the gateway: only its buyer (or `orders:read_all`) gets it.
    #[graphql(entity)]
    async fn find_order_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Order>> {
        let Ok(viewer) = viewer(ctx) else { return Ok(None) };
        let found = ctx.data_unchecked::<Reader>().order(&viewer.subject, &id, reads_all(ctx)).await?;
        Ok(found.map(Order))
    }
}
