use super::*;
use serde_json::json;

fn event(topic: &str, key: &str, data: Value) -> Event {
    Event {
        topic: topic.into(),
        key: key.into(),
        id: format!("{topic}/{key}"),
        kind: "t.v1".into(),
        data: Arc::new(data),
        received: Instant::now(),
        partition: 0,
        offset: 0,
        position: Arc::default(),
        traceparent: None,
    }
}

fn keys(keys: &[&str]) -> Filter {
    Filter::keyed(keys.iter().map(|k| k.to_string()))
}

#[tokio::test]
async fn events_reach_exactly_the_subscribers_whose_filter_they_pass() {
    let hub = Hub::new(8, 100);
    let mut one = hub.subscribe("orders.order", keys(&["1"]));
    let mut both = hub.subscribe("orders.order", keys(&["1", "2"]));
    let mut buyer = hub.subscribe("orders.order", Filter::Field { field: "buyerId".into(), value: json!(7) });
    let mut all_products = hub.subscribe("catalog.product", Filter::All);
    let low = Filter::Flagged { field: "low".into(), within: Box::new(Filter::All) };
    let mut low_stock = hub.subscribe("catalog.product", low);
    assert_eq!(hub.subscribers(), 5);
    assert_eq!(hub.publish(event("orders.order", "1", json!({"buyerId": 7}))), 3);
    assert_eq!(hub.publish(event("orders.order", "2", json!({"buyerId": 8}))), 1);
    assert_eq!(hub.publish(event("orders.order", "3", json!({"buyerId": 7}))), 1);
    assert_eq!(hub.publish(event("catalog.product", "1", json!({}))), 1);
    assert_eq!(hub.publish(event("catalog.product", "2", json!({"low": true}))), 2);
    assert_eq!(hub.publish(event("catalog.product", "3", json!({"low": false}))), 1);
    assert_eq!(hub.publish(event("documents.document", "1", json!({}))), 0);
    assert_eq!(one.next().await.unwrap().0.key, "1");
    assert_eq!(both.next().await.unwrap().0.key, "1");
    assert_eq!(both.next().await.unwrap().0.key, "2");
    assert_eq!(buyer.next().await.unwrap().0.key, "1");
    assert_eq!(buyer.next().await.unwrap().0.key, "3");
    assert_eq!(all_products.next().await.unwrap().0.topic, "catalog.product");
    assert_eq!(low_stock.next().await.unwrap().0.key, "2");
    drop((one, both));
    assert_eq!(hub.subscribers(), 3);
    assert_eq!(hub.publish(event("orders.order", "1", json!({}))), 0);
    drop((buyer, all_products, low_stock));
    assert!(hub.topics().is_empty(), "an empty topic is forgotten");
}

#[tokio::test]
async fn each_event_carries_where_the_hub_stood_once_it_was_handed_on() {
    let hub = Hub::new(8, 100);
    hub.seed("t", &[(0, 10), (1, 4)]);
    let mut feed = hub.subscribe("t", Filter::All);
    for (partition, offset) in [(1, 4), (0, 10), (1, 5)] {
        hub.publish(Event { partition, offset, ..event("t", "k", json!({})) });
    }
    let mut positions = Vec::new();
    for _ in 0..3 {
        positions.push(feed.next().await.unwrap().0.position.to_string());
    }
    assert_eq!(positions, ["0:10,1:5", "0:11,1:5", "0:11,1:6"]);
}

