//! The order as readers see it: a projection of its event stream, kept in `orders` and
//! rebuildable from the streams alone ([`rebuild`]) with identical rows.

use braid_kit::contracts::shipping::Address;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder};
use serde::{Deserialize, Serialize};

use crate::entity::{order, order_event};
use crate::history::{self, HistoryError, OrderEvent, OrderLine, Recorded};
use crate::saga::machine::{Action, End, Fact, Step, action_name, step_name};

/// Where an order is.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Pending,
    StockReserved,
    Paid,
    Shipping,
    Completed,
    Cancelled,
    Failed,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::StockReserved => "STOCK_RESERVED",
            Self::Paid => "PAID",
            Self::Shipping => "SHIPPING",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
            Self::Failed => "FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(text.to_string())).ok()
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled | Self::Failed)
    }
}

/// What happened at one moment of an order's life.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Started,
    Retried,
    Succeeded,
    Failed,
    TimedOut,
    Requested,
}

/// One entry of an order's timeline.
#[derive(async_graphql::SimpleObject, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    /// What the entry is about, for example `payment.capture` or `stock.release`.
    pub step: String,
    pub outcome: Outcome,
    pub at: DateTime<Utc>,
    /// A reason or an attempt number, when there is one.
    pub detail: Option<String>,
}

/// The shipment of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentView {
    pub shipment_id: String,
    pub carrier: String,
    pub tracking: String,
    pub status: String,
}

/// The current state of one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderView {
    pub id: String,
    pub number: String,
    pub buyer_id: String,
    pub idempotency_key: String,
    pub request_hash: String,
    pub status: OrderStatus,
    pub lines: Vec<OrderLine>,
    pub total_minor: i64,
    pub currency: String,
    pub address: Address,
    pub timeline: Vec<TimelineEntry>,
    pub shipment: Option<ShipmentView>,
    pub failure_reason: Option<String>,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl OrderView {
    /// The view after the stream's first event.
    pub fn placed(id: &str, first: &Recorded) -> Option<Self> {
        let OrderEvent::Placed(p) = &first.event else { return None };
        Some(Self {
            id: id.to_string(),
            number: p.number.clone(),
            buyer_id: p.buyer_id.clone(),
            idempotency_key: p.idempotency_key.clone(),
            request_hash: p.request_hash.clone(),
            status: OrderStatus::Pending,
            lines: p.lines.clone(),
            total_minor: p.total_minor,
            currency: p.currency.clone(),
            address: p.address.clone(),
            timeline: vec![entry("order.placed", Outcome::Succeeded, first.at, None)],
            shipment: None,
            failure_reason: None,
            placed_at: first.at,
            updated_at: first.at,
            version: first.version,
        })
    }

    /// Folds a whole stream; `None` if it does not start with `Placed`.
    pub fn fold(id: &str, events: &[Recorded]) -> Option<Self> {
        let (first, rest) = events.split_first()?;
        let mut view = Self::placed(id, first)?;
        for r in rest {
            view.apply(r);
        }
        Some(view)
    }

    /// Applies one later event.
    pub fn apply(&mut self, r: &Recorded) {
        self.version = r.version;
        self.updated_at = r.at;
        match &r.event {
            OrderEvent::Placed(_) => {}
            OrderEvent::ShipmentAssigned { shipment_id, carrier, tracking } => {
                self.shipment = Some(ShipmentView {
                    shipment_id: shipment_id.clone(),
                    carrier: carrier.clone(),
                    tracking: tracking.clone(),
                    status: "LABEL_CREATED".into(),
                });
            }
            OrderEvent::Saga(fact) => self.apply_fact(fact, r.at),
        }
    }

    fn apply_fact(&mut self, fact: &Fact, at: DateTime<Utc>) {
        let line = match fact {
            Fact::Sent { action, attempt } => {
                let (outcome, detail) = if *attempt == 1 {
                    (Outcome::Started, None)
                } else {
                    (Outcome::Retried, Some(format!("attempt {attempt}")))
                };
                entry(action_name(*action), outcome, at, detail)
            }
            Fact::Succeeded { action } => {
                if let Action::Step(step) = action {
                    self.status = match step {
                        Step::Reserve => OrderStatus::StockReserved,
                        Step::Pay => OrderStatus::Paid,
                        Step::Commit => OrderStatus::Paid,
                        Step::Ship => OrderStatus::Shipping,
                    };
                }
                entry(action_name(*action), Outcome::Succeeded, at, None)
            }
            Fact::StepFailed { step, reason } => entry(step_name(*step), Outcome::Failed, at, Some(reason.clone())),
            Fact::TimedOut { action, attempt } => {
                entry(action_name(*action), Outcome::TimedOut, at, Some(format!("attempt {attempt}")))
            }
            Fact::CancelRequested => entry("order.cancel", Outcome::Requested, at, None),
            Fact::ShipmentMoved { status } => {
                if let Some(s) = &mut self.shipment {
                    s.status = status.clone();
                }
                entry("shipment.update", Outcome::Succeeded, at, Some(status.clone()))
            }
            Fact::Ended { end, reason } => {
                let (status, step) = match end {
                    End::Completed => (OrderStatus::Completed, "order.complete"),
                    End::Cancelled => (OrderStatus::Cancelled, "order.cancel"),
                    End::Failed => (OrderStatus::Failed, "order.fail"),
                };
                if *end == End::Completed
                    && let Some(s) = &mut self.shipment
                {
                    s.status = "DELIVERED".into();
                }
                self.status = status;
                if *end == End::Failed {
                    self.failure_reason = reason.clone();
                }
                entry(step, Outcome::Succeeded, at, reason.clone())
            }
        };
        self.timeline.push(line);
    }

    /// The row of `orders` for this view.
    pub fn row(&self) -> order::ActiveModel {
        order::ActiveModel {
            id: Set(self.id.clone()),
            number: Set(self.number.clone()),
            buyer_id: Set(self.buyer_id.clone()),
            idempotency_key: Set(self.idempotency_key.clone()),
            request_hash: Set(self.request_hash.clone()),
            status: Set(self.status.as_str().to_string()),
            total_minor: Set(self.total_minor),
            currency: Set(self.currency.clone()),
            lines: Set(json(&self.lines)),
            shipping_address: Set(json(&self.address)),
            timeline: Set(json(&self.timeline)),
            shipment: Set(self.shipment.as_ref().map(json)),
            failure_reason: Set(self.failure_reason.clone()),
            placed_at: Set(self.placed_at),
            updated_at: Set(self.updated_at),
            version: Set(self.version),
        }
    }

    /// Reads a row of `orders` back.
    pub fn from_row(row: order::Model) -> Result<Self, DbErr> {
        let bad = |what: &str, e: serde_json::Error| DbErr::Custom(format!("order {} {what}: {e}", row.id));
        Ok(Self {
            status: OrderStatus::parse(&row.status)
                .ok_or_else(|| DbErr::Custom(format!("order {} has status {:?}", row.id, row.status)))?,
            lines: serde_json::from_str(&row.lines).map_err(|e| bad("lines", e))?,
            address: serde_json::from_str(&row.shipping_address).map_err(|e| bad("address", e))?,
            timeline: serde_json::from_str(&row.timeline).map_err(|e| bad("timeline", e))?,
            shipment: row.shipment.as_deref().map(serde_json::from_str).transpose().map_err(|e| bad("shipment", e))?,
            id: row.id,
            number: row.number,
            buyer_id: row.buyer_id,
            idempotency_key: row.idempotency_key,
            request_hash: row.request_hash,
            total_minor: row.total_minor,
            currency: row.currency,
            failure_reason: row.failure_reason,
            placed_at: row.placed_at,
            updated_at: row.updated_at,
            version: row.version,
        })
    }

    /// Writes the view (insert or replace).
    pub async fn save<C: ConnectionTrait>(&self, conn: &C) -> Result<(), DbErr> {
        use order::Column as C;
        let columns = [
            C::Status,
            C::Timeline,
            C::Shipment,
            C::FailureReason,
            C::UpdatedAt,
            C::Version,
            C::Lines,
            C::ShippingAddress,
            C::TotalMinor,
            C::Currency,
        ];
        order::Entity::insert(self.row())
            .on_conflict(OnConflict::column(C::Id).update_columns(columns).to_owned())
            .exec_without_returning(conn)
            .await?;
        Ok(())
    }
}

