//! The fan-out of events to subscribers: each subscriber registers a filter on a topic and gets
//! a bounded feed. Events are found by key in an index, so ten thousand subscribers to one
//! order each cost nothing for the other orders' events.
//!
//! A subscriber that does not keep up is not given unbounded memory: an event that finds its
//! feed full is skipped and counted (the count goes out with the next event it gets), and after
//! `max_skipped` skips in a row the feed ends as [`End::Lagged`], so that the transport closes
//! it with a clear reason and the client resubscribes.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Instant;

use braid_kit::events::{Delivery, Envelope};
use braid_kit::telemetry::context::TRACEPARENT;
use futures::task::AtomicWaker;
use serde_json::Value;

use super::cursor::Cursor;

/// Subscribers registered on this instance.
static ACTIVE: std::sync::LazyLock<metrics::Gauge> =
    std::sync::LazyLock::new(|| metrics::gauge!("braid_gateway_subscriptions_active"));
/// Events a slow subscriber's full feed did not take.
static SKIPPED: std::sync::LazyLock<metrics::Counter> =
    std::sync::LazyLock::new(|| metrics::counter!("braid_gateway_subscription_events_skipped_total"));

/// One domain event as the hub hands it out.
#[derive(Debug, Clone)]
pub struct Event {
    pub topic: String,
    /// The aggregate's id: the record's key, which is the entity's key.
    pub key: String,
    /// The CloudEvents id.
    pub id: String,
    /// The CloudEvents type (`orders.order.updated.v1`).
    pub kind: String,
    pub data: Arc<Value>,
    /// When the gateway read it from the bus.
    pub received: Instant,
    pub partition: i32,
    pub offset: i64,
    /// Where the hub stood in the topic once it had handed this event on: every record before
    /// it has reached (or been skipped by) every subscriber.
    pub position: Arc<Cursor>,
    /// The trace the subscribers' answers continue (W3C `traceparent`), when it has one.
    pub traceparent: Option<String>,
}

impl Event {
    /// The event a record of the bus carries; `None` for a record that is no event envelope.
    pub fn from_delivery(delivery: &Delivery) -> Option<Event> {
        let envelope = Envelope::from_bytes(&delivery.payload).ok()?;
        Some(Event {
            topic: delivery.topic.clone(),
            key: delivery.key.clone().unwrap_or_else(|| envelope.subject.clone()),
            id: envelope.id,
            kind: envelope.event_type,
            data: Arc::new(envelope.data),
            received: Instant::now(),
            partition: delivery.partition,
            offset: delivery.offset,
            position: Arc::default(),
            traceparent: delivery.header(TRACEPARENT).map(str::to_string).or(envelope.traceparent),
        })
    }
}

/// Which events of a topic a subscriber wants.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Events of these aggregates: sorted, without repeats (see [`Filter::keyed`]). A slice,
    /// not a set: most name one key, and ten thousand subscribers each pay for its room.
    Keys(Box<[String]>),
    /// Events whose `data` has `field` equal to `value` (a buyer's own orders).
    Field { field: String, value: Value },
    /// Every event of the topic.
    All,
    /// Events that pass `within` and whose `data` has `field` true (the low-stock alert).
    Flagged { field: String, within: Box<Filter> },
    /// Events that pass `within` and whose type begins with `prefix` (deletions only).
    Kind { prefix: String, within: Box<Filter> },
}

impl Filter {
    /// Events of the aggregates `keys`.
    pub fn keyed(keys: impl IntoIterator<Item = String>) -> Filter {
        let mut keys: Vec<String> = keys.into_iter().collect();
        keys.sort_unstable();
        keys.dedup();
        Filter::Keys(keys.into_boxed_slice())
    }

    pub fn matches(&self, event: &Event) -> bool {
        match self {
            Filter::Keys(keys) => keys.binary_search(&event.key).is_ok(),
            Filter::Field { field, value } => event.data.get(field) == Some(value),
            Filter::All => true,
            Filter::Flagged { field, within } => {
                event.data.get(field) == Some(&Value::Bool(true)) && within.matches(event)
            }
            Filter::Kind { prefix, within } => event.kind.starts_with(prefix.as_str()) && within.matches(event),
        }
    }

