//! The mutation root: the cart, placing orders and cancelling them.

use async_graphql::{Context, ID, Object, Result};
use braid_kit::auth::Authenticated;
use braid_kit::error::{ClientError, Code};
use braid_kit::federation::authenticated;

use super::{Cart, Order, me, not_found, reads_all};
use crate::cart::Carts;
use crate::place::{PlaceOrderInput, Placing};
use crate::read::Reader;
use crate::saga::machine::Input;
use crate::saga::{ApplyError, Orchestrator};

async fn cart_of(ctx: &Context<'_>) -> Result<Cart> {
    Ok(Cart(ctx.data_unchecked::<Carts>().lines(me(ctx)?).await?))
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Adds units of a product in stock to the viewer's cart.
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn add_to_cart(&self, ctx: &Context<'_>, product_id: ID, quantity: i64) -> Result<Cart> {
        ctx.data_unchecked::<Carts>().add(me(ctx)?, &product_id, quantity).await?;
        cart_of(ctx).await
    }

    /// Sets how many units of a product in the cart to buy.
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn set_cart_quantity(&self, ctx: &Context<'_>, product_id: ID, quantity: i64) -> Result<Cart> {
        ctx.data_unchecked::<Carts>().set(me(ctx)?, &product_id, quantity).await?;
        cart_of(ctx).await
    }

    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn remove_from_cart(&self, ctx: &Context<'_>, product_id: ID) -> Result<Cart> {
        ctx.data_unchecked::<Carts>().remove(me(ctx)?, &product_id).await?;
        cart_of(ctx).await
    }

    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn clear_cart(&self, ctx: &Context<'_>) -> Result<Cart> {
        ctx.data_unchecked::<Carts>().clear(me(ctx)?).await?;
        cart_of(ctx).await
    }

    /// Turns the cart into an order and starts its saga.
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn place_order(&self, ctx: &Context<'_>, input: PlaceOrderInput) -> Result<Order> {
        Ok(Order(ctx.data_unchecked::<Placing>().place(me(ctx)?, &input).await?))
    }

    /// Cancels an order whose shipment has not been requested; its stock comes back and its
    /// payment is refunded (the status reads CANCELLED once they are done).
    #[graphql(guard = "Authenticated", directive = authenticated::apply())]
    async fn cancel_order(&self, ctx: &Context<'_>, id: ID) -> Result<Order> {
        let user = me(ctx)?;
        let reader = ctx.data_unchecked::<Reader>();
        reader.order(user, &id, reads_all(ctx)).await?.ok_or_else(|| not_found(&id))?;
        let orchestrator = ctx.data_unchecked::<Orchestrator>();
        for _ in 0..5 {
            let txn = braid_kit::db::begin_write(&orchestrator.db).await.map_err(ClientError::from)?;
            match orchestrator.apply(&txn, &id, Input::Cancel, Vec::new(), None).await {
                Ok(Some(view)) => {
                    txn.commit().await.map_err(ClientError::from)?;
                    orchestrator.outbox.committed();
                    return Ok(Order(view));
                }
                Ok(None) => return Err(not_found(&id).into()),
                Err(ApplyError::Refused(refused)) => {
                    return Err(ClientError::new(Code::OrderNotCancellable, refused.to_string()).into());
                }
                Err(ApplyError::Conflict) => txn.rollback().await.map_err(ClientError::from)?,
                Err(e) => return Err(ClientError::internal(&e).into()),
            }
        }
        Err(ClientError::new(Code::Conflict, "the order is changing; try again").into())
    }
}
