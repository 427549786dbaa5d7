//! The report's bounded-memory counters: a log-bucket [`Histogram`] for times, a [`BoundedCounter`] for tables keyed by what visitors typed, and [`Distinct`] for page views.
//!
//! Each holds a fixed or capped amount of memory however many events are read:
//! - [`Histogram`]: [`HIST_BUCKETS`] log-spaced buckets (relative error at most 1 %);
//! - [`BoundedCounter`]: exact while it holds at most twice its capacity of distinct keys, then
//!   pruned to the largest counts, each later count too low by at most the largest count ever
//!   pruned ([`BoundedCounter::error_bound`]);
//! - [`Distinct`]: exact (a set of 64-bit hashes) while a shared budget of entries lasts, then a
//!   HyperLogLog sketch of [`HLL_REGISTERS`] registers (standard error 0.8 %).

use formroute_events::archive::Fnv;
use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash};

/// Number of buckets of a [`Histogram`].
pub(crate) const HIST_BUCKETS: usize = 1100;
/// Lower edge of the first log bucket, in milliseconds; smaller values count in bucket 0.
const HIST_MIN_MS: f64 = 0.01;
/// Ratio between the edges of consecutive buckets: 2 % wide, so the midpoint is within 1 %.
const HIST_GROWTH: f64 = 1.02;

/// The deterministic hasher of the report's maps (keys come from visitors, but every map is
/// bounded, so hash flooding can only slow one report run, never grow it).
pub(crate) type FnvBuild = BuildHasherDefault<Fnv>;

/// A fixed-size log-bucket histogram of millisecond values: p50/p95 in constant memory.
#[derive(Debug, Clone)]
pub(crate) struct Histogram {
    buckets: Box<[u64; HIST_BUCKETS]>,
    count: u64,
    min: f64,
    max: f64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: Box::new([0; HIST_BUCKETS]),
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

/// Percentiles of a time in ms (within 1 %, see [`Histogram`]).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Timing {
    pub(crate) count: u64,
    pub(crate) p50: Option<f64>,
    pub(crate) p95: Option<f64>,
    pub(crate) max: Option<f64>,
}

impl Histogram {
    /// Records one value; negative, infinite and NaN values are ignored (returns false).
    pub(crate) fn record(&mut self, ms: f64) -> bool {
        if !ms.is_finite() || ms < 0.0 {
            return false;
        }
        let i = if ms < HIST_MIN_MS {
            0
        } else {
            // 1 + floor(log_G(ms / MIN)), clamped to the last bucket (about 44 hours).
            let k = ((ms / HIST_MIN_MS).ln() / HIST_GROWTH.ln()) as usize + 1;
            k.min(HIST_BUCKETS - 1)
        };
        self.buckets[i] += 1;
        self.count += 1;
        self.min = self.min.min(ms);
        self.max = self.max.max(ms);
        true
    }

