//! Persisting the saga: each input is applied in one transaction that reads the saga,
//! appends the facts to the order's stream, updates the projection, writes the next
//! command and the public events to the outbox, and moves the saga's version. A writer that
//! lost a race gets [`ApplyError::Conflict`] and nothing of its work is kept.

use std::time::Duration;

use braid_kit::backoff::Backoff;
use braid_kit::events::{Envelope, OutboxSignal, outbox};
use chrono::{SubsecRound, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use super::commands::{self, SOURCE};
use super::machine::{Action, Input, Policy, Refused, Saga, Timer, action_name};
use crate::entity::{order, saga};
use crate::events::{OrderCancelled, OrderUpdated};
use crate::history::{self, HistoryError, OrderEvent};
use crate::view::{OrderStatus, OrderView};

/// Runs sagas.
#[derive(Clone)]
pub struct Orchestrator {
    pub db: DatabaseConnection,
    pub outbox: OutboxSignal,
    pub policy: Policy,
    /// How long a participant has to answer a command.
    pub step_timeout: Duration,
    /// Added to the timeout of retries, growing per attempt.
    pub backoff: Backoff,
    /// How long the warehouse prepares a parcel before the shipment is requested.
    pub handling: Duration,
    pub reservation_ttl_secs: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("the saga moved on concurrently")]
    Conflict,
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("stored state does not decode: {0}")]
    Corrupt(String),
}

impl From<HistoryError> for ApplyError {
    fn from(e: HistoryError) -> Self {
        match e {
            HistoryError::Conflict => Self::Conflict,
            HistoryError::Db(e) => Self::Db(e),
            HistoryError::Corrupt(e) => Self::Corrupt(e),
        }
    }
}

impl Orchestrator {
    /// Starts the saga of an order just placed (its stream holds only `Placed`).
    pub async fn start<C: ConnectionTrait>(&self, conn: &C, view: &mut OrderView) -> Result<(), ApplyError> {
        let mut saga = Saga::new();
        let transition = saga.on(Input::Start, self.policy)?;
        self.write(conn, view, &saga, None, transition, Vec::new()).await
    }

    /// Applies `input` to the saga of `order_id`; `None` if there is no such saga, or (with
    /// `expected`) if it is no longer at that version.
    pub async fn apply<C: ConnectionTrait>(
        &self,
        conn: &C,
        order_id: &str,
        input: Input,
        extra: Vec<OrderEvent>,
        expected: Option<i64>,
    ) -> Result<Option<OrderView>, ApplyError> {
        let Some(row) = saga::Entity::find_by_id(order_id.to_string()).one(conn).await? else { return Ok(None) };
        if expected.is_some_and(|v| v != row.version) {
            return Ok(None);
        }
        let mut state: Saga =
            serde_json::from_str(&row.state).map_err(|e| ApplyError::Corrupt(format!("saga {order_id}: {e}")))?;
        let Some(order) = order::Entity::find_by_id(order_id.to_string()).one(conn).await? else { return Ok(None) };
        let mut view = OrderView::from_row(order)?;
        let transition = state.on(input, self.policy)?;
        // What comes with an answer (the shipment's tracking) counts only if the saga took it.
        let extra = if transition.facts.is_empty() { Vec::new() } else { extra };
        if transition.facts.is_empty() && transition.send.is_none() {
            return Ok(Some(view)); // nothing happened: the saga and its timer stay as they are
        }
        self.write(conn, &mut view, &state, Some(row.version), transition, extra).await?;
        Ok(Some(view))
    }

    async fn write<C: ConnectionTrait>(
        &self,
        conn: &C,
        view: &mut OrderView,
        state: &Saga,
        version: Option<i64>,
        transition: super::machine::Transition,
        extra: Vec<OrderEvent>,
    ) -> Result<(), ApplyError> {
        // Microseconds: what PostgreSQL keeps, so a rebuilt projection equals this one.
        let now = Utc::now().trunc_subsecs(6);
        let before = view.status;
        let mut events = extra;
        events.extend(transition.facts.into_iter().map(OrderEvent::Saga));
        for recorded in history::append(conn, &view.id, view.version, &events, now).await? {
            view.apply(&recorded);
        }
        view.save(conn).await?;
        self.announce(conn, view, before).await?;
        if let Some((action, attempt)) = transition.send {
            outbox::append(conn, &commands::envelope(view, action, attempt, self.reservation_ttl_secs)).await?;
            count_command(action, attempt);
        }
        let deadline = transition.timer.map(|timer| {
            let wait = match timer {
                Timer::Answer { attempt } => self.step_timeout + self.backoff.delay(attempt),
                Timer::Handling => self.handling,
            };
            now + chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::MAX)
        });
        let state_json = serde_json::to_string(state).expect("sagas serialize");
        match version {
            None => {
                let row = saga::ActiveModel {
                    order_id: Set(view.id.clone()),
                    state: Set(state_json),
                    version: Set(1),
                    deadline: Set(deadline),
                    updated_at: Set(now),
                    traceparent: Set(braid_kit::telemetry::context::current_traceparent()),
                };
                saga::Entity::insert(row).exec_without_returning(conn).await?;
            }
            Some(version) => {
                let row = saga::ActiveModel {
                    state: Set(state_json),
                    version: Set(version + 1),
                    deadline: Set(deadline),
                    updated_at: Set(now),
                    ..Default::default()
                };
                let updated = saga::Entity::update_many()
                    .set(row)
                    .filter(saga::Column::OrderId.eq(view.id.as_str()))
                    .filter(saga::Column::Version.eq(version))
                    .exec(conn)
                    .await?;
                if updated.rows_affected == 0 {
                    return Err(ApplyError::Conflict);
                }
            }
        }
        Ok(())
    }

    /// The public events of a status change.
    async fn announce<C: ConnectionTrait>(&self, conn: &C, view: &OrderView, before: OrderStatus) -> Result<(), DbErr> {
        if view.status == before {
            return Ok(());
        }
        let updated = OrderUpdated {
            order_id: view.id.clone(),
            buyer_id: view.buyer_id.clone(),
            status: view.status.as_str().into(),
            previous_status: before.as_str().into(),
            version: view.version,
            failure_reason: view.failure_reason.clone(),
        };
        outbox::append(conn, &Envelope::new(SOURCE, &updated)).await?;
        if view.status.is_terminal() {
            let status = view.status.as_str().to_ascii_lowercase();
            metrics::counter!("braid_orders_ended_total", "status" => status).increment(1);
        }
        if view.status == OrderStatus::Cancelled {
            let cancelled =
                OrderCancelled { order_id: view.id.clone(), buyer_id: view.buyer_id.clone(), version: view.version };
            outbox::append(conn, &Envelope::new(SOURCE, &cancelled)).await?;
        }
        Ok(())
    }
}

/// Counts a command the saga sends: steps and compensations, first attempts and retries. Counted
/// as written; the rare transaction that then loses to a concurrent answer is counted too.
fn count_command(action: Action, attempt: u32) {
    let kind = match action {
        Action::Step(_) => "step",
        Action::Compensate(_) => "compensation",
    };
    let attempt = if attempt <= 1 { "first" } else { "retry" };
    metrics::counter!("braid_saga_commands_total", "command" => action_name(action), "kind" => kind, "attempt" => attempt)
        .increment(1);
}
