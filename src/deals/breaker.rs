//! A circuit breaker per deal source.
//!
//! A board that is down, blocking us or redesigned fails every refresh the same way. Asking it again at
//! the normal pace wastes its bandwidth and ours, and asking it on every skill call that finds the data
//! stale would hammer it. After `threshold` consecutive failures the breaker opens for `base`, doubling
//! with every further failure up to `max`; while open, scheduled and skill-triggered refreshes of that
//! source are skipped (other sources have their own breaker). When the time is up one attempt goes
//! through (refreshes of a source never overlap): success closes the breaker, failure opens it longer.
//! A `429` whose `Retry-After` is too long to wait out opens it at once for at least that long.

use std::time::{Duration, Instant};

/// When a breaker opens and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive failures that open the breaker.
    pub threshold: u32,
    /// How long it stays open after the `threshold`-th failure.
    pub base: Duration,
    /// Longest it stays open, however many failures follow.
    pub max: Duration,
}

impl Default for BreakerPolicy {
    /// Three failures in a row, then 1 minute, 2, 4, … at most an hour.
    fn default() -> Self {
        Self {
            threshold: 3,
            base: Duration::from_secs(60),
            max: Duration::from_secs(3_600),
        }
    }
}

/// The state of one source's breaker.
#[derive(Debug, Clone)]
pub struct Breaker {
    policy: BreakerPolicy,
    failures: u32,
    open_until: Option<Instant>,
}

impl Breaker {
    pub fn new(policy: BreakerPolicy) -> Self {
        Self {
            policy,
            failures: 0,
            open_until: None,
        }
    }

    /// Whether a refresh may go ahead at `now`.
    pub fn allows(&self, now: Instant) -> bool {
        self.open_until.is_none_or(|until| now >= until)
    }

    /// How long until a refresh may go ahead (zero when it may now).
    pub fn remaining(&self, now: Instant) -> Duration {
        self.open_until
            .map_or(Duration::ZERO, |until| until.saturating_duration_since(now))
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn success(&mut self) {
        self.failures = 0;
        self.open_until = None;
    }

    /// Records a failure at `now`; `at_least` is how long the source itself asked us to wait, if it did.
    pub fn failure(&mut self, now: Instant, at_least: Option<Duration>) {
        self.failures = self.failures.saturating_add(1);
        let backoff = self.failures.checked_sub(self.policy.threshold).map(|extra| {
            let factor = 2u32.saturating_pow(extra.min(30));
            self.policy.base.saturating_mul(factor).min(self.policy.max)
        });
        let open = match (backoff, at_least) {
            (Some(b), Some(asked)) => Some(b.max(asked)),
            (one, other) => one.or(other),
        };
        self.open_until = open.map(|d| now + d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: BreakerPolicy = BreakerPolicy {
        threshold: 2,
        base: Duration::from_secs(10),
        max: Duration::from_secs(35),
    };

    #[test]
    fn it_opens_after_the_threshold_with_a_growing_backoff_up_to_the_maximum() {
        let now = Instant::now();
        let mut breaker = Breaker::new(POLICY);
        assert!(breaker.allows(now));
        breaker.failure(now, None);
        assert!(breaker.allows(now), "one failure is not a pattern");
        for expected in [10, 20, 35, 35] {
            breaker.failure(now, None);
            assert!(!breaker.allows(now));
            assert_eq!(breaker.remaining(now), Duration::from_secs(expected));
            assert!(breaker.allows(now + Duration::from_secs(expected)));
        }
        assert_eq!(breaker.failures(), 5);
    }

    #[test]
    fn a_success_closes_it_and_starts_counting_again() {
        let now = Instant::now();
        let mut breaker = Breaker::new(POLICY);
        breaker.failure(now, None);
        breaker.failure(now, None);
        assert!(!breaker.allows(now));
        breaker.success();
        assert!(breaker.allows(now));
        assert_eq!(breaker.failures(), 0);
        breaker.failure(now, None);
        assert!(breaker.allows(now));
    }

    #[test]
    fn a_source_asking_for_time_opens_it_at_once_for_at_least_that_long() {
        let now = Instant::now();
        let mut breaker = Breaker::new(POLICY);
        breaker.failure(now, Some(Duration::from_secs(120)));
        assert_eq!(breaker.remaining(now), Duration::from_secs(120));
        breaker.failure(now, Some(Duration::from_secs(1)));
        assert_eq!(
            breaker.remaining(now),
            Duration::from_secs(10),
            "the backoff wins when longer"
        );
    }

    #[test]
    fn a_huge_number_of_failures_does_not_overflow() {
        let now = Instant::now();
        let mut breaker = Breaker::new(POLICY);
        for _ in 0..100 {
            breaker.failure(now, None);
        }
        assert_eq!(breaker.remaining(now), POLICY.max);
    }
}
