//! Shipping: the orchestrator asks for a shipment; the shipping participant answers on
//! `shipping.shipment` when it starts and as the carrier moves it.

use serde::{Deserialize, Serialize};

use super::message;

/// Where an order goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateShipment {
    pub command_id: String,
    pub order_id: String,
    pub address: Address,
    pub items: i64,
}
message!(CreateShipment, "shipping.command.create.v1");

/// Where a shipment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShipmentStatus {
    LabelCreated,
    InTransit,
    OutForDelivery,
    Delivered,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentStarted {
    pub command_id: String,
    pub order_id: String,
    pub shipment_id: String,
    pub carrier: String,
    pub tracking: String,
}
message!(ShipmentStarted, "shipping.shipment.started.v1");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentUpdated {
    pub order_id: String,
    pub shipment_id: String,
    pub status: ShipmentStatus,
}
message!(ShipmentUpdated, "shipping.shipment.updated.v1");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentCompleted {
    pub order_id: String,
    pub shipment_id: String,
}
message!(ShipmentCompleted, "shipping.shipment.completed.v1");
