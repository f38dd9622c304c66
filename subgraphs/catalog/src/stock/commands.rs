//! The four stock commands. Each reads the order's reservation first: a command already
//! applied (retried by the orchestrator with a new event id) is answered from that row and
//! changes nothing; otherwise the state moves with a guarded write (`ON CONFLICT DO NOTHING`,
//! `WHERE status = ...`), so a command racing the expiry or its own retry either wins or changes
//! nothing.

use braid_kit::contracts::stock::{
    CommitStock, ReleaseStock, ReserveStock, RestockOrder, StockCommitted, StockRejected, StockRejection,
    StockReleased, StockReserved, StockRestocked,
};
use braid_kit::events::{DomainEvent, Envelope};
use chrono::{SubsecRound, TimeDelta, Utc};
use sea_orm::DatabaseTransaction;

use super::StockError;
use super::ledger::{self, Refusal, Reservation, Status};
use super::units::{self, Move};
use crate::events::SOURCE;

fn reply<E: DomainEvent>(event: &E) -> Envelope {
    Envelope::new(SOURCE, event)
}

fn rejected(command_id: &str, order_id: &str, refusal: Refusal) -> Envelope {
    reply(&StockRejected {
        command_id: command_id.to_string(),
        order_id: order_id.to_string(),
        reason: refusal.reason,
        product_id: refusal.product_id,
    })
}

fn not_reserved(command_id: &str, order_id: &str) -> Envelope {
    rejected(command_id, order_id, Refusal { reason: StockRejection::NotReserved, product_id: None })
}

/// The row another command for the order wrote while this one ran.
async fn written_meanwhile(txn: &DatabaseTransaction, order_id: &str) -> Result<Reservation, StockError> {
    ledger::find(txn, order_id)
        .await?
        .ok_or_else(|| StockError::Contended(format!("another command for order {order_id} is in flight")))
}

/// Holds every line or none. `command.lines` are sorted, one per product (see `normalize`).
pub async fn reserve(txn: &DatabaseTransaction, command: ReserveStock) -> Result<Envelope, StockError> {
    let ReserveStock { command_id, order_id, lines, expires_in_secs } = command;
    if let Some(existing) = ledger::find(txn, &order_id).await? {
        return answer_reserve(&command_id, existing);
    }
    // Microseconds: what the database keeps, so a retried reserve answers the very same time.
    let now = Utc::now().trunc_subsecs(6);
    let hold = i64::try_from(expires_in_secs).ok().and_then(TimeDelta::try_seconds).unwrap_or(TimeDelta::MAX);
    let expires_at = now.checked_add_signed(hold).ok_or_else(|| StockError::Malformed("expiresInSecs".into()))?;
    let claim = Reservation { order_id, status: Status::Held, lines, refusal: None, expires_at: Some(expires_at) };
    if !ledger::claim(txn, &claim, now).await? {
        return answer_reserve(&command_id, written_meanwhile(txn, &claim.order_id).await?);
    }
    let Reservation { order_id, lines, .. } = claim;
    match units::hold(txn, &order_id, &lines).await? {
        None => Ok(reply(&StockReserved { command_id, order_id, lines, expires_at })),
        Some(refusal) => {
            ledger::reject(txn, &order_id, &refusal).await?;
            Ok(rejected(&command_id, &order_id, refusal))
        }
    }
}

/// What a reserve is told when the order already has a reservation: what the first was told,
/// unless nothing is held any more.
fn answer_reserve(command_id: &str, existing: Reservation) -> Result<Envelope, StockError> {
    let Reservation { order_id, status, lines, refusal, expires_at } = existing;
    match (status, refusal, expires_at) {
        (Status::Held | Status::Committed, _, Some(expires_at)) => {
            Ok(reply(&StockReserved { command_id: command_id.to_string(), order_id, lines, expires_at }))
        }
        (Status::Rejected, Some(refusal), _) => Ok(rejected(command_id, &order_id, refusal)),
        // Released (by a compensation, the expiry or a tombstone) or restocked: nothing is held
        // for this order any more, and nothing will be.
        (Status::Released | Status::Restocked, _, _) => Ok(not_reserved(command_id, &order_id)),
        (status, _, _) => Err(StockError::Corrupt(format!("reservation {order_id} is {status:?} without its details"))),
    }
}

/// Gives held lines back. With no reservation yet, leaves a released tombstone so that a
/// reserve delayed behind this compensation is refused instead of holding stock for nobody.
pub async fn release(txn: &DatabaseTransaction, command: ReleaseStock) -> Result<Envelope, StockError> {
    let ReleaseStock { command_id, order_id } = command;
    let answer = |released| {
        reply(&StockReleased {
            command_id: Some(command_id.clone()),
            order_id: order_id.clone(),
            released,
            expired: false,
        })
    };
    let existing = match ledger::find(txn, &order_id).await? {
        Some(existing) => existing,
        None => {
            let tombstone = Reservation {
                order_id: order_id.clone(),
                status: Status::Released,
                lines: Vec::new(),
                refusal: None,
                expires_at: None,
            };
            if ledger::claim(txn, &tombstone, Utc::now()).await? {
                return Ok(answer(false));
            }
            written_meanwhile(txn, &order_id).await?
        }
    };
    if existing.status == Status::Held && ledger::transition(txn, &order_id, Status::Held, Status::Released).await? {
        units::settle(txn, &order_id, Move::Release, &existing.lines).await?;
        return Ok(answer(true));
    }
    Ok(answer(false))
}

/// The held lines leave stock for good.
pub async fn commit(txn: &DatabaseTransaction, command: CommitStock) -> Result<Envelope, StockError> {
    let CommitStock { command_id, order_id } = command;
    let mut existing = ledger::find(txn, &order_id).await?;
    if let Some(held) = existing.as_ref().filter(|r| r.status == Status::Held) {
        if ledger::transition(txn, &order_id, Status::Held, Status::Committed).await? {
            units::settle(txn, &order_id, Move::Commit, &held.lines).await?;
            return Ok(reply(&StockCommitted { command_id, order_id }));
        }
        // Someone moved it first (the expiry, or this commit's own retry): answer by where it is now.
        existing = ledger::find(txn, &order_id).await?;
    }
    Ok(match existing.map(|r| r.status) {
        Some(Status::Committed) => reply(&StockCommitted { command_id, order_id }),
        _ => not_reserved(&command_id, &order_id),
    })
}

/// Puts committed lines back on hand; anything else has nothing to give back.
pub async fn restock(txn: &DatabaseTransaction, command: RestockOrder) -> Result<Envelope, StockError> {
    let RestockOrder { command_id, order_id } = command;
    if let Some(existing) = ledger::find(txn, &order_id).await?
        && existing.status == Status::Committed
        && ledger::transition(txn, &order_id, Status::Committed, Status::Restocked).await?
    {
        units::settle(txn, &order_id, Move::Restock, &existing.lines).await?;
    }
    Ok(reply(&StockRestocked { command_id, order_id }))
}
