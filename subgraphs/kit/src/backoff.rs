//! Exponential back-off with full jitter: retries of many clients spread out instead of
//! arriving together.

use std::time::Duration;

use rand::Rng;

/// Delays growing from `base` by doubling up to `max`, each drawn at random below its ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Self { base, max: max.max(base) }
    }

    /// The ceiling before attempt `attempt` (1 is the first retry).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.base.saturating_mul(factor).min(self.max)
    }

    /// A random delay in `[ceiling / 2, ceiling]`: jittered, yet never much shorter than planned.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt).as_millis() as u64;
        Duration::from_millis(rand::rng().random_range(ceiling / 2..=ceiling))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_up_to_the_cap_and_delays_stay_below() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let ceilings: Vec<u64> = (1..=6).map(|a| b.ceiling(a).as_millis() as u64).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        // Drawn many times: a wrong bound shows in some draw.
        for attempt in 1..=6 {
            let ceiling = b.ceiling(attempt);
            for _ in 0..200 {
                let d = b.delay(attempt);
                assert!(d >= ceiling / 2 && d <= ceiling, "{d:?} for {ceiling:?}");
            }
        }
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn the_cap_is_never_below_the_base() {
        let inverted = Backoff::new(Duration::from_millis(300), Duration::from_millis(100));
        assert_eq!(inverted.max, Duration::from_millis(300));
        assert_eq!(inverted.ceiling(3), Duration::from_millis(300));
    }
}
