//! The gateway's reader of the event topics: one consumer group of its own per instance, from
//! the latest offsets, handing every event to the hub once and in order.
//!
//! The group starts where the topics end when it is assigned its partitions, seconds after the
//! pump began: a subscriber who subscribed meanwhile would miss what was published in between.
//! So the pump notes where each partition ended when it began, and when the first record of a
//! partition comes from further on, it reads the records in between again from the broker and
//! hands them over first. Events the group hands out again (after it joined anew) are not
//! handed to the hub twice: the pump remembers the ids of the last ones it handed over.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use braid_kit::events::{Delivery, EventBus, Subscription};
use braid_kit::telemetry::context::{Messaging, messaging_span};
use tracing::Instrument as _;

use super::hub::{Event, Hub};

/// What runs for each event before subscribers get it (the entity cache's invalidation), with
/// the event's topic and key.
pub type Invalidate = Arc<dyn Fn(String, String) -> futures::future::BoxFuture<'static, ()> + Send + Sync>;

/// Reads `topics` from `bus` as the consumer group `group`, from what is published once it has
/// joined (and what was published while it joined), and hands every event to `hub` (after
/// `invalidate`), until `shutdown` resolves.
pub async fn pump(
    hub: Arc<Hub>,
    bus: Arc<dyn EventBus>,
    group: String,
    topics: Vec<String>,
    invalidate: Option<Invalidate>,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut stand = Stand { invalidate, ..Stand::default() };
    let mut subscription: Box<dyn Subscription> = loop {
        // Where the topics end before the group joins: the positions given out for partitions
        // not read from yet, and where the records to read again begin.
        if let Err(e) = stand.seed(&hub, bus.as_ref(), &topics).await {
            tracing::warn!(error = %e, "subscriptions: cannot read where the event topics end yet; retrying");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            continue;
        }
        match bus.subscribe_latest(&group, &topics).await {
            Ok(subscription) => break subscription,
            Err(e) => {
                tracing::warn!(error = %e, "subscriptions: cannot read the event topics yet; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    };
    tokio::pin!(shutdown);
    loop {
        let delivery = tokio::select! {
            () = &mut shutdown => break,
            delivery = subscription.recv() => delivery,
        };
        let delivery = match delivery {
            Ok(delivery) => delivery,
            Err(e) => {
                tracing::warn!(error = %e, "subscriptions: reading events failed");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                continue;
            }
        };
        stand.hand_over(&hub, bus.as_ref(), &delivery).await;
        let _ = subscription.ack(&delivery).await;
    }
    let _ = subscription.commit().await;
}

/// How many of the latest event ids the pump remembers, to hand none over twice.
const REMEMBERED: usize = 16_384;

/// Where the pump stands in each partition.
#[derive(Default)]
struct Stand {
    /// Partitions whose first record has not come yet: where they ended when the pump began.
    unread: HashMap<(String, i32), i64>,
    /// The ids of the events handed over last, oldest first, and the same as a set.
    recent: VecDeque<String>,
    handed: HashSet<String>,
    invalidate: Option<Invalidate>,
}

impl Stand {
    async fn seed(
        &mut self,
        hub: &Hub,
        bus: &dyn EventBus,
        topics: &[String],
    ) -> Result<(), braid_kit::events::BusError> {
        for topic in topics {
            let ends = bus.ends(topic).await?;
            hub.seed(topic, &ends);
            for (partition, end) in ends {
                self.unread.insert((topic.clone(), partition), end);
            }
        }
        Ok(())
    }

    /// Hands `delivery` to the hub unless it was handed over already; before a partition's
    /// first record, the ones published while the group joined.
    async fn hand_over(&mut self, hub: &Hub, bus: &dyn EventBus, delivery: &Delivery) {
        let at = (delivery.topic.clone(), delivery.partition);
        if let Some(start) = self.unread.remove(&at)
            && delivery.offset > start
        {
            self.read_again(hub, bus, &delivery.topic, delivery.partition, start, delivery.offset).await;
        }
        self.publish(hub, delivery).await;
    }

    /// Hands the event of `delivery` to the hub, unless it did so already.
    async fn publish(&mut self, hub: &Hub, delivery: &Delivery) {
        let Some(mut event) = Event::from_delivery(delivery) else { return };
        if !self.handed.insert(event.id.clone()) {
            return;
        }
        self.recent.push_back(event.id.clone());
        if self.recent.len() > REMEMBERED
            && let Some(oldest) = self.recent.pop_front()
        {
            self.handed.remove(&oldest);
        }
        let what = Messaging {
            operation: "process",
            topic: &event.topic,
            id: &event.id,
            event_type: &event.kind,
            group: None,
        };
        let span = messaging_span(what, || event.traceparent.clone());
        if let Some(invalidate) = &self.invalidate {
            invalidate(event.topic.clone(), event.key.clone()).instrument(span.clone()).await;
        }
        // The subscribers' answers continue this reading of the event.
        if let Some(traceparent) = braid_kit::telemetry::context::traceparent(&span) {
            event.traceparent = Some(traceparent);
        }
        hub.publish(event);
    }

    /// Hands over the records of `topic`'s `partition` from `start` up to `until`, read again.
    async fn read_again(&mut self, hub: &Hub, bus: &dyn EventBus, topic: &str, partition: i32, start: i64, until: i64) {
        let mut replay = match bus.replay(topic, &[(partition, start)]).await {
            Ok(replay) => replay,
            Err(e) => {
                tracing::warn!(error = %e, topic, partition, "subscriptions: the events published while joining cannot be read");
                return;
            }
        };
        loop {
            match replay.next().await {
                Ok(Some(record)) if record.partition == partition && record.offset < until => {
                    self.publish(hub, &record).await;
                }
                Ok(Some(record)) if record.partition != partition => {}
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, topic, partition, "subscriptions: reading the events published while joining failed");
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use braid_kit::events::Message;
    use braid_kit::events::memory::MemoryBus;

    use super::super::hub::Filter;
    use super::*;

    fn message(id: &str) -> Message {
        let envelope = serde_json::json!({
            "specversion": "1.0", "id": id, "source": "/test", "type": "t.changed.v1",
            "time": "2026-12-04T00:00:00Z", "subject": "1", "datacontenttype": "application/json", "data": {}
        });
        Message { topic: "t".into(), key: "1".into(), payload: envelope.to_string().into_bytes(), headers: vec![] }
    }

    #[tokio::test]
    async fn events_published_while_the_group_joins_are_handed_over_first_and_none_twice() {
        let bus = MemoryBus::new();
        let hub = Hub::new(16, 100);
        let topics = vec!["t".to_string()];
        bus.publish(&[message("before")]).await.unwrap();
        let mut feed = hub.subscribe("t", Filter::All);
        let mut stand = Stand::default();
        stand.seed(&hub, &bus, &topics).await.unwrap();
        // Published after the pump began, before the group (from the latest) joined.
        bus.publish(&[message("joining-1"), message("joining-2")]).await.unwrap();
        let mut group = bus.subscribe_latest("g", &topics).await.unwrap();
        bus.publish(&[message("after")]).await.unwrap();
        let first = group.recv().await.unwrap();
        stand.hand_over(&hub, &bus, &first).await;
        // The group hands the same record out again (it joined anew): not handed over twice.
        stand.hand_over(&hub, &bus, &first).await;
        bus.publish(&[message("later")]).await.unwrap();
        stand.hand_over(&hub, &bus, &group.recv().await.unwrap()).await;
        let mut seen = Vec::new();
        let wait = std::time::Duration::from_millis(200);
        while let Ok(Ok((event, _))) = tokio::time::timeout(wait, feed.next()).await {
            seen.push(event.id.clone());
        }
        assert_eq!(seen, ["joining-1", "joining-2", "after", "later"]);
    }
}
