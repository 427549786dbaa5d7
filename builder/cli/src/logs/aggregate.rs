//! Marketing's report over beacon events: a streaming, bounded-memory aggregation from archived event lines to report numbers.
//!
//! [`super::read`] reads archived NDJSON files one by one and feeds every line
//! to an [`Aggregator`]; [`Aggregator::finish`] gives the [`Report`], a plain serialisable value
//! that the terminal, CSV, JSON and HTML renderers all print from. Nothing here does I/O.
//!
//! Memory stays bounded however many events are read:
//! - times (`ms`) go into a [`Histogram`] of [`HIST_BUCKETS`] log-spaced buckets (relative
//!   error at most 1 %), so p50/p95 need no list of values;
//! - every table keyed by something a visitor typed (products, unknown ZIPs, error strings,
//!   artifact versions) is a [`BoundedCounter`]: exact while it holds at most its capacity of
//!   distinct keys, then pruned to the largest counts, each later count too low by at most the
//!   largest count ever pruned (the report says so in `approximate`);
//! - brands are capped at [`MAX_BRANDS`] (the logger only accepts brands of `brands.csv`);
//! - duplicates are dropped by event `id` within a *dedupe window*: the caller opens a new
//!   window per archive partition (brand, day, hour, see [`Aggregator::start_window`]).
//!   A duplicate from SQS redelivery or a logger retry is the same message body, hence has the
//!   same receive time and lands in the same partition, so per-partition windows catch them all
//!   while memory stays bounded by the largest partition (8 bytes per event id).

use formroute_core::spec::{normalise_product, zip5};
use formroute_events::archive::{format_day, parse_day, Fnv, DAY_MS};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Version of the report's JSON shape; bumped when a field changes meaning or goes away.
pub(crate) const REPORT_VERSION: u32 = 1;
/// Number of buckets of a [`Histogram`].
pub(crate) const HIST_BUCKETS: usize = 1100;
/// Lower edge of the first log bucket, in milliseconds; smaller values count in bucket 0.
const HIST_MIN_MS: f64 = 0.01;
/// Ratio between the edges of consecutive buckets: 2 % wide, so the midpoint is within 1 %.
const HIST_GROWTH: f64 = 1.02;
/// Most brands tracked one by one; further ones are folded into [`OTHER`].
pub(crate) const MAX_BRANDS: usize = 1000;
/// Label of the row that collects what did not fit a bounded table.
pub(crate) const OTHER: &str = "(other)";
/// Default capacity of the bounded tables (distinct keys kept exactly per brand).
pub(crate) const DEFAULT_TOP_K: usize = 2000;

/// One event line as archived: the client's fields (SPEC "Beacon events") plus what the logger
/// added. Read leniently: every field is optional here and unknown fields are ignored, so the
/// report keeps working as the schema grows. Strings borrow from the line when unescaped.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct EventView<'a> {
    /// Unique event id (the dedupe key).
    #[serde(borrow, default)]
    pub(crate) id: Option<Cow<'a, str>>,
    /// `resolve`, `load` or `error`.
    #[serde(rename = "type", borrow, default)]
    pub(crate) kind: Option<Cow<'a, str>>,
    /// Visitor's clock, ms since the epoch.
    #[serde(default)]
    pub(crate) ts: Option<f64>,
    /// Logger's receive time, ms since the epoch (the archive partitions by it).
    #[serde(default)]
    pub(crate) received: Option<f64>,
    /// Brand slug.
    #[serde(borrow, default)]
    pub(crate) brand: Option<Cow<'a, str>>,
    /// ZIP as typed.
    #[serde(borrow, default)]
    pub(crate) zip: Option<Cow<'a, str>>,
    /// Product as asked.
    #[serde(borrow, default)]
    pub(crate) product: Option<Cow<'a, str>>,
    /// The answer's `ok`.
    #[serde(default)]
    pub(crate) ok: Option<bool>,
    /// State, when ok.
    #[serde(borrow, default)]
    pub(crate) state: Option<Cow<'a, str>>,
    /// Form type, when ok.
    #[serde(borrow, default)]
    pub(crate) form_type: Option<Cow<'a, str>>,
    /// Failure reason, when not ok.
    #[serde(borrow, default)]
    pub(crate) error: Option<Cow<'a, str>>,
    /// Time to resolve, or to load for `load`.
    #[serde(default)]
    pub(crate) ms: Option<f64>,
    /// Version (or hash) of the artifact the page used, when the client sends it.
    #[serde(borrow, default)]
    pub(crate) av: Option<Cow<'a, str>>,
    /// Logger's bot flag.
    #[serde(default)]
    pub(crate) bot: Option<bool>,
}

