//! The order's event stream: the source of truth. Append-only, one stream per order, each
//! event at the next version; two writers of the same version cannot both succeed (the
//! primary key decides), so a stale writer gets [`HistoryError::Conflict`] and retries.

use braid_kit::contracts::shipping::Address;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use crate::entity::order_event;
use crate::saga::machine::Fact;

/// A line of an order, with the price captured when it was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub currency: String,
}

/// The first event of every stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Placed {
    pub number: String,
    pub buyer_id: String,
    pub idempotency_key: String,
    /// Digest of the lines and address, to tell a retry from a reuse of the key.
    pub request_hash: String,
    pub lines: Vec<OrderLine>,
    pub total_minor: i64,
    pub currency: String,
    pub address: Address,
}

/// One event of an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "data")]
pub enum OrderEvent {
    Placed(Placed),
    /// Something the saga did or learnt.
    Saga(Fact),
    ShipmentAssigned {
        shipment_id: String,
        carrier: String,
        tracking: String,
    },
}

impl OrderEvent {
    /// The `event_type` column: what the event is, readable in SQL.
    fn kind(&self) -> String {
        match self {
            OrderEvent::Placed(_) => "placed".into(),
            OrderEvent::Saga(fact) => {
                let value = serde_json::to_value(fact).expect("facts serialize");
                format!("saga.{}", value["kind"].as_str().unwrap_or("fact"))
            }
            OrderEvent::ShipmentAssigned { .. } => "shipmentAssigned".into(),
        }
    }
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub version: i64,
    pub at: DateTime<Utc>,
    pub event: OrderEvent,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("the order's stream moved on concurrently")]
    Conflict,
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("a stored event does not decode: {0}")]
    Corrupt(String),
}

/// Appends `events` after `expected` (the stream's current version); returns the new version.
pub async fn append<C: ConnectionTrait>(
    conn: &C,
    order_id: &str,
    expected: i64,
    events: &[OrderEvent],
    at: DateTime<Utc>,
) -> Result<Vec<Recorded>, HistoryError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let recorded: Vec<Recorded> = events
        .iter()
        .enumerate()
        .map(|(i, e)| Recorded { version: expected + 1 + i as i64, at, event: e.clone() })
        .collect();
    let rows = recorded.iter().map(|r| order_event::ActiveModel {
        order_id: Set(order_id.to_string()),
        version: Set(r.version),
        event_type: Set(r.event.kind()),
        payload: Set(serde_json::to_string(&r.event).expect("order events serialize")),
        recorded_at: Set(at),
    });
    match order_event::Entity::insert_many(rows).exec_without_returning(conn).await {
        Ok(_) => Ok(recorded),
        Err(e) if is_unique_violation(&e) => Err(HistoryError::Conflict),
        Err(e) => Err(e.into()),
    }
}

/// The whole stream of one order, in version order.
pub async fn load<C: ConnectionTrait>(conn: &C, order_id: &str) -> Result<Vec<Recorded>, HistoryError> {
    let rows = order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(order_id))
        .order_by_asc(order_event::Column::Version)
        .all(conn)
        .await?;
    rows.into_iter().map(decode).collect()
}

/// Decodes a stored row.
pub fn decode(row: order_event::Model) -> Result<Recorded, HistoryError> {
    let event = serde_json::from_str(&row.payload)
        .map_err(|e| HistoryError::Corrupt(format!("{} v{}: {e}", row.order_id, row.version)))?;
    Ok(Recorded { version: row.version, at: row.recorded_at, event })
}

/// A unique or primary-key violation, on PostgreSQL or SQLite.
pub fn is_unique_violation(e: &DbErr) -> bool {
    let text = e.to_string().to_lowercase();
    text.contains("unique") || text.contains("duplicate key")
}
