//! The beacon report as one self-contained HTML page: inline CSS and SVG charts, a tile-grid map of the states, no scripts, no external requests.
//!
//! Everything a visitor typed (products, ZIPs, reasons, versions) is made display-safe (controls,
//! bidi controls and runs of combining marks escaped visibly, [`super::display`]), then
//! HTML-escaped; the page carries a Content-Security-Policy that forbids loading anything, so it
//! opens the same from a mail attachment, a file share or a browser with no network.

use super::display::display_safe;
use super::pct;
use super::report::Report;
use super::tables::{self, Style, Table};
use crate::tilemap;
use formroute_core::coverage::plural;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Most characters of a visitor's value in an HTML cell.
const CELL_WIDTH: usize = 80;

const STYLE: Style = Style {
    count: num,
    ms: ms_label,
    width: CELL_WIDTH,
};

const CSS: &str = r#"
:root{--ink:#1d2733;--mute:#5b6877;--line:#dde3ea;--ok:#2b7bb9;--bad:#d9534f;--bg:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#14324f;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;opacity:.85}
main{max-width:1180px;margin:0 auto;padding:20px 24px 48px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin-bottom:20px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}
.card b{display:block;font-size:26px}
.card span{color:var(--mute);font-size:13px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin-bottom:18px}
section h2{font-size:17px;margin:0 0 4px}
section p.note{margin:0 0 12px;color:var(--mute);font-size:13px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:18px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{color:var(--mute);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
svg text{font-family:inherit}
.legend{font-size:13px;color:var(--mute)}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin:0 4px 0 12px;vertical-align:-1px}
footer{color:var(--mute);font-size:12px;text-align:center}
"#;

pub(crate) use crate::tilemap::esc;

/// A time in ms for an HTML cell: one decimal and the unit, `–` when there is none.
fn ms_label(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |x| format!("{x:.1} ms"))
}

/// Thousands separators for counts (one home: `formroute_core::coverage::thousands`).
fn num(n: u64) -> String {
    formroute_core::coverage::thousands(n)
}

/// The colour at `t` (0..=1) between two RGB colours.
fn ramp(from: [f64; 3], to: [f64; 3], t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let c: Vec<u8> = (0..3)
        .map(|i| (from[i] + (to[i] - from[i]) * t).round() as u8)
        .collect();
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// A colour from light to dark blue for `t` in 0..=1.
fn blue(t: f64) -> String {
    ramp([222.0, 235.0, 247.0], [8.0, 69.0, 148.0], t)
}

/// A colour from light to dark red for `t` in 0..=1.
fn red(t: f64) -> String {
    ramp([251.0, 226.0, 224.0], [153.0, 27.0, 30.0], t)
}

/// Horizontal bars, one per (label, value), scaled to the largest.
fn hbars(rows: &[(String, u64)], color: &str, title: &str) -> String {
    if rows.is_empty() {
        return "<p class=\"note\">No data.</p>".to_string();
    }
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64;
    let bar_h = 22;
    let h = rows.len() * bar_h + 4;
    let mut s = format!(
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 520 {h}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">",
        esc(title)
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = i * bar_h + 2;
        let w = (*v as f64 / max * 300.0).max(1.0);
        let short = display_safe(label, 24);
        let _ = write!(
            s,
            "<g><title>{}: {}</title><text x=\"150\" y=\"{}\" text-anchor=\"end\" font-size=\"13\" fill=\"#1d2733\">{}</text>\
             <rect x=\"158\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" rx=\"3\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"12\" fill=\"#5b6877\">{}</text></g>",
            esc(&display_safe(label, CELL_WIDTH)),
            num(*v),
            y + 15,
            esc(&short),
            y + 3,
            bar_h - 6,
            158.0 + w + 6.0,
            y + 15,
            num(*v)
        );
    }
    s.push_str("</svg>");
    s
}

/// One day's figures over all brands.
#[derive(Default, Clone, Copy)]
struct DaySum {
    resolves: u64,
    fallbacks: u64,
    loads: u64,
    page_views: u64,
}

/// Stacked columns per day: successful resolves and fallbacks.
fn day_chart(r: &Report) -> String {
    if r.days.is_empty() {
        return "<p class=\"note\">No dated events.</p>".to_string();
    }
    // All brands together, one column per day.
    let mut by_day: std::collections::BTreeMap<&str, DaySum> = std::collections::BTreeMap::new();
    for d in &r.days {
        let e = by_day.entry(d.day.as_str()).or_default();
        e.resolves += d.resolves;
        e.fallbacks += d.fallbacks;
        e.loads += d.loads;
        e.page_views += d.page_views;
    }
    let days: Vec<(&str, DaySum)> = by_day.into_iter().collect();
    let max = days.iter().map(|d| d.1.resolves).max().unwrap_or(1).max(1) as f64;
    let (w, h, left, bottom) = (1000.0, 240.0, 56.0, 28.0);
    let plot_h = h - bottom - 10.0;
    let step = (w - left - 10.0) / days.len() as f64;
    let bw = (step * 0.8).clamp(1.0, 48.0);
    let mut s = format!(
        "<svg role=\"img\" aria-label=\"Resolves per day\" viewBox=\"0 0 {w} {h}\" width=\"100%\">"
    );
    for k in 0..=4 {
        let v = max * f64::from(k) / 4.0;
        let y = 10.0 + plot_h - plot_h * f64::from(k) / 4.0;
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#dde3ea\"/>\
             <text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6877\">{}</text>",
            w - 10.0,
            left - 6.0,
            y + 4.0,
            num(v.round() as u64)
        );
    }
    let label_every = (days.len() / 10).max(1);
    for (i, (day, d)) in days.iter().enumerate() {
        let x = left + step * i as f64 + (step - bw) / 2.0;
        let ok = d.resolves - d.fallbacks;
        let h_ok = plot_h * ok as f64 / max;
        let h_fb = plot_h * d.fallbacks as f64 / max;
        let base = 10.0 + plot_h;
        let _ = write!(
            s,
            "<g><title>{}: {}, {}, {}, {}</title>\
             <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{h_ok:.1}\" fill=\"#2b7bb9\"/>\
             <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{h_fb:.1}\" fill=\"#d9534f\"/></g>",
            esc(day),
            plural(d.page_views, "page view"),
            plural(d.resolves, "lookup"),
            plural(d.fallbacks, "fallback"),
            plural(d.loads, "router load"),
            base - h_ok,
            base - h_ok - h_fb
        );
        if i % label_every == 0 {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6877\">{}</text>",
                x + bw / 2.0,
                h - 8.0,
                esc(day.get(5..).unwrap_or(day))
            );
        }
    }
    s.push_str("</svg><div class=\"legend\"><i style=\"background:#2b7bb9\"></i>resolved to a form<i style=\"background:#d9534f\"></i>fell back</div>");
    s
}

