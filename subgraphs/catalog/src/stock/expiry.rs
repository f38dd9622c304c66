//! Releasing reservations nobody committed in time: the catalog's own guarantee that stock held
//! for an order whose saga died (or forgot) comes back without anyone asking.

use std::time::Duration;

use braid_kit::contracts::stock::StockReleased;
use braid_kit::events::{Envelope, OutboxSignal, outbox};
use braid_kit::infra::Task;
use chrono::Utc;
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use super::StockError;
use super::ledger::{self, Status};
use super::units::{self, Move};
use crate::events::SOURCE;

/// How often the sweep looks for expired reservations. Holds last minutes, so a second late
/// is nothing; the look is one indexed query that usually finds no row.
pub const EXPIRY_INTERVAL: Duration = Duration::from_secs(1);
/// Reservations released per query; a full batch is followed by another at once.
const BATCH: u64 = 100;

/// The expiry sweep of held reservations.
#[derive(Clone)]
pub struct Expiry {
    pub db: DatabaseConnection,
    pub outbox: OutboxSignal,
    pub interval: Duration,
}

impl Expiry {
    /// A sweep every [`EXPIRY_INTERVAL`].
    pub fn new(db: DatabaseConnection, outbox: OutboxSignal) -> Self {
        Self { db, outbox, interval: EXPIRY_INTERVAL }
    }

    /// The sweep as a service task.
    pub fn task(self) -> Task {
        Box::new(move |token| Box::pin(self.run(token)))
    }

    /// Sweeps every `interval` until `token` is cancelled; a reservation in hand is finished first.
    pub async fn run(self, token: CancellationToken) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = token.cancelled() => break,
                _ = ticks.tick() => {}
            }
            if let Err(e) = self.sweep_until(&token).await {
                tracing::warn!(error = %e, "the reservation expiry sweep failed; retrying at the next tick");
            }
        }
    }

    /// Releases every held reservation past its time; returns how many it released.
    pub async fn sweep(&self) -> Result<usize, StockError> {
        self.sweep_until(&CancellationToken::new()).await
    }

    async fn sweep_until(&self, token: &CancellationToken) -> Result<usize, StockError> {
        let mut released = 0;
        loop {
            let due = ledger::due(&self.db, Utc::now(), BATCH).await?;
            let full = due.len() as u64 == BATCH;
            let before = released;
            for order_id in due {
                if token.is_cancelled() {
                    return Ok(released);
                }
                // One reservation's failure must not keep the others held.
                match self.expire(&order_id).await {
                    Ok(true) => released += 1,
                    Ok(false) => {}
                    Err(e) => tracing::warn!(order = %order_id, error = %e, "expiring a reservation failed"),
                }
            }
            // A full batch may have more behind it, unless none of it could be released (the
            // same rows would come back).
            if !full || released == before {
                return Ok(released);
            }
        }
    }

    /// Releases one reservation in its own transaction, if it is still held (a commit may
    /// have taken it since the query).
    async fn expire(&self, order_id: &str) -> Result<bool, StockError> {
        let txn = braid_kit::db::begin_write(&self.db).await?;
        let Some(held) = ledger::find(&txn, order_id).await?.filter(|r| r.status == Status::Held) else {
            return Ok(false);
        };
        if !ledger::transition(&txn, order_id, Status::Held, Status::Released).await? {
            return Ok(false);
        }
        units::settle(&txn, order_id, Move::Release, &held.lines).await?;
        let event = StockReleased { command_id: None, order_id: order_id.to_string(), released: true, expired: true };
        outbox::append(&txn, &Envelope::new(SOURCE, &event)).await?;
        txn.commit().await?;
        self.outbox.committed();
        Ok(true)
    }
}
