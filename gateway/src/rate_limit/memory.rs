//! Buckets in this process: for the demo and a single instance. Several instances each keep
//! their own, so a client's budget multiplies with them; `redis` shares one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::config::Bucket;

use super::bucket::{refill, take_all};

/// Past this many buckets, the full ones (as good as new) are dropped.
const PRUNE_ABOVE: usize = 100_000;

#[derive(Default)]
pub struct MemoryBuckets {
    /// Key to its level, when it was measured, and the bucket it is.
    buckets: Mutex<HashMap<String, (f64, Instant, Bucket)>>,
}

impl MemoryBuckets {
    /// Refills the buckets at `keys`, takes one token from each if every one holds one, and
    /// answers whether it did and the levels after.
    pub fn take(&self, keys: &[String], buckets: &[Bucket]) -> (bool, Vec<f64>) {
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut levels: Vec<f64> = keys
            .iter()
            .zip(buckets)
            .map(|(key, bucket)| match map.get(key) {
                Some((level, at, _)) => refill(*level, now.duration_since(*at).as_secs_f64() * 1000.0, bucket),
                None => f64::from(bucket.capacity),
            })
            .collect();
        let allowed = take_all(&mut levels);
        for ((key, bucket), level) in keys.iter().zip(buckets).zip(&levels) {
            map.insert(key.clone(), (*level, now, *bucket));
        }
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, (level, at, bucket)| {
                refill(*level, now.duration_since(*at).as_secs_f64() * 1000.0, bucket) < f64::from(bucket.capacity)
            });
        }
        (allowed, levels)
    }
}
