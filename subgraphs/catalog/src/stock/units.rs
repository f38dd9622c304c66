//! Moving units between on hand and reserved. Every move is one conditional `UPDATE`, so the
//! database decides under its row lock and two orders racing for the last units never both
//! get them; every moved product gets a new version and an `InventoryUpdated`, so caches
//! holding the old figures are invalidated.

use braid_kit::contracts::Line;
use braid_kit::contracts::stock::StockRejection;
use braid_kit::events::{Envelope, outbox};
use braid_kit::sql::Sql;
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};

use super::StockError;
use super::ledger::Refusal;
use crate::events::{InventoryUpdated, SOURCE};
use crate::record;

/// What happens to a line's units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Available -> reserved, only if that many are available.
    Hold,
    /// Reserved -> available.
    Release,
    /// Reserved -> gone: on hand and reserved both go down.
    Commit,
    /// Gone -> on hand again.
    Restock,
}

impl Move {
    /// How on hand changes (the `delta` of `InventoryUpdated`).
    fn on_hand_delta(self, quantity: i64) -> i64 {
        match self {
            Self::Hold | Self::Release => 0,
            Self::Commit => -quantity,
            Self::Restock => quantity,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Hold => "reserved",
            Self::Release => "released",
            Self::Commit => "committed",
            Self::Restock => "restocked",
        }
    }

    /// The guarded update; it touches no row when the move is not possible.
    fn statement(self, backend: sea_orm::DbBackend, line: &Line) -> sea_orm::Statement {
        let (set, guard) = match self {
            Self::Hold => ("reserved = reserved + ", Some(" AND on_hand - reserved >= ")),
            Self::Release => ("reserved = reserved - ", Some(" AND reserved >= ")),
            // on_hand >= reserved always holds, so reserved >= q also covers on_hand.
            Self::Commit => ("on_hand = on_hand - ", Some(" AND reserved >= ")),
            Self::Restock => ("on_hand = on_hand + ", None),
        };
        let mut sql = Sql::new(backend);
        sql.push("UPDATE inventory SET ").push(set).bind(line.quantity);
        if self == Self::Commit {
            sql.push(", reserved = reserved - ").bind(line.quantity);
        }
        sql.push(" WHERE product_id = ").bind(line.product_id.clone());
        if let Some(guard) = guard {
            sql.push(guard).bind(line.quantity);
        }
        sql.build()
    }
}

/// Applies `step` to one line; false when the guard refused it (or the product is gone).
async fn apply<C: ConnectionTrait>(conn: &C, step: Move, line: &Line) -> Result<bool, StockError> {
    let result = conn.execute_raw(step.statement(conn.get_database_backend(), line)).await?;
    if result.rows_affected() == 0 {
        return Ok(false);
    }
    // The version moves in the same order as the inventory rows (sorted product ids), as
    // adjust_stock does for one product, so concurrent commands never lock in a cycle.
    let mut bump = Sql::new(conn.get_database_backend());
    bump.push("UPDATE products SET version = version + 1, updated_at = ")
        .bind(Utc::now())
        .push(" WHERE id = ")
        .bind(line.product_id.clone());
    conn.execute_raw(bump.build()).await?;
    Ok(true)
}

/// Holds every line or none: a refused line undoes the ones before it (a savepoint) and says
/// why. `lines` must be sorted by product id.
pub async fn hold(txn: &DatabaseTransaction, order_id: &str, lines: &[Line]) -> Result<Option<Refusal>, StockError> {
    let savepoint = txn.begin().await?;
    for line in lines {
        if !apply(&savepoint, Move::Hold, line).await? {
            savepoint.rollback().await?;
            let exists = !record::by_ids(txn, std::slice::from_ref(&line.product_id)).await?.is_empty();
            let reason = if exists { StockRejection::OutOfStock } else { StockRejection::UnknownProduct };
            return Ok(Some(Refusal { reason, product_id: Some(line.product_id.clone()) }));
        }
    }
    savepoint.commit().await?;
    announce(txn, order_id, Move::Hold, lines).await?;
    Ok(None)
}

/// Releases, commits or restocks lines the order holds or held. These finish what the saga
/// already decided, so a line that cannot move (its product was deleted since) is skipped and
/// logged rather than failing the rest.
pub async fn settle(txn: &DatabaseTransaction, order_id: &str, step: Move, lines: &[Line]) -> Result<(), StockError> {
    let mut moved = Vec::with_capacity(lines.len());
    for line in lines {
        if apply(txn, step, line).await? {
            moved.push(line.clone());
        } else {
            tracing::warn!(order = order_id, product = %line.product_id, step = step.verb(), "stock line skipped: the product is gone or its figures disagree");
        }
    }
    announce(txn, order_id, step, &moved).await
}

/// Appends an `InventoryUpdated` with the new figures and version of every moved product.
async fn announce(txn: &DatabaseTransaction, order_id: &str, step: Move, lines: &[Line]) -> Result<(), StockError> {
    let ids: Vec<String> = lines.iter().map(|l| l.product_id.clone()).collect();
    let mut products = record::by_ids(txn, &ids).await?;
    products.sort_by(|a, b| a.id.cmp(&b.id));
    for product in &products {
        let quantity = lines.iter().find(|l| l.product_id == product.id).map_or(0, |l| l.quantity);
        let stock = &product.inventory;
        let event = InventoryUpdated {
            product_id: product.id.clone(),
            sku: product.sku.clone(),
            on_hand: stock.on_hand,
            reserved: stock.reserved,
            available: stock.available(),
            low_stock_threshold: stock.low_stock_threshold,
            low_stock: stock.low_stock(),
            delta: step.on_hand_delta(quantity),
            reason: Some(format!("order {order_id}: stock {}", step.verb())),
            version: product.version,
        };
        outbox::append(txn, &Envelope::new(SOURCE, &event)).await?;
    }
    Ok(())
}
