//! The objects the roots return: carts, orders and their parts, and the entities other
//! subgraphs own.

use async_graphql::{Enum, ID, Object, SimpleObject};
use braid_kit::connection::{self, Connection, Counted};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::entity::cart_line;
use crate::read::{Page, Position};
use crate::view::{OrderStatus, OrderView, TimelineEntry};

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
pub struct Cart(pub(super) Vec<cart_line::Model>);

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

/// A page of orders (Relay connection), newest first.
pub type OrderConnection = Connection<Order>;

impl From<Page> for OrderConnection {
    fn from(page: Page) -> Self {
        let nodes = page.orders.into_iter().map(|o| (connection::encode(&Position::of(&o)), Order(o)));
        connection::page(nodes, page.has_previous_page, page.has_next_page, Counted(page.total_count))
    }
}
