//! The order saga as a pure state machine: what to do next, given where the saga stands and
//! what just happened. No I/O here, so the property test can drive it against a model.
//!
//! Steps run in order: reserve stock, capture payment, commit stock, create shipment. A step
//! that fails for good, or times out `attempts` times, runs the compensations of every step
//! whose command went out (an unanswered command may still have acted), in reverse order:
//! restock, refund, release. Compensations are retried until they are answered. A cancel is
//! accepted until the shipment is requested and compensates the same way.

use serde::{Deserialize, Serialize};

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

    /// Applies `input`; an input that does not fit the phase (a late or duplicate answer)
    /// changes nothing.
    pub fn on(&mut self, input: Input, policy: Policy) -> Result<Transition, Refused> {
        let mut t = Transition::default();
        match (self.phase.clone(), input) {
            (Phase::New, Input::Start) => self.forward(Step::Reserve, 1, &mut t),
            (Phase::New | Phase::Forward { .. } | Phase::Handling, Input::Cancel) => {
                if !self.can_cancel() {
                    return Err(Refused::NotCancellable);
                }
                t.facts.push(Fact::CancelRequested);
                self.compensate(End::Cancelled, None, &mut t);
            }
            // Cancelling twice is not an error; cancelling what shipped or ended otherwise is.
            (Phase::Compensating { end: End::Cancelled, pending, attempt }, Input::Cancel) => {
                self.phase = Phase::Compensating { end: End::Cancelled, pending, attempt };
                t.timer = Some(Timer::Answer { attempt });
            }
            (Phase::Done { end: End::Cancelled }, Input::Cancel) => {}
            (_, Input::Cancel) => return Err(Refused::NotCancellable),
            // The carrier's news proves the shipment started: it can overtake the answer to the
            // request (a retried request answered after the first one's parcel moved on).
            (Phase::Forward { step: Step::Ship, .. }, Input::Reply(Reply::ShipmentMoved(status))) => {
                t.facts.push(Fact::Succeeded { action: Action::Step(Step::Ship) });
                self.phase = Phase::Shipping;
                t.facts.push(Fact::ShipmentMoved { status });
                t.timer = Some(Timer::Answer { attempt: 1 });
            }
            (Phase::Forward { step: Step::Ship, .. }, Input::Reply(Reply::Delivered)) => {
                t.facts.push(Fact::Succeeded { action: Action::Step(Step::Ship) });
                self.end(End::Completed, &mut t);
            }
            (Phase::Forward { step, attempt }, Input::Reply(reply)) => self.forward_reply(step, attempt, reply, &mut t),
            (Phase::Handling, Input::Timeout) => self.forward(Step::Ship, 1, &mut t),
            (Phase::Forward { step, attempt }, Input::Timeout) => {
                t.facts.push(Fact::TimedOut { action: Action::Step(step), attempt });
                if attempt < policy.attempts || step == Step::Ship {
                    self.forward(step, attempt + 1, &mut t);
                } else {
                    let reason = format!("{} timed out", step_name(step));
                    self.compensate(End::Failed, Some(reason), &mut t);
                }
            }
            (Phase::Shipping, Input::Reply(Reply::ShipmentMoved(status))) => {
                t.facts.push(Fact::ShipmentMoved { status });
                t.timer = Some(Timer::Answer { attempt: 1 });
            }
            // The carrier fell silent (its news lost, or never sent): ask the shipping
            // participant again, which answers with where the shipment is.
            (Phase::Shipping, Input::Timeout) => {
                self.checks += 1;
                // Sagas stored before `ship_attempt` was kept numbered their checks from 2.
                let attempt = self.ship_attempt.max(self.checks) + 1;
                self.ship_attempt = attempt;
                t.facts.push(Fact::Sent { action: Action::Step(Step::Ship), attempt });
                t.send = Some((Action::Step(Step::Ship), attempt));
                t.timer = Some(Timer::Answer { attempt });
            }
            (Phase::Shipping, Input::Reply(Reply::Delivered)) => self.end(End::Completed, &mut t),
            (Phase::Compensating { pending, attempt, end }, Input::Reply(reply)) => {
                let first = pending[0];
                if answers(first, &reply) {
                    t.facts.push(Fact::Succeeded { action: Action::Compensate(first) });
                    self.next_compensation(pending[1..].to_vec(), end, &mut t);
                } else {
                    // Not the answer awaited: keep the timer of the command in flight.
                    self.phase = Phase::Compensating { pending, attempt, end };
                    t.timer = Some(Timer::Answer { attempt });
                }
            }
            (Phase::Compensating { pending, attempt, end }, Input::Timeout) => {
                t.facts.push(Fact::TimedOut { action: Action::Compensate(pending[0]), attempt });
                let first = pending[0];
                self.phase = Phase::Compensating { pending, attempt: attempt + 1, end };
                t.send = Some((Action::Compensate(first), attempt + 1));
                t.facts.push(Fact::Sent { action: Action::Compensate(first), attempt: attempt + 1 });
                t.timer = Some(Timer::Answer { attempt: attempt + 1 });
            }
            (_, _) => {} // ignored: a late or duplicated answer changes nothing
        }
        Ok(t)
    }

    fn forward(&mut self, step: Step, attempt: u32, t: &mut Transition) {
        if !self.sent.contains(&step) {
            self.sent.push(step);
        }
        if step == Step::Ship {
            self.ship_attempt = attempt;
        }
        self.phase = Phase::Forward { step, attempt };
        t.facts.push(Fact::Sent { action: Action::Step(step), attempt });
        t.send = Some((Action::Step(step), attempt));
        t.timer = Some(Timer::Answer { attempt });
    }

    fn forward_reply(&mut self, step: Step, attempt: u32, reply: Reply, t: &mut Transition) {
        let failure = match (step, &reply) {
            (Step::Reserve, Reply::Reserved)
            | (Step::Pay, Reply::Captured)
            | (Step::Commit, Reply::Committed)
            | (Step::Ship, Reply::ShipmentStarted) => None,
            (Step::Reserve, Reply::ReserveRejected(r))
            | (Step::Pay, Reply::PaymentFailed(r))
            | (Step::Commit, Reply::CommitRejected(r)) => Some(r.clone()),
            _ => {
                // An answer to another step (late, duplicated): the step in flight keeps waiting.
                self.phase = Phase::Forward { step, attempt };
                return;
            }
        };
        match failure {
            None => {
                t.facts.push(Fact::Succeeded { action: Action::Step(step) });
                match step.next() {
                    Some(Step::Ship) => {
                        self.phase = Phase::Handling;
                        t.timer = Some(Timer::Handling);
                    }
                    Some(next) => self.forward(next, 1, t),
                    None => {
                        // Waiting on the carrier, with a clock in case its news is lost.
                        self.phase = Phase::Shipping;
                        t.timer = Some(Timer::Answer { attempt: 1 });
                    }
                }
            }
            Some(reason) => {
                // A refusal is final and the participant did nothing: that step needs no undoing.
                self.sent.retain(|s| *s != step);
                t.facts.push(Fact::StepFailed { step, reason: reason.clone() });
                self.compensate(End::Failed, Some(reason), t);
            }
        }
    }

    fn compensate(&mut self, end: End, reason: Option<String>, t: &mut Transition) {
        self.reason = reason;
        let pending: Vec<Compensation> = self.sent.iter().rev().filter_map(|s| s.compensation()).collect();
        self.next_compensation(pending, end, t);
    }

    fn next_compensation(&mut self, pending: Vec<Compensation>, end: End, t: &mut Transition) {
        match pending.first() {
            Some(&first) => {
                self.phase = Phase::Compensating { pending, attempt: 1, end };
                t.facts.push(Fact::Sent { action: Action::Compensate(first), attempt: 1 });
                t.send = Some((Action::Compensate(first), 1));
                t.timer = Some(Timer::Answer { attempt: 1 });
            }
            None => self.end(end, t),
        }
    }

    fn end(&mut self, end: End, t: &mut Transition) {
        self.phase = Phase::Done { end };
        t.facts.push(Fact::Ended { end, reason: self.reason.clone() });
    }
}

