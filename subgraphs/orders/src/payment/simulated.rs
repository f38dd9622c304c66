//! A simulated payment provider: a ledger keyed by idempotency key, and faults injected at
//! the rates its configuration (or an admin call) sets: declines, errors, answers lost after
//! acting, hangs and latency. The ledger counts every real capture and refund, so tests can
//! prove that no order was charged twice and every refund happened once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use braid_kit::config::PaymentConfig;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::provider::{Capture, CaptureRequest, PaymentProvider, ProviderError, Refund};

/// Fault rates (0 to 1) and latency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Faults {
    pub decline_rate: f64,
    pub error_rate: f64,
    pub lost_answer_rate: f64,
    pub timeout_rate: f64,
    pub latency_ms: u64,
}

impl Faults {
    pub fn from_config(config: &PaymentConfig) -> Self {
        Self {
            decline_rate: config.decline_rate,
            error_rate: config.error_rate,
            lost_answer_rate: config.lost_answer_rate,
            timeout_rate: config.timeout_rate,
            latency_ms: config.latency_ms,
        }
    }

    /// Rates outside 0..=1 are refused.
    pub fn validate(&self) -> Result<(), String> {
        let rates = [self.decline_rate, self.error_rate, self.lost_answer_rate, self.timeout_rate];
        if rates.iter().all(|r| (0.0..=1.0).contains(r)) { Ok(()) } else { Err("rates are between 0 and 1".into()) }
    }
}

/// Where one key stands in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntryStatus {
    Captured,
    Declined,
    Refunded,
    Voided,
}

/// One key of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub key: String,
    pub status: EntryStatus,
    pub payment_id: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    /// Money actually taken under this key (more than 1 would be a double charge).
    pub captures: u32,
    /// Money actually given back under this key.
    pub refunds: u32,
}

/// The simulated provider; clones share the ledger and the faults.
#[derive(Clone, Default)]
pub struct SimulatedProvider {
    ledger: Arc<Mutex<HashMap<String, Entry>>>,
    faults: Arc<Mutex<Faults>>,
}

/// What the dice said for one call.
enum Fate {
    Error,
    Hang,
    Act { lose_answer: bool },
}

impl SimulatedProvider {
    pub fn new(faults: Faults) -> Self {
        Self { ledger: Arc::default(), faults: Arc::new(Mutex::new(faults)) }
    }

    /// Replaces the fault rates (the admin call).
    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap() = faults;
    }

    pub fn faults(&self) -> Faults {
        self.faults.lock().unwrap().clone()
    }

    /// Every key, sorted.
    pub fn ledger(&self) -> Vec<Entry> {
        let mut entries: Vec<Entry> = self.ledger.lock().unwrap().values().cloned().collect();
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        entries
    }

    async fn fate(&self) -> Fate {
        let faults = self.faults();
        if faults.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
        }
        let mut rng = rand::rng();
        if rng.random_bool(faults.error_rate) {
            Fate::Error
        } else if rng.random_bool(faults.timeout_rate) {
            Fate::Hang
        } else {
            Fate::Act { lose_answer: rng.random_bool(faults.lost_answer_rate) }
        }
    }

    /// Runs `act` on the ledger under the call's fate.
    async fn call<T>(&self, act: impl FnOnce(&mut HashMap<String, Entry>) -> T) -> Result<T, ProviderError> {
        match self.fate().await {
            Fate::Error => Err(ProviderError::Unavailable("simulated server error".into())),
            Fate::Hang => {
                // Long enough for any caller's timeout; nothing is done.
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Err(ProviderError::Timeout)
            }
            Fate::Act { lose_answer } => {
                let answer = act(&mut self.ledger.lock().unwrap());
                if lose_answer { Err(ProviderError::Unavailable("simulated lost answer".into())) } else { Ok(answer) }
            }
        }
    }
}

