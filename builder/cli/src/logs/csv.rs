//! The report as long-format CSV (`table,brand,key,detail,value`) for spreadsheets and pivot tables.

use super::aggregate::{Report, Timing};
use anyhow::Result;
use std::io::Write;

/// One CSV row writer: table, brand, key, detail, value.
type RowFn<'a> = dyn FnMut(&str, &str, &str, &str, String) -> csv::Result<()> + 'a;

/// Long-format CSV: one number per row, `table,brand,key,detail,value`; `brand` is `*` for totals.
pub(crate) fn write_csv(r: &Report, out: &mut impl Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["table", "brand", "key", "detail", "value"])?;
    let mut row =
        |t: &str, b: &str, k: &str, d: &str, v: String| w.write_record([t, b, k, d, v.as_str()]);
    let timing = |row: &mut RowFn<'_>, brand: &str, key: &str, t: &Timing| -> csv::Result<()> {
        row("timing", brand, key, "count", t.count.to_string())?;
        for (d, v) in [("p50", t.p50), ("p95", t.p95), ("max", t.max)] {
            if let Some(v) = v {
                row("timing", brand, key, d, v.to_string())?;
            }
        }
        Ok(())
    };
    let t = &r.totals;
    for (k, v) in [
        ("resolves", t.resolves),
        ("ok", t.ok),
        ("fallbacks", t.fallbacks),
        ("loads", t.loads),
        ("load_errors", t.load_errors),
        ("bot_events", t.bot_events),
        ("duplicates", r.input.duplicates),
        ("malformed", r.input.malformed),
    ] {
        row("totals", "*", k, "", v.to_string())?;
    }
    row(
        "totals",
        "*",
        "fallback_rate",
        "",
        t.fallback_rate.to_string(),
    )?;
    timing(&mut row, "*", "resolve_ms", &t.resolve_ms)?;
    timing(&mut row, "*", "load_ms", &t.load_ms)?;
    for b in &r.brands {
        for (k, v) in [
            ("resolves", b.resolves),
            ("ok", b.ok),
            ("fallbacks", b.fallbacks),
            ("loads", b.loads),
            ("load_errors", b.load_errors),
            ("bot_events", b.bot_events),
        ] {
            row("brands", &b.brand, k, "", v.to_string())?;
        }
        row(
            "brands",
            &b.brand,
            "fallback_rate",
            "",
            b.fallback_rate.to_string(),
        )?;
        timing(&mut row, &b.brand, "resolve_ms", &b.resolve_ms)?;
        timing(&mut row, &b.brand, "load_ms", &b.load_ms)?;
    }
    for x in &r.resolves {
        row(
            "resolves",
            &x.brand,
            &x.product,
            &x.outcome,
            x.count.to_string(),
        )?;
    }
    for x in &r.form_types {
        row(
            "form_types",
            &x.brand,
            &x.form_type,
            "",
            x.count.to_string(),
        )?;
    }
    for x in &r.brand_states {
        row("states", &x.brand, &x.state, "", x.count.to_string())?;
    }
    for x in &r.fallback_reasons {
        row(
            "fallback_reasons",
            &x.brand,
            &x.reason,
            "",
            x.count.to_string(),
        )?;
    }
    for x in &r.unknown_zips {
        row("unknown_zips", &x.brand, &x.zip, "", x.count.to_string())?;
    }
    for x in &r.artifact_versions {
        row(
            "artifact_versions",
            &x.brand,
            &x.version,
            "",
            x.count.to_string(),
        )?;
    }
    for d in &r.days {
        row("days", "*", &d.day, "resolves", d.resolves.to_string())?;
        row("days", "*", &d.day, "fallbacks", d.fallbacks.to_string())?;
        row("days", "*", &d.day, "loads", d.loads.to_string())?;
    }
    w.flush()?;
    Ok(())
}
