//! The saga's state machine against a model written the simple way: random step outcomes,
//! timeouts, cancels and stray duplicate answers must end in the model's state, after the
//! model's compensations, in the model's order, never sending one command (action and
//! attempt: its command id) twice.

use braid_orders::saga::machine::{
    Action, Compensation, End, Fact, Input, Phase, Policy, Reply, Saga, Step, Transition,
};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Fail,
    Timeout,
}

/// Where a cancel arrives: right after this step's first command went out, or while handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CancelAt {
    Step(Step),
    Handling,
}

#[derive(Debug, Clone)]
struct Script {
    /// Outcomes of reserve, pay and commit, one per attempt (missing ones are Ok).
    outcomes: [Vec<Outcome>; 3],
    /// Timeouts of the shipment request before it is answered.
    ship_timeouts: u32,
    /// Timeouts while shipping (the carrier silent) before its news comes.
    ship_silences: u32,
    /// Timeouts of each compensation before it is answered.
    compensation_timeouts: Vec<u32>,
    cancel: Option<CancelAt>,
    /// Send a stray duplicate answer after every real one.
    noise: bool,
    /// The carrier's news (in transit, delivered) arrives before the shipment's start.
    news_first: bool,
}

const ATTEMPTS: u32 = 3;
const FORWARD: [Step; 3] = [Step::Reserve, Step::Pay, Step::Commit];

fn failure_reason(step: Step) -> &'static str {
    match step {
        Step::Reserve => "OUT_OF_STOCK",
        Step::Pay => "DECLINED",
        _ => "NOT_RESERVED",
    }
}

fn timeout_reason(step: Step) -> String {
    let name = match step {
        Step::Reserve => "stock.reserve",
        Step::Pay => "payment.capture",
        Step::Commit => "stock.commit",
        Step::Ship => "shipment.create",
    };
    format!("{name} timed out")
}

/// The model: how the saga ends, why, and what it undoes in which order.
fn model(script: &Script) -> (End, Option<String>, Vec<Compensation>) {
    // Written out here, not taken from the machine, so a wrong mapping there is caught.
    let undo = |sent: &[Step]| {
        let each = |s: &Step| match s {
            Step::Reserve => Compensation::Release,
            Step::Pay => Compensation::Refund,
            Step::Commit => Compensation::Restock,
            Step::Ship => unreachable!("the shipment is never undone"),
        };
        sent.iter().rev().map(each).collect::<Vec<_>>()
    };
    let mut sent = Vec::new();
    for (i, step) in FORWARD.into_iter().enumerate() {
        sent.push(step);
        if script.cancel == Some(CancelAt::Step(step)) {
            return (End::Cancelled, None, undo(&sent));
        }
        for attempt in 1..=ATTEMPTS {
            match script.outcomes[i].get(attempt as usize - 1).copied().unwrap_or(Outcome::Ok) {
                Outcome::Ok => break,
                Outcome::Fail => {
                    sent.pop(); // refused: nothing to undo for it
                    return (End::Failed, Some(failure_reason(step).into()), undo(&sent));
                }
                Outcome::Timeout if attempt == ATTEMPTS => {
                    return (End::Failed, Some(timeout_reason(step)), undo(&sent));
                }
                Outcome::Timeout => {}
            }
        }
    }
    if script.cancel == Some(CancelAt::Handling) {
        return (End::Cancelled, None, undo(&sent));
    }
    (End::Completed, None, Vec::new())
}

fn success(step: Step) -> Reply {
    match step {
        Step::Reserve => Reply::Reserved,
        Step::Pay => Reply::Captured,
        Step::Commit => Reply::Committed,
        Step::Ship => Reply::ShipmentStarted,
    }
}

fn refusal(step: Step) -> Reply {
    let reason = failure_reason(step).to_string();
    match step {
        Step::Reserve => Reply::ReserveRejected(reason),
        Step::Pay => Reply::PaymentFailed(reason),
        _ => Reply::CommitRejected(reason),
    }
}

fn answer(c: Compensation) -> Reply {
    match c {
        Compensation::Release => Reply::Released,
        Compensation::Refund => Reply::Refunded,
        Compensation::Restock => Reply::Restocked,
    }
}

