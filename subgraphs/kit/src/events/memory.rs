//! The in-process event bus: one ordered log per topic, consumer groups with committed
//! offsets. For `braid demo` and fast tests; nothing survives the process.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::sync::watch;

use super::bus::{BusError, Delivery, EventBus, Message, PublishError, Replay, Subscription};

/// Records kept per topic that no group has subscribed to yet.
const MAX_UNCLAIMED: usize = 100_000;

/// Records kept per topic after every group has consumed them, for replays (a broker's
/// retention, in miniature).
const RETAINED: usize = 10_000;

#[derive(Default)]
struct Log {
    /// Offset of `records[0]`.
    base: i64,
    records: VecDeque<Delivery>,
}

#[derive(Default)]
struct State {
    logs: HashMap<String, Log>,
    /// (group, topic) -> next offset to consume.
    committed: HashMap<(String, String), i64>,
}

/// An in-process bus; clones share the same logs.
#[derive(Clone)]
pub struct MemoryBus {
    state: Arc<Mutex<State>>,
    published: Arc<watch::Sender<u64>>,
}

impl Default for MemoryBus {
    fn default() -> Self {
        Self { state: Arc::default(), published: Arc::new(watch::channel(0).0) }
    }
}

impl MemoryBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every record currently held on `topic` (for tests).
    pub fn records(&self, topic: &str) -> Vec<Delivery> {
        let state = self.state.lock().unwrap();
        state.logs.get(topic).map(|l| l.records.iter().cloned().collect()).unwrap_or_default()
    }
}

#[async_trait]
impl EventBus for MemoryBus {
    async fn publish(&self, batch: &[Message]) -> Result<(), PublishError> {
        {
            let mut state = self.state.lock().unwrap();
            for m in batch {
                let log = state.logs.entry(m.topic.clone()).or_default();
                let offset = log.base + log.records.len() as i64;
                log.records.push_back(Delivery {
                    topic: m.topic.clone(),
                    partition: 0,
                    offset,
                    key: Some(m.key.clone()),
                    payload: m.payload.clone(),
                    headers: m.headers.clone(),
                });
                if log.records.len() > MAX_UNCLAIMED {
                    log.records.pop_front();
                    log.base += 1;
                }
            }
        }
        self.published.send_modify(|n| *n += 1);
        Ok(())
    }

    async fn subscribe(&self, group: &str, topics: &[String]) -> Result<Box<dyn Subscription>, BusError> {
        self.join(group, topics, false)
    }

    async fn subscribe_latest(&self, group: &str, topics: &[String]) -> Result<Box<dyn Subscription>, BusError> {
        self.join(group, topics, true)
    }

    async fn ends(&self, topic: &str) -> Result<Vec<(i32, i64)>, BusError> {
        let state = self.state.lock().unwrap();
        let end = state.logs.get(topic).map_or(0, |log| log.base + log.records.len() as i64);
        Ok(vec![(0, end)])
    }

    async fn replay(&self, topic: &str, from: &[(i32, i64)]) -> Result<Box<dyn Replay>, BusError> {
        let state = self.state.lock().unwrap();
        let records = match (state.logs.get(topic), from.iter().find(|(p, _)| *p == 0)) {
            (Some(log), Some(&(_, start))) => log.records.iter().filter(|r| r.offset >= start).cloned().collect(),
            _ => VecDeque::new(),
        };
        Ok(Box::new(MemoryReplay(records)))
    }

    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
}

/// What a replay took from the log when it began.
struct MemoryReplay(VecDeque<Delivery>);

#[async_trait]
impl Replay for MemoryReplay {
    async fn next(&mut self) -> Result<Option<Delivery>, BusError> {
        Ok(self.0.pop_front())
    }
}

impl MemoryBus {
    /// A member of `group` on `topics`, starting where the group is, else at the start (or the
    /// end, `from_latest`) of each topic.
    fn join(&self, group: &str, topics: &[String], from_latest: bool) -> Result<Box<dyn Subscription>, BusError> {
        let mut state = self.state.lock().unwrap();
        let mut positions = Vec::new();
        for topic in topics {
            let log = state.logs.entry(topic.clone()).or_default();
            let (base, end) = (log.base, log.base + log.records.len() as i64);
            let start = if from_latest { end } else { base };
            let next = *state.committed.entry((group.to_string(), topic.clone())).or_insert(start);
            positions.push((topic.clone(), next.max(base)));
        }
        Ok(Box::new(MemorySubscription {
            bus: self.clone(),
            group: group.to_string(),
            positions,
            turn: 0,
            changes: self.published.subscribe(),
        }))
    }
}

struct MemorySubscription {
    bus: MemoryBus,
    group: String,
    /// (topic, next offset to read).
    positions: Vec<(String, i64)>,
    turn: usize,
    changes: watch::Receiver<u64>,
}

