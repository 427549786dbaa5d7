//! The report as long-format CSV (`table,brand,day,key,detail,value`) for spreadsheets and pivot tables, with every text cell neutralised against formula injection.
//!
//! Every cell but `value` holds text, most of it from events (brands, products, outcomes, form
//! types, states, ZIPs, versions), so every such cell is first made display-safe
//! ([`super::display`]: no raw control or bidi character) and then, when it starts with `=`,
//! `+`, `-`, `@`, tab or carriage return, prefixed with `'` (OWASP's rule against CSV
//! injection): a spreadsheet then shows the text instead of running it as a formula. The
//! `value` column holds only numbers the report computed, written as numbers.

use super::counters::Timing;
use super::display::display_safe;
use super::report::Report;
use anyhow::Result;
use std::borrow::Cow;
use std::io::Write;

/// Longest text cell, in characters (a visitor's value is at most 64 by the schema; the
/// report reads leniently, so it cuts).
const CELL_WIDTH: usize = 256;

/// The header row.
pub(crate) const HEADER: [&str; 6] = ["table", "brand", "day", "key", "detail", "value"];

/// A text cell as written: display-safe, then `'`-prefixed if a spreadsheet would take it for a formula.
pub(crate) fn text_cell(s: &str) -> Cow<'_, str> {
    let safe = display_safe(s, CELL_WIDTH);
    if safe.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{safe}"))
    } else {
        safe
    }
}

/// Writes rows of five text cells (table, brand, day, key, detail) and a computed number.
struct Rows<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> Rows<W> {
    fn row(
        &mut self,
        table: &str,
        brand: &str,
        day: &str,
        key: &str,
        detail: &str,
        value: impl ToString,
    ) -> csv::Result<()> {
        let value = value.to_string();
        self.w.write_record([
            text_cell(table).as_ref(),
            text_cell(brand).as_ref(),
            text_cell(day).as_ref(),
            text_cell(key).as_ref(),
            text_cell(detail).as_ref(),
            value.as_str(),
        ])
    }

    fn timing(&mut self, brand: &str, key: &str, t: &Timing) -> csv::Result<()> {
        self.row("timing", brand, "", key, "count", t.count)?;
        for (d, v) in [("p50", t.p50), ("p95", t.p95), ("max", t.max)] {
            if let Some(v) = v {
                self.row("timing", brand, "", key, d, v)?;
            }
        }
        Ok(())
    }
}

/// Long-format CSV: one number per row, `table,brand,day,key,detail,value`; `brand` is `*` for
/// totals, `day` is empty except in the `days` table (`key` the figure) and the `day_products`
/// table (`key` the product, `detail` the figure).
pub(crate) fn write_csv(r: &Report, out: &mut impl Write) -> Result<()> {
    let mut w = Rows {
        w: csv::Writer::from_writer(out),
    };
    w.w.write_record(HEADER)?;
    let t = &r.totals;
    for (k, v) in [
        ("page_views", t.page_views),
        ("visitors_to_form", t.visitors_to_form),
        ("resolves", t.resolves),
        ("ok", t.ok),
        ("fallbacks", t.fallbacks),
        ("loads", t.loads),
        ("load_errors", t.load_errors),
        ("bot_events", t.bot_events),
        ("bots_excluded", r.input.bots_excluded),
        ("duplicates", r.input.duplicates),
        ("malformed", r.input.malformed),
    ] {
        w.row("totals", "*", "", k, "", v)?;
    }
    w.row("totals", "*", "", "fallback_rate", "", t.fallback_rate)?;
    w.timing("*", "resolve_ms", &t.resolve_ms)?;
    w.timing("*", "load_ms", &t.load_ms)?;
    w.timing("*", "load_ms_network", &t.load_ms_network)?;
    w.timing("*", "load_ms_cache", &t.load_ms_cache)?;
    for b in &r.brands {
        for (k, v) in [
            ("page_views", b.page_views),
            ("visitors_to_form", b.visitors_to_form),
            ("resolves", b.resolves),
            ("ok", b.ok),
            ("fallbacks", b.fallbacks),
            ("loads", b.loads),
            ("load_errors", b.load_errors),
            ("bot_events", b.bot_events),
        ] {
            w.row("brands", &b.brand, "", k, "", v)?;
        }
        w.row("brands", &b.brand, "", "fallback_rate", "", b.fallback_rate)?;
        w.timing(&b.brand, "resolve_ms", &b.resolve_ms)?;
        w.timing(&b.brand, "load_ms", &b.load_ms)?;
        w.timing(&b.brand, "load_ms_network", &b.load_ms_network)?;
        w.timing(&b.brand, "load_ms_cache", &b.load_ms_cache)?;
    }
    for x in &r.resolves {
        w.row("resolves", &x.brand, "", &x.product, &x.outcome, x.count)?;
    }
    for x in &r.form_types {
        w.row("form_types", &x.brand, "", &x.form_type, "", x.count)?;
    }
    for x in &r.brand_states {
        w.row("states", &x.brand, "", &x.state, "", x.count)?;
    }
    for x in &r.fallback_reasons {
        w.row("fallback_reasons", &x.brand, "", &x.reason, "", x.count)?;
    }
    for x in &r.unknown_zips {
        w.row("unknown_zips", &x.brand, "", &x.zip, "", x.count)?;
    }
    for x in &r.unmet_demand {
        // The state is empty when it could not be derived from the ZIP.
        let state = x.state.as_deref().unwrap_or("");
        w.row("unmet_demand", &x.brand, "", state, &x.reason, x.count)?;
    }
    for x in &r.artifact_versions {
        w.row("artifact_versions", &x.brand, "", &x.version, "", x.count)?;
    }
    for d in &r.days {
        for (k, v) in [
            ("page_views", d.page_views),
            ("visitors_to_form", d.visitors_to_form),
            ("resolves", d.resolves),
            ("ok", d.ok),
            ("fallbacks", d.fallbacks),
            ("loads", d.loads),
            ("load_errors", d.load_errors),
        ] {
            w.row("days", &d.brand, &d.day, k, "", v)?;
        }
    }
    for d in &r.day_products {
        for (k, v) in [
            ("visitors_to_form", d.visitors_to_form),
            ("resolves", d.resolves),
            ("ok", d.ok),
            ("fallbacks", d.fallbacks),
        ] {
            w.row("day_products", &d.brand, &d.day, &d.product, k, v)?;
        }
    }
    w.w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_get_a_quote() {
        for (given, written) in [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("auto", "auto"),
            ("a=1", "a=1"),
            ("", ""),
        ] {
            assert_eq!(text_cell(given), written);
        }
        // A leading tab or CR is escaped visibly, so it no longer leads.
        assert_eq!(text_cell("\t=1"), "\\u{9}=1");
        assert_eq!(text_cell("\r=1"), "\\u{d}=1");
    }
}