impl EventView<'_> {
    /// The time the report files the event under: the logger's receive time, else the visitor's.
    pub(crate) fn time_ms(&self) -> Option<i64> {
        self.received
            .or(self.ts)
            .filter(|t| t.is_finite())
            .map(|t| t as i64)
    }
}

/// What to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Filter {
    /// Keep events at or after this time (ms since the epoch).
    pub(crate) since_ms: Option<i64>,
    /// Keep events strictly before this time.
    pub(crate) until_ms: Option<i64>,
    /// Keep only these brands (empty: all).
    pub(crate) brands: Vec<String>,
}

impl Filter {
    /// Whether an event filed at `time` for `brand` is kept (events without a time pass
    /// only when no time bound is set).
    pub(crate) fn keeps(&self, brand: &str, time: Option<i64>) -> bool {
        if !self.brands.is_empty() && !self.brands.iter().any(|b| b == brand) {
            return false;
        }
        match time {
            Some(t) => self.since_ms.is_none_or(|s| t >= s) && self.until_ms.is_none_or(|u| t < u),
            None => self.since_ms.is_none() && self.until_ms.is_none(),
        }
    }

    /// Whether an archive partition (`brand`, hour starting at `hour_start_ms`) can hold kept
    /// events, so a reader may skip the whole object without opening it.
    pub(crate) fn may_keep_partition(&self, brand: &str, hour_start_ms: i64) -> bool {
        if !self.brands.is_empty() && !self.brands.iter().any(|b| b == brand) {
            return false;
        }
        self.since_ms.is_none_or(|s| hour_start_ms + 3_600_000 > s)
            && self.until_ms.is_none_or(|u| hour_start_ms < u)
    }
}

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

type FnvBuild = BuildHasherDefault<Fnv>;

/// A counter of string keys that holds at most about twice its capacity of keys.
///
/// Exact while the number of distinct keys stays within `2 * capacity`; past that it keeps the
/// `capacity` largest counts and remembers the largest count it dropped (`error_bound`): every
/// count it reports is then at most that much too low, and a key missing from it occurred at
/// most that often. This is the "frequent items with pruning" scheme (Misra-Gries family): for
/// the heavy hitters a report shows (top states, top unknown ZIPs) the bound is small.
#[derive(Debug, Clone)]
pub(crate) struct BoundedCounter {
    map: HashMap<Box<str>, u64, FnvBuild>,
    capacity: usize,
    error_bound: u64,
}

impl BoundedCounter {
    /// A counter keeping `capacity` keys (at least 1) after a prune.
    pub(crate) fn new(capacity: usize) -> Self {
        BoundedCounter {
            map: HashMap::default(),
            capacity: capacity.max(1),
            error_bound: 0,
        }
    }

    /// Counts `key` once.
    pub(crate) fn add(&mut self, key: &str) {
        self.add_n(key, 1);
    }

