//! The `reservations` table: one row per order, the memory that makes every stock command
//! idempotent by order id and lets the expiry find what is held past its time.

use braid_kit::contracts::Line;
use braid_kit::contracts::stock::StockRejection;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::StockError;
use crate::entity::reservation;

/// Where a reservation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The lines are reserved until `expires_at`.
    Held,
    /// Given back (released, expired), or released before any reserve arrived (a tombstone).
    Released,
    /// The lines left stock.
    Committed,
    /// Committed lines put back on hand.
    Restocked,
    /// The reserve was refused; nothing was held.
    Rejected,
}

impl Status {
    /// The value stored in `reservations.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Released => "released",
            Self::Committed => "committed",
            Self::Restocked => "restocked",
            Self::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Held, Self::Released, Self::Committed, Self::Restocked, Self::Rejected]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Why a reserve was refused, kept so that a retried reserve gets the same answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: StockRejection,
    pub product_id: Option<String>,
}

/// A row of `reservations`, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub order_id: String,
    pub status: Status,
    /// Sorted by product id, one line per product.
    pub lines: Vec<Line>,
    pub refusal: Option<Refusal>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl TryFrom<reservation::Model> for Reservation {
    type Error = StockError;

    fn try_from(row: reservation::Model) -> Result<Self, StockError> {
        let corrupt = |what: &str| StockError::Corrupt(format!("reservation {}: {what}", row.order_id));
        let status = Status::parse(&row.status).ok_or_else(|| corrupt(&format!("unknown status {:?}", row.status)))?;
        let lines = serde_json::from_str(&row.lines).map_err(|e| corrupt(&format!("lines: {e}")))?;
        let refusal = match &row.reason {
            Some(reason) => Some(Refusal {
                reason: serde_json::from_value(serde_json::Value::String(reason.clone()))
                    .map_err(|e| corrupt(&format!("reason: {e}")))?,
                product_id: row.reason_product_id.clone(),
            }),
            None => None,
        };
        Ok(Self { order_id: row.order_id, status, lines, refusal, expires_at: row.expires_at })
    }
}

/// The order's reservation, if any command about it was applied.
pub async fn find<C: ConnectionTrait>(conn: &C, order_id: &str) -> Result<Option<Reservation>, StockError> {
    reservation::Entity::find_by_id(order_id.to_string()).one(conn).await?.map(Reservation::try_from).transpose()
}

/// Records the order's reservation unless it has one: false when another command for the
/// order got there first. The row is written before any stock moves, so a retry racing its
/// original waits here for it (PostgreSQL holds the key) instead of holding stock twice.
pub async fn claim<C: ConnectionTrait>(conn: &C, row: &Reservation, now: DateTime<Utc>) -> Result<bool, StockError> {
    let model = reservation::ActiveModel {
        order_id: Set(row.order_id.clone()),
        status: Set(row.status.as_str().to_string()),
        lines: Set(serde_json::to_string(&row.lines)?),
        reason: Set(None),
        reason_product_id: Set(None),
        expires_at: Set(row.expires_at),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let inserted = reservation::Entity::insert(model)
        .on_conflict(OnConflict::column(reservation::Column::OrderId).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
    Ok(inserted == 1)
}

/// Marks a claimed reserve as refused, with the reason a retry will be told.
pub async fn reject<C: ConnectionTrait>(conn: &C, order_id: &str, refusal: &Refusal) -> Result<(), StockError> {
    let reason = match serde_json::to_value(refusal.reason)? {
        serde_json::Value::String(s) => s,
        other => return Err(StockError::Corrupt(format!("a rejection reason serialized as {other}"))),
    };
    reservation::Entity::update_many()
        .set(reservation::ActiveModel {
            status: Set(Status::Rejected.as_str().to_string()),
            reason: Set(Some(reason)),
            reason_product_id: Set(refusal.product_id.clone()),
            expires_at: Set(None),
            updated_at: Set(Utc::now()),
            ..Default::default()
        })
        .filter(reservation::Column::OrderId.eq(order_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Moves the order from `from` to `to`. False when it was not at `from`: another command, or
/// the expiry, got there first, and the caller must change nothing.
pub async fn transition<C: ConnectionTrait>(
    conn: &C,
    order_id: &str,
    from: Status,
    to: Status,
) -> Result<bool, StockError> {
    let changed = reservation::Entity::update_many()
        .set(reservation::ActiveModel {
            status: Set(to.as_str().to_string()),
            updated_at: Set(Utc::now()),
            ..Default::default()
        })
        .filter(reservation::Column::OrderId.eq(order_id))
        .filter(reservation::Column::Status.eq(from.as_str()))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Up to `limit` orders whose held stock is past its time, the oldest first.
pub async fn due<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>, limit: u64) -> Result<Vec<String>, StockError> {
    let ids = reservation::Entity::find()
        .select_only()
        .column(reservation::Column::OrderId)
        .filter(reservation::Column::Status.eq(Status::Held.as_str()))
        .filter(reservation::Column::ExpiresAt.lte(now))
        .order_by_asc(reservation::Column::ExpiresAt)
        .limit(limit)
        .into_tuple::<String>()
        .all(conn)
        .await?;
    Ok(ids)
}
