//! The saga under failures: declines, timeouts, lost answers, a race for the last units.

use braid_orders::payment::Faults;
use braid_orders::payment::simulated::EntryStatus;
use braid_testkit::eventually;

use crate::stack::{Stack, Tuning, WAIT, steps};

#[tokio::test]
async fn a_declined_payment_fails_the_order_and_releases_its_stock() {
    let faults = Faults { decline_rate: 1.0, ..Faults::default() };
    let stack = Stack::start(Tuning { faults, ..Tuning::default() }).await;
    let a = stack.product("F-1", "9.99", 5).await;
    stack.add("201", &a, 2).await;
    let id = stack.place("201", "k").await.data()["placeOrder"]["id"].as_str().unwrap().to_string();
    let done = stack.settled("201", &id).await;
    assert_eq!(done["status"], "FAILED");
    assert_eq!(done["failureReason"], "DECLINED");
    assert!(steps(&done).ends_with(&[
        "payment.capture:FAILED".to_string(),
        "stock.release:STARTED".into(),
        "stock.release:SUCCEEDED".into(),
        "order.fail:SUCCEEDED".into(),
    ]));
    assert_eq!(stack.stock(&a).await, (5, 0, 5));
    assert_eq!(stack.provider.ledger()[0].captures, 0);
    stack.orders.stop().await;
    stack.catalog.stop().await;
}

#[tokio::test]
async fn a_step_that_times_out_for_good_is_compensated_and_compensations_retry_until_they_succeed() {
    let faults = Faults { timeout_rate: 1.0, ..Faults::default() };
    let tuning = Tuning { faults, step_timeout_ms: 1_000, step_attempts: 2, ..Tuning::default() };
    let stack = Stack::start(tuning).await;
    let a = stack.product("G-1", "4.00", 5).await;
    stack.add("202", &a, 1).await;
    let id = stack.place("202", "k").await.data()["placeOrder"]["id"].as_str().unwrap().to_string();
    // The capture is given up, and the refund that compensates it hangs too: it is retried.
    eventually("the refund to be retried", WAIT, || async {
        let order = stack.status("202", &id).await;
        steps(&order).contains(&"payment.refund:RETRIED".to_string()).then_some(())
    })
    .await;
    assert_eq!(stack.status("202", &id).await["status"], "STOCK_RESERVED", "not terminal while compensating");
    stack.provider.set_faults(Faults::default());
    let done = stack.settled("202", &id).await;
    assert_eq!(done["status"], "FAILED");
    assert_eq!(done["failureReason"], "payment.capture timed out");
    assert_eq!(stack.stock(&a).await, (5, 0, 5));
    // A capture still being retried when the provider healed may land before the refund:
    // then it is refunded once. Otherwise the refund voided the key and no capture can land.
    let entry = &stack.provider.ledger()[0];
    let outcome = (entry.status, entry.captures, entry.refunds);
    assert!(outcome == (EntryStatus::Voided, 0, 0) || outcome == (EntryStatus::Refunded, 1, 1), "{entry:?}");
    stack.orders.stop().await;
    stack.catalog.stop().await;
}

#[tokio::test]
async fn a_capture_whose_answer_was_lost_is_found_not_repeated() {
    let faults = Faults { lost_answer_rate: 1.0, ..Faults::default() };
    let stack = Stack::start(Tuning { faults, ..Tuning::default() }).await;
    let a = stack.product("H-1", "7.00", 5).await;
    stack.add("203", &a, 1).await;
    let id = stack.place("203", "k").await.data()["placeOrder"]["id"].as_str().unwrap().to_string();
    eventually("a capture to happen", WAIT, || async { (stack.provider.ledger().len() == 1).then_some(()) }).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stack.provider.set_faults(Faults::default());
    let done = stack.settled("203", &id).await;
    assert_eq!(done["status"], "COMPLETED");
    let entry = &stack.provider.ledger()[0];
    assert_eq!((entry.status, entry.captures), (EntryStatus::Captured, 1), "charged once");
    stack.orders.stop().await;
    stack.catalog.stop().await;
}

#[tokio::test]
async fn buyers_racing_for_the_last_units_never_oversell() {
    let stack = Stack::start(Tuning::default()).await;
    let a = stack.product("I-1", "2.00", 3).await;
    let buyers: Vec<String> = (0..8).map(|i| format!("3{i:02}")).collect();
    for b in &buyers {
        assert_eq!(stack.add(b, &a, 1).await.data()["addToCart"]["itemCount"], 1);
    }
    let placed = futures::future::join_all(buyers.iter().map(|b| stack.place(b, "race"))).await;
    let mut orders = Vec::new();
    for (b, reply) in buyers.iter().zip(&placed) {
        if reply.body["errors"].is_null() {
            orders.push((b.clone(), reply.data()["placeOrder"]["id"].as_str().unwrap().to_string()));
        } else {
            assert_eq!(reply.code(), "OUT_OF_STOCK", "{:?}", reply.body);
        }
    }
    let mut completed = 0;
    for (b, id) in &orders {
        let done = stack.settled(b, id).await;
        match done["status"].as_str() {
            Some("COMPLETED") => completed += 1,
            _ => assert_eq!(done["failureReason"], "OUT_OF_STOCK", "{done}"),
        }
    }
    assert_eq!(completed, 3, "exactly the units there were");
    assert_eq!(stack.stock(&a).await, (0, 0, 0));
    stack.orders.stop().await;
    stack.catalog.stop().await;
}
