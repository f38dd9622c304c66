//! The catalog's side of the order saga: it reserves, releases, commits and restocks an
//! order's stock when the orchestrator asks (topic `stock.command`) and answers on
//! `catalog.reservation`.
//!
//! Every command is idempotent by order id: the `reservations` row (`ledger`) remembers what
//! was done, so a retried command (a new event id, the same order) gets the same answer and
//! changes nothing twice; the inbox catches plain redeliveries of one event before that. Each
//! command's stock moves (`units`), its `InventoryUpdated` events and its reply are written
//! in the consumer's transaction, with the inbox row. [`Expiry`] releases what is held too long.

mod commands;
mod expiry;
mod ledger;
mod units;

pub use expiry::{EXPIRY_INTERVAL, Expiry};

use async_trait::async_trait;
use braid_kit::contracts::Line;
use braid_kit::contracts::stock::{CommitStock, ReleaseStock, ReserveStock, RestockOrder};
use braid_kit::events::{DomainEvent, Envelope, Handler, HandlerError, OutboxSignal, outbox};
use sea_orm::{DatabaseTransaction, DbErr};

/// The topic of the orchestrator's stock commands.
pub const COMMAND_TOPIC: &str = "stock.command";
/// The topic of the catalog's answers.
pub const REPLY_TOPIC: &str = "catalog.reservation";
/// Lines one order may hold (more is a malformed command, not a business answer).
const MAX_LINES: usize = 500;
/// The longest hold a reserve may ask for.
const MAX_HOLD_SECS: u64 = 30 * 24 * 3600;

/// Why a stock command or an expiry could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum StockError {
    /// The command can never be applied as sent.
    #[error("malformed stock command: {0}")]
    Malformed(String),
    /// A stored reservation cannot be read back.
    #[error("{0}")]
    Corrupt(String),
    /// Another command for the same order was in the way; trying again resolves it.
    #[error("{0}")]
    Contended(String),
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<StockError> for HandlerError {
    fn from(e: StockError) -> Self {
        match &e {
            StockError::Db(_) | StockError::Contended(_) => HandlerError::Transient(e.to_string()),
            _ => HandlerError::Permanent(e.to_string()),
        }
    }
}

/// Consumer `catalog.stock`: applies the orchestrator's stock commands.
pub struct StockHandler {
    /// Woken after each command commits, so its reply leaves without waiting for the relay's poll.
    pub outbox: OutboxSignal,
}

impl StockHandler {
    /// The consumer (and inbox) name.
    pub const NAME: &'static str = "catalog.stock";
}

#[async_trait]
impl Handler for StockHandler {
    fn name(&self) -> String {
        Self::NAME.into()
    }

    fn topics(&self) -> Vec<String> {
        vec![COMMAND_TOPIC.into()]
    }

    async fn handle(&self, txn: &DatabaseTransaction, event: &Envelope) -> Result<(), HandlerError> {
        let mut reply = match event.event_type.as_str() {
            ReserveStock::TYPE => commands::reserve(txn, reserve_command(event)?).await?,
            ReleaseStock::TYPE => {
                let command: ReleaseStock = decode(event)?;
                check_ids(&command.command_id, &command.order_id)?;
                commands::release(txn, command).await?
            }
            CommitStock::TYPE => {
                let command: CommitStock = decode(event)?;
                check_ids(&command.command_id, &command.order_id)?;
                commands::commit(txn, command).await?
            }
            RestockOrder::TYPE => {
                let command: RestockOrder = decode(event)?;
                check_ids(&command.command_id, &command.order_id)?;
                commands::restock(txn, command).await?
            }
            other => return Err(StockError::Malformed(format!("{other} is not a stock command")).into()),
        };
        // The answer continues the command's trace.
        reply.traceparent.clone_from(&event.traceparent);
        outbox::append(txn, &reply).await?;
        Ok(())
    }

    fn committed(&self) {
        self.outbox.committed();
    }
}

fn decode<E: DomainEvent>(event: &Envelope) -> Result<E, StockError> {
    serde_json::from_value(event.data.clone()).map_err(|e| StockError::Malformed(format!("{}: {e}", event.event_type)))
}

/// Both ids fit the columns and topics that carry them.
fn check_ids(command_id: &str, order_id: &str) -> Result<(), StockError> {
    for (name, id) in [("commandId", command_id), ("orderId", order_id)] {
        if id.is_empty() || id.len() > 64 {
            return Err(StockError::Malformed(format!("{name} must be 1-64 bytes")));
        }
    }
    Ok(())
}

/// A reserve with its lines sorted by product id and one line per product: the order in which
/// rows are locked, the same for every command.
fn reserve_command(event: &Envelope) -> Result<ReserveStock, StockError> {
    let mut command: ReserveStock = decode(event)?;
    check_ids(&command.command_id, &command.order_id)?;
    if !(1..=MAX_HOLD_SECS).contains(&command.expires_in_secs) {
        return Err(StockError::Malformed(format!("expiresInSecs must be 1-{MAX_HOLD_SECS}")));
    }
    command.lines = normalize(std::mem::take(&mut command.lines))?;
    Ok(command)
}

/// Sorts lines by product id and adds up repeated products; refuses empty or absurd lines.
fn normalize(mut lines: Vec<Line>) -> Result<Vec<Line>, StockError> {
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(StockError::Malformed(format!("a reserve has 1-{MAX_LINES} lines")));
    }
    if let Some(bad) = lines.iter().find(|l| l.quantity < 1 || l.product_id.is_empty() || l.product_id.len() > 64) {
        return Err(StockError::Malformed(format!(
            "line {:?} x {}: quantities are positive, product ids 1-64 bytes",
            bad.product_id, bad.quantity
        )));
    }
    lines.sort_by(|a, b| a.product_id.cmp(&b.product_id));
    let mut merged: Vec<Line> = Vec::with_capacity(lines.len());
    for line in lines {
        match merged.last_mut() {
            Some(last) if last.product_id == line.product_id => {
                last.quantity = last
                    .quantity
                    .checked_add(line.quantity)
                    .ok_or_else(|| StockError::Malformed(format!("quantity of {} overflows", line.product_id)))?;
            }
            _ => merged.push(line),
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(product_id: &str, quantity: i64) -> Line {
        Line { product_id: product_id.into(), quantity }
    }

    #[test]
    fn lines_are_sorted_merged_and_checked() {
        let lines = normalize(vec![line("b", 2), line("a", 1), line("b", 3)]).unwrap();
        assert_eq!(lines, vec![line("a", 1), line("b", 5)]);
        assert!(matches!(normalize(vec![]), Err(StockError::Malformed(_))));
        assert!(matches!(normalize(vec![line("a", 0)]), Err(StockError::Malformed(_))));
        assert!(matches!(normalize(vec![line("a", -1)]), Err(StockError::Malformed(_))));
        assert!(matches!(normalize(vec![line("", 1)]), Err(StockError::Malformed(_))));
        assert!(matches!(normalize(vec![line("a", i64::MAX), line("a", 1)]), Err(StockError::Malformed(_))));
    }

    #[test]
    fn only_database_errors_are_retried() {
        assert!(matches!(HandlerError::from(StockError::Db(DbErr::Custom("down".into()))), HandlerError::Transient(_)));
        assert!(matches!(HandlerError::from(StockError::Malformed("x".into())), HandlerError::Permanent(_)));
        assert!(matches!(HandlerError::from(StockError::Corrupt("x".into())), HandlerError::Permanent(_)));
    }
}
