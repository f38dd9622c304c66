//! The event bus port.

use async_trait::async_trait;

/// A record to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub topic: String,
    pub key: String,
    pub payload: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

/// A record received by a subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub payload: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl Delivery {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum BusError {
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    #[error("bus error: {0}")]
    Other(String),
}

/// A batch publish that stopped early: the first `delivered` messages are on the broker.
#[derive(Debug, thiserror::Error)]
#[error("published {delivered} of the batch, then: {source}")]
pub struct PublishError {
    pub delivered: usize,
    pub source: BusError,
}

/// Where events go and come from.
#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// Publishes in order; messages with the same key keep their order.
    async fn publish(&self, batch: &[Message]) -> Result<(), PublishError>;
    /// Joins consumer group `group` on `topics`.
    async fn subscribe(&self, group: &str, topics: &[String]) -> Result<Box<dyn Subscription>, BusError>;
    /// Joins consumer group `group` on `topics`; a group with no position yet starts at the
    /// topics' ends (only what is published from now on: a gateway's live subscriptions).
    async fn subscribe_latest(&self, group: &str, topics: &[String]) -> Result<Box<dyn Subscription>, BusError>;
    /// Where each partition of `topic` ends now: (partition, the offset the next record gets).
    /// A broker may answer short of the true end (tansu counts a batch of records as one).
    async fn ends(&self, topic: &str) -> Result<Vec<(i32, i64)>, BusError>;
    /// Reads `topic` again, outside any group: each partition named in `from`, from its offset
    /// there (or the oldest record still held, when that one is gone) to its end.
    async fn replay(&self, topic: &str, from: &[(i32, i64)]) -> Result<Box<dyn Replay>, BusError>;
    /// Is the broker reachable?
    async fn ping(&self) -> Result<(), BusError>;
    /// Flushes what is buffered (called on shutdown).
    async fn flush(&self) {}
}

/// Records read again by [`EventBus::replay`].
#[async_trait]
pub trait Replay: Send {
    /// The next record, or `None` once every partition has been read to its end.
    async fn next(&mut self) -> Result<Option<Delivery>, BusError>;
}

/// A consumer group membership.
#[async_trait]
pub trait Subscription: Send {
    /// The next record (waits for one).
    async fn recv(&mut self) -> Result<Delivery, BusError>;
    /// Marks `delivery` and everything before it in its partition as consumed.
    async fn ack(&mut self, delivery: &Delivery) -> Result<(), BusError>;
    /// Commits acknowledged offsets now (called on shutdown).
    async fn commit(&mut self) -> Result<(), BusError> {
        Ok(())
    }
}
