//! The saga's clock: steps whose answer is overdue get a `Timeout` (a retry, or the
//! compensations once the attempts are spent).

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::machine::Input;
use super::orchestrator::{ApplyError, Orchestrator};
use crate::entity::saga;

/// Sagas handled per round.
const BATCH: u64 = 100;

/// Fires overdue timeouts every `interval` until `shutdown` is cancelled.
pub async fn run(orchestrator: Orchestrator, interval: Duration, shutdown: CancellationToken) {
    metrics::counter!("braid_saga_timeouts_total").increment(0);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        match fire(&orchestrator).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(timeouts = n, "saga timeouts fired"),
            Err(e) => tracing::warn!(error = %e, "saga timer round failed"),
        }
    }
}

/// One round: applies `Timeout` to every overdue saga; returns how many moved.
pub async fn fire(orchestrator: &Orchestrator) -> Result<usize, ApplyError> {
    let due = saga::Entity::find()
        .filter(saga::Column::Deadline.lte(Utc::now()))
        .order_by_asc(saga::Column::Deadline)
        .limit(BATCH)
        .all(&orchestrator.db)
        .await?;
    let mut fired = 0;
    for row in due {
        let span = tracing::info_span!(parent: None, "saga.timeout", order.id = %row.order_id, trace_id = tracing::field::Empty);
        braid_kit::telemetry::context::continue_from(&span, row.traceparent.as_deref());
        if fire_one(orchestrator, &row).instrument(span).await? {
            fired += 1;
        }
    }
    Ok(fired)
}

/// Applies `Timeout` to the saga of `row`; false if it moved since it was read.
async fn fire_one(orchestrator: &Orchestrator, row: &saga::Model) -> Result<bool, ApplyError> {
    let txn = braid_kit::db::begin_write(&orchestrator.db).await?;
    // At the version read: a saga that moved since (an answer came) is not overdue.
    match orchestrator.apply(&txn, &row.order_id, Input::Timeout, Vec::new(), Some(row.version)).await {
        Ok(Some(_)) => {
            txn.commit().await?;
            orchestrator.outbox.committed();
            metrics::counter!("braid_saga_timeouts_total").increment(1);
            Ok(true)
        }
        Ok(None) | Err(ApplyError::Conflict) => {
            txn.rollback().await?;
            Ok(false)
        }
        Err(e) => {
            txn.rollback().await?;
            tracing::warn!(order = %row.order_id, error = %e, "saga timeout failed");
            Ok(false)
        }
    }
}
