//! The order saga's messages: the commands the orders orchestrator sends and the replies each
//! participant gives, one type per message (schemas in `schema/events/`).
//!
//! They live here, not in the orders crate, because both sides of each exchange (orders and
//! catalog, orders and the payment and shipping participants) must agree on them. Every
//! message's subject is the order id, so one order's commands and replies stay in order.

pub mod payment;
pub mod shipping;
pub mod stock;

use serde::{Deserialize, Serialize};

/// A product and a quantity of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub product_id: String,
    pub quantity: i64,
}

/// The name a unit enum value has on the wire (`OUT_OF_STOCK`, `IN_TRANSIT`), for timelines
/// and reasons; empty for anything that is not serialized as a string.
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// Declares a message type: its CloudEvents type and the order it is about.
macro_rules! message {
    ($name:ident, $type:literal) => {
        impl $crate::events::DomainEvent for $name {
            const TYPE: &'static str = $type;
            fn subject(&self) -> String {
                self.order_id.clone()
            }
        }
    };
}
pub(crate) use message;