    /// Counts `key` `n` times.
    pub(crate) fn add_n(&mut self, key: &str, n: u64) {
        if let Some(c) = self.map.get_mut(key) {
            *c += n;
            return;
        }
        self.map.insert(key.into(), n);
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
    pub(crate) fn top(&self, limit: usize) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self.map.iter().map(|(k, c)| (k.to_string(), *c)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(limit);
        v
    }

    /// Number of keys held (the tests check the bound).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }
}

/// Per-brand running totals.
#[derive(Debug, Clone)]
struct BrandAgg {
    resolves: u64,
    ok: u64,
    loads: u64,
    load_errors: u64,
    other_events: u64,
    bots: u64,
    resolve_ms: Histogram,
    load_ms: Histogram,
    /// Key `product \x1f outcome`.
    product_outcome: BoundedCounter,
    form_types: BoundedCounter,
    states: BoundedCounter,
    reasons: BoundedCounter,
    unknown_zips: BoundedCounter,
    versions: BoundedCounter,
}

impl BrandAgg {
    fn new(k: usize) -> Self {
        BrandAgg {
            resolves: 0,
            ok: 0,
            loads: 0,
            load_errors: 0,
            other_events: 0,
            bots: 0,
            resolve_ms: Histogram::default(),
            load_ms: Histogram::default(),
            product_outcome: BoundedCounter::new(k),
            form_types: BoundedCounter::new(k),
            states: BoundedCounter::new(k),
            reasons: BoundedCounter::new(k),
            unknown_zips: BoundedCounter::new(k),
            versions: BoundedCounter::new(k),
        }
    }
}

/// Counts per UTC day.
#[derive(Debug, Clone, Copy, Default)]
struct DayAgg {
    resolves: u64,
    fallbacks: u64,
    loads: u64,
}

/// The streaming aggregation: feed it lines, then [`finish`](Aggregator::finish).
#[derive(Debug)]
pub(crate) struct Aggregator {
    filter: Filter,
    top_k: usize,
    files: u64,
    lines: u64,
    malformed: u64,
    filtered_out: u64,
    duplicates: u64,
    without_id: u64,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
    window: HashSet<u64, FnvBuild>,
    window_key: Option<String>,
    largest_window: usize,
    brands: HashMap<Box<str>, BrandAgg, FnvBuild>,
    days: BTreeMap<i64, DayAgg>,
    scratch: String,
}

impl Aggregator {
    /// An empty aggregation keeping what `filter` keeps; bounded tables hold `top_k` keys per brand.
    pub(crate) fn new(filter: Filter, top_k: usize) -> Self {
        Aggregator {
            filter,
            top_k: top_k.max(1),
            files: 0,
            lines: 0,
            malformed: 0,
            filtered_out: 0,
            duplicates: 0,
            without_id: 0,
            first_ms: None,
            last_ms: None,
            window: HashSet::default(),
            window_key: None,
            largest_window: 0,
            brands: HashMap::default(),
            days: BTreeMap::new(),
            scratch: String::new(),
        }
    }

    /// Non-blank lines read so far (for progress displays).
    pub(crate) fn lines_read(&self) -> u64 {
        self.lines
    }

    /// Notes that a new input file starts, in dedupe window `key` (its partition, e.g.
    /// `brand=B/dt=D/hour=H`; `None` for files outside the partitioned layout, which all share
    /// one window). The window's remembered ids are forgotten when the key changes.
    pub(crate) fn start_window(&mut self, key: Option<&str>) {
        self.files += 1;
        if self.window_key.as_deref() != key {
            self.window.clear();
            self.window_key = key.map(str::to_string);
        }
    }

    /// Reads one NDJSON line (without or with its `\n`). Blank lines are skipped; lines that are
    /// not a JSON event object count as malformed.
    pub(crate) fn add_line(&mut self, line: &[u8]) {
        let line = line.trim_ascii();
        if line.is_empty() {
            return;
        }
        self.lines += 1;
        match serde_json::from_slice::<EventView<'_>>(line) {
            Ok(ev) => self.add_event(&ev),
            Err(_) => self.malformed += 1,
        }
    }