    /// The keys that index this filter, when it names keys.
    pub fn keys(&self) -> Option<&[String]> {
        match self {
            Filter::Keys(keys) => Some(keys),
            Filter::Flagged { within, .. } | Filter::Kind { within, .. } => within.keys(),
            Filter::Field { .. } | Filter::All => None,
        }
    }
}

/// Why a feed ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The subscriber skipped more events in a row than allowed.
    Lagged,
    /// The hub is gone (the gateway is shutting down).
    Closed,
}

/// A subscriber as the hub holds it, and its queue. The queue is a deque under a lock rather
/// than a channel: ten thousand idle subscribers then cost no preallocated slots (a tokio
/// channel's first block is most of a kilobyte).
struct Entry {
    id: u64,
    filter: Filter,
    // Shared: one allocation per event however many subscribers.
    queue: Mutex<VecDeque<Arc<Event>>>,
    waker: AtomicWaker,
    /// OPEN, or why the feed ended.
    state: AtomicU8,
    skipped: AtomicU64,
    skipped_in_a_row: AtomicU64,
}

const OPEN: u8 = 0;
const LAGGED: u8 = 1;
const CLOSED: u8 = 2;

impl Entry {
    fn end(&self, why: u8) {
        let _ = self.state.compare_exchange(OPEN, why, Ordering::AcqRel, Ordering::Acquire);
        self.waker.wake();
    }
}

#[derive(Default)]
struct Topic {
    by_key: HashMap<String, Vec<Arc<Entry>>>,
    scanned: Vec<Arc<Entry>>,
}

/// The subscribers of this gateway instance, by topic.
pub struct Hub {
    topics: Mutex<HashMap<String, Topic>>,
    /// Where the hub stands in each topic it reads.
    positions: Mutex<HashMap<String, Cursor>>,
    next_id: AtomicU64,
    buffer: usize,
    max_skipped: u64,
}

/// A subscriber's events; dropping it unsubscribes.
pub struct Feed {
    entry: Arc<Entry>,
    hub: Weak<Hub>,
    topic: String,
}

impl Hub {
    /// A hub whose feeds hold `buffer` events and end after `max_skipped` skips in a row.
    pub fn new(buffer: usize, max_skipped: u64) -> Arc<Self> {
        // The series exist from the start, at zero, for dashboards and alerts.
        std::sync::LazyLock::force(&ACTIVE);
        std::sync::LazyLock::force(&SKIPPED);
        std::sync::LazyLock::force(&super::fed::DELIVERED);
        Arc::new(Self {
            topics: Mutex::default(),
            positions: Mutex::default(),
            next_id: AtomicU64::new(1),
            buffer: buffer.max(1),
            max_skipped,
        })
    }

    /// Registers a subscriber to the events of `topic` that pass `filter`.
    pub fn subscribe(self: &Arc<Self>, topic: &str, filter: Filter) -> Feed {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = Arc::new(Entry {
            id,
            filter,
            queue: Mutex::default(),
            waker: AtomicWaker::new(),
            state: AtomicU8::new(OPEN),
            skipped: AtomicU64::new(0),
            skipped_in_a_row: AtomicU64::new(0),
        });
        let feed = Feed { entry: entry.clone(), hub: Arc::downgrade(self), topic: topic.to_string() };
        let mut topics = self.topics.lock().expect("hub lock");
        ACTIVE.increment(1.0);
        let slot = topics.entry(topic.to_string()).or_default();
        match entry.filter.keys() {
            Some(keys) => {
                for key in keys {
                    slot.by_key.entry(key.clone()).or_default().push(entry.clone());
                }
            }
            None => slot.scanned.push(entry),
        }
        feed
    }

    /// The hub starts reading `topic` where it ends now (partitions it has seen no record of
    /// yet are at their ends in the positions it gives out).
    pub fn seed(&self, topic: &str, ends: &[(i32, i64)]) {
        self.positions.lock().expect("hub lock").entry(topic.to_string()).or_default().seed(ends);
    }

