use braid_kit::contracts::payment::PaymentRefunded;
use braid_kit::contracts::shipping::ShipmentStatus;
use braid_kit::contracts::stock::StockRejection;

use super::*;

const ORDER: &str = "o-1";

fn reply<E: DomainEvent>(message: &E) -> Option<Reply> {
    decode(&Envelope::new("/test", message)).unwrap().map(|(reply, _)| reply)
}

fn rejected(command: &str) -> StockRejected {
    StockRejected {
        command_id: format!("{ORDER}/{command}/1"),
        order_id: ORDER.into(),
        reason: StockRejection::NotReserved,
        product_id: None,
    }
}

fn released(command_id: Option<&str>) -> StockReleased {
    StockReleased { command_id: command_id.map(Into::into), order_id: ORDER.into(), released: true, expired: false }
}

#[test]
fn each_participant_message_is_the_reply_it_stands_for() {
    let c = || format!("{ORDER}/x/1");
    let o = || ORDER.to_string();
    assert_eq!(reply(&rejected("stock.commit")), Some(Reply::CommitRejected("NOT_RESERVED".into())));
    assert_eq!(reply(&rejected("stock.reserve")), Some(Reply::ReserveRejected("NOT_RESERVED".into())));
    assert_eq!(reply(&StockCommitted { command_id: c(), order_id: o() }), Some(Reply::Committed));
    assert_eq!(reply(&StockRestocked { command_id: c(), order_id: o() }), Some(Reply::Restocked));
    let failed = PaymentFailed { command_id: c(), order_id: o(), reason: "DECLINED".into() };
    assert_eq!(reply(&failed), Some(Reply::PaymentFailed("DECLINED".into())));
    let refunded = PaymentRefunded { command_id: c(), order_id: o(), payment_id: None, amount_minor: 5 };
    assert_eq!(reply(&refunded), Some(Reply::Refunded));
    let moved = ShipmentUpdated { order_id: o(), shipment_id: "s".into(), status: ShipmentStatus::InTransit };
    assert_eq!(reply(&moved), Some(Reply::ShipmentMoved("IN_TRANSIT".into())));
    assert_eq!(reply(&ShipmentCompleted { order_id: o(), shipment_id: "s".into() }), Some(Reply::Delivered));
}

#[test]
fn a_started_shipment_brings_its_tracking_for_the_history() {
    let started = ShipmentStarted {
        command_id: format!("{ORDER}/shipment.create/1"),
        order_id: ORDER.into(),
        shipment_id: "s-1".into(),
        carrier: "c".into(),
        tracking: "t-1".into(),
    };
    let (reply, extra) = decode(&Envelope::new("/test", &started)).unwrap().unwrap();
    assert_eq!(reply, Reply::ShipmentStarted);
    assert_eq!(
        extra,
        [OrderEvent::ShipmentAssigned { shipment_id: "s-1".into(), carrier: "c".into(), tracking: "t-1".into() }]
    );
}

#[test]
fn only_a_release_the_saga_asked_for_answers_it() {
    assert_eq!(reply(&released(Some("o-1/stock.release/2"))), Some(Reply::Released));
    assert_eq!(reply(&released(None)), None, "an expired reservation the catalog released by itself");
    assert_eq!(reply(&released(Some("o-1/stock.restock/1"))), None);
}

#[test]
fn messages_the_saga_does_not_wait_for_are_no_reply_and_malformed_ones_are_refused() {
    let mut other = Envelope::new("/test", &StockCommitted { command_id: "c".into(), order_id: ORDER.into() });
    other.event_type = "catalog.product.updated.v1".into();
    assert_eq!(decode(&other).unwrap(), None);
    let mut broken = Envelope::new("/test", &StockCommitted { command_id: "c".into(), order_id: ORDER.into() });
    broken.data = serde_json::json!({ "orderId": 5 });
    assert!(matches!(decode(&broken), Err(HandlerError::Permanent(_))));
}
