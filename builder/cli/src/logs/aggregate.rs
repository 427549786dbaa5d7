//! Marketing's report over beacon events: a streaming, bounded-memory aggregation from archived event lines to a [`Report`].
//!
//! [`super::read`] reads archived NDJSON files one by one and feeds every line to an
//! [`Aggregator`]; [`Aggregator::finish`] gives the [`Report`] (see [`super::report`]), which the
//! terminal, CSV, JSON and HTML renderers all print from. Nothing here does I/O.
//!
//! Memory stays bounded however many events are read (the counters are in [`super::counters`]):
//! - times (`ms`) go into histograms, so p50/p95 need no list of values;
//! - every table keyed by something a visitor typed (products, unknown ZIPs, error strings,
//!   artifact versions, a day's products) is a `BoundedCounter` with structured keys (a
//!   product and an outcome are two fields of a tuple, never one joined string);
//! - page views are counted exactly up to [`DISTINCT_BUDGET`] distinct `pv`s, then estimated;
//! - brands are capped at [`MAX_BRANDS`] (the logger only accepts brands of `brands.csv`);
//! - duplicates are dropped by event `id` within a *dedupe window*: the caller opens a new
//!   window per brand and day of the archive (see [`Aggregator::start_window`]); a day's page
//!   views are counted in the same window. Memory is bounded by the largest brand-day.
//!
//! Events the logger flagged `bot` are left out unless [`Aggregator::include_bots`].

use super::counters::{BoundedCounter, Distinct, FnvBuild, Histogram};
use super::report::*;
use formroute_core::spec::{normalise_product, parse_zip, zip5};
use formroute_events::archive::{format_day, parse_day, Fnv, DAY_MS};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hasher;

/// Most brands tracked one by one; further ones are folded into [`OTHER`].
pub(crate) const MAX_BRANDS: usize = 1000;
/// Label of the row that collects what did not fit a bounded table.
pub(crate) const OTHER: &str = "(other)";
/// Default capacity of the bounded tables (distinct keys kept exactly per brand).
pub(crate) const DEFAULT_TOP_K: usize = 2000;
/// Distinct page views held exactly, over all brands (8 bytes and some each); past it the
/// counts of page views and visitors become estimates (within about 2 %).
pub(crate) const DISTINCT_BUDGET: usize = 4_000_000;
/// The failed lookups that are demand the brand could not meet (as opposed to typos).
pub(crate) const UNMET_REASONS: [&str; 3] = ["not_served", "unavailable", "unknown_zip"];

/// A string field of an event line (serde gives an `Option<Cow>` an owned string; the type
/// keeps the door open to borrowing).
type Text<'a> = Option<Cow<'a, str>>;

/// One event line as archived: the client's fields (SPEC "Beacon events") plus what the logger
/// added. Read leniently: every field is optional here and unknown fields are ignored, so the
/// report keeps working as the schema grows; the values are not checked against the schema,
/// so every renderer treats them as hostile text.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EventView<'a> {
    /// Unique event id (the dedupe key).
    pub(crate) id: Text<'a>,
    /// `resolve`, `load` or `error`.
    #[serde(rename = "type")]
    pub(crate) kind: Text<'a>,
    /// Visitor's clock, ms since the epoch.
    pub(crate) ts: Option<f64>,
    /// Logger's receive time, ms since the epoch (the archive partitions by it).
    pub(crate) received: Option<f64>,
    /// Brand slug.
    pub(crate) brand: Text<'a>,
    /// Page-view id: one per page load.
    pub(crate) pv: Text<'a>,
    /// ZIP as typed.
    pub(crate) zip: Text<'a>,
    /// Product as asked.
    pub(crate) product: Text<'a>,
    /// The answer's `ok`.
    pub(crate) ok: Option<bool>,
    /// State, when ok.
    pub(crate) state: Text<'a>,
    /// Form type, when ok.
    pub(crate) form_type: Text<'a>,
    /// Failure reason, when not ok.
    pub(crate) error: Text<'a>,
    /// Time to resolve, or to load for `load`.
    pub(crate) ms: Option<f64>,
    /// Version (or hash) of the artifact the page used, when the client sends it.
    pub(crate) av: Text<'a>,
    /// Where a load came from: `network`, `cache` (or `server` on the logger's own lookups).
    pub(crate) source: Text<'a>,
    /// Logger's bot flag.
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

