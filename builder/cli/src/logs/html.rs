//! The beacon report as one self-contained HTML page: inline CSS and SVG charts, a tile-grid map of the states, no scripts, no external requests.
//!
//! Everything a visitor typed (products, ZIPs, reasons, versions) is HTML-escaped; the page
//! carries a Content-Security-Policy that forbids loading anything, so it opens the same from
//! a mail attachment, a file share or a browser with no network.

use super::aggregate::Report;
use super::{brand_cells, pct};
use crate::tilemap;
use std::collections::HashMap;
use std::fmt::Write as _;

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

/// A colour from light to dark blue for `t` in 0..=1.
fn blue(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        lerp(222.0, 8.0),
        lerp(235.0, 69.0),
        lerp(247.0, 148.0)
    )
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
        let short: String = label.chars().take(24).collect();
        let _ = write!(
            s,
            "<g><title>{}: {}</title><text x=\"150\" y=\"{}\" text-anchor=\"end\" font-size=\"13\" fill=\"#1d2733\">{}</text>\
             <rect x=\"158\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" rx=\"3\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"12\" fill=\"#5b6877\">{}</text></g>",
            esc(label),
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

/// Stacked columns per day: successful resolves and fallbacks.
fn day_chart(r: &Report) -> String {
    if r.days.is_empty() {
        return "<p class=\"note\">No dated events.</p>".to_string();
    }
    let days = &r.days;
    let max = days.iter().map(|d| d.resolves).max().unwrap_or(1).max(1) as f64;
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
    for (i, d) in days.iter().enumerate() {
        let x = left + step * i as f64 + (step - bw) / 2.0;
        let ok = d.resolves - d.fallbacks;
        let h_ok = plot_h * ok as f64 / max;
        let h_fb = plot_h * d.fallbacks as f64 / max;
        let base = 10.0 + plot_h;
        let _ = write!(
            s,
            "<g><title>{}: {} resolves, {} fallbacks, {} loads</title>\
             <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{h_ok:.1}\" fill=\"#2b7bb9\"/>\
             <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{h_fb:.1}\" fill=\"#d9534f\"/></g>",
            esc(&d.day),
            num(d.resolves),
            num(d.fallbacks),
            num(d.loads),
            base - h_ok,
            base - h_ok - h_fb
        );
        if i % label_every == 0 {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6877\">{}</text>",
                x + bw / 2.0,
                h - 8.0,
                esc(d.day.get(5..).unwrap_or(&d.day))
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
        // Square-root scale: small states stay visible next to the largest.
        let t = if max == 0 {
            0.0
        } else {
            (count as f64 / max as f64).sqrt()
        };
        let fill = if count == 0 {
            "#eef1f4".to_string()
        } else {
            blue(0.15 + 0.85 * t)
        };
        tilemap::Tile {
            fill,
            dark: count > 0 && t > 0.45,
            title: format!("{code}: {} resolves ({})", num(count), pct(share)),
            label: if count == 0 {
                String::new()
            } else {
                compact(count)
            },
            dashed: false,
        }
    })
}

/// 1234 -> 1.2k, 1234567 -> 1.2M.
fn compact(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

fn html_table(head: &[(&str, bool)], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return "<p class=\"note\">None.</p>".to_string();
    }
    let mut s = String::from("<table><thead><tr>");
    for (h, numeric) in head {
        let _ = write!(
            s,
            "<th{}>{}</th>",
            if *numeric { " class=\"n\"" } else { "" },
            esc(h)
        );
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let numeric = head.get(i).is_some_and(|h| h.1);
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

/// The whole page; `top` caps the rows of long tables and charts.
pub(crate) fn render(r: &Report, top: usize) -> String {
    let top = top.max(1);
    let t = &r.totals;
    let mut s = String::with_capacity(64 * 1024);
    let period = format!(
        "{} – {}",
        r.first_event.as_deref().unwrap_or("–"),
        r.last_event.as_deref().unwrap_or("–")
    );
    let brands = if r.filter.brands.is_empty() {
        format!("{} brands", r.brands.len())
    } else {
        r.filter.brands.join(", ")
    };
    let _ = write!(
        s,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>formroute report: {}</title><style>{CSS}</style></head><body>\
         <header><h1>Where visitors go: quote-form routing report</h1><p>{} · {}</p></header><main>",
        esc(&period),
        esc(&brands),
        esc(&period)
    );

    let _ = write!(
        s,
        "<div class=\"cards\">\
         <div class=\"card\"><b>{}</b><span>ZIP lookups (resolves)</span></div>\
         <div class=\"card\"><b>{}</b><span>sent to a form</span></div>\
         <div class=\"card\"><b>{}</b><span>fell back ({} of lookups)</span></div>\
         <div class=\"card\"><b>{}</b><span>median time to answer (p95 {})</span></div>\
         <div class=\"card\"><b>{}</b><span>page loads of the router ({} failed)</span></div>\
         </div>",
        num(t.resolves),
        num(t.ok),
        num(t.fallbacks),
        pct(t.fallback_rate),
        ms_label(t.resolve_ms.p50),
        ms_label(t.resolve_ms.p95),
        num(t.loads),
        num(t.load_errors)
    );

    let _ = write!(
        s,
        "<section><h2>Lookups per day</h2><p class=\"note\">Every ZIP a visitor submitted, by day (UTC); red is the share that could not be sent to a form and went to the brand's fallback page.</p>{}</section>",
        day_chart(r)
    );

    let _ = write!(
        s,
        "<section><h2>Where visitors are</h2><p class=\"note\">Lookups that reached a form, by the state of the ZIP typed. Hover a state for its numbers.</p>{}</section>",
        state_map(r)
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

    let rows: Vec<Vec<String>> = r
        .brands
        .iter()
        .map(|b| brand_cells(b, num, ms_label))
        .collect();
    let _ = write!(
        s,
        "<section><h2>Brands</h2>{}</section>",
        html_table(
            &[
                ("brand", false),
                ("lookups", true),
                ("to a form", true),
                ("fell back", true),
                ("fallback rate", true),
                ("p50", true),
                ("p95", true),
                ("router loads", true),
                ("load failures", true),
            ],
            &rows
        )
    );

    let rows: Vec<Vec<String>> = r
        .resolves
        .iter()
        .map(|x| {
            vec![
                x.brand.clone(),
                x.product.clone(),
                x.outcome.clone(),
                num(x.count),
            ]
        })
        .collect();
    let _ = write!(
        s,
        "<section><h2>Lookups by brand, product and outcome</h2><p class=\"note\">\"ok\" means the visitor was sent to a form; anything else is the reason they fell back.</p>{}</section>",
        html_table(
            &[
                ("brand", false),
                ("product", false),
                ("outcome", false),
                ("lookups", true)
            ],
            &rows
        )
    );

    let rows: Vec<Vec<String>> = r
        .unknown_zips
        .iter()
        .take(top * 4)
        .map(|x| vec![x.zip.clone(), x.brand.clone(), num(x.count)])
        .collect();
    let _ = write!(
        s,
        "<section><h2>ZIPs we do not know</h2><p class=\"note\">Real five-digit ZIPs visitors typed that are missing from the ZIP data: the data team's to-do list (top {} of {}).</p>{}</section>",
        rows.len(),
        r.unknown_zips.len(),
        html_table(&[("ZIP", false), ("brand", false), ("lookups", true)], &rows)
    );

    let rows: Vec<Vec<String>> = r
        .artifact_versions
        .iter()
        .map(|x| vec![x.brand.clone(), x.version.clone(), num(x.count)])
        .collect();
    let _ = write!(
        s,
        "<section><h2>Router versions in use</h2><p class=\"note\">Which published rule set the pages used (events that carry a version).</p>{}</section>",
        html_table(&[("brand", false), ("version", false), ("events", true)], &rows)
    );

    let _ = writeln!(
        s,
        "<footer>{} files, {} events read; {} duplicates dropped, {} malformed lines, {} outside the filters; {} events from robots or scripts included.{}</footer></main></body></html>",
        num(r.input.files),
        num(r.input.events),
        num(r.input.duplicates),
        num(r.input.malformed),
        num(r.input.filtered_out),
        num(t.bot_events),
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
