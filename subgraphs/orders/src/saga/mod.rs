//! The order saga's orchestrator: a pure state machine ([`machine`]) and the code that
//! persists it, sends its commands through the outbox ([`commands`]), feeds it the
//! participants' replies ([`replies`]) and its timeouts ([`timer`]).

pub mod commands;
pub mod machine;
pub mod orchestrator;
pub mod replies;
pub mod timer;

pub use orchestrator::{ApplyError, Orchestrator};
