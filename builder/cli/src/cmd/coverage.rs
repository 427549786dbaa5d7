//! `formroute coverage --data DIR`: per brand and product, which form type each state gets (state table, HTML page with a US tile map, or JSON).

use crate::tilemap::{self, esc};
use anyhow::{bail, Context, Result};
use formroute_core::coverage::{thousands, BrandCoverage, ProductCoverage};
use formroute_core::load::Sources;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Output format of `formroute coverage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// One table per product: state, status, ZIPs, form types, overrides that cut in.
    Text,
    /// One self-contained HTML page: a US tile map per product, coloured by form type.
    Html,
    /// The coverage as JSON.
    Json,
}

/// Arguments of `formroute coverage`.
#[derive(Debug, clap::Args)]
pub(crate) struct CoverageArgs {
    /// The rule database folder.
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub(crate) data: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: Format,
    /// Only this brand.
    #[arg(long)]
    pub(crate) brand: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

/// Loads and compiles `data`; the coverage of every brand, or the build's errors.
pub(crate) fn of_data(data: &std::path::Path) -> Result<(Vec<BrandCoverage>, String)> {
    let sources = Sources::read_dir(data).with_context(|| format!("reading {}", data.display()))?;
    let build = formroute_core::build(&sources)?;
    let errors = build.errors;
    for d in build.shown_in(data).filter(|_| errors > 0) {
        eprintln!("{d}");
    }
    match build.output {
        Some(o) => Ok((o.coverage, o.manifest.zip_data_version)),
        None => bail!(
            "{errors} error(s) in {}: `formroute build` shows them too; coverage needs a database that builds",
            data.display()
        ),
    }
}

/// Runs `formroute coverage`.
pub(crate) fn run(args: CoverageArgs) -> Result<ExitCode> {
    let (mut coverage, zip_version) = of_data(&args.data)?;
    if let Some(b) = &args.brand {
        coverage.retain(|c| &c.brand == b);
        if coverage.is_empty() {
            bail!("no brand `{b}` in {}", args.data.display());
        }
    }
    let text = match args.format {
        Format::Text => coverage.iter().map(BrandCoverage::to_table).collect(),
        Format::Json => serde_json::to_string_pretty(&coverage)? + "\n",
        Format::Html => html(
            &coverage,
            &format!("{} · ZIP data {zip_version}", args.data.display()),
        ),
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("formroute: coverage written to {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Colours of form types, in the order of a brand's sorted form types.
const PALETTE: [&str; 8] = [
    "#2b7bb9", "#e08a1e", "#3a9a5b", "#8a5cc2", "#c24f7a", "#4fb3c8", "#a0782b", "#6b7a8f",
];
/// Not served.
const GREY: &str = "#e3e7ec";

const CSS: &str = r#"
:root{--ink:#1d2733;--mute:#5b6877;--line:#dde3ea;--bg:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#14324f;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;opacity:.85}
main{max-width:1180px;margin:0 auto;padding:20px 24px 48px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin-bottom:18px}
section h2{font-size:19px;margin:0 0 8px}
h3{font-size:16px;margin:18px 0 2px}
p.note{margin:0 0 8px;color:var(--mute);font-size:13px}
.legend{font-size:13px;color:var(--mute);margin:4px 0 6px}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin:0 4px 0 12px;vertical-align:-1px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{color:var(--mute);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
details{margin:6px 0 10px}
summary{cursor:pointer;color:var(--mute)}
"#;

/// The coverage page: per brand, per product a tile map coloured by the form type most of the
/// state's ZIPs get (dashed outline: partly served), a legend, and the state table.
pub(crate) fn html(coverage: &[BrandCoverage], subtitle: &str) -> String {
    let mut s = String::with_capacity(256 * 1024);
    let _ = write!(
        s,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>formroute coverage</title><style>{CSS}</style></head><body>\
         <header><h1>Coverage: which form each state gets</h1><p>{}</p></header><main>",
        esc(subtitle)
    );
    for b in coverage {
        let _ = write!(
            s,
            "<section id=\"brand-{0}\"><h2>Brand <code>{0}</code></h2><p class=\"note\">Colour: the form type most of the state's served ZIPs get (`+`: other form types too); grey: not served; dashed outline: partly served. Hover a state for its figures.</p>",
            esc(&b.brand)
        );
        // One colour per form type across the brand's products.
        let mut types: Vec<String> = b
            .products
            .iter()
            .flat_map(|p| p.by_form_type().into_iter().map(|(t, _, _)| t))
            .collect();
        types.sort();
        types.dedup();
        let colour: HashMap<&str, &str> = types
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), PALETTE[i % PALETTE.len()]))
            .collect();
        for p in &b.products {
            product_html(&mut s, p, &colour);
        }
        if !b.overrides.is_empty() {
            s.push_str("<h3>ZIP overrides</h3><table><thead><tr><th class=\"n\">line</th><th>product</th><th>prefix</th><th>form type</th><th class=\"n\">ZIPs decided</th><th class=\"n\">change form type</th><th>states</th></tr></thead><tbody>");
            for o in &b.overrides {
                let _ = write!(
                    s,
                    "<tr><td class=\"n\">{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                    o.line,
                    esc(o.product.as_deref().unwrap_or("*")),
                    esc(&o.zip_prefix),
                    esc(o.form_type.as_deref().unwrap_or("none")),
                    thousands(u64::from(o.zips)),
                    thousands(u64::from(o.zips_changed)),
                    esc(&o.states_text(12))
                );
            }
            s.push_str("</tbody></table>");
        }
        s.push_str("</section>");
    }
    s.push_str("</main></body></html>\n");
    s
}

fn product_html(s: &mut String, p: &ProductCoverage, colour: &HashMap<&str, &str>) {
    let _ = write!(
        s,
        "<h3>{} <span class=\"note\">· {} of {} ZIPs served · {} states served, {} partly, {} not</span></h3>",
        esc(&p.product),
        thousands(u64::from(p.zips_served)),
        thousands(u64::from(p.zips_served + p.zips_not_served)),
        p.states_served.len(),
        p.states_partly_served.len(),
        p.states_not_served.len()
    );
    s.push_str("<div class=\"legend\">");
    for (t, n, states) in p.by_form_type() {
        let _ = write!(
            s,
            "<i style=\"background:{}\"></i>{} ({} ZIPs, {})",
            colour.get(t.as_str()).copied().unwrap_or(GREY),
            esc(&t),
            thousands(u64::from(n)),
            formroute_core::coverage::plural(states.len() as u64, "state")
        );
    }
    let _ = write!(s, "<i style=\"background:{GREY}\"></i>not served</div>");
    let by_state: HashMap<&str, &formroute_core::coverage::StateCoverage> =
        p.states.iter().map(|c| (c.state.as_str(), c)).collect();
    let map = tilemap::svg(&format!("Form type by state for {}", p.product), |code| {
        let Some(c) = by_state.get(code) else {
            return tilemap::Tile {
                fill: "#f4f6f8".into(),
                dark: false,
                title: format!("{code}: no ZIP in zips.csv"),
                label: String::new(),
                dashed: false,
            };
        };
        let main = c.form_types.iter().find_map(|(t, _)| t.as_deref());
        let fill = main
            .and_then(|t| colour.get(t).copied())
            .unwrap_or(GREY)
            .to_string();
        let parts: Vec<String> = c
            .form_types
            .iter()
            .map(|(t, n)| {
                format!(
                    "{} {}",
                    t.as_deref().unwrap_or("not served"),
                    thousands(u64::from(*n))
                )
            })
            .collect();
        let mut title = format!(
            "{} in {code} ({} ZIPs, {}): {}",
            p.product,
            thousands(u64::from(c.zips)),
            c.status(),
            parts.join(", ")
        );
        if !c.overrides.is_empty() {
            let o: Vec<String> = c
                .overrides
                .iter()
                .map(|(l, p)| format!("{p} (line {l})"))
                .collect();
            title.push_str(&format!("; overrides: {}", o.join(", ")));
        }
        let label = match main {
            Some(t) if c.form_types.iter().filter(|(t, _)| t.is_some()).count() > 1 => {
                format!("{}+", short(t))
            }
            Some(t) => short(t),
            None => String::new(),
        };
        tilemap::Tile {
            fill,
            dark: main.is_some(),
            title,
            label,
            dashed: c.status() == "partly",
        }
    });
    s.push_str(&map);
    s.push_str("<details><summary>State table</summary><table><thead><tr><th>state</th><th>status</th><th class=\"n\">ZIPs</th><th>form types (ZIPs)</th><th>overrides that cut in</th></tr></thead><tbody>");
    for c in &p.states {
        let types: Vec<String> = c
            .form_types
            .iter()
            .map(|(t, n)| {
                format!(
                    "{} {}",
                    t.as_deref().unwrap_or("none"),
                    thousands(u64::from(*n))
                )
            })
            .collect();
        let ov: Vec<String> = c
            .overrides
            .iter()
            .map(|(l, p)| format!("{p} (line {l})"))
            .collect();
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.state),
            c.status(),
            thousands(u64::from(c.zips)),
            esc(&types.join(", ")),
            esc(&ov.join(", "))
        );
    }
    s.push_str("</tbody></table></details>");
}

/// A form type cut to fit under a tile's code.
fn short(t: &str) -> String {
    t.chars().take(8).collect()
}
