//! How an input moves a saga: the phase it leaves it in, the facts it records, the command
//! it sends and the timer it sets.

use super::{
    Action, Compensation, End, Fact, Input, Phase, Policy, Refused, Reply, Saga, Step, Timer, Transition, step_name,
};

impl Saga {
    /// Applies `input`; an input that does not fit the phase (a late or duplicate answer)
    /// changes nothing.
    pub fn on(&mut self, input: Input, policy: Policy) -> Result<Transition, Refused> {
        let mut t = Transition::default();
        match (self.phase.clone(), input) {
            (Phase::New, Input::Start) => self.forward(Step::Reserve, 1, &mut t),
            (phase, Input::Cancel) => self.cancel(phase, &mut t)?,
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

    /// A cancel in `phase`: accepted until the shipment is requested.
    fn cancel(&mut self, phase: Phase, t: &mut Transition) -> Result<(), Refused> {
        match phase {
            Phase::New | Phase::Forward { .. } | Phase::Handling => {
                if !self.can_cancel() {
                    return Err(Refused::NotCancellable);
                }
                t.facts.push(Fact::CancelRequested);
                self.compensate(End::Cancelled, None, t);
            }
            // Cancelling twice is not an error; cancelling what shipped or ended otherwise is.
            Phase::Compensating { end: End::Cancelled, pending, attempt } => {
                self.phase = Phase::Compensating { end: End::Cancelled, pending, attempt };
                t.timer = Some(Timer::Answer { attempt });
            }
            Phase::Done { end: End::Cancelled } => {}
            _ => return Err(Refused::NotCancellable),
        }
        Ok(())
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