    /// Adds every value of `other`.
    pub(crate) fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets.iter()) {
            *a += b;
        }
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The `q`-quantile (0 < q <= 1), nearest-rank, as its bucket's geometric midpoint clamped
    /// to the exact min and max: within 1 % of the true value. `None` when empty.
    pub(crate) fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0u64;
        for (i, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let mid = if i == 0 {
                    self.min
                } else {
                    HIST_MIN_MS * HIST_GROWTH.powf(i as f64 - 0.5)
                };
                return Some(mid.clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// The summary printed in reports.
    pub(crate) fn summary(&self) -> Timing {
        let round = |v: Option<f64>| v.map(|x| (x * 100.0).round() / 100.0);
        Timing {
            count: self.count,
            p50: round(self.quantile(0.5)),
            p95: round(self.quantile(0.95)),
            max: round((self.count > 0).then_some(self.max)),
        }
    }
}

/// A counter of structured keys (a string, or a tuple such as (product, outcome): never a
/// joined string) that holds at most about twice its capacity of keys.
///
/// Exact while the number of distinct keys stays within `2 * capacity`; past that it keeps the
/// `capacity` largest counts and remembers the largest count it dropped (`error_bound`): every
/// count it reports is then at most that much too low, and a key missing from it occurred at
/// most that often. This is the "frequent items with pruning" scheme (Misra-Gries family): for
/// the heavy hitters a report shows (top states, top unknown ZIPs) the bound is small.
#[derive(Debug, Clone)]
pub(crate) struct BoundedCounter<K = Box<str>> {
    map: HashMap<K, u64, FnvBuild>,
    capacity: usize,
    error_bound: u64,
}

impl<K: Hash + Eq + Ord + Clone> BoundedCounter<K> {
    /// A counter keeping `capacity` keys (at least 1) after a prune.
    pub(crate) fn new(capacity: usize) -> Self {
        BoundedCounter {
            map: HashMap::default(),
            capacity: capacity.max(1),
            error_bound: 0,
        }
    }

    /// Counts `key` once; the key is only copied when it is new.
    pub(crate) fn add<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized + ToKey<K>,
    {
        self.add_n(key, 1);
    }

    /// Counts `key` `n` times.
    pub(crate) fn add_n<Q>(&mut self, key: &Q, n: u64)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized + ToKey<K>,
    {
        if let Some(c) = self.map.get_mut(key) {
            *c += n;
            return;
        }
        self.insert(key.to_key(), n);
    }

    /// Counts an owned `key` `n` times.
    pub(crate) fn add_owned(&mut self, key: K, n: u64) {
        if let Some(c) = self.map.get_mut(&key) {
            *c += n;
            return;
        }
        self.insert(key, n);
    }

    fn insert(&mut self, key: K, n: u64) {
        self.map.insert(key, n);
        if self.map.len() > 2 * self.capacity {
            self.prune();
        }
    }

    fn prune(&mut self) {
        let mut counts: Vec<u64> = self.map.values().copied().collect();
        let k = self.capacity;
        counts.select_nth_unstable_by(k, |a, b| b.cmp(a));
        let threshold = counts[k];
        // Drop every key at or below the (k+1)-th largest count, so at most k remain.
        self.map.retain(|_, c| *c > threshold);
        self.error_bound = self.error_bound.max(threshold);
    }

    /// Largest amount by which any reported count may be too low (0: exact).
    pub(crate) fn error_bound(&self) -> u64 {
        self.error_bound
    }

    /// Entries by count, largest first, then by key; at most `limit`.
    pub(crate) fn top(&self, limit: usize) -> Vec<(K, u64)> {
        let mut v: Vec<(K, u64)> = self.map.iter().map(|(k, c)| (k.clone(), *c)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(limit);
        v
    }

    /// Number of keys held (the tests check the bound).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

/// The owned key a borrowed one stands for (`&str` for `Box<str>`).
pub(crate) trait ToKey<K> {
    /// The owned copy.
    fn to_key(&self) -> K;
}

impl ToKey<Box<str>> for str {
    fn to_key(&self) -> Box<str> {
        self.into()
    }
}

/// Registers of a [`Distinct`] sketch: 2^14, so the standard error is 1.04 / 128 = 0.8 %.
pub(crate) const HLL_REGISTERS: usize = 1 << HLL_BITS;
const HLL_BITS: u32 = 14;

/// A count of distinct 64-bit hashes: exact while it may, then a HyperLogLog sketch.
///
/// The exact form draws on a budget shared by all the report's [`Distinct`]s (one entry per
/// hash); when the budget is spent, the set that asks for more turns into a sketch of
/// [`HLL_REGISTERS`] bytes, so memory stays bounded by the budget plus 16 KiB per counter.
#[derive(Debug, Clone)]
pub(crate) enum Distinct {
    /// Every hash seen.
    Exact(HashSet<u64, FnvBuild>),
    /// One register per hash bucket: the longest run of leading zeros seen, plus one.
    Sketch(Box<[u8]>),
}

impl Default for Distinct {
    fn default() -> Self {
        Distinct::Exact(HashSet::default())
    }
}

/// A full 64-bit mix of a hash (SplitMix64's finaliser): FNV's low bits are not uniform enough
/// for a sketch's buckets.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn sketch_add(registers: &mut [u8], hash: u64) {
    let h = mix(hash);
    let bucket = (h >> (64 - HLL_BITS)) as usize;
    // The rank of the remaining bits: leading zeros + 1, at most 64 - HLL_BITS + 1.
    let rest = (h << HLL_BITS) | (1 << (HLL_BITS - 1));
    let rank = rest.leading_zeros() as u8 + 1;
    if registers[bucket] < rank {
        registers[bucket] = rank;
    }
}

impl Distinct {
    /// Notes one hash, drawing on `budget` while exact.
    pub(crate) fn insert(&mut self, hash: u64, budget: &mut usize) {
        match self {
            Distinct::Exact(set) => {
                if !set.contains(&hash) {
                    if *budget == 0 {
                        let mut registers = vec![0u8; HLL_REGISTERS].into_boxed_slice();
                        for h in set.iter() {
                            sketch_add(&mut registers, *h);
                        }
                        sketch_add(&mut registers, hash);
                        // The set's entries go back to the budget for the other counters.
                        *budget += set.len();
                        *self = Distinct::Sketch(registers);
                    } else {
                        *budget -= 1;
                        set.insert(hash);
                    }
                }
            }
            Distinct::Sketch(registers) => sketch_add(registers, hash),
        }
    }

    /// Whether [`Distinct::count`] is exact.
    pub(crate) fn is_exact(&self) -> bool {
        matches!(self, Distinct::Exact(_))
    }

    /// The number of distinct hashes (estimated once a sketch: HyperLogLog with the small-range
    /// correction of Flajolet et al.).
    pub(crate) fn count(&self) -> u64 {
        match self {
            Distinct::Exact(set) => set.len() as u64,
            Distinct::Sketch(registers) => {
                let m = HLL_REGISTERS as f64;
                let alpha = 0.7213 / (1.0 + 1.079 / m);
                let sum: f64 = registers.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
                let zeros = registers.iter().filter(|&&r| r == 0).count();
                let raw = alpha * m * m / sum;
                let estimate = if raw <= 2.5 * m && zeros > 0 {
                    m * (m / zeros as f64).ln()
                } else {
                    raw
                };
                estimate.round() as u64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_within_one_percent() {
        let mut h = Histogram::default();
        for i in 1..=10_000 {
            h.record(f64::from(i) / 10.0);
        }
        let p50 = h.quantile(0.5).expect("p50");
        let p95 = h.quantile(0.95).expect("p95");
        assert!((p50 - 500.0).abs() / 500.0 < 0.01, "p50 {p50}");
        assert!((p95 - 950.0).abs() / 950.0 < 0.01, "p95 {p95}");
        assert_eq!(h.quantile(1.0), Some(1000.0));
        assert!(!h.record(f64::NAN));
        assert!(!h.record(-1.0));
        let mut one = Histogram::default();
        one.record(0.0);
        assert_eq!(one.quantile(0.5), Some(0.0));
    }

    #[test]
    fn bounded_counter_is_exact_when_small_and_bounded_when_large() {
        let mut c: BoundedCounter = BoundedCounter::new(3);
        for k in ["a", "b", "a", "c", "a", "b"] {
            c.add(k);
        }
        assert_eq!(
            c.top(10),
            vec![("a".into(), 3), ("b".into(), 2), ("c".into(), 1)]
        );
        assert_eq!(c.error_bound(), 0);
        let mut c: BoundedCounter = BoundedCounter::new(10);
        for i in 0..10_000 {
            c.add("hot");
            c.add(format!("rare{i}").as_str());
        }
        assert!(c.len() <= 20);
        assert_eq!(&*c.top(1)[0].0, "hot");
        assert!(c.top(1)[0].1 + c.error_bound() >= 10_000);
        assert!(c.error_bound() <= 1);
    }

    #[test]
    fn tuple_keys_stay_apart_whatever_their_parts_hold() {
        let mut c: BoundedCounter<(Box<str>, Box<str>)> = BoundedCounter::new(10);
        c.add_owned(("a\u{1f}b".into(), "c".into()), 1);
        c.add_owned(("a".into(), "b\u{1f}c".into()), 1);
        assert_eq!(c.top(10).len(), 2);
    }

    #[test]
    fn distinct_is_exact_within_its_budget_then_within_a_few_percent() {
        let mut budget = 1000;
        let mut d = Distinct::default();
        for i in 0..1000u64 {
            d.insert(i, &mut budget);
            d.insert(i, &mut budget);
        }
        assert!(d.is_exact());
        assert_eq!(d.count(), 1000);
        assert_eq!(budget, 0);
        for i in 1000..200_000u64 {
            d.insert(i, &mut budget);
        }
        assert!(!d.is_exact());
        assert_eq!(budget, 1000, "the set's entries went back to the budget");
        let n = d.count() as f64;
        assert!((n - 200_000.0).abs() / 200_000.0 < 0.03, "{n}");
        let mut small = Distinct::Sketch(vec![0u8; HLL_REGISTERS].into_boxed_slice());
        for i in 0..100u64 {
            small.insert(i, &mut budget);
        }
        assert!((small.count() as i64 - 100).abs() <= 2, "{}", small.count());
    }
}
