//! Shipping: the saga participant that opens a shipment on the orchestrator's command
//! ([`Shipping`]) and a simulated carrier that moves shipments along over time ([`carrier`]).

pub mod carrier;

use async_trait::async_trait;
use braid_kit::contracts::shipping::{CreateShipment, ShipmentStarted, ShipmentStatus};
use braid_kit::events::outbox::{self, inbox};
use braid_kit::events::{Envelope, Handler, HandlerError, OutboxSignal};
use chrono::{SubsecRound, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseTransaction, EntityTrait};

use crate::entity::shipment;
use crate::saga::commands::SOURCE;

/// The participant; idempotent per order (a repeated command answers with the same shipment)
/// and answers each command id once.
pub struct Shipping {
    pub carrier: String,
    pub step: std::time::Duration,
    pub outbox: OutboxSignal,
}

#[async_trait]
impl Handler for Shipping {
    fn name(&self) -> String {
        "orders.shipping".into()
    }

    fn topics(&self) -> Vec<String> {
        vec!["shipping.command".into()]
    }

    async fn handle(&self, txn: &DatabaseTransaction, event: &Envelope) -> Result<(), HandlerError> {
        let command = match event.decode::<CreateShipment>() {
            Some(Ok(c)) => c,
            Some(Err(e)) => return Err(HandlerError::Permanent(e.to_string())),
            None => return Err(HandlerError::Permanent(format!("not a shipping command: {}", event.event_type))),
        };
        if command.command_id.is_empty() || command.command_id.len() > 64 {
            return Err(HandlerError::Permanent("commandId must be 1-64 bytes".into()));
        }
        // The inbox dedupes events; a command id written in two events (a saga bug) must not be
        // answered twice either. Command ids (`order/action/attempt`) never collide with event
        // ids, and are forgotten with them.
        let first = inbox::ActiveModel {
            consumer: Set(self.name()),
            event_id: Set(command.command_id.clone()),
            processed_at: Set(Utc::now()),
        };
        let inserted = inbox::Entity::insert(first)
            .on_conflict(OnConflict::columns([inbox::Column::Consumer, inbox::Column::EventId]).do_nothing().to_owned())
            .exec_without_returning(txn)
            .await?;
        if inserted == 0 {
            tracing::warn!(command = %command.command_id, event = %event.id, "shipping command already answered");
            return Ok(());
        }
        let existing = shipment::Entity::find_by_id(command.order_id.clone()).one(txn).await?;
        let row = match existing {
            Some(row) => row,
            None => {
                let now = Utc::now().trunc_subsecs(6);
                let id = uuid::Uuid::now_v7().to_string();
                let row = shipment::Model {
                    order_id: command.order_id.clone(),
                    tracking: format!("BX{}", &id.replace('-', "")[20..].to_uppercase()),
                    shipment_id: id,
                    carrier: self.carrier.clone(),
                    status: "LABEL_CREATED".into(),
                    next_at: Some(now + chrono::TimeDelta::from_std(self.step).unwrap_or_default()),
                    created_at: now,
                    updated_at: now,
                    traceparent: braid_kit::telemetry::context::current_traceparent(),
                };
                let active = shipment::ActiveModel {
                    order_id: Set(row.order_id.clone()),
                    shipment_id: Set(row.shipment_id.clone()),
                    carrier: Set(row.carrier.clone()),
                    tracking: Set(row.tracking.clone()),
                    status: Set(row.status.clone()),
                    next_at: Set(row.next_at),
                    created_at: Set(now),
                    updated_at: Set(now),
                    traceparent: Set(row.traceparent.clone()),
                };
                shipment::Entity::insert(active).exec_without_returning(txn).await?;
                row
            }
        };
        let started = ShipmentStarted {
            command_id: command.command_id,
            order_id: command.order_id,
            shipment_id: row.shipment_id,
            carrier: row.carrier,
            tracking: row.tracking,
        };
        outbox::append(txn, &Envelope::new(SOURCE, &started)).await?;
        // Asked again (a retry, or a saga that lost the carrier's news): say where it is now.
        let moved: Option<ShipmentStatus> = serde_json::from_value(serde_json::Value::String(row.status)).ok();
        if let Some(status) = moved.filter(|s| *s != ShipmentStatus::LabelCreated) {
            carrier::announce(txn, &started.order_id, &started.shipment_id, status).await?;
        }
        Ok(())
    }

    fn committed(&self) {
        self.outbox.committed();
    }
}
