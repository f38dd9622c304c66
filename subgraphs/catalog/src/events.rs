//! The catalog's domain events (schemas in `schema/events/`).

use braid_kit::events::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::record::{Attribute, ProductRecord};

/// Where catalog events come from (the CloudEvents `source`).
pub const SOURCE: &str = "/braid/catalog";
/// The topic of every product event.
pub const PRODUCT_TOPIC: &str = "catalog.product";

/// A product's state as events carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductSnapshot {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: Price,
    pub category_id: String,
    pub attributes: Vec<Attribute>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    /// Minor units (cents), so no float ever carries money.
    pub amount_minor: i64,
    pub currency: String,
}

impl From<&ProductRecord> for ProductSnapshot {
    fn from(p: &ProductRecord) -> Self {
        Self {
            id: p.id.clone(),
            sku: p.sku.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            price: Price { amount_minor: p.price_cents, currency: p.currency.clone() },
            category_id: p.category.id.clone(),
            attributes: p.attributes.clone(),
            version: p.version,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductCreated {
    pub product: ProductSnapshot,
    pub on_hand: i64,
}

impl DomainEvent for ProductCreated {
    const TYPE: &'static str = "catalog.product.created.v1";
    fn subject(&self) -> String {
        self.product.id.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductUpdated {
    pub product: ProductSnapshot,
    /// The GraphQL field names that changed.
    pub changed: Vec<String>,
}

impl DomainEvent for ProductUpdated {
    const TYPE: &'static str = "catalog.product.updated.v1";
    fn subject(&self) -> String {
        self.product.id.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductDeleted {
    pub id: String,
    pub sku: String,
    /// The version the deletion gave the product (one past its last state).
    pub version: i64,
}

impl DomainEvent for ProductDeleted {
    const TYPE: &'static str = "catalog.product.deleted.v1";
    fn subject(&self) -> String {
        self.id.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InventoryUpdated {
    pub product_id: String,
    pub sku: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    pub low_stock_threshold: i64,
    /// Available stock is at or below the threshold: the low-stock alert.
    pub low_stock: bool,
    pub delta: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub version: i64,
}

impl DomainEvent for InventoryUpdated {
    const TYPE: &'static str = "catalog.product.inventory-updated.v1";
    fn subject(&self) -> String {
        self.product_id.clone()
    }
}

/// The product id and version any product event is about (for cache invalidation).
pub fn product_version(envelope: &braid_kit::events::Envelope) -> Option<(String, i64)> {
    let data = &envelope.data;
    let version = data.get("version").or_else(|| data.pointer("/product/version"))?.as_i64()?;
    Some((envelope.subject.clone(), version))
}
