//! Payment: the orchestrator asks for a capture or a refund; the payment participant calls
//! the provider and answers on `payment.payment`.

use serde::{Deserialize, Serialize};

use super::message;

/// Authorize and capture `amountMinor`. The provider's idempotency key is the order id, so a
/// retried capture never charges twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturePayment {
    pub command_id: String,
    pub order_id: String,
    pub buyer_id: String,
    pub amount_minor: i64,
    pub currency: String,
}
message!(CapturePayment, "payment.command.capture.v1");

/// Refund whatever was captured for the order (nothing, if nothing was), and make sure a
/// capture arriving later is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundPayment {
    pub command_id: String,
    pub order_id: String,
}
message!(RefundPayment, "payment.command.refund.v1");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentProcessed {
    pub command_id: String,
    pub order_id: String,
    pub payment_id: String,
    pub amount_minor: i64,
    pub currency: String,
}
message!(PaymentProcessed, "payment.payment.processed.v1");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentFailed {
    pub command_id: String,
    pub order_id: String,
    /// `DECLINED` (for good) or `VOIDED` (the order was refunded before the capture arrived).
    pub reason: String,
}
message!(PaymentFailed, "payment.payment.failed.v1");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRefunded {
    pub command_id: String,
    pub order_id: String,
    /// The captured payment given back, if there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    pub amount_minor: i64,
}
message!(PaymentRefunded, "payment.payment.refunded.v1");
