//! A simulated carrier: every shipment moves one stage per `step` (label created, in
//! transit, out for delivery, delivered), each move an event on `shipping.shipment`.

use std::time::Duration;

use braid_kit::contracts::shipping::{ShipmentCompleted, ShipmentStatus, ShipmentUpdated};
use braid_kit::contracts::wire_name;
use braid_kit::events::{Envelope, OutboxSignal, outbox};
use chrono::{SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::entity::shipment;
use crate::saga::commands::SOURCE;

/// Shipments moved per round.
const BATCH: u64 = 200;

/// The stage after `status`, if any.
fn next(status: &str) -> Option<ShipmentStatus> {
    match status {
        "LABEL_CREATED" => Some(ShipmentStatus::InTransit),
        "IN_TRANSIT" => Some(ShipmentStatus::OutForDelivery),
        "OUT_FOR_DELIVERY" => Some(ShipmentStatus::Delivered),
        _ => None,
    }
}

/// Moves due shipments until `shutdown` is cancelled.
pub async fn run(db: DatabaseConnection, outbox: OutboxSignal, step: Duration, shutdown: CancellationToken) {
    let interval = (step / 4).clamp(Duration::from_millis(20), Duration::from_millis(500));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        match advance(&db, step).await {
            Ok(0) => {}
            Ok(_) => outbox.committed(),
            Err(e) => tracing::warn!(error = %e, "carrier round failed"),
        }
    }
}

/// One round: every shipment whose time has come moves one stage; returns how many moved.
pub async fn advance(db: &DatabaseConnection, step: Duration) -> Result<usize, DbErr> {
    let now = Utc::now().trunc_subsecs(6);
    let due = shipment::Entity::find()
        .filter(shipment::Column::NextAt.lte(now))
        .order_by_asc(shipment::Column::NextAt)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut moved = 0;
    for row in due {
        let Some(status) = next(&row.status) else { continue };
        let span = tracing::info_span!(parent: None, "shipment.move", shipment.status = wire_name(&status), trace_id = tracing::field::Empty);
        braid_kit::telemetry::context::continue_from(&span, row.traceparent.as_deref());
        if move_one(db, &row, status, (now, step)).instrument(span).await? {
            moved += 1;
        }
    }
    Ok(moved)
}

/// Moves `row` to `status`; false if another carrier instance moved it first.
async fn move_one(
    db: &DatabaseConnection,
    row: &shipment::Model,
    status: ShipmentStatus,
    (now, step): (chrono::DateTime<Utc>, Duration),
) -> Result<bool, DbErr> {
    let delivered = status == ShipmentStatus::Delivered;
    let next_at = (!delivered).then(|| now + chrono::TimeDelta::from_std(step).unwrap_or_default());
    let txn = braid_kit::db::begin_write(db).await?;
    // Guarded by the stage read: another carrier instance moving it first wins.
    let updated = shipment::Entity::update_many()
        .col_expr(shipment::Column::Status, Expr::value(wire_name(&status)))
        .col_expr(shipment::Column::NextAt, Expr::value(next_at))
        .col_expr(shipment::Column::UpdatedAt, Expr::value(now))
        .filter(shipment::Column::OrderId.eq(row.order_id.as_str()))
        .filter(shipment::Column::Status.eq(row.status.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    announce(&txn, &row.order_id, &row.shipment_id, status).await?;
    txn.commit().await?;
    Ok(true)
}

/// The events of a shipment standing at `status`: where it is, and that it is done once
/// delivered.
pub async fn announce<C: ConnectionTrait>(
    conn: &C,
    order_id: &str,
    shipment_id: &str,
    status: ShipmentStatus,
) -> Result<(), DbErr> {
    let update = ShipmentUpdated { order_id: order_id.into(), shipment_id: shipment_id.into(), status };
    outbox::append(conn, &Envelope::new(SOURCE, &update)).await?;
    if status == ShipmentStatus::Delivered {
        let done = ShipmentCompleted { order_id: order_id.into(), shipment_id: shipment_id.into() };
        outbox::append(conn, &Envelope::new(SOURCE, &done)).await?;
    }
    Ok(())
}
