//! The terminal report: plain text tables of a [`Report`], every visitor-supplied value display-safe (see [`super::display`]).

use super::pct;
use super::report::Report;
use super::tables::{self, Style, Table};
use formroute_core::coverage::plural;
use std::fmt::Write as _;

/// Most characters of a visitor's value in a terminal cell.
const CELL_WIDTH: usize = 40;

/// A time in ms for a table cell: one decimal, `-` when there is none.
fn ms_cell(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.1}"))
}

const STYLE: Style = Style {
    count: count_cell,
    ms: ms_cell,
    width: CELL_WIDTH,
};

fn count_cell(n: u64) -> String {
    n.to_string()
}

/// A plain text table: text columns left-aligned, numeric columns right-aligned.
fn table(out: &mut String, title: &str, t: &Table) {
    let _ = writeln!(out, "\n{title}{}", t.cut_note());
    if t.rows.is_empty() {
        let _ = writeln!(out, "  (none)");
        return;
    }
    let mut w: Vec<usize> = t.head.iter().map(|h| h.0.chars().count()).collect();
    for r in &t.rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            let pad = w[i] - c.chars().count();
            if t.head[i].1 {
                let _ = write!(s, " {}{c}", " ".repeat(pad));
            } else {
                let _ = write!(s, " {c}{}", " ".repeat(pad));
            }
        }
        s.trim_end().to_string()
    };
    let head: Vec<String> = t.head.iter().map(|h| h.0.to_string()).collect();
    let _ = writeln!(out, "{}", line(&head));
    let _ = writeln!(
        out,
        "  {}",
        w.iter()
            .map(|n| "-".repeat(*n))
            .collect::<Vec<_>>()
            .join(" ")
    );
    for r in &t.rows {
        let _ = writeln!(out, "{}", line(r));
    }
}

/// The terminal report.
pub(crate) fn render_tables(r: &Report, top: usize) -> String {
    let top = top.max(1);
    let st = &STYLE;
    let mut o = String::new();
    let t = &r.totals;
    let _ = writeln!(
        o,
        "formroute beacon report: {} from {} to {}",
        plural(r.input.events, "event"),
        r.first_event.as_deref().unwrap_or("-"),
        r.last_event.as_deref().unwrap_or("-"),
    );
    let _ = writeln!(o, "{}", tables::requested(r));
    let _ = writeln!(o, "{}", tables::left_out(r));
    let _ = writeln!(
        o,
        "page views {}  visitors sent to a form {}{}",
        t.page_views,
        t.visitors_to_form,
        if r.visitors_estimated {
            " (estimated, within about 2%)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        o,
        "resolves {}  ok {}  fallbacks {} ({})  loads {}  load errors {}",
        t.resolves,
        t.ok,
        t.fallbacks,
        pct(t.fallback_rate),
        t.loads,
        t.load_errors,
    );
    let _ = writeln!(
        o,
        "time to resolve p50 {} ms  p95 {} ms   router load p50 {} ms  p95 {} ms",
        ms_cell(t.resolve_ms.p50),
        ms_cell(t.resolve_ms.p95),
        ms_cell(t.load_ms.p50),
        ms_cell(t.load_ms.p95)
    );
    if r.approximate {
        let _ = writeln!(
            o,
            "note: rare keys were dropped from some long tables; counts there may be low by up to {}",
            r.count_error_bound
        );
    }
    table(&mut o, "Brands", &tables::brands(r, st));
    table(
        &mut o,
        "Resolves by brand, product and outcome",
        &tables::resolves(r, st, top),
    );
    table(
        &mut o,
        "Form types (successful resolves)",
        &tables::form_types(r, st, top),
    );
    table(
        &mut o,
        &format!("Top states (of {})", r.states.len()),
        &tables::states(r, st, top),
    );
    table(
        &mut o,
        "Fallback reasons (share of the brand's resolves)",
        &tables::reasons(r, st, top),
    );
    table(
        &mut o,
        &format!(
            "Unmet demand: failed lookups by the state of the ZIP{}",
            if r.filter.artifacts.is_some() {
                ""
            } else {
                " (state `?`: pass --artifacts DIR to map ZIPs to states)"
            }
        ),
        &tables::unmet(r, st, top),
    );
    table(
        &mut o,
        "Unknown ZIPs visitors typed: the data team's to-do list",
        &tables::unknown_zips(r, st, top),
    );
    table(
        &mut o,
        "Router load time, ms (network: downloaded; cache: from the browser's cache)",
        &tables::load_times(r, st),
    );
    table(
        &mut o,
        "Artifact versions in use (events carrying `av`)",
        &tables::versions(r, st, top),
    );
    let days = tables::days(r, st, top);
    table(
        &mut o,
        &format!(
            "Per day and brand (UTC; latest {} of {})",
            days.rows.len(),
            days.total
        ),
        &days,
    );
    let products = tables::day_products(r, st, top);
    table(
        &mut o,
        &format!(
            "Per day, brand and product (latest {} of {})",
            products.rows.len(),
            products.total
        ),
        &products,
    );
    let _ = writeln!(
        o,
        "\nread {}, {}",
        plural(r.input.files, "file"),
        plural(r.input.lines, "line")
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::aggregate::{Aggregator, Filter};

    #[test]
    fn counts_are_singular_for_one() {
        let mut a = Aggregator::new(Filter::default(), 10);
        a.start_window(None);
        a.add_line(br#"{"id":"id00000001","type":"resolve","ts":1785000000000,"brand":"acme","pv":"pv00000001","zip":"1","product":"auto","ok":false,"error":"invalid_zip","ms":1}"#);
        let text = render_tables(&a.finish(10), 10);
        assert!(text.contains("report: 1 event from"), "{text}");
        assert!(text.contains("read 1 file, 1 line"), "{text}");
        assert!(
            !text.contains(" 1 events") && !text.contains(" 1 resolves"),
            "{text}"
        );
    }
}
