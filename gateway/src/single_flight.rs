//! Identical work in flight at the same time runs once, and every caller gets its result.

use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared, WeakShared};
use rustc_hash::FxHashMap;

// Keys are xxh3 digests already: a one-multiply hash is enough, SipHash would be wasted work.
// Weak: the callers hold the work; once every one of them is gone (the client left, a timeout
// fired), the work is dropped, and the next caller starts it anew rather than joining it.
type Registry<T> = Arc<Mutex<FxHashMap<u64, WeakShared<BoxFuture<'static, T>>>>>;

/// Work in flight, by key.
pub struct SingleFlight<T> {
    in_flight: Registry<T>,
}

impl<T> Default for SingleFlight<T> {
    fn default() -> Self {
        Self { in_flight: Arc::new(Mutex::new(FxHashMap::default())) }
    }
}

#[cfg(test)]
impl<T> SingleFlight<T> {
    /// Whether no work is in flight.
    fn is_empty(&self) -> bool {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
    }
}

impl<T: Clone + Send + Sync + 'static> SingleFlight<T> {
    /// Joins the work with this `key` already in flight, or starts `work()` for everyone who
    /// joins it before it ends. The flag says whether this call joined.
    pub async fn run(&self, key: u64, work: impl FnOnce() -> BoxFuture<'static, T>) -> (T, bool) {
        let (future, joined) = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            match in_flight.get(&key).and_then(WeakShared::upgrade) {
                Some(existing) => (existing, true),
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
                    if let Some(weak) = future.downgrade() {
                        in_flight.insert(key, weak);
                    }
                    (future, false)
                }
            }
        };
        let mut waiter = Waiter { future: Some(future), registry: &self.in_flight, key };
        let result = waiter.future.as_mut().expect("set above").await;
        (result, joined)
    }
}

/// One caller of work in flight. Dropped, it lets go of the work; the last one to go before
/// the work ended takes the key out, so that dead work neither piles up nor is joined.
struct Waiter<'a, T> {
    future: Option<Shared<BoxFuture<'static, T>>>,
    registry: &'a Registry<T>,
    key: u64,
}

impl<T> Drop for Waiter<'_, T> {
    fn drop(&mut self) {
        drop(self.future.take());
        let mut in_flight = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        if in_flight.get(&self.key).is_some_and(|weak| weak.upgrade().is_none()) {
            in_flight.remove(&self.key);
        }
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

    #[tokio::test]
    async fn work_whose_callers_all_left_is_dropped_and_the_next_call_starts_anew() {
        let flight = SingleFlight::<usize>::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let slow = |runs: Arc<AtomicUsize>| {
            move || {
                async move {
                    let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    n
                }
                .boxed()
            }
        };
        // Every caller gives up (a client gone, a timeout) before the work ends.
        let gave_up = tokio::time::timeout(std::time::Duration::from_millis(20), async {
            futures::join!(flight.run(7, slow(runs.clone())), flight.run(7, slow(runs.clone())))
        })
        .await;
        assert!(gave_up.is_err());
        assert!(flight.is_empty(), "the dead work's key is gone");
        // The next call does not join the dead work: it runs the work again, to the end.
        assert_eq!(flight.run(7, slow(runs.clone())).await, (2, false));
        assert!(flight.is_empty());
    }
}
