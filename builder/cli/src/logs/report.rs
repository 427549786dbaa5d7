//! The report as a plain serialisable value: the shape of `--format json` (versioned by [`REPORT_VERSION`]) that the terminal, CSV and HTML renderers all print from.

use super::counters::Timing;
use serde::{Deserialize, Serialize};

/// Version of the report's JSON shape; bumped when a field changes meaning or goes away.
///
/// 2: bots are left out unless `--include-bots` (`input.bots_excluded`); `page_views` and
/// `visitors_to_form` in `totals` and `brands`; `days` per brand (was all brands together) with
/// `day_products` per product; `unmet_demand`; load times split by `network` / `cache`.
pub(crate) const REPORT_VERSION: u32 = 2;

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
    /// Whether `page_views` and `visitors_to_form` are estimates (more distinct page views than
    /// the report holds exactly; then within about 2 %).
    pub(crate) visitors_estimated: bool,
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
    /// Where demand went unmet: failed lookups (`not_served`, `unavailable`, `unknown_zip`) by
    /// brand x state x reason, most first. The state comes from the ZIP through `--artifacts`;
    /// `null` when no artifacts were given or they do not know the ZIP.
    pub(crate) unmet_demand: Vec<UnmetRow>,
    /// Artifact versions seen, by brand.
    pub(crate) artifact_versions: Vec<VersionRow>,
    /// Per UTC day and brand.
    pub(crate) days: Vec<DayRow>,
    /// Per UTC day, brand and product (lookups only).
    pub(crate) day_products: Vec<DayProductRow>,
}

/// The filters, as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FilterEcho {
    pub(crate) since: Option<String>,
    pub(crate) until: Option<String>,
    pub(crate) brands: Vec<String>,
    /// Whether events flagged `bot` are counted.
    pub(crate) include_bots: bool,
    /// The build folder ZIPs were mapped to states with (`--artifacts`), if any.
    pub(crate) artifacts: Option<String>,
}

/// Counts of what was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InputStats {
    /// Files read.
    pub(crate) files: u64,
    /// Archive files not opened: their partition lies outside `--since`/`--until`/`--brand`.
    pub(crate) files_skipped: u64,
    /// Non-blank lines read.
    pub(crate) lines: u64,
    /// Events counted (kept, not duplicates, not left-out bots).
    pub(crate) events: u64,
    /// Lines that were not an event object with a brand.
    pub(crate) malformed: u64,
    /// Events dropped because their id was already counted.
    pub(crate) duplicates: u64,
    /// Events outside `--since`/`--until`/`--brand`.
    pub(crate) filtered_out: u64,
    /// Events the logger flagged `bot`, left out (0 with `--include-bots`).
    pub(crate) bots_excluded: u64,
    /// Events without an id (counted, cannot be deduplicated).
    pub(crate) without_id: u64,
    /// Most ids held at once for deduplication.
    pub(crate) largest_dedupe_window: u64,
}

/// Totals over all brands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Totals {
    /// Distinct page views (`pv`) with any counted event.
    pub(crate) page_views: u64,
    /// Distinct page views with a successful lookup: visitors sent to a form.
    pub(crate) visitors_to_form: u64,
    pub(crate) resolves: u64,
    pub(crate) ok: u64,
    pub(crate) fallbacks: u64,
    pub(crate) fallback_rate: f64,
    pub(crate) loads: u64,
    pub(crate) load_errors: u64,
    pub(crate) other_events: u64,
    /// Events flagged `bot` that were counted (only with `--include-bots`).
    pub(crate) bot_events: u64,
    pub(crate) resolve_ms: Timing,
    pub(crate) load_ms: Timing,
    /// Loads whose artifact came over the network (`source: network`).
    pub(crate) load_ms_network: Timing,
    /// Loads served from the browser's cache (`source: cache`).
    pub(crate) load_ms_cache: Timing,
}

/// One brand's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BrandRow {
    pub(crate) brand: String,
    pub(crate) page_views: u64,
    pub(crate) visitors_to_form: u64,
    pub(crate) resolves: u64,
    pub(crate) ok: u64,
    pub(crate) fallbacks: u64,
    pub(crate) fallback_rate: f64,
    pub(crate) loads: u64,
    pub(crate) load_errors: u64,
    pub(crate) bot_events: u64,
    pub(crate) resolve_ms: Timing,
    pub(crate) load_ms: Timing,
    pub(crate) load_ms_network: Timing,
    pub(crate) load_ms_cache: Timing,
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
pub(crate) struct UnmetRow {
    pub(crate) brand: String,
    /// USPS code of the ZIP's state, `None` when it could not be derived.
    pub(crate) state: Option<String>,
    /// `not_served`, `unavailable` or `unknown_zip`.
    pub(crate) reason: String,
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
    pub(crate) brand: String,
    pub(crate) page_views: u64,
    pub(crate) visitors_to_form: u64,
    pub(crate) resolves: u64,
    pub(crate) ok: u64,
    pub(crate) fallbacks: u64,
    pub(crate) loads: u64,
    pub(crate) load_errors: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DayProductRow {
    pub(crate) day: String,
    pub(crate) brand: String,
    pub(crate) product: String,
    /// Distinct page views with a successful lookup of this product that day.
    pub(crate) visitors_to_form: u64,
    pub(crate) resolves: u64,
    pub(crate) ok: u64,
    pub(crate) fallbacks: u64,
}