    /// Counts one event (after the filter and the dedupe window).
    pub(crate) fn add_event(&mut self, ev: &EventView<'_>) {
        let Some(brand) = ev.brand.as_deref() else {
            self.malformed += 1;
            return;
        };
        let time = ev.time_ms();
        if !self.filter.keeps(brand, time) {
            self.filtered_out += 1;
            return;
        }
        match ev.id.as_deref() {
            Some(id) => {
                let mut h = Fnv::default();
                h.write(id.as_bytes());
                if !self.window.insert(h.finish()) {
                    self.duplicates += 1;
                    return;
                }
                self.largest_window = self.largest_window.max(self.window.len());
            }
            None => self.without_id += 1,
        }
        if let Some(t) = time {
            self.first_ms = Some(self.first_ms.map_or(t, |f| f.min(t)));
            self.last_ms = Some(self.last_ms.map_or(t, |l| l.max(t)));
        }
        let top_k = self.top_k;
        let brand_key = if self.brands.contains_key(brand) || self.brands.len() < MAX_BRANDS {
            brand
        } else {
            OTHER
        };
        let agg = match self.brands.get_mut(brand_key) {
            Some(a) => a,
            None => self
                .brands
                .entry(brand_key.into())
                .or_insert_with(|| BrandAgg::new(top_k)),
        };
        if ev.bot == Some(true) {
            agg.bots += 1;
        }
        if let Some(v) = ev.av.as_deref() {
            agg.versions.add(v);
        }
        let day = time.map(|t| t.div_euclid(DAY_MS));
        match ev.kind.as_deref() {
            Some("resolve") => {
                agg.resolves += 1;
                let ok = ev.ok == Some(true);
                if let Some(ms) = ev.ms {
                    agg.resolve_ms.record(ms);
                }
                let outcome = if ok {
                    agg.ok += 1;
                    if let Some(ft) = ev.form_type.as_deref() {
                        agg.form_types.add(ft);
                    }
                    if let Some(st) = ev.state.as_deref() {
                        agg.states.add(st);
                    }
                    "ok"
                } else {
                    let reason = ev.error.as_deref().unwrap_or("(none)");
                    agg.reasons.add(reason);
                    if reason == "unknown_zip" {
                        if let Some(z) = ev.zip.as_deref().and_then(zip5) {
                            agg.unknown_zips.add(z);
                        }
                    }
                    reason
                };
                self.scratch.clear();
                self.scratch
                    .push_str(&normalise_product(ev.product.as_deref().unwrap_or("")));
                self.scratch.push('\x1f');
                self.scratch.push_str(outcome);
                agg.product_outcome.add(&self.scratch);
                if let Some(d) = day {
                    let e = self.days.entry(d).or_default();
                    e.resolves += 1;
                    e.fallbacks += u64::from(!ok);
                }
            }
            Some("load") => {
                agg.loads += 1;
                if let Some(ms) = ev.ms {
                    agg.load_ms.record(ms);
                }
                if let Some(d) = day {
                    self.days.entry(d).or_default().loads += 1;
                }
            }
            Some("error") => agg.load_errors += 1,
            _ => agg.other_events += 1,
        }
    }

