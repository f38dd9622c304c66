//! Demo data: a few past orders per demo buyer, their histories made by the saga's own
//! machine (a completed purchase, a cancelled one), dated in the past.

use braid_kit::contracts::shipping::Address;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, TransactionTrait};

use crate::catalog::ProductInfo;
use crate::entity::{order, saga};
use crate::history::{self, OrderEvent, OrderLine, Placed};
use crate::saga::machine::{Input, Policy, Reply, Saga};
use crate::view::OrderView;

/// The inputs of a purchase that went through.
fn completed() -> Vec<Input> {
    let moves = ["IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"];
    let mut inputs = vec![
        Input::Start,
        Input::Reply(Reply::Reserved),
        Input::Reply(Reply::Captured),
        Input::Reply(Reply::Committed),
        Input::Timeout, // the handling time
        Input::Reply(Reply::ShipmentStarted),
    ];
    inputs.extend(moves.iter().map(|m| Input::Reply(Reply::ShipmentMoved(m.to_string()))));
    inputs.push(Input::Reply(Reply::Delivered));
    inputs
}

/// The inputs of a purchase cancelled after payment.
fn cancelled() -> Vec<Input> {
    vec![
        Input::Start,
        Input::Reply(Reply::Reserved),
        Input::Reply(Reply::Captured),
        Input::Cancel,
        Input::Reply(Reply::Restocked),
        Input::Reply(Reply::Refunded),
        Input::Reply(Reply::Released),
    ]
}

/// Seeds past orders for `buyers` from `products` once; false if orders exist already.
pub async fn demo(db: &DatabaseConnection, buyers: &[String], products: &[ProductInfo]) -> Result<bool, DbErr> {
    if products.len() < 3 || order::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let txn = db.begin().await?;
    let mut number = 0;
    for (b, buyer) in buyers.iter().enumerate() {
        for (k, inputs) in [completed(), completed(), cancelled()].into_iter().enumerate() {
            number += 1;
            let picked = [&products[(b + k) % products.len()], &products[(b + k + 1) % products.len()]];
            let days = TimeDelta::days(30 - 7 * k as i64 - b as i64);
            let at = (Utc::now() - days).trunc_subsecs(6);
            write(&txn, buyer, number, &picked, inputs, at).await?;
        }
    }
    sea_orm::ConnectionTrait::execute_unprepared(
        &txn,
        &format!("UPDATE order_counter SET value = {number} WHERE id = 1"),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

async fn write(
    txn: &sea_orm::DatabaseTransaction,
    buyer: &str,
    number: i64,
    products: &[&ProductInfo],
    inputs: Vec<Input>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let lines: Vec<OrderLine> = products
        .iter()
        .enumerate()
        .map(|(i, p)| OrderLine {
            product_id: p.id.clone(),
            sku: p.sku.clone(),
            name: p.name.clone(),
            quantity: i as i64 + 1,
            unit_price_minor: p.price_minor,
            currency: p.currency.clone(),
        })
        .collect();
    let placed = Placed {
        number: format!("BR-{number:06}"),
        buyer_id: buyer.to_string(),
        idempotency_key: format!("seed-{}", uuid::Uuid::new_v4()),
        request_hash: String::new(),
        total_minor: lines.iter().map(|l| l.unit_price_minor * l.quantity).sum(),
        currency: lines[0].currency.clone(),
        lines,
        address: Address {
            name: "Demo Buyer".into(),
            line1: "1 Braid Street".into(),
            line2: None,
            city: "Berlin".into(),
            postal_code: "10115".into(),
            country: "DE".into(),
        },
    };
    let id = uuid::Uuid::now_v7().to_string();
    let corrupt = |e: history::HistoryError| DbErr::Custom(e.to_string());
    let mut recorded = history::append(txn, &id, 0, &[OrderEvent::Placed(placed)], at).await.map_err(corrupt)?;
    let mut view = OrderView::placed(&id, &recorded[0]).expect("the first event is Placed");
    let mut machine = Saga::new();
    let policy = Policy { attempts: 1 };
    for (i, input) in inputs.into_iter().enumerate() {
        let shipment = input == Input::Reply(Reply::ShipmentStarted);
        let transition = machine.on(input, policy).map_err(|e| DbErr::Custom(e.to_string()))?;
        let mut events: Vec<OrderEvent> = Vec::new();
        if shipment {
            let tracking = format!("BXDEMO{number:06}");
            events.push(OrderEvent::ShipmentAssigned {
                shipment_id: uuid::Uuid::now_v7().to_string(),
                carrier: "Braid Express".into(),
                tracking,
            });
        }
        events.extend(transition.facts.into_iter().map(OrderEvent::Saga));
        let when = at + TimeDelta::minutes(i as i64 * 7);
        recorded = history::append(txn, &id, view.version, &events, when).await.map_err(corrupt)?;
        for r in &recorded {
            view.apply(r);
        }
    }
    view.save(txn).await?;
    let state = serde_json::to_string(&machine).expect("sagas serialize");
    let row = saga::ActiveModel {
        order_id: Set(id),
        state: Set(state),
        version: Set(1),
        deadline: Set(None),
        updated_at: Set(view.updated_at),
        traceparent: Set(None),
    };
    saga::Entity::insert(row).exec_without_returning(txn).await?;
    Ok(())
}
