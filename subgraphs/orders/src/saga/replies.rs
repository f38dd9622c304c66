//! The participants' replies, turned into inputs of the saga they answer.

use async_trait::async_trait;
use braid_kit::contracts::payment::{PaymentFailed, PaymentProcessed, PaymentRefunded};
use braid_kit::contracts::shipping::{ShipmentCompleted, ShipmentStarted, ShipmentUpdated};
use braid_kit::contracts::stock::{StockCommitted, StockRejected, StockReleased, StockReserved, StockRestocked};
use braid_kit::contracts::wire_name;
use braid_kit::events::{DomainEvent, Envelope, Handler, HandlerError};
use sea_orm::DatabaseTransaction;

use super::commands::action_of;
use super::machine::{Compensation, Input, Reply, Step, compensation_name, step_name};
use super::orchestrator::{ApplyError, Orchestrator};
use crate::history::OrderEvent;

#[cfg(test)]
mod tests;

/// Topics the orchestrator listens to.
pub const TOPICS: [&str; 3] = ["catalog.reservation", "payment.payment", "shipping.shipment"];

/// Feeds replies to sagas.
pub struct Replies(pub Orchestrator);

#[async_trait]
impl Handler for Replies {
    fn name(&self) -> String {
        "orders.saga".into()
    }

    fn topics(&self) -> Vec<String> {
        TOPICS.iter().map(|t| t.to_string()).collect()
    }

    async fn handle(&self, txn: &DatabaseTransaction, event: &Envelope) -> Result<(), HandlerError> {
        let Some((reply, extra)) = decode(event)? else { return Ok(()) };
        match self.0.apply(txn, &event.subject, Input::Reply(reply), extra, None).await {
            Ok(_) | Err(ApplyError::Refused(_)) => Ok(()),
            Err(ApplyError::Conflict) => Err(HandlerError::Transient("the saga moved on concurrently".into())),
            Err(ApplyError::Db(e)) => Err(HandlerError::Transient(e.to_string())),
            Err(ApplyError::Corrupt(e)) => Err(HandlerError::Permanent(e)),
        }
    }

    fn committed(&self) {
        self.0.outbox.committed();
    }
}

fn payload<E: DomainEvent>(event: &Envelope) -> Result<E, HandlerError> {
    match event.decode::<E>() {
        Some(Ok(e)) => Ok(e),
        Some(Err(e)) => Err(HandlerError::Permanent(format!("{}: {e}", event.event_type))),
        None => Err(HandlerError::Permanent(format!("{} is not {}", event.event_type, E::TYPE))),
    }
}

/// The reply an event is, with any fact for the order's history; `None` for events the
/// saga does not wait for.
pub fn decode(event: &Envelope) -> Result<Option<(Reply, Vec<OrderEvent>)>, HandlerError> {
    let t = event.event_type.as_str();
    let reply = if t == StockReserved::TYPE {
        payload::<StockReserved>(event)?;
        Reply::Reserved
    } else if t == StockRejected::TYPE {
        let rejected: StockRejected = payload(event)?;
        let reason = wire_name(&rejected.reason);
        if action_of(&rejected.command_id) == Some(step_name(Step::Commit)) {
            Reply::CommitRejected(reason)
        } else {
            Reply::ReserveRejected(reason)
        }
    } else if t == StockReleased::TYPE {
        let released: StockReleased = payload(event)?;
        // A reservation the catalog let expire by itself answers no command.
        let answers = released.command_id.as_deref().and_then(action_of);
        if answers != Some(compensation_name(Compensation::Release)) {
            return Ok(None);
        }
        Reply::Released
    } else if t == StockCommitted::TYPE {
        payload::<StockCommitted>(event)?;
        Reply::Committed
    } else if t == StockRestocked::TYPE {
        payload::<StockRestocked>(event)?;
        Reply::Restocked
    } else if t == PaymentProcessed::TYPE {
        payload::<PaymentProcessed>(event)?;
        Reply::Captured
    } else if t == PaymentFailed::TYPE {
        Reply::PaymentFailed(payload::<PaymentFailed>(event)?.reason)
    } else if t == PaymentRefunded::TYPE {
        payload::<PaymentRefunded>(event)?;
        Reply::Refunded
    } else if t == ShipmentStarted::TYPE {
        let started: ShipmentStarted = payload(event)?;
        let assigned = OrderEvent::ShipmentAssigned {
            shipment_id: started.shipment_id,
            carrier: started.carrier,
            tracking: started.tracking,
        };
        return Ok(Some((Reply::ShipmentStarted, vec![assigned])));
    } else if t == ShipmentUpdated::TYPE {
        let updated: ShipmentUpdated = payload(event)?;
        Reply::ShipmentMoved(wire_name(&updated.status))
    } else if t == ShipmentCompleted::TYPE {
        payload::<ShipmentCompleted>(event)?;
        Reply::Delivered
    } else {
        return Ok(None);
    };
    Ok(Some((reply, Vec::new())))
}