    /// The report; `table_limit` caps the rows of the long tables (unknown ZIPs, states, products).
    pub(crate) fn finish(self, table_limit: usize) -> Report {
        let mut brands: Vec<(Box<str>, BrandAgg)> = self.brands.into_iter().collect();
        brands.sort_by(|a, b| a.0.cmp(&b.0));

        let mut totals = Totals::default();
        let mut all_resolve_ms = Histogram::default();
        let mut all_load_ms = Histogram::default();
        let mut states = BoundedCounter::new(usize::MAX / 4);
        let mut brand_rows = Vec::new();
        let mut resolves = Vec::new();
        let mut form_types = Vec::new();
        let mut fallback_reasons = Vec::new();
        let mut unknown_zips = Vec::new();
        let mut versions = Vec::new();
        let mut brand_states = Vec::new();
        let mut error_bound = 0u64;
        for (name, a) in &brands {
            let brand = name.to_string();
            totals.resolves += a.resolves;
            totals.ok += a.ok;
            totals.loads += a.loads;
            totals.load_errors += a.load_errors;
            totals.other_events += a.other_events;
            totals.bot_events += a.bots;
            all_resolve_ms.merge(&a.resolve_ms);
            all_load_ms.merge(&a.load_ms);
            brand_rows.push(BrandRow {
                brand: brand.clone(),
                resolves: a.resolves,
                ok: a.ok,
                fallbacks: a.resolves - a.ok,
                fallback_rate: rate(a.resolves - a.ok, a.resolves),
                loads: a.loads,
                load_errors: a.load_errors,
                bot_events: a.bots,
                resolve_ms: a.resolve_ms.summary(),
                load_ms: a.load_ms.summary(),
            });
            for (key, count) in a.product_outcome.top(usize::MAX) {
                let (product, outcome) = key.split_once('\x1f').unwrap_or((key.as_str(), ""));
                resolves.push(ResolveRow {
                    brand: brand.clone(),
                    product: product.to_string(),
                    outcome: outcome.to_string(),
                    count,
                });
            }
            for (form_type, count) in a.form_types.top(table_limit) {
                form_types.push(FormTypeRow {
                    brand: brand.clone(),
                    form_type,
                    count,
                    share: rate(count, a.ok),
                });
            }
            for (reason, count) in a.reasons.top(table_limit) {
                fallback_reasons.push(ReasonRow {
                    brand: brand.clone(),
                    reason,
                    count,
                    share: rate(count, a.resolves),
                });
            }
            for (zip, count) in a.unknown_zips.top(table_limit) {
                unknown_zips.push(ZipRow {
                    brand: brand.clone(),
                    zip,
                    count,
                });
            }
            for (version, count) in a.versions.top(table_limit) {
                versions.push(VersionRow {
                    brand: brand.clone(),
                    version,
                    count,
                });
            }
            for (state, count) in a.states.top(usize::MAX) {
                states.add_n(&state, count);
                brand_states.push(BrandStateRow {
                    brand: brand.clone(),
                    state,
                    count,
                });
            }
            for c in [
                &a.product_outcome,
                &a.form_types,
                &a.states,
                &a.reasons,
                &a.unknown_zips,
                &a.versions,
            ] {
                error_bound = error_bound.max(c.error_bound());
            }
        }
        totals.fallbacks = totals.resolves - totals.ok;
        totals.fallback_rate = rate(totals.fallbacks, totals.resolves);
        totals.resolve_ms = all_resolve_ms.summary();
        totals.load_ms = all_load_ms.summary();
        resolves.sort_by(|a, b| {
            (&a.brand, &a.product)
                .cmp(&(&b.brand, &b.product))
                .then_with(|| b.count.cmp(&a.count))
                .then_with(|| a.outcome.cmp(&b.outcome))
        });
        unknown_zips.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| (&a.zip, &a.brand).cmp(&(&b.zip, &b.brand)))
        });
        unknown_zips.truncate(table_limit);
        let state_rows = states
            .top(usize::MAX)
            .into_iter()
            .map(|(state, count)| StateRow {
                share: rate(count, totals.ok),
                state,
                count,
            })
            .collect();
        let days = self
            .days
            .iter()
            .map(|(d, a)| DayRow {
                day: format_day(*d),
                resolves: a.resolves,
                fallbacks: a.fallbacks,
                loads: a.loads,
            })
            .collect();
        Report {
            report_version: REPORT_VERSION,
            filter: FilterEcho {
                since: self.filter.since_ms.map(format_time),
                until: self.filter.until_ms.map(format_time),
                brands: self.filter.brands.clone(),
            },
            input: InputStats {
                files: self.files,
                lines: self.lines,
                events: totals.resolves + totals.loads + totals.load_errors + totals.other_events,
                malformed: self.malformed,
                duplicates: self.duplicates,
                filtered_out: self.filtered_out,
                without_id: self.without_id,
                largest_dedupe_window: self.largest_window as u64,
            },
            first_event: self.first_ms.map(format_time),
            last_event: self.last_ms.map(format_time),
            approximate: error_bound > 0,
            count_error_bound: error_bound,
            totals,
            brands: brand_rows,
            resolves,
            form_types,
            states: state_rows,
            brand_states,
            fallback_reasons,
            unknown_zips,
            artifact_versions: versions,
            days,
        }
    }
}

/// `part / whole`, rounded to 4 decimals; 0 when `whole` is 0.
fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds) of a time in ms since the epoch.
pub(crate) fn format_time(ms: i64) -> String {
    let days = ms.div_euclid(DAY_MS);
    let s = ms.rem_euclid(DAY_MS) / 1000;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_day(days),
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Errors of [`parse_time`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a time: use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]Z or ms since the epoch")]
pub(crate) struct TimeError(pub String);

/// Parses a `--since`/`--until` bound: `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DDTHH:MM[:SS]`
/// with an optional `Z` (UTC), or an integer of ms since the epoch.
pub(crate) fn parse_time(text: &str) -> Result<i64, TimeError> {
    let err = || TimeError(text.to_string());
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().map_err(|_| err());
    }
    let t = t.strip_suffix('Z').unwrap_or(t);
    let (date, time) = match t.split_once(['T', ' ']) {
        Some((d, tm)) => (d, Some(tm)),
        None => (t, None),
    };
    let num = |s: &str, len: usize| -> Result<u32, TimeError> {
        if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().map_err(|_| err())
        } else {
            Err(err())
        }
    };
    let days = parse_day(date).ok_or_else(err)?;
    let mut secs = 0i64;
    if let Some(tm) = time {
        let parts: Vec<&str> = tm.split(':').collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(err());
        }
        let h = num(parts[0], 2)?;
        let mi = num(parts[1], 2)?;
        let s = match parts.get(2) {
            Some(s) => num(s, 2)?,
            None => 0,
        };
        if h > 23 || mi > 59 || s > 59 {
            return Err(err());
        }
        secs = i64::from(h * 3600 + mi * 60 + s);
    }
    Ok(days * DAY_MS + secs * 1000)
}

