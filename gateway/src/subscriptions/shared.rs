//! One resolution per event for identical subscriptions: subscribers with the same operation,
//! variables and authorization context (token subject and scopes) get the response of one
//! per-event query, run by whichever of them reaches the event first while the others wait
//! for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::rewrite::EventQuery;

/// What identical subscriptions share: a digest of their operation, variables and
/// authorization context (32 bytes per subscriber rather than a copy of all of it; SHA-256,
/// so that no client can make its context collide with another's).
pub type Key = [u8; 32];

/// Per-event queries run, shared or not.
static RUNS: std::sync::LazyLock<metrics::Counter> =
    std::sync::LazyLock::new(|| metrics::counter!("braid_gateway_subscription_resolutions_total"));

/// What identical subscribers share: the answer to one event, and their per-event query.
pub struct Resolutions {
    /// One copy of each per-event query, however many subscriptions run it (ten thousand
    /// subscribers to `orderUpdated(id: ...)`, each naming its own order, run one).
    queries: moka::sync::Cache<EventQuery, Arc<EventQuery>>,
    /// (event id, resolution key) -> the response, or `None` when the query failed.
    answers: moka::future::Cache<(Arc<str>, Key), Option<Bytes>>,
    runs: AtomicU64,
}

/// Long enough for the slowest of a group of identical subscribers to reach the event.
const KEPT: Duration = Duration::from_secs(30);

impl Default for Resolutions {
    fn default() -> Self {
        Self {
            queries: moka::sync::Cache::new(1_000),
            answers: moka::future::Cache::builder().max_capacity(100_000).time_to_live(KEPT).build(),
            runs: AtomicU64::new(0),
        }
    }
}

impl Resolutions {
    /// The answer to `event` for subscribers of `key`: `run`'s, run once for all of them.
    pub async fn resolve<F>(&self, event: &str, key: &Key, run: F) -> Option<Bytes>
    where
        F: Future<Output = Option<Bytes>>,
    {
        self.answers
            .get_with((Arc::from(event), *key), async {
                RUNS.increment(1);
                self.runs.fetch_add(1, Ordering::Relaxed);
                run.await
            })
            .await
    }

    /// The one shared copy of `query`.
    pub fn query(&self, query: EventQuery) -> Arc<EventQuery> {
        self.queries.get_with_by_ref(&query, || Arc::new(query.clone()))
    }

    /// Per-event queries run on this instance (for tests).
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }
}

/// The resolution key: what makes two subscriptions' answers to an event the same.
pub fn key(
    query: &str,
    operation: Option<&str>,
    variables: &serde_json::Map<String, serde_json::Value>,
    subject: Option<&str>,
    scopes: &std::collections::HashSet<String>,
) -> Key {
    let mut scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    scopes.sort_unstable();
    let variables = serde_json::to_string(variables).unwrap_or_default();
    // Each part on its own line, the free-form ones last: no two different contexts meet.
    let text = format!(
        "{}\n{}\n{}\n{}\n{variables}\n{query}",
        subject.map_or(0, str::len),
        subject.unwrap_or(""),
        scopes.join(" "),
        operation.unwrap_or(""),
    );
    Sha256::digest(text.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[tokio::test]
    async fn identical_subscribers_share_one_run_per_event() {
        let resolutions = Resolutions::default();
        let same = key("{ a }", None, &Default::default(), Some("7"), &HashSet::new());
        let other = key("{ a }", None, &Default::default(), Some("8"), &HashSet::new());
        let answers = futures::future::join_all((0..10).map(|_| {
            resolutions.resolve("event-1", &same, async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Some(Bytes::from_static(b"{}"))
            })
        }))
        .await;
        assert!(answers.iter().all(|a| a.as_deref() == Some(&b"{}"[..])));
        assert_eq!(resolutions.runs(), 1, "ten subscribers, one query");
        resolutions.resolve("event-1", &other, async { None }).await;
        resolutions.resolve("event-2", &same, async { None }).await;
        assert_eq!(resolutions.runs(), 3, "another viewer, another event: their own runs");
    }

    #[test]
    fn the_key_tells_every_part_of_the_context_apart() {
        let scopes = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<HashSet<_>>();
        let vars = |v: serde_json::Value| v.as_object().cloned().unwrap();
        let base = key("{ a }", None, &vars(serde_json::json!({"x": 1})), Some("7"), &scopes(&["a", "b"]));
        assert_eq!(base, key("{ a }", None, &vars(serde_json::json!({"x": 1})), Some("7"), &scopes(&["b", "a"])));
        for other in [
            key("{ b }", None, &vars(serde_json::json!({"x": 1})), Some("7"), &scopes(&["a", "b"])),
            key("{ a }", Some("A"), &vars(serde_json::json!({"x": 1})), Some("7"), &scopes(&["a", "b"])),
            key("{ a }", None, &vars(serde_json::json!({"x": 2})), Some("7"), &scopes(&["a", "b"])),
            key("{ a }", None, &vars(serde_json::json!({"x": 1})), Some("8"), &scopes(&["a", "b"])),
            key("{ a }", None, &vars(serde_json::json!({"x": 1})), None, &scopes(&["a", "b"])),
            key("{ a }", None, &vars(serde_json::json!({"x": 1})), Some("7"), &scopes(&["a"])),
        ] {
            assert_ne!(base, other);
        }
    }
}