#[tokio::test]
async fn a_slow_subscriber_skips_with_a_count_then_ends_and_others_are_unaffected() {
    let hub = Hub::new(2, 3);
    let mut slow = hub.subscribe("t", keys(&["k"]));
    let mut fast = hub.subscribe("t", keys(&["k"]));
    for i in 0..4 {
        hub.publish(event("t", "k", json!({ "n": i })));
        let (got, skipped) = fast.next().await.unwrap();
        assert_eq!((got.data["n"].as_i64(), skipped), (Some(i), 0));
    }
    // slow holds 0 and 1; 2 and 3 were skipped.
    let (first, skipped) = slow.next().await.unwrap();
    assert_eq!((first.data["n"].as_i64(), skipped), (Some(0), 2));
    let (second, skipped) = slow.next().await.unwrap();
    assert_eq!((second.data["n"].as_i64(), skipped), (Some(1), 0));
    // Room again: delivered, and the run of skips starts over.
    hub.publish(event("t", "k", json!({ "n": 4 })));
    assert_eq!(slow.next().await.unwrap().0.data["n"], 4);
    fast.next().await.unwrap();
    // Four skips in a row (more than 3) end the feed; memory stays bounded.
    for i in 5..11 {
        hub.publish(event("t", "k", json!({ "n": i })));
        fast.next().await.unwrap();
    }
    assert_eq!(slow.next().await.unwrap().0.data["n"], 5);
    assert_eq!(slow.next().await.unwrap().0.data["n"], 6);
    assert_eq!(slow.next().await.unwrap_err(), End::Lagged);
    assert_eq!(hub.subscribers(), 1);
}

#[tokio::test]
async fn a_waiting_feed_wakes_for_an_event_and_ends_closed_when_the_hub_goes() {
    let hub = Hub::new(8, 100);
    let mut feed = hub.subscribe("t", keys(&["k"]));
    let waiting = tokio::spawn(async move {
        let first = feed.next().await.map(|(event, _)| event.data["n"].clone());
        let second = feed.next().await.map(|(event, _)| event.data["n"].clone());
        let third = feed.next().await.map(|(event, _)| event.data["n"].clone());
        (first, second, third)
    });
    tokio::task::yield_now().await;
    hub.publish(event("t", "k", json!({ "n": 1 })));
    hub.publish(event("t", "k", json!({ "n": 2 })));
    drop(hub);
    let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await.unwrap().unwrap();
    assert_eq!(got, (Ok(json!(1)), Ok(json!(2)), Err(End::Closed)));
}

#[test]
fn a_kind_filter_keeps_the_events_whose_type_begins_with_it() {
    let deletions = Filter::Kind { prefix: "documents.document.deleted".into(), within: Box::new(Filter::All) };
    let mut deleted = event("documents.document", "1", json!({}));
    deleted.kind = "documents.document.deleted.v1".into();
    let mut updated = event("documents.document", "1", json!({}));
    updated.kind = "documents.document.updated.v1".into();
    assert!(deletions.matches(&deleted));
    assert!(!deletions.matches(&updated));
    let keyed = Filter::Kind { prefix: "documents.document.deleted".into(), within: Box::new(keys(&["2"])) };
    assert!(!keyed.matches(&deleted));
    assert_eq!(keyed.keys().map(|k| k.len()), Some(1));
}

#[tokio::test]
async fn a_subscriber_leaving_unregisters_it_alone_under_each_of_its_keys() {
    let hub = Hub::new(8, 100);
    let twice = hub.subscribe("orders.order", keys(&["2", "1", "2"]));
    let mut same_key = hub.subscribe("orders.order", keys(&["2"]));
    let mut other_key = hub.subscribe("orders.order", keys(&["3"]));
    assert_eq!(hub.publish(event("orders.order", "2", json!({}))), 2, "a repeated key counts once");
    drop(twice);
    assert_eq!(hub.subscribers(), 2);
    assert_eq!(hub.publish(event("orders.order", "1", json!({}))), 0);
    assert_eq!(hub.publish(event("orders.order", "2", json!({}))), 1);
    assert_eq!(hub.publish(event("orders.order", "3", json!({}))), 1);
    assert_eq!(same_key.next().await.unwrap().0.key, "2");
    assert_eq!(other_key.next().await.unwrap().0.key, "3");
    drop((same_key, other_key));
    assert_eq!((hub.subscribers(), hub.topics()), (0, Vec::<String>::new()));
}
