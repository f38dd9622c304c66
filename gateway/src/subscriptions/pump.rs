//! The gateway's reader of the event topics: one consumer group of its own per instance, from
//! the latest offsets, handing every event to the hub.

use std::sync::Arc;

use braid_kit::events::{EventBus, Subscription};

use super::hub::{Event, Hub};

/// Reads `topics` from `bus` as the consumer group `group`, from what is published once it has
/// joined, and hands every event to `hub`, until `shutdown` resolves.
pub async fn pump(
    hub: Arc<Hub>,
    bus: Arc<dyn EventBus>,
    group: String,
    topics: Vec<String>,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut subscription: Box<dyn Subscription> = loop {
        // Where the topics end before the group joins: the positions given out for partitions
        // not read from yet. Earlier than where the group starts, if anything, so a resume
        // from them repeats nothing a subscriber was handed.
        if let Err(e) = seed(&hub, bus.as_ref(), &topics).await {
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
        if let Some(event) = Event::from_delivery(&delivery) {
            hub.publish(event);
        }
        let _ = subscription.ack(&delivery).await;
    }
    let _ = subscription.commit().await;
}

async fn seed(hub: &Hub, bus: &dyn EventBus, topics: &[String]) -> Result<(), braid_kit::events::BusError> {
    for topic in topics {
        hub.seed(topic, &bus.ends(topic).await?);
    }
    Ok(())
}
