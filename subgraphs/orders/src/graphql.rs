//! The GraphQL schema of the orders subgraph (Apollo Federation v2).

use async_graphql::{Context, Enum, ID, Object, Result, Schema, SimpleObject};
use braid_kit::auth::{Authenticated, RequireScope, viewer};
use braid_kit::connection::{self, PageInfo};
use braid_kit::error::{ClientError, codes};
use braid_kit::federation::{authenticated, event, served_by_gateway};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::cart::Carts;
use crate::entity::cart_line;
use crate::place::{PlaceOrderInput, Placing};
use crate::read::{Filter, Page, Position, Reader};
use crate::saga::machine::Input;
use crate::saga::{ApplyError, Orchestrator};
use crate::view::{OrderStatus, OrderView, TimelineEntry};

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
    let mut builder = Schema::build(Query, Mutation, Subscription)
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

fn me<'a>(ctx: &'a Context<'_>) -> Result<&'a str> {
    Ok(viewer(ctx)?.subject.as_str())
}

fn reads_all(ctx: &Context<'_>) -> bool {
    viewer(ctx).is_ok_and(|v| v.has_scope(READ_ALL))
}

/// An amount of money.
#[derive(SimpleObject)]
#[graphql(shareable)]
pub struct Money {
    /// Decimal amount, for example "12.99".
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
}

fn money(minor: i64, currency: &str) -> Money {
    Money { amount: Decimal::new(minor, 2), currency: currency.to_string() }
}

/// A product (owned by the catalog subgraph).
pub struct Product(String);

#[Object(unresolvable = "id")]
impl Product {
    async fn id(&self) -> ID {
        ID(self.0.clone())
    }
}

/// An employee (owned by the permissions subgraph).
pub struct Employee(String);

#[Object(unresolvable = "id")]
impl Employee {
    async fn id(&self) -> ID {
        ID(self.0.clone())
    }
}

/// The viewer's cart.
pub struct Cart(Vec<cart_line::Model>);

#[Object]
impl Cart {
    /// Oldest first; names, prices and stock come from the product.
    async fn lines(&self) -> Vec<CartLine> {
        self.0.iter().map(|l| CartLine(l.clone())).collect()
    }
    /// Units over all lines.
    async fn item_count(&self) -> i64 {
        self.0.iter().map(|l| l.quantity).sum()
    }
}

pub struct CartLine(cart_line::Model);

#[Object]
impl CartLine {
    async fn product(&self) -> Product {
        Product(self.0.product_id.clone())
    }
    async fn quantity(&self) -> i64 {
        self.0.quantity
    }
    async fn added_at(&self) -> DateTime<Utc> {
        self.0.added_at
    }
}

/// Where an order is shipped.
#[derive(SimpleObject)]
pub struct Address {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    pub country: String,
}

/// A line of an order, priced when the order was placed.
pub struct OrderLine(crate::history::OrderLine);

#[Object]
impl OrderLine {
    async fn product(&self) -> Product {
        Product(self.0.product_id.clone())
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    /// The product's name when the order was placed.
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn quantity(&self) -> i64 {
        self.0.quantity
    }
    async fn unit_price(&self) -> Money {
        money(self.0.unit_price_minor, &self.0.currency)
    }
    async fn total(&self) -> Money {
        money(self.0.unit_price_minor.saturating_mul(self.0.quantity), &self.0.currency)
    }
}

/// Where a shipment is.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShipmentStatus {
    LabelCreated,
    InTransit,
    OutForDelivery,
    Delivered,
}

/// An order's shipment.
pub struct Shipment(crate::view::ShipmentView);

#[Object]
impl Shipment {
    async fn carrier(&self) -> &str {
        &self.0.carrier
    }
    async fn tracking(&self) -> &str {
        &self.0.tracking
    }
    async fn status(&self) -> ShipmentStatus {
        match self.0.status.as_str() {
            "IN_TRANSIT" => ShipmentStatus::InTransit,
            "OUT_FOR_DELIVERY" => ShipmentStatus::OutForDelivery,
            "DELIVERED" => ShipmentStatus::Delivered,
            _ => ShipmentStatus::LabelCreated,
        }
    }
}

/// An order and where its saga stands.
pub struct Order(pub OrderView);

#[Object]
impl Order {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// Human-readable number, for example "BR-000042".
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn status(&self) -> OrderStatus {
        self.0.status
    }
    async fn lines(&self) -> Vec<OrderLine> {
        self.0.lines.iter().map(|l| OrderLine(l.clone())).collect()
    }
    async fn item_count(&self) -> i64 {
        self.0.lines.iter().map(|l| l.quantity).sum()
    }
    async fn total(&self) -> Money {
        money(self.0.total_minor, &self.0.currency)
    }
    async fn shipping_address(&self) -> Address {
        let a = &self.0.address;
        Address {
            name: a.name.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
        }
    }
    /// Why the order failed, once it has.
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }
    /// Every step of the order's life, in order.
    async fn timeline(&self) -> &[TimelineEntry] {
        &self.0.timeline
    }
    async fn shipment(&self) -> Option<Shipment> {
        self.0.shipment.clone().map(Shipment)
    }
    async fn buyer(&self) -> Employee {
        Employee(self.0.buyer_id.clone())
    }
    /// Whether `cancelOrder` would be accepted now (until the shipment is requested).
    async fn can_cancel(&self) -> bool {
        cancellable(&self.0)
    }
    async fn placed_at(&self) -> DateTime<Utc> {
        self.0.placed_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Mirrors the saga's rule from the order's own history.
fn cancellable(order: &OrderView) -> bool {
    !order.status.is_terminal()
        && !order.timeline.iter().any(|e| e.step == "shipment.create" || e.step == "order.cancel")
}

#[derive(SimpleObject)]
pub struct OrderEdge {
    pub cursor: String,
    pub node: Order,
}

/// A page of orders (Relay connection), newest first.
#[derive(SimpleObject)]
pub struct OrderConnection {
    pub edges: Vec<OrderEdge>,
    pub page_info: PageInfo,
    /// Orders matching the filter, over all pages.
    pub total_count: u64,
}

impl From<Page> for OrderConnection {
    fn from(page: Page) -> Self {
        let edges: Vec<OrderEdge> = page
            .orders
            .into_iter()
            .map(|o| OrderEdge { cursor: connection::encode(&Position::of(&o)), node: Order(o) })
            .collect();
        let page_info = PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: edges.first().map(|e| e.cursor.clone()),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        };
        Self { edges, page_info, total_count: page.total_count }
    }
}

async fn page(ctx: &Context<'_>, filter: Filter, first: i32, after: Option<String>) -> Result<OrderConnection> {
    let first = connection::page_size(first, MAX_PAGE)?;
    Ok(ctx.data_unchecked::<Reader>().page(&filter, first, after.as_deref()).await?.into())
}

fn not_found(id: &str) -> ClientError {
    ClientError::not_found(format!("no order with id {id:?}"))
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
                    return Err(ClientError::new(codes::ORDER_NOT_CANCELLABLE, refused.to_string()).into());
                }
                Err(ApplyError::Conflict) => txn.rollback().await.map_err(ClientError::from)?,
                Err(e) => return Err(ClientError::internal(&e).into()),
            }
        }
        Err(ClientError::new(codes::CONFLICT, "the order is changing; try again").into())
    }
}
