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
        &[Input::Start, Input::Reply(Reply::Reserved), Input::Reply(Reply::Captured), Input::Reply(Reply::Committed)],
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

#[test]
fn a_retried_compensation_records_and_times_its_new_attempt() {
    let mut saga = Saga::new();
    run(&mut saga, &[Input::Start, Input::Reply(Reply::ReserveRejected("OUT_OF_STOCK".into()))]);
    assert!(saga.is_done(), "a refused reservation leaves nothing to undo");
    let mut saga = Saga::new();
    run(&mut saga, &[Input::Start, Input::Reply(Reply::Reserved), Input::Cancel]);
    assert!(!saga.is_done());
    let t = saga.on(Input::Timeout, POLICY).unwrap();
    let refund = Action::Compensate(Compensation::Refund);
    assert_eq!(t.send, Some((refund, 2)));
    assert_eq!(t.facts, [Fact::TimedOut { action: refund, attempt: 1 }, Fact::Sent { action: refund, attempt: 2 }]);
    assert_eq!(t.timer, Some(Timer::Answer { attempt: 2 }));
    let t = saga.on(Input::Reply(Reply::Released), POLICY).unwrap();
    assert_eq!((t.send, t.timer), (None, Some(Timer::Answer { attempt: 2 })), "not the answer awaited");
}

#[test]
fn cancelling_a_cancelled_order_again_changes_nothing() {
    let mut saga = Saga::new();
    run(&mut saga, &[Input::Start, Input::Reply(Reply::Reserved), Input::Cancel, Input::Timeout]);
    let compensating = saga.clone();
    let t = saga.on(Input::Cancel, POLICY).unwrap();
    assert_eq!(t, Transition { facts: vec![], send: None, timer: Some(Timer::Answer { attempt: 2 }) });
    assert_eq!(saga, compensating);
    run(&mut saga, &[Input::Reply(Reply::Refunded), Input::Reply(Reply::Released)]);
    assert_eq!(saga.phase, Phase::Done { end: End::Cancelled });
    assert!(saga.is_done());
    assert_eq!(saga.on(Input::Cancel, POLICY), Ok(Transition::default()));
    let mut failed = Saga::new();
    run(&mut failed, &[Input::Start, Input::Reply(Reply::ReserveRejected("OUT_OF_STOCK".into()))]);
    assert_eq!(failed.on(Input::Cancel, POLICY), Err(Refused::NotCancellable), "a failed order is not cancelled");
}

#[test]
fn actions_are_named_as_the_participants_know_them() {
    let names: Vec<&str> = [
        Action::Step(Step::Reserve),
        Action::Step(Step::Pay),
        Action::Step(Step::Commit),
        Action::Step(Step::Ship),
        Action::Compensate(Compensation::Release),
        Action::Compensate(Compensation::Refund),
        Action::Compensate(Compensation::Restock),
    ]
    .into_iter()
    .map(action_name)
    .collect();
    assert_eq!(
        names,
        [
            "stock.reserve",
            "payment.capture",
            "stock.commit",
            "shipment.create",
            "stock.release",
            "payment.refund",
            "stock.restock"
        ]
    );
}
