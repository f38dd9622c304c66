//! Payment: the provider port ([`provider`]), a simulated provider with a ledger and fault
//! injection ([`simulated`]) with its HTTP API and client ([`http`]), and the saga participant that captures and refunds through it
//! ([`participant`]).

pub mod http;
pub mod participant;
pub mod provider;
pub mod simulated;

pub use provider::{Capture, PaymentProvider, ProviderError, Refund};
pub use simulated::{Faults, SimulatedProvider};