/// Drives the real machine with the script; returns how it ended and what it undid.
fn drive(script: &Script) -> (End, Option<String>, Vec<Compensation>) {
    let policy = Policy { attempts: ATTEMPTS };
    let mut saga = Saga::new();
    let mut undone = Vec::new();
    let mut comp_index = 0usize;
    let mut comp_timeouts_left: Option<u32> = None;
    let mut ship_timeouts_left = script.ship_timeouts;
    let mut ship_silences_left = script.ship_silences;
    let mut ship_answered = false;
    let mut commands = std::collections::HashSet::new();
    let mut last_answer: Option<Reply> = None;
    let mut queue: std::collections::VecDeque<Input> = [Input::Start].into();
    let mut steps = 0;
    while let Some(input) = queue.pop_front() {
        steps += 1;
        assert!(steps < 500, "the saga does not end");
        let stray = script.noise && matches!(input, Input::Reply(_));
        let t: Transition = saga.on(input, policy).expect("inputs of the script are accepted");
        if let Some(command) = t.send {
            assert!(commands.insert(command), "{command:?} sent twice");
        }
        for fact in &t.facts {
            if let Fact::Succeeded { action: Action::Compensate(c) } = fact {
                undone.push(*c);
            }
        }
        if stray && let Some(dup) = last_answer.clone() {
            // A duplicate of an answer already used changes nothing.
            let before = saga.clone();
            let echo = saga.on(Input::Reply(dup), policy).unwrap();
            assert!(echo.facts.is_empty() && echo.send.is_none(), "a stray answer moved the saga: {echo:?}");
            assert_eq!(saga, before);
        }
        match t.send {
            Some((Action::Step(step), attempt)) => {
                if step == Step::Ship {
                    let news = [Reply::ShipmentMoved("IN_TRANSIT".into()), Reply::Delivered];
                    if ship_timeouts_left > 0 {
                        ship_timeouts_left -= 1;
                        queue.push_back(Input::Timeout);
                    } else if ship_answered {
                        // A check while shipping: the carrier stays silent, or its news comes.
                        queue.push_back(Input::Reply(Reply::ShipmentStarted)); // changes nothing
                        if ship_silences_left > 0 {
                            ship_silences_left -= 1;
                            queue.push_back(Input::Timeout);
                        } else {
                            queue.extend(news.into_iter().map(Input::Reply));
                        }
                    } else if script.news_first {
                        ship_answered = true;
                        queue.extend(news.into_iter().map(Input::Reply));
                        queue.push_back(Input::Reply(Reply::ShipmentStarted)); // late: changes nothing
                    } else {
                        ship_answered = true;
                        queue.push_back(Input::Reply(Reply::ShipmentStarted));
                        if ship_silences_left > 0 {
                            ship_silences_left -= 1;
                            queue.push_back(Input::Timeout);
                        } else {
                            queue.extend(news.into_iter().map(Input::Reply));
                        }
                    }
                    continue;
                }
                if attempt == 1 && script.cancel == Some(CancelAt::Step(step)) {
                    queue.push_back(Input::Cancel);
                    continue;
                }
                let index = FORWARD.iter().position(|s| *s == step).unwrap();
                let outcome = script.outcomes[index].get(attempt as usize - 1).copied().unwrap_or(Outcome::Ok);
                let reply = match outcome {
                    Outcome::Ok => success(step),
                    Outcome::Fail => refusal(step),
                    Outcome::Timeout => {
                        queue.push_back(Input::Timeout);
                        continue;
                    }
                };
                last_answer = Some(reply.clone());
                queue.push_back(Input::Reply(reply));
            }
            Some((Action::Compensate(c), attempt)) => {
                if attempt == 1 {
                    comp_timeouts_left = Some(script.compensation_timeouts.get(comp_index).copied().unwrap_or(0));
                    comp_index += 1;
                }
                match comp_timeouts_left {
                    Some(n) if n > 0 => {
                        comp_timeouts_left = Some(n - 1);
                        queue.push_back(Input::Timeout);
                    }
                    _ => queue.push_back(Input::Reply(answer(c))),
                }
            }
            None if saga.phase == Phase::Handling => {
                if script.cancel == Some(CancelAt::Handling) {
                    queue.push_back(Input::Cancel);
                } else {
                    queue.push_back(Input::Timeout);
                }
            }
            None => {}
        }
    }
    let Phase::Done { end } = saga.phase else { panic!("the saga stopped at {:?}", saga.phase) };
    (end, saga.reason, undone)
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![6 => Just(Outcome::Ok), 1 => Just(Outcome::Fail), 2 => Just(Outcome::Timeout)]
}

fn cancel() -> impl Strategy<Value = Option<CancelAt>> {
    prop_oneof![
        6 => Just(None),
        1 => Just(Some(CancelAt::Step(Step::Reserve))),
        1 => Just(Some(CancelAt::Step(Step::Pay))),
        1 => Just(Some(CancelAt::Step(Step::Commit))),
        1 => Just(Some(CancelAt::Handling)),
    ]
}

fn script() -> impl Strategy<Value = Script> {
    let outcomes = [
        prop::collection::vec(outcome(), 0..=3),
        prop::collection::vec(outcome(), 0..=3),
        prop::collection::vec(outcome(), 0..=3),
    ];
    (outcomes, 0u32..3, 0u32..3, prop::collection::vec(0u32..4, 3), cancel(), any::<bool>(), any::<bool>()).prop_map(
        |(outcomes, ship_timeouts, ship_silences, compensation_timeouts, cancel, noise, news_first)| Script {
            outcomes,
            ship_timeouts,
            ship_silences,
            compensation_timeouts,
            cancel,
            noise,
            news_first,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn the_machine_ends_as_the_model_does(script in script()) {
        prop_assert_eq!(drive(&script), model(&script));
    }
}
