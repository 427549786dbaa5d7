//! The per-instance rate limit of beacon events: a token bucket per visitor network (the stored IP prefix, `/24` or `/48`), in bounded memory.
//!
//! Each request costs one token per event in its body (at least one). A network's bucket holds
//! at most `burst` tokens and refills at `events_per_sec`; a request that finds too few gets 429
//! with `Retry-After`, and nothing of it is stored. The limit is per process (a Lambda instance,
//! one `serve`): it stops one client flooding one instance, not a distributed one; on AWS the
//! web ACL's rate-based rule on `/v1/*` limits each IP across all instances (template.yaml).
//! Memory: at most [`MAX_NETWORKS`] buckets; when full, the idle ones (refilled) are dropped,
//! and if all are busy the table starts afresh, so the limit fails open rather than locking out
//! networks it has no room for.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most networks tracked at once (about 10 MB).
pub const MAX_NETWORKS: usize = 100_000;

/// How many events a network may send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained events per second per network.
    pub events_per_sec: f64,
    /// Events a network may send at once after being quiet (at least one full batch, 100).
    pub burst: f64,
}

impl Default for RateLimit {
    /// 200 events a second, bursts of 2,000: a page view sends a handful of events, so this
    /// lets dozens of visitors a second share one office or carrier network, while one script
    /// (200,000 events in 1.7 s before the limit) gets about 1 % through.
    fn default() -> Self {
        RateLimit {
            events_per_sec: 200.0,
            burst: 2000.0,
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of one process; `None` limit: everything passes.
#[derive(Debug, Default)]
pub struct Limiter {
    limit: Option<RateLimit>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Limiter {
    /// A limiter with `limit`, or none (every request passes) when it is `None` or its rate is 0.
    pub fn new(limit: Option<RateLimit>) -> Limiter {
        let limit = limit.filter(|l| l.events_per_sec > 0.0).map(|l| RateLimit {
            events_per_sec: l.events_per_sec,
            burst: l.burst.max(formroute_events::event::MAX_EVENTS as f64),
        });
        Limiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The limit in force.
    pub fn limit(&self) -> Option<RateLimit> {
        self.limit
    }

    /// Takes `cost` tokens from `network`'s bucket at `now`, or says how long until they are there.
    pub fn take(&self, network: &str, cost: usize, now: Instant) -> Result<(), Duration> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let cost = (cost.max(1) as f64).min(limit.burst);
        // A poisoned lock only means a panic elsewhere mid-update; the counts are still usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if !buckets.contains_key(network) && buckets.len() >= MAX_NETWORKS {
            buckets.retain(|_, b| refill(b, limit, now) < limit.burst);
            if buckets.len() >= MAX_NETWORKS {
                buckets.clear();
            }
        }
        let b = buckets.entry(network.to_owned()).or_insert(Bucket {
            tokens: limit.burst,
            at: now,
        });
        b.tokens = refill(b, limit, now);
        b.at = now;
        if b.tokens >= cost {
            b.tokens -= cost;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (cost - b.tokens) / limit.events_per_sec,
            ))
        }
    }
}

fn refill(b: &Bucket, limit: RateLimit, now: Instant) -> f64 {
    let secs = now.saturating_duration_since(b.at).as_secs_f64();
    (b.tokens + secs * limit.events_per_sec).min(limit.burst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_network_waits_for_its_refill() {
        let l = Limiter::new(Some(RateLimit {
            events_per_sec: 10.0,
            burst: 100.0,
        }));
        let t0 = Instant::now();
        assert_eq!(l.take("203.0.113.0/24", 60, t0), Ok(()));
        assert_eq!(l.take("203.0.113.0/24", 40, t0), Ok(()));
        let wait = l.take("203.0.113.0/24", 10, t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        // Another network has its own bucket.
        assert_eq!(l.take("198.51.100.0/24", 100, t0), Ok(()));
        // A second later, ten more events fit, not eleven.
        let t1 = t0 + Duration::from_secs(1);
        assert!(l.take("203.0.113.0/24", 11, t1).is_err());
        assert_eq!(l.take("203.0.113.0/24", 10, t1), Ok(()));
    }

    #[test]
    fn no_limit_or_a_zero_rate_lets_everything_through() {
        for l in [
            Limiter::new(None),
            Limiter::new(Some(RateLimit {
                events_per_sec: 0.0,
                burst: 0.0,
            })),
        ] {
            let now = Instant::now();
            for _ in 0..1000 {
                assert_eq!(l.take("x", 100, now), Ok(()));
            }
        }
    }

    #[test]
    fn the_table_stays_bounded() {
        let l = Limiter::new(Some(RateLimit::default()));
        let now = Instant::now();
        for n in 0..MAX_NETWORKS + 10 {
            let _ = l.take(&format!("n{n}"), 1, now);
        }
        assert!(l.buckets.lock().unwrap().len() <= MAX_NETWORKS);
    }
}