/// The state of a five-digit ZIP for a brand, from a build's artifacts (`--artifacts`).
pub(crate) struct StateLookup(pub(crate) Box<StateFn>);

/// (brand, five-digit ZIP) -> the ZIP's USPS state code, if known.
pub(crate) type StateFn = dyn Fn(&str, &[u8; 5]) -> Option<&'static str>;

impl std::fmt::Debug for StateLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateLookup")
    }
}

/// The figures of a day's lookups of one product, counted in a bounded table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum DayMetric {
    Resolves,
    Ok,
    Fallbacks,
    Visitors,
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
    load_ms_network: Histogram,
    load_ms_cache: Histogram,
    page_views: Distinct,
    visitors: Distinct,
    /// Key (normalised product, outcome): `ok` or the reason.
    product_outcome: BoundedCounter<(Box<str>, Box<str>)>,
    form_types: BoundedCounter,
    states: BoundedCounter,
    reasons: BoundedCounter,
    unknown_zips: BoundedCounter,
    versions: BoundedCounter,
    /// Key (state of the ZIP if known, reason of [`UNMET_REASONS`]).
    unmet: BTreeMap<(Option<&'static str>, &'static str), u64>,
    days: BTreeMap<i64, DayAgg>,
    /// Key (day, normalised product, figure).
    day_products: BoundedCounter<(i64, Box<str>, DayMetric)>,
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
            load_ms_network: Histogram::default(),
            load_ms_cache: Histogram::default(),
            page_views: Distinct::default(),
            visitors: Distinct::default(),
            product_outcome: BoundedCounter::new(k),
            form_types: BoundedCounter::new(k),
            states: BoundedCounter::new(k),
            reasons: BoundedCounter::new(k),
            unknown_zips: BoundedCounter::new(k),
            versions: BoundedCounter::new(k),
            unmet: BTreeMap::new(),
            days: BTreeMap::new(),
            day_products: BoundedCounter::new(k),
        }
    }
}

/// One brand's counts of one UTC day.
#[derive(Debug, Clone, Copy, Default)]
struct DayAgg {
    page_views: u64,
    visitors: u64,
    resolves: u64,
    ok: u64,
    loads: u64,
    load_errors: u64,
}

/// A hash of the parts of a key; `0xff` (never a byte of UTF-8) separates the strings, so no
/// two different keys share their bytes.
fn key_hash(tag: u8, day: i64, parts: &[&str]) -> u64 {
    let mut h = Fnv::default();
    h.write(&[tag]);
    h.write(&day.to_le_bytes());
    for p in parts {
        h.write(p.as_bytes());
        h.write(&[0xff]);
    }
    h.finish()
}

/// The streaming aggregation: feed it lines, then [`finish`](Aggregator::finish).
#[derive(Debug)]
pub(crate) struct Aggregator {
    filter: Filter,
    include_bots: bool,
    states_of: Option<StateLookup>,
    artifacts: Option<String>,
    top_k: usize,
    files: u64,
    lines: u64,
    malformed: u64,
    filtered_out: u64,
    duplicates: u64,
    bots_excluded: u64,
    without_id: u64,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
    /// Event-id hashes of the current dedupe window.
    window: HashSet<u64, FnvBuild>,
    /// Page views (and page views with a form reached) of the window's days, per brand and product.
    window_seen: HashSet<u64, FnvBuild>,
    window_key: Option<String>,
    largest_window: usize,
    brands: HashMap<Box<str>, BrandAgg, FnvBuild>,
    page_views: Distinct,
    visitors: Distinct,
    distinct_budget: usize,
}

