//! The payment participant: captures and refunds through the provider on the saga's command,
//! records the outcome per order and answers on `payment.payment`.
//!
//! The provider is called inside the consumer's transaction: if the call gets no answer the
//! transaction rolls back and the command is retried with the same idempotency key, so a
//! capture whose answer was lost is found, not repeated.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use braid_kit::contracts::payment::{CapturePayment, PaymentFailed, PaymentProcessed, PaymentRefunded, RefundPayment};
use braid_kit::events::{DomainEvent, Envelope, Handler, HandlerError, OutboxSignal, outbox};
use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseTransaction, EntityTrait};

use super::provider::{Capture, CaptureRequest, PaymentProvider, ProviderError, Refund};
use crate::entity::payment;
use crate::saga::commands::SOURCE;

/// The participant.
pub struct Payments {
    pub provider: Arc<dyn PaymentProvider>,
    pub timeout: Duration,
    pub outbox: OutboxSignal,
}

#[async_trait]
impl Handler for Payments {
    fn name(&self) -> String {
        "orders.payment".into()
    }

    fn topics(&self) -> Vec<String> {
        vec!["payment.command".into()]
    }

    async fn handle(&self, txn: &DatabaseTransaction, event: &Envelope) -> Result<(), HandlerError> {
        if let Some(capture) = event.decode::<CapturePayment>() {
            let capture = capture.map_err(|e| HandlerError::Permanent(e.to_string()))?;
            self.capture(txn, capture).await
        } else if let Some(refund) = event.decode::<RefundPayment>() {
            let refund = refund.map_err(|e| HandlerError::Permanent(e.to_string()))?;
            self.refund(txn, refund).await
        } else {
            Err(HandlerError::Permanent(format!("not a payment command: {}", event.event_type)))
        }
    }

    fn committed(&self) {
        self.outbox.committed();
    }
}

impl Payments {
    async fn call<T>(&self, call: impl Future<Output = Result<T, ProviderError>>) -> Result<T, HandlerError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(HandlerError::Transient(e.to_string())),
            Err(_) => Err(HandlerError::Transient(ProviderError::Timeout.to_string())),
        }
    }

    async fn capture(&self, txn: &DatabaseTransaction, c: CapturePayment) -> Result<(), HandlerError> {
        let request =
            CaptureRequest { key: c.order_id.clone(), amount_minor: c.amount_minor, currency: c.currency.clone() };
        let answer = self.call(self.provider.capture(&request)).await?;
        let (status, payment_id) = match &answer {
            Capture::Captured { payment_id } => ("CAPTURED", Some(payment_id.clone())),
            Capture::Declined { .. } => ("DECLINED", None),
            Capture::Voided => ("VOIDED", None),
        };
        record(txn, &c.order_id, status, payment_id, c.amount_minor, &c.currency).await?;
        match answer {
            Capture::Captured { payment_id } => {
                metrics::counter!("braid_payments_total", "outcome" => "captured").increment(1);
                let reply = PaymentProcessed {
                    command_id: c.command_id,
                    order_id: c.order_id,
                    payment_id,
                    amount_minor: c.amount_minor,
                    currency: c.currency,
                };
                reply_with(txn, &reply).await
            }
            Capture::Declined { reason } => {
                metrics::counter!("braid_payments_total", "outcome" => "declined").increment(1);
                reply_with(txn, &PaymentFailed { command_id: c.command_id, order_id: c.order_id, reason }).await
            }
            Capture::Voided => {
                let reason = "VOIDED".to_string();
                reply_with(txn, &PaymentFailed { command_id: c.command_id, order_id: c.order_id, reason }).await
            }
        }
    }

    async fn refund(&self, txn: &DatabaseTransaction, r: RefundPayment) -> Result<(), HandlerError> {
        let answer = self.call(self.provider.refund(&r.order_id)).await?;
        let (payment_id, amount_minor) = match answer {
            Refund::Refunded { payment_id, amount_minor } => (Some(payment_id), amount_minor),
            Refund::NothingCaptured => (None, 0),
        };
        let status = if payment_id.is_some() { "REFUNDED" } else { "VOIDED" };
        if payment_id.is_some() {
            metrics::counter!("braid_payments_total", "outcome" => "refunded").increment(1);
        }
        record(txn, &r.order_id, status, payment_id.clone(), amount_minor, "").await?;
        reply_with(txn, &PaymentRefunded { command_id: r.command_id, order_id: r.order_id, payment_id, amount_minor })
            .await
    }
}

async fn record(
    txn: &DatabaseTransaction,
    order_id: &str,
    status: &str,
    payment_id: Option<String>,
    amount_minor: i64,
    currency: &str,
) -> Result<(), HandlerError> {
    let row = payment::ActiveModel {
        order_id: Set(order_id.to_string()),
        status: Set(status.to_string()),
        payment_id: Set(payment_id),
        amount_minor: Set(amount_minor),
        currency: Set(currency.to_string()),
        updated_at: Set(Utc::now()),
    };
    payment::Entity::insert(row)
        .on_conflict(
            OnConflict::column(payment::Column::OrderId)
                .update_columns([payment::Column::Status, payment::Column::PaymentId, payment::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

async fn reply_with<E: DomainEvent>(txn: &DatabaseTransaction, reply: &E) -> Result<(), HandlerError> {
    outbox::append(txn, &Envelope::new(SOURCE, reply)).await?;
    Ok(())
}