#[async_trait]
impl PaymentProvider for SimulatedProvider {
    async fn capture(&self, request: &CaptureRequest) -> Result<Capture, ProviderError> {
        let decline = rand::rng().random_bool(self.faults().decline_rate);
        self.call(|ledger| {
            if let Some(entry) = ledger.get(&request.key) {
                return match entry.status {
                    EntryStatus::Captured => {
                        Capture::Captured { payment_id: entry.payment_id.clone().unwrap_or_default() }
                    }
                    EntryStatus::Declined => Capture::Declined { reason: "DECLINED".into() },
                    EntryStatus::Refunded | EntryStatus::Voided => Capture::Voided,
                };
            }
            let mut entry = Entry {
                key: request.key.clone(),
                status: EntryStatus::Declined,
                payment_id: None,
                amount_minor: request.amount_minor,
                currency: request.currency.clone(),
                captures: 0,
                refunds: 0,
            };
            let answer = if decline {
                Capture::Declined { reason: "DECLINED".into() }
            } else {
                let payment_id = format!("pay_{}", uuid::Uuid::now_v7().simple());
                entry.status = EntryStatus::Captured;
                entry.payment_id = Some(payment_id.clone());
                entry.captures = 1;
                Capture::Captured { payment_id }
            };
            ledger.insert(request.key.clone(), entry);
            answer
        })
        .await
    }

    async fn refund(&self, key: &str) -> Result<Refund, ProviderError> {
        self.call(|ledger| {
            let entry = ledger.entry(key.to_string()).or_insert_with(|| Entry {
                key: key.to_string(),
                status: EntryStatus::Voided,
                payment_id: None,
                amount_minor: 0,
                currency: String::new(),
                captures: 0,
                refunds: 0,
            });
            match entry.status {
                EntryStatus::Captured => {
                    entry.status = EntryStatus::Refunded;
                    entry.refunds += 1;
                    Refund::Refunded {
                        payment_id: entry.payment_id.clone().unwrap_or_default(),
                        amount_minor: entry.amount_minor,
                    }
                }
                EntryStatus::Refunded => Refund::Refunded {
                    payment_id: entry.payment_id.clone().unwrap_or_default(),
                    amount_minor: entry.amount_minor,
                },
                EntryStatus::Declined | EntryStatus::Voided => {
                    entry.status = EntryStatus::Voided;
                    Refund::NothingCaptured
                }
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(key: &str) -> CaptureRequest {
        CaptureRequest { key: key.into(), amount_minor: 1299, currency: "EUR".into() }
    }

    #[tokio::test]
    async fn a_key_is_captured_once_and_refunded_once() {
        let provider = SimulatedProvider::new(Faults::default());
        let first = provider.capture(&request("o1")).await.unwrap();
        assert_eq!(provider.capture(&request("o1")).await.unwrap(), first);
        assert!(matches!(provider.refund("o1").await.unwrap(), Refund::Refunded { amount_minor: 1299, .. }));
        assert!(matches!(provider.refund("o1").await.unwrap(), Refund::Refunded { .. }));
        assert_eq!(provider.capture(&request("o1")).await.unwrap(), Capture::Voided);
        let entry = &provider.ledger()[0];
        assert_eq!((entry.captures, entry.refunds, entry.status), (1, 1, EntryStatus::Refunded));
    }

    #[tokio::test]
    async fn a_refund_first_voids_the_key_and_lost_answers_still_act() {
        let provider = SimulatedProvider::new(Faults::default());
        assert_eq!(provider.refund("o2").await.unwrap(), Refund::NothingCaptured);
        assert_eq!(provider.capture(&request("o2")).await.unwrap(), Capture::Voided);
        provider.set_faults(Faults { lost_answer_rate: 1.0, ..Faults::default() });
        assert!(provider.capture(&request("o3")).await.is_err());
        provider.set_faults(Faults::default());
        assert!(matches!(provider.capture(&request("o3")).await.unwrap(), Capture::Captured { .. }));
        let o3 = provider.ledger().into_iter().find(|e| e.key == "o3").unwrap();
        assert_eq!(o3.captures, 1);
    }

    #[tokio::test]
    async fn declines_are_remembered() {
        let provider = SimulatedProvider::new(Faults { decline_rate: 1.0, ..Faults::default() });
        assert!(matches!(provider.capture(&request("o4")).await.unwrap(), Capture::Declined { .. }));
        provider.set_faults(Faults::default());
        assert!(matches!(provider.capture(&request("o4")).await.unwrap(), Capture::Declined { .. }));
        assert_eq!(provider.refund("o4").await.unwrap(), Refund::NothingCaptured);
    }
}