/// The tile-grid map: one square per state, darker for more successful resolves.
fn state_map(r: &Report) -> String {
    let counts: HashMap<&str, (u64, f64)> = r
        .states
        .iter()
        .map(|s| (s.state.as_str(), (s.count, s.share)))
        .collect();
    let max = r.states.iter().map(|s| s.count).max().unwrap_or(0);
    tilemap::svg("Successful resolves by state", |code| {
        let (count, share) = counts.get(code).copied().unwrap_or((0, 0.0));
        let title = format!("{code}: {} ({})", plural(count, "resolve"), pct(share));
        heat_tile(count, max, blue, title)
    })
}

/// One state's square of a heat map: `count` of the largest `max`, on a square-root scale (small
/// states stay visible next to the largest), coloured by `ramp`; grey when there is none.
fn heat_tile(count: u64, max: u64, ramp: fn(f64) -> String, title: String) -> tilemap::Tile {
    let t = if max == 0 {
        0.0
    } else {
        (count as f64 / max as f64).sqrt()
    };
    tilemap::Tile {
        fill: if count == 0 {
            "#eef1f4".to_string()
        } else {
            ramp(0.15 + 0.85 * t)
        },
        dark: count > 0 && t > 0.45,
        title,
        label: if count == 0 {
            String::new()
        } else {
            compact(count)
        },
        dashed: false,
    }
}

