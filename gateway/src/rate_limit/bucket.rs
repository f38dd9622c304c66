//! The token bucket as plain arithmetic: the memory store runs it, the Redis script does the
//! same steps in Lua.

use crate::config::Bucket;

use super::Quota;

/// A bucket's level `elapsed_ms` after it held `level`: refilled at its rate, at most full.
pub fn refill(level: f64, elapsed_ms: f64, bucket: &Bucket) -> f64 {
    (level + elapsed_ms.max(0.0) * bucket.per_second / 1000.0).min(f64::from(bucket.capacity))
}

/// Takes one token from every bucket if each holds one, else from none; whether it did.
pub fn take_all(levels: &mut [f64]) -> bool {
    let allowed = levels.iter().all(|level| *level >= 1.0);
    if allowed {
        levels.iter_mut().for_each(|level| *level -= 1.0);
    }
    allowed
}

/// What the client is told, from the levels after its request: the bucket with the fewest
/// tokens left speaks for all; refused, it may retry once every bucket holds a token again.
pub fn quota(buckets: &[Bucket], levels: &[f64], allowed: bool) -> Quota {
    let tightest = (0..levels.len()).min_by(|&a, &b| levels[a].total_cmp(&levels[b])).unwrap_or(0);
    let (bucket, level) = (buckets[tightest], levels[tightest]);
    let seconds = |tokens: f64, bucket: &Bucket| (tokens.max(0.0) / bucket.per_second).ceil() as u64;
    let retry_after = (!allowed).then(|| {
        let wait = buckets.iter().zip(levels).map(|(bucket, level)| seconds(1.0 - level, bucket)).max();
        wait.unwrap_or(1).max(1)
    });
    Quota {
        limit: bucket.capacity,
        remaining: level.max(0.0).floor() as u32,
        reset_secs: seconds(f64::from(bucket.capacity) - level, &bucket),
        retry_after_secs: retry_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEN_PER_SECOND: Bucket = Bucket { capacity: 5, per_second: 10.0 };

    #[test]
    fn a_bucket_refills_at_its_rate_up_to_its_capacity() {
        assert_eq!(refill(0.0, 100.0, &TEN_PER_SECOND), 1.0);
        assert_eq!(refill(2.5, 150.0, &TEN_PER_SECOND), 4.0);
        assert_eq!(refill(4.0, 10_000.0, &TEN_PER_SECOND), 5.0);
        assert_eq!(refill(3.0, -50.0, &TEN_PER_SECOND), 3.0, "a clock going back refills nothing");
    }

    #[test]
    fn tokens_are_taken_from_every_bucket_or_from_none() {
        let mut levels = [3.0, 1.0];
        assert!(take_all(&mut levels));
        assert_eq!(levels, [2.0, 0.0]);
        assert!(!take_all(&mut levels));
        assert_eq!(levels, [2.0, 0.0], "a refused request takes nothing");
    }

    #[test]
    fn the_quota_speaks_for_the_tightest_bucket() {
        let slow = Bucket { capacity: 2, per_second: 0.5 };
        let quota = quota(&[TEN_PER_SECOND, slow], &[4.0, 0.25], false);
        assert_eq!(quota.limit, 2);
        assert_eq!(quota.remaining, 0);
        // 1.75 tokens at 0.5 a second: 3.5 s, told as 4.
        assert_eq!(quota.reset_secs, 4);
        // One token in the slow bucket: 0.75 at 0.5 a second.
        assert_eq!(quota.retry_after_secs, Some(2));
        let quota = super::quota(&[TEN_PER_SECOND], &[3.0], true);
        assert_eq!((quota.limit, quota.remaining, quota.reset_secs, quota.retry_after_secs), (5, 3, 1, None));
    }
}
