//! The report as a plain serialisable value: the shape of `--format json` (versioned by [`REPORT_VERSION`]) that the terminal, CSV and HTML renderers all print from.

use super::counters::Timing;
use serde::{Deserialize, Serialize};

/// Version of the report's JSON shape; bumped when a field changes meaning or goes away.
///
/// 2: bots are left out unless `--include-bots` (`input.bots_excluded`); `page_views` and
/// `visitors_to_form` in `totals` and `brands`; `days` per brand (was all brands together) with
/// `day_products` per product; `unmet_demand`; load times split by `network` / `cache`.
pub const REPORT_VERSION: u32 = 2;

/// The whole report. Field order is the JSON order; every list is sorted deterministically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`REPORT_VERSION`].
    pub report_version: u32,
    /// The filters the report was made with.
    pub filter: FilterEcho,
    /// What was read.
    pub input: InputStats,
    /// Earliest kept event time (UTC).
    pub first_event: Option<String>,
    /// Latest kept event time (UTC).
    pub last_event: Option<String>,
    /// Whether some bounded table had to drop rare keys (see `count_error_bound`).
    pub approximate: bool,
    /// Largest amount by which a count of a bounded table may be too low (0: all exact).
    pub count_error_bound: u64,
    /// Whether `page_views` and `visitors_to_form` are estimates (more distinct page views than
    /// the report holds exactly; then within about 2 %).
    pub visitors_estimated: bool,
    /// Totals over all kept events.
    pub totals: Totals,
    /// One row per brand, by slug.
    pub brands: Vec<BrandRow>,
    /// Resolves by brand x product (trimmed, lowercased) x outcome (`ok` or the error reason).
    pub resolves: Vec<ResolveRow>,
    /// Successful resolves by brand x form type.
    pub form_types: Vec<FormTypeRow>,
    /// Successful resolves by state, all brands, most first.
    pub states: Vec<StateRow>,
    /// Successful resolves by brand x state.
    pub brand_states: Vec<BrandStateRow>,
    /// Failed resolves by brand x reason.
    pub fallback_reasons: Vec<ReasonRow>,
    /// ZIPs visitors typed that the data does not know (`unknown_zip`), most first: the data team's to-do list.
    pub unknown_zips: Vec<ZipRow>,
    /// Where demand went unmet: failed lookups (`not_served`, `unavailable`, `unknown_zip`) by
    /// brand x state x reason, most first. The state comes from the ZIP through `--artifacts`;
    /// `null` when no artifacts were given or they do not know the ZIP.
    pub unmet_demand: Vec<UnmetRow>,
    /// Artifact versions seen, by brand.
    pub artifact_versions: Vec<VersionRow>,
    /// Per UTC day and brand.
    pub days: Vec<DayRow>,
    /// Per UTC day, brand and product (lookups only).
    pub day_products: Vec<DayProductRow>,
}

/// The filters, as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterEcho {
    pub since: Option<String>,
    pub until: Option<String>,
    pub brands: Vec<String>,
    /// Whether events flagged `bot` are counted.
    pub include_bots: bool,
    /// The build folder ZIPs were mapped to states with (`--artifacts`), if any.
    pub artifacts: Option<String>,
}

/// Counts of what was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputStats {
    /// Files read.
    pub files: u64,
    /// Archive files not opened: their partition lies outside `--since`/`--until`/`--brand`.
    pub files_skipped: u64,
    /// Non-blank lines read.
    pub lines: u64,
    /// Events counted (kept, not duplicates, not left-out bots).
    pub events: u64,
    /// Lines that were not an event object with a brand.
    pub malformed: u64,
    /// Events dropped because their id was already counted.
    pub duplicates: u64,
    /// Events outside `--since`/`--until`/`--brand`.
    pub filtered_out: u64,
    /// Events the logger flagged `bot`, left out (0 with `--include-bots`).
    pub bots_excluded: u64,
    /// Events without an id (counted, cannot be deduplicated).
    pub without_id: u64,
    /// Most ids held at once for deduplication.
    pub largest_dedupe_window: u64,
}

/// Totals over all brands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Distinct page views (`pv`) with any counted event.
    pub page_views: u64,
    /// Distinct page views with a successful lookup: visitors sent to a form.
    pub visitors_to_form: u64,
    pub resolves: u64,
    pub ok: u64,
    pub fallbacks: u64,
    pub fallback_rate: f64,
    pub loads: u64,
    pub load_errors: u64,
    pub other_events: u64,
    /// Events flagged `bot` that were counted (only with `--include-bots`).
    pub bot_events: u64,
    pub resolve_ms: Timing,
    pub load_ms: Timing,
    /// Loads whose artifact came over the network (`source: network`).
    pub load_ms_network: Timing,
    /// Loads served from the browser's cache (`source: cache`).
    pub load_ms_cache: Timing,
}

/// One brand's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrandRow {
    pub brand: String,
    pub page_views: u64,
    pub visitors_to_form: u64,
    pub resolves: u64,
    pub ok: u64,
    pub fallbacks: u64,
    pub fallback_rate: f64,
    pub loads: u64,
    pub load_errors: u64,
    pub bot_events: u64,
    pub resolve_ms: Timing,
    pub load_ms: Timing,
    pub load_ms_network: Timing,
    pub load_ms_cache: Timing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveRow {
    pub brand: String,
    pub product: String,
    pub outcome: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormTypeRow {
    pub brand: String,
    pub form_type: String,
    pub count: u64,
    /// Of the brand's successful resolves.
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateRow {
    pub state: String,
    pub count: u64,
    /// Of all successful resolves.
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrandStateRow {
    pub brand: String,
    pub state: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasonRow {
    pub brand: String,
    pub reason: String,
    pub count: u64,
    /// Of the brand's resolves.
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZipRow {
    pub brand: String,
    pub zip: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmetRow {
    pub brand: String,
    /// USPS code of the ZIP's state, `None` when it could not be derived.
    pub state: Option<String>,
    /// `not_served`, `unavailable` or `unknown_zip`.
    pub reason: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRow {
    pub brand: String,
    pub version: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRow {
    pub day: String,
    pub brand: String,
    pub page_views: u64,
    pub visitors_to_form: u64,
    pub resolves: u64,
    pub ok: u64,
    pub fallbacks: u64,
    pub loads: u64,
    pub load_errors: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayProductRow {
    pub day: String,
    pub brand: String,
    pub product: String,
    /// Distinct page views with a successful lookup of this product that day.
    pub visitors_to_form: u64,
    pub resolves: u64,
    pub ok: u64,
    pub fallbacks: u64,
}
