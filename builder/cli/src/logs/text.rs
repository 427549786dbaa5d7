//! The terminal report: plain text tables of a [`Report`].

use super::aggregate::Report;
use super::{brand_cells, pct};
use std::fmt::Write as _;

/// A plain text table: first column left-aligned, the others right-aligned.
fn table(out: &mut String, title: &str, head: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "\n{title}");
    if rows.is_empty() {
        let _ = writeln!(out, "  (none)");
        return;
    }
    let mut w: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            let pad = w[i] - c.chars().count();
            // Left-align text columns (all but trailing numeric ones): the leading ones up to the first number.
            if i < cells.len() && !looks_numeric(c) {
                let _ = write!(s, " {c}{}", " ".repeat(pad));
            } else {
                let _ = write!(s, " {}{c}", " ".repeat(pad));
            }
        }
        s.trim_end().to_string()
    };
    let head: Vec<String> = head.iter().map(|h| h.to_string()).collect();
    let _ = writeln!(out, "{}", line(&head));
    let _ = writeln!(
        out,
        "  {}",
        w.iter()
            .map(|n| "-".repeat(*n))
            .collect::<Vec<_>>()
            .join(" ")
    );
    for r in rows {
        let _ = writeln!(out, "{}", line(r));
    }
}

fn looks_numeric(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'%' | b',' | b'-'))
        && s.bytes().any(|b| b.is_ascii_digit())
}

/// A time in ms for a table cell: one decimal, `-` when there is none.
fn ms_cell(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.1}"))
}

/// Shows a visitor-typed value on one terminal line: control characters escaped, at most 40 chars.
fn shown(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(40)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    if out.is_empty() {
        out.push_str("(empty)");
    }
    out
}

/// The terminal report.
pub(crate) fn render_tables(r: &Report, top: usize) -> String {
    let mut o = String::new();
    let t = &r.totals;
    let _ = writeln!(
        o,
        "formroute beacon report: {} events from {} to {}{}",
        r.input.events,
        r.first_event.as_deref().unwrap_or("-"),
        r.last_event.as_deref().unwrap_or("-"),
        if r.filter.brands.is_empty() {
            String::new()
        } else {
            format!(" (brands: {})", r.filter.brands.join(", "))
        }
    );
    let _ = writeln!(
        o,
        "resolves {}  ok {}  fallbacks {} ({})  loads {}  load errors {}  bot events {}",
        t.resolves,
        t.ok,
        t.fallbacks,
        pct(t.fallback_rate),
        t.loads,
        t.load_errors,
        t.bot_events
    );
    let _ = writeln!(
        o,
        "time to resolve p50 {} ms  p95 {} ms   artifact load p50 {} ms  p95 {} ms",
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

    let rows: Vec<Vec<String>> = r
        .brands
        .iter()
        .map(|b| brand_cells(b, |n| n.to_string(), ms_cell))
        .collect();
    table(
        &mut o,
        "Brands",
        &[
            "brand",
            "resolves",
            "ok",
            "fallbacks",
            "rate",
            "p50 ms",
            "p95 ms",
            "loads",
            "load err",
        ],
        &rows,
    );

    let rows: Vec<Vec<String>> = r
        .resolves
        .iter()
        .map(|x| {
            vec![
                x.brand.clone(),
                shown(&x.product),
                x.outcome.clone(),
                x.count.to_string(),
            ]
        })
        .take(top.max(1) * 4)
        .collect();
    table(
        &mut o,
        "Resolves by brand, product and outcome",
        &["brand", "product", "outcome", "count"],
        &rows,
    );

    let rows: Vec<Vec<String>> = r
        .form_types
        .iter()
        .map(|x| {
            vec![
                x.brand.clone(),
                x.form_type.clone(),
                x.count.to_string(),
                pct(x.share),
            ]
        })
        .collect();
    table(
        &mut o,
        "Form types (successful resolves)",
        &["brand", "form type", "count", "share"],
        &rows,
    );

    let rows: Vec<Vec<String>> = r
        .states
        .iter()
        .take(top)
        .map(|x| vec![x.state.clone(), x.count.to_string(), pct(x.share)])
        .collect();
    table(
        &mut o,
        &format!("Top states (of {})", r.states.len()),
        &["state", "resolves", "share"],
        &rows,
    );

    let rows: Vec<Vec<String>> = r
        .fallback_reasons
        .iter()
        .map(|x| {
            vec![
                x.brand.clone(),
                shown(&x.reason),
                x.count.to_string(),
                pct(x.share),
            ]
        })
        .collect();
    table(
        &mut o,
        "Fallback reasons (share of the brand's resolves)",
        &["brand", "reason", "count", "share"],
        &rows,
    );

    let rows: Vec<Vec<String>> = r
        .unknown_zips
        .iter()
        .take(top)
        .map(|x| vec![x.zip.clone(), x.brand.clone(), x.count.to_string()])
        .collect();
    table(
        &mut o,
        &format!(
            "Unknown ZIPs visitors typed: the data team's to-do list (top {} of {})",
            rows.len(),
            r.unknown_zips.len()
        ),
        &["zip", "brand", "count"],
        &rows,
    );

    let rows: Vec<Vec<String>> = r
        .artifact_versions
        .iter()
        .map(|x| vec![x.brand.clone(), shown(&x.version), x.count.to_string()])
        .collect();
    table(
        &mut o,
        "Artifact versions in use (events carrying `av`)",
        &["brand", "version", "events"],
        &rows,
    );
    let _ = writeln!(
        o,
        "\nread {} files, {} lines: {} duplicates dropped, {} malformed, {} outside the filters",
        r.input.files, r.input.lines, r.input.duplicates, r.input.malformed, r.input.filtered_out
    );
    o
}
