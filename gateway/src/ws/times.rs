//! A connection's times, kept by one timer (one for each would cost ten thousand idle
//! subscribers a kilobyte apiece): until `connection_init`, its deadline (4408); after it, the
//! next keepalive ping and the token's expiry (4403).

use std::time::Duration;

use tokio::time::Instant;

use super::protocol::Close;

pub(super) enum Times {
    AwaitingInit { deadline: Instant },
    Initialised { expires: Option<Instant>, ping_at: Instant },
}

impl Times {
    pub(super) fn new(now: Instant, init_timeout: Duration) -> Self {
        Times::AwaitingInit { deadline: now + init_timeout }
    }

    pub(super) fn awaiting_init(&self) -> bool {
        matches!(self, Times::AwaitingInit { .. })
    }

    /// Initialised at `now` with a token that expires at `expires_at` (seconds since the Unix
    /// epoch).
    pub(super) fn initialised(&mut self, now: Instant, expires_at: Option<u64>, keepalive: Duration) {
        let expires = expires_at.map(|at| now + crate::connections::time_until(at));
        *self = Times::Initialised { expires, ping_at: now + keepalive };
    }

    /// When the timer is next due.
    pub(super) fn next(&self) -> Instant {
        match *self {
            Times::AwaitingInit { deadline } => deadline,
            Times::Initialised { expires, ping_at } => expires.map_or(ping_at, |at| at.min(ping_at)),
        }
    }

    /// The timer fired at `now`: the close it means, or `None` for a ping (the next one set).
    pub(super) fn due(&mut self, now: Instant, keepalive: Duration) -> Option<(Close, String)> {
        match self {
            Times::AwaitingInit { .. } => Some((Close::InitTimeout, "connection initialisation timeout".to_string())),
            Times::Initialised { expires: Some(at), .. } if *at <= now => {
                Some((Close::Forbidden, "the token has expired; connect again with a fresh one".to_string()))
            }
            Times::Initialised { ping_at, .. } => {
                *ping_at = now + keepalive;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_timer_keeps_the_init_deadline_then_the_pings_and_the_token_expiry() {
        let (second, keepalive) = (Duration::from_secs(1), Duration::from_secs(12));
        let start = Instant::now();
        let mut times = Times::new(start, 3 * second);
        assert!(times.awaiting_init());
        assert_eq!(times.next(), start + 3 * second);
        assert!(matches!(times.due(start + 3 * second, keepalive), Some((Close::InitTimeout, _))));

        // Initialised with a token that expires in 30 s: pings at 12 and 24, then 4403.
        let mut times = Times::new(start, 3 * second);
        let epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        times.initialised(start, Some(epoch + 30), keepalive);
        assert!(!times.awaiting_init());
        let mut now = start;
        for _ in 0..2 {
            assert_eq!(times.next(), now + keepalive);
            now += keepalive;
            assert!(times.due(now, keepalive).is_none(), "a ping");
        }
        let expiry = times.next();
        assert!(expiry - now <= 7 * second, "the expiry comes before the third ping: {:?}", expiry - now);
        assert!(matches!(times.due(expiry, keepalive), Some((Close::Forbidden, _))));

        // A token without expiry: pings only.
        let mut times = Times::new(start, 3 * second);
        times.initialised(start, None, keepalive);
        assert!(times.due(start + keepalive * 10, keepalive).is_none());
        assert_eq!(times.next(), start + keepalive * 11);
    }
}
