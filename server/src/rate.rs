//! How often one connection may ask for `status`: a token bucket, pure (the caller passes the
//! time), so it is tested without a clock.
//!
//! Every `status` answer lists every user, so a client asking in a loop makes the server copy
//! the whole table over and over. A person asks a few times a minute; the bucket lets
//! `burst` requests through at once and then `per_second` a second, and a request beyond that
//! is refused with a notice. Nothing else is affected: the refused request is simply not
//! answered, no other command waits, and the connection goes on.

use std::time::Instant;

/// A token bucket: holds up to `burst` tokens, gains `per_second` a second, and each allowed
/// request takes one.
#[derive(Debug, Clone)]
pub struct RateLimit {
    per_second: u32,
    burst: u32,
    /// Tokens left as of `updated`, in billionths of a token: whole integers, so a refill is
    /// exact (one nanosecond gains `per_second` of them).
    nano_tokens: u128,
    updated: Option<Instant>,
}

/// Billionths of a token in one token.
const NANO: u128 = 1_000_000_000;

impl RateLimit {
    /// A full bucket of `burst` tokens (at least 1), refilled at `per_second` (at least 1).
    pub fn new(per_second: u32, burst: u32) -> RateLimit {
        let burst = burst.max(1);
        RateLimit {
            per_second: per_second.max(1),
            burst,
            nano_tokens: u128::from(burst) * NANO,
            updated: None,
        }
    }

    /// Whether a request made at `now` is allowed; if it is, it takes a token.
    pub fn allow(&mut self, now: Instant) -> bool {
        // Never back in time: an older `now` counts as the last one seen.
        let now = self.updated.map_or(now, |updated| now.max(updated));
        if let Some(updated) = self.updated {
            let gained = (now - updated).as_nanos() * u128::from(self.per_second);
            self.nano_tokens = (self.nano_tokens + gained).min(u128::from(self.burst) * NANO);
        }
        self.updated = Some(now);
        if self.nano_tokens >= NANO {
            self.nano_tokens -= NANO;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A burst goes through at once; the next request is refused until a token is back.
    #[test]
    fn burst_then_refused_until_refilled() {
        let start = Instant::now();
        let mut limit = RateLimit::new(2, 10);
        let allowed = (0..10).filter(|_| limit.allow(start)).count();
        assert_eq!(allowed, 10);
        assert!(!limit.allow(start));
        assert!(!limit.allow(start + ms(499)));
        assert!(limit.allow(start + ms(500)));
        assert!(!limit.allow(start + ms(500)));
    }

    /// Asking in a loop gets exactly the refill rate through, whatever the loop's speed.
    #[test]
    fn a_loop_gets_the_refill_rate() {
        let start = Instant::now();
        let mut limit = RateLimit::new(2, 10);
        // One request every millisecond for 10 seconds.
        let allowed = (0..10_000).filter(|i| limit.allow(start + ms(*i))).count();
        // The burst, then 2 a second for the 9.999 s after the first request.
        assert_eq!(allowed, 10 + 19);
    }

    /// A person asking now and then is never refused, and an idle bucket fills up to the
    /// burst, not beyond.
    #[test]
    fn a_person_is_never_refused_and_idle_time_is_capped() {
        let start = Instant::now();
        let mut limit = RateLimit::new(2, 10);
        for i in 0..100 {
            assert!(limit.allow(start + Duration::from_secs(3 * i)));
        }
        let later = start + Duration::from_secs(3600);
        let allowed = (0..20).filter(|_| limit.allow(later)).count();
        assert_eq!(allowed, 10);
    }

    /// A clock that goes backwards (it cannot with `Instant`, but a caller could pass an
    /// older time) neither panics nor grants tokens.
    #[test]
    fn an_older_time_grants_nothing() {
        let start = Instant::now() + Duration::from_secs(10);
        let mut limit = RateLimit::new(1, 1);
        assert!(limit.allow(start));
        assert!(!limit.allow(start - Duration::from_secs(5)));
        assert!(
            !limit.allow(start + ms(999)),
            "the older time moved nothing back"
        );
        assert!(limit.allow(start + ms(1000)));
    }
}
