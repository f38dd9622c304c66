//! The order saga as a pure state machine: what to do next, given where the saga stands and
//! what just happened. No I/O here, so the property test can drive it against a model.
//!
//! Steps run in order: reserve stock, capture payment, commit stock, create shipment. A step
//! that fails for good, or times out `attempts` times, runs the compensations of every step
//! whose command went out (an unanswered command may still have acted), in reverse order:
//! restock, refund, release. Compensations are retried until they are answered. A cancel is
//! accepted until the shipment is requested and compensates the same way.
//!
//! This module holds the states, inputs and facts; `transition` how an input moves a saga.

use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;
mod transition;

/// A forward step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Step {
    Reserve,
    Pay,
    Commit,
    Ship,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Reserve, Step::Pay, Step::Commit, Step::Ship];

    fn next(self) -> Option<Step> {
        match self {
            Step::Reserve => Some(Step::Pay),
            Step::Pay => Some(Step::Commit),
            Step::Commit => Some(Step::Ship),
            Step::Ship => None,
        }
    }

    /// What undoes this step; the shipment is never undone (a cancel stops before it).
    pub fn compensation(self) -> Option<Compensation> {
        match self {
            Step::Reserve => Some(Compensation::Release),
            Step::Pay => Some(Compensation::Refund),
            Step::Commit => Some(Compensation::Restock),
            Step::Ship => None,
        }
    }
}

/// A compensating action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compensation {
    Release,
    Refund,
    Restock,
}

/// A command the orchestrator sends: a step or a compensation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    Step(Step),
    Compensate(Compensation),
}

/// How a saga ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum End {
    Completed,
    Cancelled,
    Failed,
}

/// Where the saga stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "phase")]
pub enum Phase {
    /// Created, not started yet.
    New,
    /// Waiting for the answer to a step.
    Forward {
        step: Step,
        attempt: u32,
    },
    /// Stock committed and paid: the warehouse prepares the parcel until the handling timer
    /// fires and the shipment is requested. The order can still be cancelled.
    Handling,
    /// The shipment started; the carrier reports until delivery.
    Shipping,
    /// Undoing, first of `pending` in flight; then the saga ends as `end`.
    Compensating {
        pending: Vec<Compensation>,
        attempt: u32,
        end: End,
    },
    Done {
        end: End,
    },
}

/// What participants answer (matched to the step they answer, not to one attempt: every
/// participant is idempotent per order, so an answer to an earlier attempt is as good).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Reserved,
    /// The reservation was refused (out of stock, unknown product): nothing held.
    ReserveRejected(String),
    Captured,
    /// The capture was declined: nothing captured.
    PaymentFailed(String),
    Committed,
    /// The reservation was gone (expired) when the commit came.
    CommitRejected(String),
    ShipmentStarted,
    ShipmentMoved(String),
    Delivered,
    Released,
    Refunded,
    Restocked,
}

/// What happens to a saga.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Start,
    Reply(Reply),
    /// The awaited answer did not come in time.
    Timeout,
    Cancel,
}

/// A fact for the order's history (and its timeline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Fact {
    Sent { action: Action, attempt: u32 },
    Succeeded { action: Action },
    StepFailed { step: Step, reason: String },
    TimedOut { action: Action, attempt: u32 },
    CancelRequested,
    ShipmentMoved { status: String },
    Ended { end: End, reason: Option<String> },
}

/// Limits the machine obeys.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts of a forward step before giving up (the shipment is never given up).
    pub attempts: u32,
}

/// The persisted state of one saga.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Saga {
    pub phase: Phase,
    /// Steps whose command went out at least once, in order.
    pub sent: Vec<Step>,
    /// Why the saga failed, once it has.
    pub reason: Option<String>,
    /// Times the shipment was asked after again while shipping (the carrier fell silent).
    #[serde(default)]
    pub checks: u32,
    /// The attempt of the last shipment request, by the step or by a check: checks number on
    /// from it, as a retried request already used attempts 2 and up and a command id must not
    /// go out twice.
    #[serde(default)]
    pub ship_attempt: u32,
}

/// The result of one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transition {
    pub facts: Vec<Fact>,
    /// A command to send now, with its attempt number.
    pub send: Option<(Action, u32)>,
    /// The timer to run from now (cleared when `None`).
    pub timer: Option<Timer>,
}

/// What a saga waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// The answer to the command in flight, sent at this attempt.
    Answer { attempt: u32 },
    /// The end of the handling time.
    Handling,
}

/// Why an input was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the order can no longer be cancelled: its shipment has been requested")]
    NotCancellable,
}

impl Default for Saga {
    fn default() -> Self {
        Self::new()
    }
}

impl Saga {
    pub fn new() -> Self {
        Self { phase: Phase::New, sent: Vec::new(), reason: None, checks: 0, ship_attempt: 0 }
    }

    /// The saga has ended.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done { .. })
    }

    /// A cancel would be accepted now.
    pub fn can_cancel(&self) -> bool {
        matches!(
            self.phase,
            Phase::New | Phase::Handling | Phase::Forward { step: Step::Reserve | Step::Pay | Step::Commit, .. }
        )
    }
}

/// The step's name in timelines and messages.
pub fn step_name(step: Step) -> &'static str {
    match step {
        Step::Reserve => "stock.reserve",
        Step::Pay => "payment.capture",
        Step::Commit => "stock.commit",
        Step::Ship => "shipment.create",
    }
}

/// The compensation's name in timelines.
pub fn compensation_name(c: Compensation) -> &'static str {
    match c {
        Compensation::Release => "stock.release",
        Compensation::Refund => "payment.refund",
        Compensation::Restock => "stock.restock",
    }
}

/// The action's name in timelines and command ids.
pub fn action_name(action: Action) -> &'static str {
    match action {
        Action::Step(s) => step_name(s),
        Action::Compensate(c) => compensation_name(c),
    }
}
