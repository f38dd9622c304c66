//! Stock: the orchestrator asks the catalog to reserve, release, commit and restock an
//! order's lines; the catalog answers on `catalog.reservation`.

use serde::{Deserialize, Serialize};

use super::{Line, message};

/// Hold `lines` for the order until `expiresInSecs` pass without a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReserveStock {
    pub command_id: String,
    pub order_id: String,
    pub lines: Vec<Line>,
    pub expires_in_secs: u64,
}
message!(ReserveStock, "stock.command.reserve.v1");

/// Give back what the order holds (compensation of a reservation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseStock {
    pub command_id: String,
    pub order_id: String,
}
message!(ReleaseStock, "stock.command.release.v1");

/// The held lines leave the warehouse: on hand and reserved both go down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitStock {
    pub command_id: String,
    pub order_id: String,
}
message!(CommitStock, "stock.command.commit.v1");

/// Put committed lines back on hand (compensation of a commit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestockOrder {
    pub command_id: String,
    pub order_id: String,
}
message!(RestockOrder, "stock.command.restock.v1");

/// The lines are held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockReserved {
    pub command_id: String,
    pub order_id: String,
    pub lines: Vec<Line>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}
message!(StockReserved, "catalog.reservation.reserved.v1");

/// Why a reservation or a commit was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StockRejection {
    /// Fewer units available than asked for.
    OutOfStock,
    /// No such product (deleted since it was put in the cart).
    UnknownProduct,
    /// The reservation was released (it expired, or was released) before the commit.
    NotReserved,
}

/// A reservation or commit refused; nothing was held or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockRejected {
    pub command_id: String,
    pub order_id: String,
    pub reason: StockRejection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
}
message!(StockRejected, "catalog.reservation.rejected.v1");

/// What the order held is available again. `commandId` is absent when the catalog released
/// an expired reservation by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockReleased {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    pub order_id: String,
    /// Whether anything was held (false: the release came first, and a later reserve of this
    /// order will be refused).
    pub released: bool,
    pub expired: bool,
}
message!(StockReleased, "catalog.reservation.released.v1");

/// The held lines left stock for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockCommitted {
    pub command_id: String,
    pub order_id: String,
}
message!(StockCommitted, "catalog.reservation.committed.v1");

/// Committed lines are on hand again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockRestocked {
    pub command_id: String,
    pub order_id: String,
}
message!(StockRestocked, "catalog.reservation.restocked.v1");