/// 1234 -> 1.2k, 1234567 -> 1.2M.
fn compact(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// The tile-grid map of unmet demand: one square per state, darker red for more failed lookups
/// (`not_served`, `unavailable`, `unknown_zip`) whose ZIP lies in that state.
fn unmet_map(r: &Report) -> String {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for u in &r.unmet_demand {
        if let Some(s) = u.state.as_deref() {
            *counts.entry(s).or_default() += u.count;
        }
    }
    let max = counts.values().copied().max().unwrap_or(0);
    tilemap::svg("Failed lookups by state", |code| {
        let count = counts.get(code).copied().unwrap_or(0);
        heat_tile(
            count,
            max,
            red,
            format!("{code}: {}", plural(count, "failed lookup")),
        )
    })
}

/// A table of display-safe cells (see [`super::tables`]), HTML-escaped here.
fn html_table(t: &Table) -> String {
    if t.rows.is_empty() {
        return "<p class=\"note\">None.</p>".to_string();
    }
    let mut s = String::from("<table><thead><tr>");
    for (h, numeric) in &t.head {
        let _ = write!(
            s,
            "<th{}>{}</th>",
            if *numeric { " class=\"n\"" } else { "" },
            esc(h)
        );
    }
    s.push_str("</tr></thead><tbody>");
    for r in &t.rows {
        s.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let numeric = t.head.get(i).is_some_and(|h| h.1);
            let _ = write!(
                s,
                "<td{}>{}</td>",
                if numeric { " class=\"n\"" } else { "" },
                esc(c)
            );
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// One `<section>`: a title (with the `--top` note of its table), a note, and a body.
fn section(s: &mut String, title: &str, note: &str, body: &str) {
    let _ = write!(
        s,
        "<section><h2>{}</h2><p class=\"note\">{}</p>{body}</section>",
        esc(title),
        esc(note)
    );
}

/// The whole page; `top` caps the rows of long tables and charts.
pub(crate) fn render(r: &Report, top: usize) -> String {
    let top = top.max(1);
    let st = &STYLE;
    let t = &r.totals;
    let mut s = String::with_capacity(64 * 1024);
    let period = format!(
        "{} – {}",
        r.first_event.as_deref().unwrap_or("–"),
        r.last_event.as_deref().unwrap_or("–")
    );
    let _ = write!(
        s,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>formroute report: {}</title><style>{CSS}</style></head><body>\
         <header><h1>Where visitors go: quote-form routing report</h1><p>{}</p><p>events {} · {}</p></header><main>",
        esc(&period),
        esc(&tables::requested(r)),
        esc(&period),
        esc(&tables::left_out(r))
    );

    let _ = write!(
        s,
        "<div class=\"cards\">\
         <div class=\"card\"><b>{}</b><span>page views{}</span></div>\
         <div class=\"card\"><b>{}</b><span>visitors sent to a form</span></div>\
         <div class=\"card\"><b>{}</b><span>ZIP lookups</span></div>\
         <div class=\"card\"><b>{}</b><span>fell back ({} of lookups)</span></div>\
         <div class=\"card\"><b>{}</b><span>median time to answer (p95 {})</span></div>\
         <div class=\"card\"><b>{}</b><span>median router load (p95 {}; {})</span></div>\
         </div>",
        num(t.page_views),
        if r.visitors_estimated {
            ", estimated"
        } else {
            ""
        },
        num(t.visitors_to_form),
        num(t.resolves),
        num(t.fallbacks),
        pct(t.fallback_rate),
        ms_label(t.resolve_ms.p50),
        ms_label(t.resolve_ms.p95),
        ms_label(t.load_ms.p50),
        ms_label(t.load_ms.p95),
        esc(&plural(t.loads, "load"))
    );

    section(
        &mut s,
        "Lookups per day",
        "Every ZIP a visitor submitted, by day (UTC), all brands; red is the share that could not be sent to a form and went to the brand's fallback page.",
        &day_chart(r),
    );
    section(
        &mut s,
        "Where visitors are",
        "Lookups that reached a form, by the state of the ZIP typed. Hover a state for its numbers.",
        &state_map(r),
    );
    let unmet_note = if r.filter.artifacts.is_some() {
        "Failed lookups (not served, artifact unavailable, ZIP unknown to the data) by the state of the ZIP typed: where demand goes unmet."
    } else {
        "Failed lookups (not served, artifact unavailable, ZIP unknown to the data). Their states are unknown: make the report with --artifacts DIR (a build folder) to map each ZIP to its state."
    };
    let unmet = tables::unmet(r, st, top);
    section(
        &mut s,
        &format!("Where demand goes unmet{}", unmet.cut_note()),
        unmet_note,
        &format!("{}{}", unmet_map(r), html_table(&unmet)),
    );

    let reasons = {
        let mut m: Vec<(String, u64)> = Vec::new();
        for x in &r.fallback_reasons {
            match m.iter_mut().find(|(k, _)| *k == x.reason) {
                Some(e) => e.1 += x.count,
                None => m.push((x.reason.clone(), x.count)),
            }
        }
        m.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        m.truncate(top);
        m
    };
    let form_types = {
        let mut m: Vec<(String, u64)> = r
            .form_types
            .iter()
            .map(|x| (format!("{} · {}", x.brand, x.form_type), x.count))
            .collect();
        m.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        m.truncate(top);
        m
    };
    let _ = write!(
        s,
        "<div class=\"grid2\"><section><h2>Why visitors fell back</h2><p class=\"note\">Reasons of the lookups that went to the fallback page.</p>{}</section>\
         <section><h2>Form types reached</h2><p class=\"note\">Which kind of form the visitors were sent to, per brand.</p>{}</section></div>",
        hbars(&reasons, "#d9534f", "Fallback reasons"),
        hbars(&form_types, "#2b7bb9", "Form types")
    );

    section(
        &mut s,
        "Brands",
        "Page views and visitors are distinct page loads (pv); lookups count every ZIP submitted.",
        &html_table(&tables::brands(r, st)),
    );
    section(
        &mut s,
        "Is the page fast: router load time",
        "Time from the page asking for the router's artifact to its being ready, per brand: median and 95th percentile, for downloads (network) and the browser's cache.",
        &html_table(&tables::load_times(r, st)),
    );
    let days = tables::days(r, st, top);
    section(
        &mut s,
        &format!(
            "Per day and brand (latest {} of {})",
            days.rows.len(),
            days.total
        ),
        "UTC days. Page views and visitors to a form are distinct page loads that day.",
        &html_table(&days),
    );
    let products = tables::day_products(r, st, top);
    section(
        &mut s,
        &format!("Per day, brand and product (latest {} of {})", products.rows.len(), products.total),
        "Lookups of each product by day; \"to a form\" counts distinct page loads sent to that product's form.",
        &html_table(&products),
    );
    let resolves = tables::resolves(r, st, top);
    section(
        &mut s,
        &format!(
            "Lookups by brand, product and outcome{}",
            resolves.cut_note()
        ),
        "\"ok\" means the visitor was sent to a form; anything else is the reason they fell back.",
        &html_table(&resolves),
    );
    let zips = tables::unknown_zips(r, st, top);
    section(
        &mut s,
        &format!("ZIPs we do not know{}", zips.cut_note()),
        "Real five-digit ZIPs visitors typed that are missing from the ZIP data: the data team's to-do list.",
        &html_table(&zips),
    );
    let versions = tables::versions(r, st, top);
    section(
        &mut s,
        &format!("Router versions in use{}", versions.cut_note()),
        "Which published rule set the pages used (events that carry a version).",
        &html_table(&versions),
    );

    let _ = writeln!(
        s,
        "<footer>{} and {} read; {}.{}</footer></main></body></html>",
        esc(&plural(r.input.files, "file")),
        esc(&plural(r.input.events, "event")),
        esc(&tables::left_out(r)),
        if r.approximate {
            format!(
                " Long tables dropped rare entries: counts there may be low by up to {}.",
                r.count_error_bound
            )
        } else {
            String::new()
        }
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::aggregate::{Aggregator, Filter};

    #[test]
    fn every_usps_code_has_one_tile_and_no_tiles_overlap() {
        use tilemap::TILES;
        let mut codes: Vec<&str> = TILES.iter().map(|t| t.0).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), TILES.len());
        // The map's codes are exactly SPEC's USPS list (formroute_core::usps), no more, no fewer.
        assert_eq!(codes, formroute_core::usps::CODES);
        let mut cells: Vec<(u32, u32)> = TILES.iter().map(|t| (t.1, t.2)).collect();
        cells.sort_unstable();
        cells.dedup();
        assert_eq!(cells.len(), TILES.len());
    }

    #[test]
    fn visitor_text_is_escaped_and_nothing_is_fetched() {
        let mut a = Aggregator::new(Filter::default(), 100);
        a.start_window(None);
        a.add_line(br#"{"id":"id00000001","type":"resolve","ts":1785000000000,"brand":"acme","page":"p","pv":"pv00000001","zip":"1","product":"<script>alert(1)</script>","ok":false,"error":"unknown_product","ms":1}"#);
        let html = render(&a.finish(10), 10);
        assert!(!html.contains("<script"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(html.contains("default-src 'none'"));
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(num(0), "0");
        assert_eq!(num(1234567), "1,234,567");
        assert_eq!(compact(1500), "1.5k");
    }
}