impl Aggregator {
    /// An empty aggregation keeping what `filter` keeps; bounded tables hold `top_k` keys per brand.
    pub(crate) fn new(filter: Filter, top_k: usize) -> Self {
        Aggregator {
            filter,
            include_bots: false,
            states_of: None,
            artifacts: None,
            top_k: top_k.max(1),
            files: 0,
            lines: 0,
            malformed: 0,
            filtered_out: 0,
            duplicates: 0,
            bots_excluded: 0,
            without_id: 0,
            first_ms: None,
            last_ms: None,
            window: HashSet::default(),
            window_seen: HashSet::default(),
            window_key: None,
            largest_window: 0,
            brands: HashMap::default(),
            page_views: Distinct::default(),
            visitors: Distinct::default(),
            distinct_budget: DISTINCT_BUDGET,
        }
    }

    /// Counts events the logger flagged `bot` too (left out by default).
    pub(crate) fn include_bots(mut self, yes: bool) -> Self {
        self.include_bots = yes;
        self
    }

    /// Maps the ZIPs of failed lookups to states with `lookup`, from the build at `artifacts`.
    pub(crate) fn with_states(mut self, artifacts: String, lookup: StateLookup) -> Self {
        self.artifacts = Some(artifacts);
        self.states_of = Some(lookup);
        self
    }

    /// Holds at most `n` distinct page views exactly (tests of the estimate).
    #[cfg(test)]
    pub(crate) fn with_distinct_budget(mut self, n: usize) -> Self {
        self.distinct_budget = n;
        self
    }

    /// The filter (the reader skips partitions with it).
    pub(crate) fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Non-blank lines read so far (for progress displays).
    pub(crate) fn lines_read(&self) -> u64 {
        self.lines
    }

