//! The GraphQL schema of the orders subgraph (Apollo Federation v2).
//!
//! `query`, `mutation` and `subscription` hold the root types; `types` the objects they
//! return.

use async_graphql::{Context, Result, Schema};
use braid_kit::auth::viewer;
use braid_kit::error::ClientError;

use crate::cart::Carts;
use crate::place::Placing;
use crate::read::Reader;
use crate::saga::Orchestrator;

mod mutation;
mod query;
mod subscription;
mod types;

pub use mutation::Mutation;
pub use query::Query;
pub use subscription::Subscription;
pub use types::{
    Address, Cart, CartLine, Employee, Money, Order, OrderConnection, OrderLine, Product, Shipment, ShipmentStatus,
};

pub type OrdersSchema = Schema<Query, Mutation, Subscription>;

/// Largest page of an order connection.
pub const MAX_PAGE: i32 = 100;
/// The scope that reads every buyer's orders.
pub const READ_ALL: &str = "orders:read_all";

/// Everything the resolvers need.
pub struct Parts {
    pub carts: Carts,
    pub placing: Placing,
    pub reader: Reader,
    pub orchestrator: Orchestrator,
}

/// Builds the schema; `parts` may be absent when only exporting the SDL.
pub fn build(parts: Option<Parts>) -> OrdersSchema {
    let mut builder = braid_kit::telemetry::traced(Schema::build(Query, Mutation, Subscription))
        .enable_federation()
        .enable_subscription_in_federation()
        .limit_depth(16)
        .limit_complexity(5_000);
    if let Some(p) = parts {
        builder = builder.data(p.carts).data(p.placing).data(p.reader).data(p.orchestrator);
    }
    builder.finish()
}

/// The SDL as `schema/orders.graphql` holds it.
pub fn sdl() -> String {
    braid_kit::federation::sdl(&build(None))
}

fn me<'a>(ctx: &'a Context<'_>) -> Result<&'a str> {
    Ok(viewer(ctx)?.subject.as_str())
}

fn reads_all(ctx: &Context<'_>) -> bool {
    viewer(ctx).is_ok_and(|v| v.has_scope(READ_ALL))
}

fn not_found(id: &str) -> ClientError {
    ClientError::not_found(format!("no order with id {id:?}"))
}