    /// Hands `event` to every subscriber it matches, stamped with the hub's position after it;
    /// answers how many got it.
    pub fn publish(&self, mut event: Event) -> usize {
        {
            let mut positions = self.positions.lock().expect("hub lock");
            let position = positions.entry(event.topic.clone()).or_default();
            position.pass(event.partition, event.offset);
            event.position = Arc::new(position.clone());
        }
        let event = &Arc::new(event);
        let mut lagging = Vec::new();
        let mut delivered = 0;
        let mut skipped = 0;
        {
            let topics = self.topics.lock().expect("hub lock");
            let Some(topic) = topics.get(&event.topic) else { return 0 };
            let by_key = topic.by_key.get(&event.key).into_iter().flatten();
            for entry in by_key.chain(&topic.scanned).filter(|e| e.filter.matches(event)) {
                let mut queue = entry.queue.lock().expect("feed lock");
                if queue.len() < self.buffer {
                    queue.push_back(event.clone());
                    drop(queue);
                    entry.waker.wake();
                    entry.skipped_in_a_row.store(0, Ordering::Relaxed);
                    delivered += 1;
                } else {
                    skipped += 1;
                    entry.skipped.fetch_add(1, Ordering::Relaxed);
                    if entry.skipped_in_a_row.fetch_add(1, Ordering::Relaxed) + 1 > self.max_skipped {
                        lagging.push(entry.clone());
                    }
                }
            }
        }
        SKIPPED.increment(skipped);
        for entry in lagging {
            self.remove(&event.topic, &entry);
            entry.end(LAGGED);
        }
        delivered
    }

    /// Subscribers registered now (for metrics and tests).
    pub fn subscribers(&self) -> usize {
        let topics = self.topics.lock().expect("hub lock");
        let mut ids = HashSet::new();
        for topic in topics.values() {
            ids.extend(topic.by_key.values().flatten().chain(&topic.scanned).map(|e| e.id));
        }
        ids.len()
    }

    /// Topics someone is subscribed to.
    pub fn topics(&self) -> Vec<String> {
        self.topics.lock().expect("hub lock").keys().cloned().collect()
    }

    /// Unregisters `entry` from `topic`: looked up under its own keys only, so that ten
    /// thousand subscribers leaving do not each walk every other's.
    fn remove(&self, topic: &str, entry: &Entry) {
        let mut topics = self.topics.lock().expect("hub lock");
        let Some(slot) = topics.get_mut(topic) else { return };
        let mut found = false;
        let mut unregister = |entries: &mut Vec<Arc<Entry>>| {
            entries.retain(|e| {
                found |= e.id == entry.id;
                e.id != entry.id
            });
        };
        match entry.filter.keys() {
            Some(keys) => {
                for key in keys {
                    if let Some(entries) = slot.by_key.get_mut(key) {
                        unregister(entries);
                        if entries.is_empty() {
                            slot.by_key.remove(key);
                        }
                    }
                }
            }
            None => unregister(&mut slot.scanned),
        }
        if found {
            ACTIVE.decrement(1.0);
        }
        if slot.by_key.is_empty() && slot.scanned.is_empty() {
            topics.remove(topic);
        }
    }
}

impl Feed {
    /// The topic the feed reads.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Which of the topic's events the feed takes.
    pub fn filter(&self) -> &Filter {
        &self.entry.filter
    }

    /// The next event and how many were skipped before it; `Err` when the feed has ended.
    pub async fn next(&mut self) -> Result<(Arc<Event>, u64), End> {
        std::future::poll_fn(|cx| self.poll_next(cx)).await
    }

    fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Result<(Arc<Event>, u64), End>> {
        if let Some(next) = self.try_next() {
            return Poll::Ready(next);
        }
        self.entry.waker.register(cx.waker());
        // Again: an event or the end may have come between the first look and the register.
        self.try_next().map_or(Poll::Pending, Poll::Ready)
    }

    fn try_next(&self) -> Option<Result<(Arc<Event>, u64), End>> {
        if let Some(event) = self.entry.queue.lock().expect("feed lock").pop_front() {
            return Some(Ok((event, self.entry.skipped.swap(0, Ordering::Relaxed))));
        }
        match self.entry.state.load(Ordering::Acquire) {
            LAGGED => Some(Err(End::Lagged)),
            CLOSED => Some(Err(End::Closed)),
            _ => None,
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.remove(&self.topic, &self.entry);
        }
    }
}

impl Drop for Hub {
    // Feeds end as Closed once they have taken what they hold.
    fn drop(&mut self) {
        let topics = self.topics.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
        for topic in topics.values() {
            for entry in topic.by_key.values().flatten().chain(&topic.scanned) {
                entry.end(CLOSED);
            }
        }
    }
}

#[cfg(test)]
mod tests;