    /// Notes that a new input file starts, in dedupe window `key` (its brand and day,
    /// `brand=B/dt=D`; `None` for files outside the partitioned layout, which all share one
    /// window). The window's remembered ids and page views are forgotten when the key changes.
    pub(crate) fn start_window(&mut self, key: Option<&str>) {
        self.files += 1;
        if self.window_key.as_deref() != key {
            self.window.clear();
            self.window_seen.clear();
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

    /// Counts one event (after the filter, the dedupe window and the bot rule).
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
        let bot = ev.bot == Some(true);
        if bot && !self.include_bots {
            self.bots_excluded += 1;
            return;
        }
        if let Some(t) = time {
            self.first_ms = Some(self.first_ms.map_or(t, |f| f.min(t)));
            self.last_ms = Some(self.last_ms.map_or(t, |l| l.max(t)));
        }
        let top_k = self.top_k;
        let brand = if self.brands.contains_key(brand) || self.brands.len() < MAX_BRANDS {
            brand
        } else {
            OTHER
        };
        let agg = match self.brands.get_mut(brand) {
            Some(a) => a,
            None => self
                .brands
                .entry(brand.into())
                .or_insert_with(|| BrandAgg::new(top_k)),
        };
        let budget = &mut self.distinct_budget;
        let seen = &mut self.window_seen;
        agg.bots += u64::from(bot);
        if let Some(v) = ev.av.as_deref() {
            agg.versions.add(v);
        }
        let day = time.map(|t| t.div_euclid(DAY_MS));
        let pv = ev.pv.as_deref();
        if let Some(pv) = pv {
            let h = key_hash(b'p', 0, &[pv]);
            self.page_views.insert(h, budget);
            agg.page_views.insert(h, budget);
            if let Some(d) = day {
                if seen.insert(key_hash(b'p', d, &[brand, pv])) {
                    agg.days.entry(d).or_default().page_views += 1;
                }
            }
        }
        match ev.kind.as_deref() {
            Some("resolve") => {
                agg.resolves += 1;
                let ok = ev.ok == Some(true);
                if let Some(ms) = ev.ms {
                    agg.resolve_ms.record(ms);
                }
                let product = normalise_product(ev.product.as_deref().unwrap_or(""));
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
                    if let Some(&r) = UNMET_REASONS.iter().find(|r| **r == reason) {
                        let state = match (&self.states_of, ev.zip.as_deref().and_then(parse_zip)) {
                            (Some(lookup), Some(z)) => (lookup.0)(brand, &z),
                            _ => None,
                        };
                        *agg.unmet.entry((state, r)).or_default() += 1;
                    }
                    reason
                };
                agg.product_outcome
                    .add_owned((product.as_ref().into(), outcome.into()), 1);
                if ok {
                    if let Some(pv) = pv {
                        let h = key_hash(b'p', 0, &[pv]);
                        self.visitors.insert(h, budget);
                        agg.visitors.insert(h, budget);
                    }
                }
                if let Some(d) = day {
                    let figure = if ok {
                        DayMetric::Ok
                    } else {
                        DayMetric::Fallbacks
                    };
                    for m in [DayMetric::Resolves, figure] {
                        agg.day_products
                            .add_owned((d, product.as_ref().into(), m), 1);
                    }
                    let e = agg.days.entry(d).or_default();
                    e.resolves += 1;
                    e.ok += u64::from(ok);
                    if let (true, Some(pv)) = (ok, pv) {
                        if seen.insert(key_hash(b'v', d, &[brand, pv])) {
                            e.visitors += 1;
                        }
                        if seen.insert(key_hash(b'r', d, &[brand, product.as_ref(), pv])) {
                            agg.day_products
                                .add_owned((d, product.as_ref().into(), DayMetric::Visitors), 1);
                        }
                    }
                }
            }
            Some("load") => {
                agg.loads += 1;
                if let Some(ms) = ev.ms {
                    agg.load_ms.record(ms);
                    match ev.source.as_deref() {
                        Some("network") => agg.load_ms_network.record(ms),
                        Some("cache") => agg.load_ms_cache.record(ms),
                        _ => false,
                    };
                }
                if let Some(d) = day {
                    agg.days.entry(d).or_default().loads += 1;
                }
            }
            Some("error") => {
                agg.load_errors += 1;
                if let Some(d) = day {
                    agg.days.entry(d).or_default().load_errors += 1;
                }
            }
            _ => agg.other_events += 1,
        }
    }