/// The whole report. Field order is the JSON order; every list is sorted deterministically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Report {
    /// [`REPORT_VERSION`].
    pub(crate) report_version: u32,
    /// The filters the report was made with.
    pub(crate) filter: FilterEcho,
    /// What was read.
    pub(crate) input: InputStats,
    /// Earliest kept event time (UTC).
    pub(crate) first_event: Option<String>,
    /// Latest kept event time (UTC).
    pub(crate) last_event: Option<String>,
    /// Whether some bounded table had to drop rare keys (see `count_error_bound`).
    pub(crate) approximate: bool,
    /// Largest amount by which a count of a bounded table may be too low (0: all exact).
    pub(crate) count_error_bound: u64,
    /// Totals over all kept events.
    pub(crate) totals: Totals,
    /// One row per brand, by slug.
    pub(crate) brands: Vec<BrandRow>,
    /// Resolves by brand x product (trimmed, lowercased) x outcome (`ok` or the error reason).
    pub(crate) resolves: Vec<ResolveRow>,
    /// Successful resolves by brand x form type.
    pub(crate) form_types: Vec<FormTypeRow>,
    /// Successful resolves by state, all brands, most first.
    pub(crate) states: Vec<StateRow>,
    /// Successful resolves by brand x state.
    pub(crate) brand_states: Vec<BrandStateRow>,
    /// Failed resolves by brand x reason.
    pub(crate) fallback_reasons: Vec<ReasonRow>,
    /// ZIPs visitors typed that the data does not know (`unknown_zip`), most first: the data team's to-do list.
    pub(crate) unknown_zips: Vec<ZipRow>,
    /// Artifact versions seen, by brand.
    pub(crate) artifact_versions: Vec<VersionRow>,
    /// Per UTC day.
    pub(crate) days: Vec<DayRow>,
}

/// The filters, as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FilterEcho {
    pub(crate) since: Option<String>,
    pub(crate) until: Option<String>,
    pub(crate) brands: Vec<String>,
}

/// Counts of what was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InputStats {
    /// Files read.
    pub(crate) files: u64,
    /// Non-blank lines read.
    pub(crate) lines: u64,
    /// Events counted (kept, not duplicates).
    pub(crate) events: u64,
    /// Lines that were not an event object with a brand.
    pub(crate) malformed: u64,
    /// Events dropped because their id was already counted.
    pub(crate) duplicates: u64,
    /// Events outside `--since`/`--until`/`--brand`.
    pub(crate) filtered_out: u64,
    /// Events without an id (counted, cannot be deduplicated).
    pub(crate) without_id: u64,
    /// Most ids held at once for deduplication.
    pub(crate) largest_dedupe_window: u64,
}

/// Totals over all brands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Totals {
    pub(crate) resolves: u64,
    pub(crate) ok: u64,
    pub(crate) fallbacks: u64,
    pub(crate) fallback_rate: f64,
    pub(crate) loads: u64,
    pub(crate) load_errors: u64,
    pub(crate) other_events: u64,
    pub(crate) bot_events: u64,
    pub(crate) resolve_ms: Timing,
    pub(crate) load_ms: Timing,
}

/// Percentiles of a time in ms (within 1 %, see [`Histogram`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Timing {
    pub(crate) count: u64,
    pub(crate) p50: Option<f64>,
    pub(crate) p95: Option<f64>,
    pub(crate) max: Option<f64>,
}