impl MemorySubscription {
    fn poll(&mut self) -> Option<Delivery> {
        let state = self.bus.state.lock().unwrap();
        let n = self.positions.len();
        for i in 0..n {
            let idx = (self.turn + i) % n;
            let (topic, next) = &mut self.positions[idx];
            let Some(log) = state.logs.get(topic.as_str()) else { continue };
            *next = (*next).max(log.base);
            if let Some(record) = log.records.get((*next - log.base) as usize) {
                *next += 1;
                self.turn = idx + 1;
                return Some(record.clone());
            }
        }
        None
    }
}

#[async_trait]
impl Subscription for MemorySubscription {
    async fn recv(&mut self) -> Result<Delivery, BusError> {
        loop {
            self.changes.borrow_and_update();
            if let Some(d) = self.poll() {
                return Ok(d);
            }
            self.changes.changed().await.map_err(|_| BusError::Other("bus dropped".into()))?;
        }
    }

    async fn ack(&mut self, delivery: &Delivery) -> Result<(), BusError> {
        let mut state = self.bus.state.lock().unwrap();
        let key = (self.group.clone(), delivery.topic.clone());
        let next = state.committed.entry(key).or_insert(0);
        *next = (*next).max(delivery.offset + 1);
        // Drop what every group on this topic has consumed, beyond what is retained for replays.
        let floor =
            state.committed.iter().filter(|((_, t), _)| *t == delivery.topic).map(|(_, o)| *o).min().unwrap_or(0);
        if let Some(log) = state.logs.get_mut(&delivery.topic) {
            while log.base < floor && log.records.len() > RETAINED {
                log.records.pop_front();
                log.base += 1;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(topic: &str, key: &str, body: &str) -> Message {
        Message { topic: topic.into(), key: key.into(), payload: body.as_bytes().to_vec(), headers: vec![] }
    }

    #[tokio::test]
    async fn groups_resume_from_their_committed_offset() {
        let bus = MemoryBus::new();
        let topics = vec!["t".to_string()];
        let mut a = bus.subscribe("g", &topics).await.unwrap();
        bus.publish(&[msg("t", "k", "1"), msg("t", "k", "2")]).await.unwrap();
        let first = a.recv().await.unwrap();
        assert_eq!(first.payload, b"1");
        a.ack(&first).await.unwrap();
        drop(a);
        // A new member of the same group starts after the acknowledged record.
        let mut b = bus.subscribe("g", &topics).await.unwrap();
        assert_eq!(b.recv().await.unwrap().payload, b"2");
        // Another group sees everything still held: consumed records are retained for replays.
        let mut other = bus.subscribe("h", &topics).await.unwrap();
        assert_eq!(other.recv().await.unwrap().payload, b"1");
    }

    #[tokio::test]
    async fn a_new_group_from_the_latest_sees_only_what_comes_after() {
        let bus = MemoryBus::new();
        let topics = vec!["t".to_string()];
        bus.publish(&[msg("t", "k", "old")]).await.unwrap();
        let mut live = bus.subscribe_latest("live", &topics).await.unwrap();
        bus.publish(&[msg("t", "k", "new")]).await.unwrap();
        assert_eq!(live.recv().await.unwrap().payload, b"new");
        // An ordinary new group starts at the beginning.
        let mut all = bus.subscribe("all", &topics).await.unwrap();
        assert_eq!(all.recv().await.unwrap().payload, b"old");
    }

    #[tokio::test]
    async fn a_replay_reads_from_an_offset_to_the_end() {
        let bus = MemoryBus::new();
        bus.publish(&[msg("t", "k", "0"), msg("t", "k", "1"), msg("t", "k", "2")]).await.unwrap();
        assert_eq!(bus.ends("t").await.unwrap(), vec![(0, 3)]);
        assert_eq!(bus.ends("nothing").await.unwrap(), vec![(0, 0)]);
        let mut replay = bus.replay("t", &[(0, 1)]).await.unwrap();
        let mut read = Vec::new();
        while let Some(d) = replay.next().await.unwrap() {
            read.push((d.offset, String::from_utf8(d.payload).unwrap()));
        }
        assert_eq!(read, vec![(1, "1".to_string()), (2, "2".to_string())]);
        assert!(bus.replay("t", &[]).await.unwrap().next().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn recv_waits_for_a_publish() {
        let bus = MemoryBus::new();
        let mut sub = bus.subscribe("g", &["t".to_string()]).await.unwrap();
        let publisher = bus.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            publisher.publish(&[msg("t", "k", "late")]).await.unwrap();
        });
        assert_eq!(sub.recv().await.unwrap().payload, b"late");
    }
}
