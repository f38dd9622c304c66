//! Identical work in flight at the same time runs once, and every caller gets its result.

use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use rustc_hash::FxHashMap;

// Keys are xxh3 digests already: a one-multiply hash is enough, SipHash would be wasted work.
type Registry<T> = Arc<Mutex<FxHashMap<u64, Shared<BoxFuture<'static, T>>>>>;

/// Work in flight, by key.
pub struct SingleFlight<T> {
    in_flight: Registry<T>,
}

impl<T> Default for SingleFlight<T> {
    fn default() -> Self {
        Self { in_flight: Arc::new(Mutex::new(FxHashMap::default())) }
    }
}

impl<T: Clone + Send + Sync + 'static> SingleFlight<T> {
    /// Joins the work with this `key` already in flight, or starts `work()` for everyone who
    /// joins it before it ends. The flag says whether this call joined.
    pub async fn run(&self, key: u64, work: impl FnOnce() -> BoxFuture<'static, T>) -> (T, bool) {
        let (future, joined) = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            match in_flight.get(&key) {
                Some(existing) => (existing.clone(), true),
                None => {
                    let registry = self.in_flight.clone();
                    let started = work();
                    let future = async move {
                        let result = started.await;
                        registry.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
                        result
                    }
                    .boxed()
                    .shared();
                    in_flight.insert(key, future.clone());
                    (future, false)
                }
            }
        };
        (future.await, joined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn concurrent_calls_share_one_run_and_later_calls_start_anew() {
        let flight = Arc::new(SingleFlight::<usize>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let call = |flight: Arc<SingleFlight<usize>>, runs: Arc<AtomicUsize>| async move {
            flight
                .run(7, || {
                    async move {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        runs.fetch_add(1, Ordering::SeqCst) + 1
                    }
                    .boxed()
                })
                .await
        };
        let results = futures::future::join_all((0..10).map(|_| call(flight.clone(), runs.clone()))).await;
        assert!(results.iter().all(|(n, _)| *n == 1));
        assert_eq!(results.iter().filter(|(_, joined)| *joined).count(), 9);
        assert_eq!(call(flight.clone(), runs.clone()).await, (2, false));
    }
}