/// One brand's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BrandRow {
    pub(crate) brand: String,
    pub(crate) resolves: u64,
    pub(crate) ok: u64,
    pub(crate) fallbacks: u64,
    pub(crate) fallback_rate: f64,
    pub(crate) loads: u64,
    pub(crate) load_errors: u64,
    pub(crate) bot_events: u64,
    pub(crate) resolve_ms: Timing,
    pub(crate) load_ms: Timing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ResolveRow {
    pub(crate) brand: String,
    pub(crate) product: String,
    pub(crate) outcome: String,
    pub(crate) count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FormTypeRow {
    pub(crate) brand: String,
    pub(crate) form_type: String,
    pub(crate) count: u64,
    /// Of the brand's successful resolves.
    pub(crate) share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StateRow {
    pub(crate) state: String,
    pub(crate) count: u64,
    /// Of all successful resolves.
    pub(crate) share: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BrandStateRow {
    pub(crate) brand: String,
    pub(crate) state: String,
    pub(crate) count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ReasonRow {
    pub(crate) brand: String,
    pub(crate) reason: String,
    pub(crate) count: u64,
    /// Of the brand's resolves.
    pub(crate) share: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ZipRow {
    pub(crate) brand: String,
    pub(crate) zip: String,
    pub(crate) count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VersionRow {
    pub(crate) brand: String,
    pub(crate) version: String,
    pub(crate) count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DayRow {
    pub(crate) day: String,
    pub(crate) resolves: u64,
    pub(crate) fallbacks: u64,
    pub(crate) loads: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use formroute_events::archive::Partition;

    const T0: i64 = 1_785_000_000_000; // 2026-07-25T17:20:00Z

    fn resolve_ok(id: &str, brand: &str, product: &str, state: &str, ms: f64) -> String {
        format!(
            r#"{{"id":"{id}","type":"resolve","ts":{T0},"received":{T0},"brand":"{brand}","page":"https://x.example/","pv":"pv000001","zip":"10001","product":"{product}","language":"en","ok":true,"state":"{state}","form_type":"standard","language_used":"en","ms":{ms}}}"#
        )
    }

    fn resolve_err(id: &str, brand: &str, zip: &str, error: &str) -> String {
        format!(
            r#"{{"id":"{id}","type":"resolve","ts":{T0},"brand":"{brand}","page":"https://x.example/","pv":"pv000001","zip":"{zip}","product":"auto","language":"en","ok":false,"error":"{error}","ms":0.5}}"#
        )
    }

    fn run(lines: &[String]) -> Report {
        let mut a = Aggregator::new(Filter::default(), DEFAULT_TOP_K);
        a.start_window(None);
        for l in lines {
            a.add_line(l.as_bytes());
        }
        a.finish(100)
    }

    #[test]
    fn counts_resolves_by_brand_product_and_outcome() {
        let r = run(&[
            resolve_ok("id000001", "acme", "auto", "NY", 1.0),
            resolve_ok("id000002", "acme", " Auto", "NY", 1.0),
            resolve_ok("id000003", "acme", "home", "CA", 1.0),
            resolve_err("id000004", "acme", "99999", "unknown_zip"),
            resolve_err("id000005", "beta", "abc", "invalid_zip"),
        ]);
        assert_eq!(r.totals.resolves, 5);
        assert_eq!(r.totals.ok, 3);
        assert_eq!(r.totals.fallbacks, 2);
        assert_eq!(r.totals.fallback_rate, 0.4);
        let rows: Vec<(&str, &str, &str, u64)> = r
            .resolves
            .iter()
            .map(|x| {
                (
                    x.brand.as_str(),
                    x.product.as_str(),
                    x.outcome.as_str(),
                    x.count,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("acme", "auto", "ok", 2),
                ("acme", "auto", "unknown_zip", 1),
                ("acme", "home", "ok", 1),
                ("beta", "auto", "invalid_zip", 1),
            ]
        );
        assert_eq!(r.states[0].state, "NY");
        assert_eq!(r.states[0].count, 2);
        assert_eq!(r.unknown_zips.len(), 1);
        assert_eq!(r.unknown_zips[0].zip, "99999");
    }

    #[test]
    fn duplicates_are_counted_once_within_a_window_but_not_across_windows() {
        let e = resolve_ok("dup00001", "acme", "auto", "NY", 1.0);
        let mut a = Aggregator::new(Filter::default(), 10);
        a.start_window(Some("brand=acme/dt=2026-07-25/hour=17"));
        a.add_line(e.as_bytes());
        a.add_line(e.as_bytes());
        a.start_window(Some("brand=acme/dt=2026-07-25/hour=17"));
        a.add_line(e.as_bytes());
        let r = a.finish(10);
        assert_eq!(r.totals.resolves, 1);
        assert_eq!(r.input.duplicates, 2);
        assert_eq!(r.input.files, 2);

        let mut a = Aggregator::new(Filter::default(), 10);
        a.start_window(Some("brand=acme/dt=2026-07-25/hour=17"));
        a.add_line(e.as_bytes());
        a.start_window(Some("brand=acme/dt=2026-07-25/hour=18"));
        a.add_line(e.as_bytes());
        assert_eq!(a.finish(10).totals.resolves, 2);
    }

    #[test]
    fn malformed_lines_are_counted_not_fatal() {
        let r = run(&[
            "not json".into(),
            "{\"type\":\"resolve\"}".into(),
            String::new(),
            resolve_ok("id000001", "acme", "auto", "NY", 1.0),
        ]);
        assert_eq!(r.input.malformed, 2);
        assert_eq!(r.input.lines, 3);
        assert_eq!(r.totals.resolves, 1);
    }

    #[test]
    fn filter_by_time_and_brand() {
        let f = Filter {
            since_ms: Some(T0),
            until_ms: Some(T0 + 1),
            brands: vec!["acme".into()],
        };
        assert!(f.keeps("acme", Some(T0)));
        assert!(!f.keeps("acme", Some(T0 + 1)));
        assert!(!f.keeps("acme", Some(T0 - 1)));
        assert!(!f.keeps("beta", Some(T0)));
        assert!(!f.keeps("acme", None));
        let hour = Partition::parse("events/brand=acme/dt=2026-07-25/hour=17/x.ndjson.gz")
            .expect("partition")
            .hour_start_ms;
        assert!(f.may_keep_partition("acme", hour));
        assert!(!f.may_keep_partition("acme", hour + 3_600_000));
        assert!(!f.may_keep_partition("beta", hour));
    }

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
        let mut c = BoundedCounter::new(3);
        for k in ["a", "b", "a", "c", "a", "b"] {
            c.add(k);
        }
        assert_eq!(
            c.top(10),
            vec![("a".into(), 3), ("b".into(), 2), ("c".into(), 1)]
        );
        assert_eq!(c.error_bound(), 0);
        let mut c = BoundedCounter::new(10);
        for i in 0..10_000 {
            c.add("hot");
            c.add(&format!("rare{i}"));
        }
        assert!(c.len() <= 20);
        assert_eq!(c.top(1)[0].0, "hot");
        assert!(c.top(1)[0].1 + c.error_bound() >= 10_000);
        assert!(c.error_bound() <= 1);
    }

    #[test]
    fn time_parsing_and_partitions() {
        assert_eq!(parse_time("1970-01-02"), Ok(DAY_MS));
        assert_eq!(parse_time("1970-01-01T01:00Z"), Ok(3_600_000));
        assert_eq!(parse_time("2026-07-25T17:20:00Z"), Ok(T0));
        assert_eq!(parse_time("12345"), Ok(12345));
        assert!(parse_time("2026-02-30").is_err());
        assert!(parse_time("yesterday").is_err());
        assert_eq!(format_time(T0), "2026-07-25T17:20:00Z");
        assert_eq!(
            Partition::of("acme", T0).folder(),
            "brand=acme/dt=2026-07-25/hour=17"
        );
        assert_eq!(
            Partition::parse("s3/events/brand=acme/dt=2026-07-25/hour=17/a.ndjson.gz"),
            Some(Partition {
                brand: "acme",
                hour_start_ms: T0 - 20 * 60_000
            })
        );
        assert_eq!(Partition::parse("plain/file.ndjson"), None);
    }

    #[test]
    fn zip_and_product_normalisation_follow_spec() {
        assert_eq!(zip5(" 12345-6789\n"), Some("12345"));
        assert_eq!(zip5("123456789"), Some("12345"));
        assert_eq!(zip5("1234"), None);
        assert_eq!(zip5("12345-678"), None);
        assert_eq!(normalise_product(" AuTo\t"), "auto");
    }

    #[test]
    fn timings_and_versions_per_brand() {
        let mut lines: Vec<String> = (0..100)
            .map(|i| resolve_ok(&format!("id{i:06}"), "acme", "auto", "NY", f64::from(i + 1)))
            .collect();
        lines.push(format!(
            r#"{{"id":"load0001","type":"load","ts":{T0},"brand":"acme","page":"p","pv":"pv000001","ms":12.5,"av":"acme.abc123"}}"#
        ));
        let r = run(&lines);
        let t = &r.brands[0].resolve_ms;
        assert_eq!(t.count, 100);
        assert!((t.p50.expect("p50") - 50.0).abs() <= 0.5);
        assert!((t.p95.expect("p95") - 95.0).abs() <= 1.0);
        assert_eq!(r.artifact_versions[0].version, "acme.abc123");
        assert_eq!(r.totals.loads, 1);
        assert_eq!(r.totals.load_ms.p50, Some(12.5));
    }
}
