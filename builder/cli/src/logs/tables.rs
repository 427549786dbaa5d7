//! The report's tables as rows of display-safe cells, built once for the terminal and the HTML renderers (which differ only in number formatting and layout).
//!
//! Every cell that comes from an event (brand, product, outcome, state, form type, reason, ZIP,
//! version) passes through [`super::display::display_safe`] here; numbers are the report's own.
//! Long tables keep `top` rows (`--top`), and say how many there were.

use super::display::display_safe;
use super::pct;
use super::report::{BrandRow, Report};
use formroute_core::coverage::plural;

/// How a medium writes numbers and how wide a visitor's value may be.
#[derive(Clone, Copy)]
pub(crate) struct Style {
    /// A count (`1234` or `1,234`).
    pub(crate) count: fn(u64) -> String,
    /// A time in ms, `None` when there is none.
    pub(crate) ms: fn(Option<f64>) -> String,
    /// Most characters of a visitor's value in one cell.
    pub(crate) width: usize,
}

impl Style {
    /// A visitor-supplied value, display-safe and cut to the style's width.
    pub(crate) fn text(&self, s: &str) -> String {
        display_safe(s, self.width).into_owned()
    }
}

/// One table: column heads (with whether the column is numeric) and rows of cells.
pub(crate) struct Table {
    pub(crate) head: Vec<(&'static str, bool)>,
    pub(crate) rows: Vec<Vec<String>>,
    /// Rows before `--top` cut the table.
    pub(crate) total: usize,
}

impl Table {
    fn new(head: &[(&'static str, bool)], rows: Vec<Vec<String>>, top: usize) -> Table {
        let total = rows.len();
        let mut rows = rows;
        rows.truncate(top);
        Table {
            head: head.to_vec(),
            rows,
            total,
        }
    }

    /// ` (top 15 of 40)` when `--top` cut rows, else nothing.
    pub(crate) fn cut_note(&self) -> String {
        if self.rows.len() < self.total {
            format!(" (top {} of {})", self.rows.len(), self.total)
        } else {
            String::new()
        }
    }
}

/// The row of a brand (or of all brands, `brand` = `all`) in [`brands`].
fn brand_cells(b: &BrandRow, st: &Style) -> Vec<String> {
    vec![
        st.text(&b.brand),
        (st.count)(b.page_views),
        (st.count)(b.visitors_to_form),
        (st.count)(b.resolves),
        (st.count)(b.ok),
        (st.count)(b.fallbacks),
        pct(b.fallback_rate),
        (st.ms)(b.resolve_ms.p50),
        (st.ms)(b.resolve_ms.p95),
        (st.count)(b.loads),
        (st.count)(b.load_errors),
    ]
}

/// Per brand: visitors, lookups, fallbacks, time to answer, router loads.
pub(crate) fn brands(r: &Report, st: &Style) -> Table {
    let rows = r.brands.iter().map(|b| brand_cells(b, st)).collect();
    Table::new(
        &[
            ("brand", false),
            ("page views", true),
            ("to a form", true),
            ("lookups", true),
            ("ok", true),
            ("fell back", true),
            ("rate", true),
            ("p50", true),
            ("p95", true),
            ("router loads", true),
            ("load failures", true),
        ],
        rows,
        usize::MAX,
    )
}

/// Lookups by brand, product and outcome.
pub(crate) fn resolves(r: &Report, st: &Style, top: usize) -> Table {
    let rows = r
        .resolves
        .iter()
        .map(|x| {
            vec![
                st.text(&x.brand),
                st.text(&x.product),
                st.text(&x.outcome),
                (st.count)(x.count),
            ]
        })
        .collect();
    Table::new(
        &[
            ("brand", false),
            ("product", false),
            ("outcome", false),
            ("lookups", true),
        ],
        rows,
        top,
    )
}

/// A table of (brand, key, count, share of the brand's lookups if any) rows: form types,
/// reasons, versions.
fn by_brand_and(
    key: &'static str,
    counted: &'static str,
    items: Vec<(&str, &str, u64, Option<f64>)>,
    st: &Style,
    top: usize,
) -> Table {
    let with_share = items.iter().any(|i| i.3.is_some());
    let rows = items
        .into_iter()
        .map(|(brand, k, count, share)| {
            let mut row = vec![st.text(brand), st.text(k), (st.count)(count)];
            row.extend(share.map(pct));
            row
        })
        .collect();
    let mut head = vec![("brand", false), (key, false), (counted, true)];
    if with_share {
        head.push(("share", true));
    }
    Table::new(&head, rows, top)
}

/// Successful lookups by brand and form type.
pub(crate) fn form_types(r: &Report, st: &Style, top: usize) -> Table {
    let items = r
        .form_types
        .iter()
        .map(|x| {
            (
                x.brand.as_str(),
                x.form_type.as_str(),
                x.count,
                Some(x.share),
            )
        })
        .collect();
    by_brand_and("form type", "lookups", items, st, top)
}

/// Successful lookups by state, all brands.
pub(crate) fn states(r: &Report, st: &Style, top: usize) -> Table {
    let rows = r
        .states
        .iter()
        .map(|x| vec![st.text(&x.state), (st.count)(x.count), pct(x.share)])
        .collect();
    Table::new(
        &[("state", false), ("lookups", true), ("share", true)],
        rows,
        top,
    )
}

/// Failed lookups by brand and reason.
pub(crate) fn reasons(r: &Report, st: &Style, top: usize) -> Table {
    let items = r
        .fallback_reasons
        .iter()
        .map(|x| (x.brand.as_str(), x.reason.as_str(), x.count, Some(x.share)))
        .collect();
    by_brand_and("reason", "lookups", items, st, top)
}

/// ZIPs the data does not know, most typed first.
pub(crate) fn unknown_zips(r: &Report, st: &Style, top: usize) -> Table {
    let rows = r
        .unknown_zips
        .iter()
        .map(|x| vec![st.text(&x.zip), st.text(&x.brand), (st.count)(x.count)])
        .collect();
    Table::new(
        &[("ZIP", false), ("brand", false), ("lookups", true)],
        rows,
        top,
    )
}

/// Label of a state that could not be derived from the ZIP.
pub(crate) const NO_STATE: &str = "?";

/// Unmet demand: failed lookups by state, brand and reason.
pub(crate) fn unmet(r: &Report, st: &Style, top: usize) -> Table {
    let rows = r
        .unmet_demand
        .iter()
        .map(|x| {
            vec![
                st.text(x.state.as_deref().unwrap_or(NO_STATE)),
                st.text(&x.brand),
                st.text(&x.reason),
                (st.count)(x.count),
            ]
        })
        .collect();
    Table::new(
        &[
            ("state", false),
            ("brand", false),
            ("reason", false),
            ("lookups", true),
        ],
        rows,
        top,
    )
}

/// Artifact versions in use.
pub(crate) fn versions(r: &Report, st: &Style, top: usize) -> Table {
    let items = r
        .artifact_versions
        .iter()
        .map(|x| (x.brand.as_str(), x.version.as_str(), x.count, None))
        .collect();
    by_brand_and("version", "events", items, st, top)
}

/// Router load time per brand (and all brands): median, p95, and the same for network and cache loads.
pub(crate) fn load_times(r: &Report, st: &Style) -> Table {
    let row = |name: String,
               all: &super::counters::Timing,
               net: &super::counters::Timing,
               cache: &super::counters::Timing| {
        vec![
            name,
            (st.count)(all.count),
            (st.ms)(all.p50),
            (st.ms)(all.p95),
            (st.count)(net.count),
            (st.ms)(net.p50),
            (st.ms)(net.p95),
            (st.count)(cache.count),
            (st.ms)(cache.p50),
            (st.ms)(cache.p95),
        ]
    };
    let mut rows: Vec<Vec<String>> = r
        .brands
        .iter()
        .filter(|b| b.loads > 0)
        .map(|b| {
            row(
                st.text(&b.brand),
                &b.load_ms,
                &b.load_ms_network,
                &b.load_ms_cache,
            )
        })
        .collect();
    if rows.len() > 1 {
        let t = &r.totals;
        rows.push(row(
            "all brands".into(),
            &t.load_ms,
            &t.load_ms_network,
            &t.load_ms_cache,
        ));
    }
    Table::new(
        &[
            ("brand", false),
            ("loads", true),
            ("median", true),
            ("p95", true),
            ("network", true),
            ("median", true),
            ("p95", true),
            ("cache", true),
            ("median", true),
            ("p95", true),
        ],
        rows,
        usize::MAX,
    )
}

/// The latest `top` of `items` (sorted by day) as rows of `cells`; `total` counts them all.
fn latest<T>(
    head: &[(&'static str, bool)],
    items: &[T],
    top: usize,
    cells: impl Fn(&T) -> Vec<String>,
) -> Table {
    let skip = items.len().saturating_sub(top);
    let mut t = Table::new(head, items[skip..].iter().map(cells).collect(), usize::MAX);
    t.total = items.len();
    t
}

/// Per day and brand, the latest `top` rows.
pub(crate) fn days(r: &Report, st: &Style, top: usize) -> Table {
    let head = [
        ("day", false),
        ("brand", false),
        ("page views", true),
        ("to a form", true),
        ("lookups", true),
        ("ok", true),
        ("fell back", true),
        ("router loads", true),
    ];
    latest(&head, &r.days, top, |d| {
        let mut row = vec![d.day.clone(), st.text(&d.brand)];
        let figures = [
            d.page_views,
            d.visitors_to_form,
            d.resolves,
            d.ok,
            d.fallbacks,
            d.loads,
        ];
        row.extend(figures.map(st.count));
        row
    })
}

/// Per day, brand and product, the latest `top` rows.
pub(crate) fn day_products(r: &Report, st: &Style, top: usize) -> Table {
    let head = [
        ("day", false),
        ("brand", false),
        ("product", false),
        ("to a form", true),
        ("lookups", true),
        ("ok", true),
        ("fell back", true),
    ];
    latest(&head, &r.day_products, top, |d| {
        let mut row = vec![d.day.clone(), st.text(&d.brand), st.text(&d.product)];
        row.extend([d.visitors_to_form, d.resolves, d.ok, d.fallbacks].map(st.count));
        row
    })
}

/// What the report left out and why, for the header: bots, filters, duplicates, malformed lines.
pub(crate) fn left_out(r: &Report) -> String {
    let i = &r.input;
    let mut parts = Vec::new();
    if r.filter.include_bots {
        parts.push(format!(
            "{} included (--include-bots)",
            plural(r.totals.bot_events, "bot event")
        ));
    } else {
        parts.push(format!(
            "{} left out (--include-bots counts them)",
            plural(i.bots_excluded, "bot event")
        ));
    }
    parts.push(format!("{} dropped", plural(i.duplicates, "duplicate")));
    parts.push(format!(
        "{} outside the filters",
        plural(i.filtered_out, "event")
    ));
    parts.push(format!("{} malformed", plural(i.malformed, "line")));
    parts.join(", ")
}

/// The requested period and filters, for the header: `since ... until ...; brands ...`.
pub(crate) fn requested(r: &Report) -> String {
    let f = &r.filter;
    let period = match (&f.since, &f.until) {
        (None, None) => "all dates".to_string(),
        (Some(s), None) => format!("from {s}"),
        (None, Some(u)) => format!("before {u}"),
        (Some(s), Some(u)) => format!("from {s} to before {u}"),
    };
    let brands = if f.brands.is_empty() {
        "all brands".to_string()
    } else {
        format!(
            "brands {}",
            f.brands
                .iter()
                .map(|b| display_safe(b, 40))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let bots = if f.include_bots {
        "bots included"
    } else {
        "bots left out"
    };
    format!("requested: {period}, {brands}, {bots}")
}
