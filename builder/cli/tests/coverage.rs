//! `formroute coverage`: the per-product state table in the terminal, JSON, and the HTML page with a tile map per product, rendered in headless Chromium.

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

fn coverage(data: &Path, extra: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .arg("coverage")
        .arg("--data")
        .arg(data)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The state row of `product` for `state` in the text table of one brand.
fn row<'a>(table: &'a str, product: &str, state: &str) -> &'a str {
    let start = table
        .find(&format!("  product `{product}`"))
        .unwrap_or_else(|| panic!("no product {product}:\n{table}"));
    table[start..]
        .lines()
        .find(|l| l.starts_with(&format!("    {state} ")))
        .unwrap_or_else(|| panic!("no {state} row:\n{table}"))
}

#[test]
fn the_state_table_shows_each_states_form_types_and_the_overrides_that_cut_in() {
    let root = scratch("coverage-text");
    let data = root.join("data");
    write_sample_data(&data, |_, t| t);
    let (ok, text, err) = coverage(&data, &["--brand", "acme"]);
    assert!(ok, "{err}");
    assert!(text.starts_with("brand `acme`\n"), "{text}");
    let fl = row(&text, "auto", "FL");
    assert!(
        fl.contains("served") && fl.contains("1,495  callback 1,495"),
        "{fl}"
    );
    let ny = row(&text, "auto", "NY");
    assert!(
        ny.contains("agent 2,147, partner 63") && ny.contains("7:100 9:10004"),
        "{ny}"
    );
    let home_fl = row(&text, "home", "FL");
    assert!(
        home_fl.contains("partly")
            && home_fl.contains("none 1,484, agent 11")
            && home_fl.contains("11:3314 12:33109"),
        "{home_fl}"
    );
    assert!(row(&text, "auto", "AE").contains("not served"));

    let (ok, json_text, err) = coverage(&data, &["--format", "json", "--brand", "lakeside"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&json_text).unwrap();
    let home = v[0]["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["product"] == "home")
        .unwrap();
    let il = home["states"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["state"] == "IL")
        .unwrap();
    assert_eq!(il["overrides"], json!([[21, "600"]]), "{il}");
    assert_eq!(v[0]["overrides"][0]["zip_prefix"], "600");

    let (ok, _, err) = coverage(&data, &["--brand", "nobody"]);
    assert!(!ok);
    assert!(err.contains("no brand `nobody`"), "{err}");
}

/// Opens the coverage page in headless Chromium (playwright-core from client-js): no console
/// errors, no request but the file, one map per product, the FL tile says its form type.
#[test]
fn the_coverage_page_renders_a_tile_map_per_product_in_headless_chromium() {
    let root = scratch("coverage-html");
    let data = root.join("data");
    write_sample_data(&data, |_, t| t);
    let html = root.join("coverage.html");
    let (ok, _, err) = coverage(
        &data,
        &["--format", "html", "--out", html.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    let page = std::fs::read_to_string(&html).unwrap();
    for external in ["http://", "https://", "<script", "<link", "src="] {
        assert!(!page.contains(external), "the page refers to {external}");
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let pw = repo().join("client-js/node_modules/playwright-core");
    assert!(
        Path::new(&chromium).exists() && pw.exists(),
        "chromium ({chromium}) or playwright-core ({}) is missing: bash tests/setup.sh installs them",
        pw.display()
    );
    let script = r#"
const { chromium } = require(process.argv[1]);
(async () => {
  const browser = await chromium.launch({ executablePath: process.argv[2], args: ['--no-sandbox', '--disable-gpu',
    '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems = [];
  page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.type() + ': ' + m.text()); });
  page.on('pageerror', e => problems.push('pageerror: ' + e.message));
  page.on('request', r => { if (r.url() !== 'file://' + process.argv[3]) problems.push('request: ' + r.url()); });
  await page.goto('file://' + process.argv[3], { waitUntil: 'load' });
  const maps = await page.locator('svg').count();
  const fl = await page.locator('svg title', { hasText: 'auto in FL (1,495 ZIPs, served): callback 1,495' }).count();
  const flFill = await page.locator('#brand-acme g', { has: page.locator('title', { hasText: 'auto in FL (' }) }).locator('rect').getAttribute('fill');
  const directFill = await page.locator('#brand-acme g', { has: page.locator('title', { hasText: 'auto in CO (' }) }).locator('rect').getAttribute('fill');
  const h1 = await page.locator('h1').innerText();
  await page.locator('#brand-acme').screenshot({ path: process.argv[3] + '.png' });
  await browser.close();
  console.log(JSON.stringify({ problems, maps, fl, flFill, directFill, h1 }));
})().catch(e => { console.error(e); process.exit(1); });
"#;
    let out = Command::new("node")
        .args([
            "-e",
            script,
            pw.to_str().unwrap(),
            &chromium,
            html.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "node: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["problems"], json!([]), "{got}");
    // acme 4 products, lakeside 2, solis 2.
    assert_eq!(got["maps"], 8, "{got}");
    assert_eq!(got["fl"], 1, "{got}");
    assert_ne!(
        got["flFill"], got["directFill"],
        "FL's call-back form has its own colour: {got}"
    );
    assert!(got["h1"].as_str().unwrap().contains("Coverage"), "{got}");
    eprintln!("screenshot: {}.png", html.display());
}
