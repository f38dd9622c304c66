//! The payment provider port. Every call carries an idempotency key (the order id): the same
//! capture twice charges once, and a refund voids the key so a capture arriving after it is
//! refused instead of charging an order already given up.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// What a capture did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum Capture {
    Captured {
        payment_id: String,
    },
    Declined {
        reason: String,
    },
    /// The key was refunded or voided before: nothing charged.
    Voided,
}

/// What a refund did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum Refund {
    Refunded {
        payment_id: String,
        amount_minor: i64,
    },
    /// Nothing was captured under the key; it is void from now on.
    NothingCaptured,
}

/// A capture request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureRequest {
    pub key: String,
    pub amount_minor: i64,
    pub currency: String,
}

/// The call did not get an answer: it may or may not have acted (retry with the same key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    #[error("payment provider timed out")]
    Timeout,
}

/// A payment service provider.
#[async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    async fn capture(&self, request: &CaptureRequest) -> Result<Capture, ProviderError>;
    async fn refund(&self, key: &str) -> Result<Refund, ProviderError>;
}