    /// The report; `table_limit` caps the rows of the long tables (unknown ZIPs, states, products).
    pub(crate) fn finish(self, table_limit: usize) -> Report {
        let mut brands: Vec<(Box<str>, BrandAgg)> = self.brands.into_iter().collect();
        brands.sort_by(|a, b| a.0.cmp(&b.0));

        let mut totals = Totals::default();
        let mut all = [
            Histogram::default(),
            Histogram::default(),
            Histogram::default(),
            Histogram::default(),
        ];
        let mut states: BoundedCounter = BoundedCounter::new(usize::MAX / 4);
        let mut r = Report {
            report_version: REPORT_VERSION,
            filter: FilterEcho {
                since: self.filter.since_ms.map(format_time),
                until: self.filter.until_ms.map(format_time),
                brands: self.filter.brands.clone(),
                include_bots: self.include_bots,
                artifacts: self.artifacts.clone(),
            },
            input: InputStats::default(),
            first_event: self.first_ms.map(format_time),
            last_event: self.last_ms.map(format_time),
            approximate: false,
            count_error_bound: 0,
            visitors_estimated: !(self.page_views.is_exact() && self.visitors.is_exact()),
            totals: Totals::default(),
            brands: Vec::new(),
            resolves: Vec::new(),
            form_types: Vec::new(),
            states: Vec::new(),
            brand_states: Vec::new(),
            fallback_reasons: Vec::new(),
            unknown_zips: Vec::new(),
            unmet_demand: Vec::new(),
            artifact_versions: Vec::new(),
            days: Vec::new(),
            day_products: Vec::new(),
        };
        let mut error_bound = 0u64;
        for (name, a) in &brands {
            let brand = name.to_string();
            totals.resolves += a.resolves;
            totals.ok += a.ok;
            totals.loads += a.loads;
            totals.load_errors += a.load_errors;
            totals.other_events += a.other_events;
            totals.bot_events += a.bots;
            let hists = [
                &a.resolve_ms,
                &a.load_ms,
                &a.load_ms_network,
                &a.load_ms_cache,
            ];
            for (sum, h) in all.iter_mut().zip(hists) {
                sum.merge(h);
            }
            r.visitors_estimated |= !(a.page_views.is_exact() && a.visitors.is_exact());
            r.brands.push(BrandRow {
                brand: brand.clone(),
                page_views: a.page_views.count(),
                visitors_to_form: a.visitors.count(),
                resolves: a.resolves,
                ok: a.ok,
                fallbacks: a.resolves - a.ok,
                fallback_rate: rate(a.resolves - a.ok, a.resolves),
                loads: a.loads,
                load_errors: a.load_errors,
                bot_events: a.bots,
                resolve_ms: a.resolve_ms.summary(),
                load_ms: a.load_ms.summary(),
                load_ms_network: a.load_ms_network.summary(),
                load_ms_cache: a.load_ms_cache.summary(),
            });
            for ((product, outcome), count) in a.product_outcome.top(usize::MAX) {
                r.resolves.push(ResolveRow {
                    brand: brand.clone(),
                    product: product.into(),
                    outcome: outcome.into(),
                    count,
                });
            }
            for (form_type, count) in a.form_types.top(table_limit) {
                r.form_types.push(FormTypeRow {
                    brand: brand.clone(),
                    form_type: form_type.into(),
                    count,
                    share: rate(count, a.ok),
                });
            }
            for (reason, count) in a.reasons.top(table_limit) {
                r.fallback_reasons.push(ReasonRow {
                    brand: brand.clone(),
                    reason: reason.into(),
                    count,
                    share: rate(count, a.resolves),
                });
            }
            for (zip, count) in a.unknown_zips.top(table_limit) {
                r.unknown_zips.push(ZipRow {
                    brand: brand.clone(),
                    zip: zip.into(),
                    count,
                });
            }
            for ((state, reason), count) in &a.unmet {
                r.unmet_demand.push(UnmetRow {
                    brand: brand.clone(),
                    state: state.map(str::to_string),
                    reason: reason.to_string(),
                    count: *count,
                });
            }
            for (version, count) in a.versions.top(table_limit) {
                r.artifact_versions.push(VersionRow {
                    brand: brand.clone(),
                    version: version.into(),
                    count,
                });
            }
            for (state, count) in a.states.top(usize::MAX) {
                states.add_n(&*state, count);
                r.brand_states.push(BrandStateRow {
                    brand: brand.clone(),
                    state: state.into(),
                    count,
                });
            }
            for (d, x) in &a.days {
                r.days.push(DayRow {
                    day: format_day(*d),
                    brand: brand.clone(),
                    page_views: x.page_views,
                    visitors_to_form: x.visitors,
                    resolves: x.resolves,
                    ok: x.ok,
                    fallbacks: x.resolves - x.ok,
                    loads: x.loads,
                    load_errors: x.load_errors,
                });
            }
            let mut by_product: BTreeMap<(i64, Box<str>), [u64; 4]> = BTreeMap::new();
            for ((d, product, m), count) in a.day_products.top(usize::MAX) {
                by_product.entry((d, product)).or_default()[m as usize] = count;
            }
            for ((d, product), [resolves, ok, fallbacks, visitors]) in by_product {
                r.day_products.push(DayProductRow {
                    day: format_day(d),
                    brand: brand.clone(),
                    product: product.into(),
                    visitors_to_form: visitors,
                    resolves,
                    ok,
                    fallbacks,
                });
            }
            error_bound = error_bound
                .max(a.product_outcome.error_bound())
                .max(a.day_products.error_bound());
            for c in [
                &a.form_types,
                &a.states,
                &a.reasons,
                &a.unknown_zips,
                &a.versions,
            ] {
                error_bound = error_bound.max(c.error_bound());
            }
        }
        totals.page_views = self.page_views.count();
        totals.visitors_to_form = self.visitors.count();
        totals.fallbacks = totals.resolves - totals.ok;
        totals.fallback_rate = rate(totals.fallbacks, totals.resolves);
        let [resolve_ms, load_ms, network, cache] = all;
        totals.resolve_ms = resolve_ms.summary();
        totals.load_ms = load_ms.summary();
        totals.load_ms_network = network.summary();
        totals.load_ms_cache = cache.summary();
        r.resolves.sort_by(|a, b| {
            (&a.brand, &a.product)
                .cmp(&(&b.brand, &b.product))
                .then_with(|| b.count.cmp(&a.count))
                .then_with(|| a.outcome.cmp(&b.outcome))
        });
        r.unknown_zips.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| (&a.zip, &a.brand).cmp(&(&b.zip, &b.brand)))
        });
        r.unknown_zips.truncate(table_limit);
        r.unmet_demand.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| (&a.brand, &a.state, &a.reason).cmp(&(&b.brand, &b.state, &b.reason)))
        });
        r.unmet_demand.truncate(table_limit);
        r.days
            .sort_by(|a, b| (&a.day, &a.brand).cmp(&(&b.day, &b.brand)));
        r.day_products
            .sort_by(|a, b| (&a.day, &a.brand, &a.product).cmp(&(&b.day, &b.brand, &b.product)));
        r.states = states
            .top(usize::MAX)
            .into_iter()
            .map(|(state, count)| StateRow {
                share: rate(count, totals.ok),
                state: state.into(),
                count,
            })
            .collect();
        r.input = InputStats {
            files: self.files,
            files_skipped: 0,
            lines: self.lines,
            events: totals.resolves + totals.loads + totals.load_errors + totals.other_events,
            malformed: self.malformed,
            duplicates: self.duplicates,
            filtered_out: self.filtered_out,
            bots_excluded: self.bots_excluded,
            without_id: self.without_id,
            largest_dedupe_window: self.largest_window as u64,
        };
        r.approximate = error_bound > 0;
        r.count_error_bound = error_bound;
        r.totals = totals;
        r
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
pub(crate) struct TimeError(pub(crate) String);

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

    fn with_pv(line: String, pv: &str) -> String {
        line.replace("\"pv\":\"pv000001\"", &format!("\"pv\":\"{pv}\""))
    }

    #[test]
    fn page_views_and_visitors_to_a_form_are_distinct_page_view_ids() {
        let r = run(&[
            with_pv(
                resolve_err("id000001", "acme", "99999", "unknown_zip"),
                "pvA00001",
            ),
            with_pv(
                resolve_ok("id000002", "acme", "auto", "NY", 1.0),
                "pvA00001",
            ),
            with_pv(
                resolve_ok("id000003", "acme", "auto", "NY", 1.0),
                "pvA00001",
            ),
            with_pv(
                resolve_err("id000004", "acme", "99999", "unknown_zip"),
                "pvB00001",
            ),
            with_pv(
                resolve_ok("id000005", "beta", "home", "CA", 1.0),
                "pvC00001",
            ),
        ]);
        assert_eq!(r.totals.resolves, 5);
        assert_eq!(r.totals.page_views, 3);
        assert_eq!(r.totals.visitors_to_form, 2);
        assert!(!r.visitors_estimated);
        assert_eq!(
            (r.brands[0].page_views, r.brands[0].visitors_to_form),
            (2, 1)
        );
        let day = &r.days[0];
        assert_eq!(
            (
                day.brand.as_str(),
                day.page_views,
                day.visitors_to_form,
                day.resolves,
                day.ok
            ),
            ("acme", 2, 1, 4, 2)
        );
        let p = &r.day_products[0];
        assert_eq!(
            (
                p.product.as_str(),
                p.resolves,
                p.ok,
                p.fallbacks,
                p.visitors_to_form
            ),
            ("auto", 4, 2, 2, 1)
        );
    }

    #[test]
    fn past_the_budget_page_views_are_estimated_and_said_to_be() {
        let mut a = Aggregator::new(Filter::default(), 10).with_distinct_budget(50);
        a.start_window(None);
        for i in 0..5000 {
            a.add_line(
                with_pv(
                    resolve_ok(&format!("id{i:06}"), "acme", "auto", "NY", 1.0),
                    &format!("pv{i:06}"),
                )
                .as_bytes(),
            );
        }
        let r = a.finish(10);
        assert!(r.visitors_estimated);
        let n = r.totals.page_views as f64;
        assert!((n - 5000.0).abs() / 5000.0 < 0.03, "{n}");
    }

    #[test]
    fn bots_are_left_out_unless_included() {
        let bot = resolve_ok("id000002", "acme", "auto", "NY", 1.0)
            .replace("\"ms\"", "\"bot\":true,\"ms\"");
        let lines = [resolve_ok("id000001", "acme", "auto", "NY", 1.0), bot];
        let r = run(&lines);
        assert_eq!(
            (
                r.totals.resolves,
                r.input.bots_excluded,
                r.totals.bot_events
            ),
            (1, 1, 0)
        );
        let mut a = Aggregator::new(Filter::default(), 10).include_bots(true);
        a.start_window(None);
        for l in &lines {
            a.add_line(l.as_bytes());
        }
        let r = a.finish(10);
        assert_eq!(
            (
                r.totals.resolves,
                r.input.bots_excluded,
                r.totals.bot_events
            ),
            (2, 0, 1)
        );
        assert!(r.filter.include_bots);
    }

    #[test]
    fn unmet_demand_is_mapped_to_the_state_of_the_zip() {
        let lookup = StateLookup(Box::new(|brand: &str, zip: &[u8; 5]| match (brand, zip) {
            ("acme", b"12345") => Some("NY"),
            _ => None,
        }));
        let mut a = Aggregator::new(Filter::default(), 10).with_states("build".into(), lookup);
        a.start_window(None);
        for l in [
            resolve_err("id000001", "acme", "12345", "not_served"),
            resolve_err("id000002", "acme", "12345-6789", "not_served"),
            resolve_err("id000003", "acme", "99999", "unknown_zip"),
            resolve_err("id000004", "acme", "abc", "invalid_zip"),
            resolve_err("id000005", "acme", "12345", "unavailable"),
        ] {
            a.add_line(l.as_bytes());
        }
        let r = a.finish(10);
        let rows: Vec<(Option<&str>, &str, u64)> = r
            .unmet_demand
            .iter()
            .map(|u| (u.state.as_deref(), u.reason.as_str(), u.count))
            .collect();
        assert_eq!(
            rows,
            vec![
                (Some("NY"), "not_served", 2),
                (None, "unknown_zip", 1),
                (Some("NY"), "unavailable", 1)
            ]
        );
        assert_eq!(r.filter.artifacts.as_deref(), Some("build"));
    }

    #[test]
    fn load_times_are_split_by_network_and_cache() {
        let load = |id: &str, ms: f64, source: &str| {
            format!(
                r#"{{"id":"{id}","type":"load","ts":{T0},"brand":"acme","pv":"pv000001","ms":{ms},"source":"{source}"}}"#
            )
        };
        let r = run(&[
            load("load0001", 100.0, "network"),
            load("load0002", 2.0, "cache"),
            load("load0003", 3.0, "cache"),
        ]);
        assert_eq!(r.totals.load_ms.count, 3);
        assert_eq!(r.brands[0].load_ms_network.p50, Some(100.0));
        assert_eq!(r.brands[0].load_ms_cache.count, 2);
    }
}
