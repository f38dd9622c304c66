//! The orders service's own domain events (schemas in `schema/events/`).

use braid_kit::events::DomainEvent;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::history::OrderLine;

/// An order was placed; its saga starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCreated {
    pub order_id: String,
    pub number: String,
    pub buyer_id: String,
    /// Always PENDING, the status an order starts in: a reader of this event alone (a
    /// subscription) knows the order's state.
    #[serde(default = "pending")]
    pub status: String,
    pub lines: Vec<OrderLine>,
    pub total_minor: i64,
    pub currency: String,
    pub placed_at: DateTime<Utc>,
}

impl DomainEvent for OrderCreated {
    const TYPE: &'static str = "orders.order.created.v1";
    fn subject(&self) -> String {
        self.order_id.clone()
    }
}

fn pending() -> String {
    crate::view::OrderStatus::Pending.as_str().to_string()
}

/// An order's status changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderUpdated {
    pub order_id: String,
    pub buyer_id: String,
    pub status: String,
    pub previous_status: String,
    /// The order's stream version after the change.
    pub version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

impl DomainEvent for OrderUpdated {
    const TYPE: &'static str = "orders.order.updated.v1";
    fn subject(&self) -> String {
        self.order_id.clone()
    }
}

/// An order was cancelled and its compensations are done (stock back, payment refunded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCancelled {
    pub order_id: String,
    pub buyer_id: String,
    pub version: i64,
}

impl DomainEvent for OrderCancelled {
    const TYPE: &'static str = "orders.order.cancelled.v1";
    fn subject(&self) -> String {
        self.order_id.clone()
    }
}

/// A product went into a buyer's cart (not emitted for a product out of stock).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CartProductAdded {
    pub user_id: String,
    pub product_id: String,
    pub quantity: i64,
    pub at: DateTime<Utc>,
}

impl DomainEvent for CartProductAdded {
    const TYPE: &'static str = "orders.cart.product_added.v1";
    fn subject(&self) -> String {
        self.user_id.clone()
    }
}