/// Whether `reply` is the answer to `compensation`.
fn answers(compensation: Compensation, reply: &Reply) -> bool {
    matches!(
        (compensation, reply),
        (Compensation::Release, Reply::Released)
            | (Compensation::Refund, Reply::Refunded)
            | (Compensation::Restock, Reply::Restocked)
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy { attempts: 2 };

    fn run(saga: &mut Saga, inputs: &[Input]) -> Vec<Option<(Action, u32)>> {
        inputs.iter().map(|i| saga.on(i.clone(), POLICY).unwrap().send).collect()
    }

    #[test]
    fn a_silent_carrier_is_asked_again_until_its_news_comes() {
        let mut saga = Saga::new();
        let sent = run(
            &mut saga,
            &[
                Input::Start,
                Input::Reply(Reply::Reserved),
                Input::Reply(Reply::Captured),
                Input::Reply(Reply::Committed),
                Input::Timeout,
                Input::Reply(Reply::ShipmentStarted),
                Input::Timeout,
                Input::Timeout,
                Input::Reply(Reply::ShipmentStarted),
                Input::Reply(Reply::Delivered),
            ],
        );
        assert_eq!(sent[6], Some((Action::Step(Step::Ship), 2)));
        assert_eq!(sent[7], Some((Action::Step(Step::Ship), 3)));
        assert_eq!(sent[8], None, "a repeated start changes nothing");
        assert_eq!(saga.phase, Phase::Done { end: End::Completed });
    }

    #[test]
    fn a_check_after_a_retried_shipment_request_does_not_reuse_its_attempt() {
        let mut saga = Saga::new();
        let sent = run(
            &mut saga,
            &[
                Input::Start,
                Input::Reply(Reply::Reserved),
                Input::Reply(Reply::Captured),
                Input::Reply(Reply::Committed),
                Input::Timeout,
                Input::Timeout,
                Input::Reply(Reply::ShipmentStarted),
                Input::Timeout,
                Input::Timeout,
            ],
        );
        assert_eq!(sent[4], Some((Action::Step(Step::Ship), 1)));
        assert_eq!(sent[5], Some((Action::Step(Step::Ship), 2)), "the request retried");
        assert_eq!(sent[7], Some((Action::Step(Step::Ship), 3)), "the check goes on from the retry");
        assert_eq!(sent[8], Some((Action::Step(Step::Ship), 4)));
    }

    #[test]
    fn a_saga_stored_before_ship_attempt_was_kept_numbers_its_checks_on() {
        // Shipping after one check (attempt 2), as stored before `shipAttempt` existed.
        let mut saga: Saga =
            serde_json::from_str(r#"{"phase":{"phase":"shipping"},"sent":[],"reason":null,"checks":1}"#).unwrap();
        assert_eq!(saga.on(Input::Timeout, POLICY).unwrap().send, Some((Action::Step(Step::Ship), 3)));
        assert_eq!(saga.on(Input::Timeout, POLICY).unwrap().send, Some((Action::Step(Step::Ship), 4)));
    }

    #[test]
    fn the_happy_path_ends_completed() {
        let mut saga = Saga::new();
        let sent = run(
            &mut saga,
            &[
                Input::Start,
                Input::Reply(Reply::Reserved),
                Input::Reply(Reply::Captured),
                Input::Reply(Reply::Committed),
                Input::Timeout,
                Input::Reply(Reply::ShipmentStarted),
                Input::Reply(Reply::ShipmentMoved("IN_TRANSIT".into())),
                Input::Reply(Reply::Delivered),
            ],
        );
        let steps: Vec<_> = sent.into_iter().flatten().map(|(a, _)| a).collect();
        assert_eq!(steps, Step::ALL.map(Action::Step).to_vec());
        assert_eq!(saga.phase, Phase::Done { end: End::Completed });
    }

    #[test]
    fn a_declined_payment_releases_the_stock_only() {
        let mut saga = Saga::new();
        let sent = run(
            &mut saga,
            &[
                Input::Start,
                Input::Reply(Reply::Reserved),
                Input::Reply(Reply::PaymentFailed("DECLINED".into())),
                Input::Reply(Reply::Released),
            ],
        );
        assert_eq!(sent[2], Some((Action::Compensate(Compensation::Release), 1)));
        assert_eq!(saga.phase, Phase::Done { end: End::Failed });
        assert_eq!(saga.reason.as_deref(), Some("DECLINED"));
    }

    #[test]
    fn a_payment_that_times_out_for_good_is_refunded_then_released() {
        let mut saga = Saga::new();
        let sent = run(
            &mut saga,
            &[
                Input::Start,
                Input::Reply(Reply::Reserved),
                Input::Timeout,
                Input::Timeout,
                Input::Timeout,
                Input::Reply(Reply::Refunded),
                Input::Reply(Reply::Released),
            ],
        );
        assert_eq!(sent[2], Some((Action::Step(Step::Pay), 2)));
        assert_eq!(sent[3], Some((Action::Compensate(Compensation::Refund), 1)));
        assert_eq!(sent[4], Some((Action::Compensate(Compensation::Refund), 2)));
        assert_eq!(sent[5], Some((Action::Compensate(Compensation::Release), 1)));
        assert_eq!(saga.phase, Phase::Done { end: End::Failed });
    }

    #[test]
    fn cancel_is_refused_once_the_shipment_is_requested() {
        let mut saga = Saga::new();
        run(
            &mut saga,
            &[
                Input::Start,
                Input::Reply(Reply::Reserved),
                Input::Reply(Reply::Captured),
                Input::Reply(Reply::Committed),
            ],
        );
        assert!(saga.can_cancel(), "the parcel is still being prepared");
        saga.on(Input::Timeout, POLICY).unwrap();
        assert_eq!(saga.on(Input::Cancel, POLICY), Err(Refused::NotCancellable));
        let mut saga = Saga::new();
        run(&mut saga, &[Input::Start, Input::Reply(Reply::Reserved), Input::Cancel]);
        assert_eq!(
            saga.phase,
            Phase::Compensating {
                pending: vec![Compensation::Refund, Compensation::Release],
                attempt: 1,
                end: End::Cancelled
            }
        );
    }
}