fn entry(step: &str, outcome: Outcome, at: DateTime<Utc>, detail: Option<String>) -> TimelineEntry {
    TimelineEntry { step: step.to_string(), outcome, at, detail }
}

/// JSON text of the projection's structured columns.
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("projections serialize")
}

/// Drops every projection and folds every stream again; returns the number of orders.
pub async fn rebuild(db: &sea_orm::DatabaseConnection) -> Result<u64, HistoryError> {
    let txn = braid_kit::db::begin_write(db).await?;
    order::Entity::delete_many().exec(&txn).await?;
    let rows = order_event::Entity::find()
        .order_by_asc(order_event::Column::OrderId)
        .order_by_asc(order_event::Column::Version)
        .all(&txn)
        .await?;
    let mut count = 0;
    let mut stream: Vec<Recorded> = Vec::new();
    let mut current: Option<String> = None;
    for row in rows {
        if current.as_deref() != Some(row.order_id.as_str()) {
            if let Some(id) = current.take() {
                count += write_folded(&txn, &id, &stream).await?;
            }
            current = Some(row.order_id.clone());
            stream.clear();
        }
        stream.push(history::decode(row)?);
    }
    if let Some(id) = current {
        count += write_folded(&txn, &id, &stream).await?;
    }
    txn.commit().await?;
    Ok(count)
}

async fn write_folded<C: ConnectionTrait>(conn: &C, id: &str, stream: &[Recorded]) -> Result<u64, HistoryError> {
    let view = OrderView::fold(id, stream)
        .ok_or_else(|| HistoryError::Corrupt(format!("the stream of order {id} does not start with Placed")))?;
    view.save(conn).await?;
    Ok(1)
}
