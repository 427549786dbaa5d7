//! `formroute logs report` as a user runs it: the real binary over archived NDJSON(.gz) folders, its tables, JSON, CSV and HTML, and the HTML in headless Chromium.

mod common;

use common::*;
use flate2::write::GzEncoder;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const H17: u64 = 1_785_000_000_000; // 2026-07-25T17:20:00Z
const HOUR: u64 = 3_600_000;

/// A logged event (client fields plus the logger's), as the archive holds them.
fn event(id: &str, brand: &str, received: u64, fields: Value) -> Value {
    let mut e = json!({
        "id": id, "type": "resolve", "ts": received - 150, "brand": brand,
        "page": format!("https://www.{brand}.example/quote"), "pv": "pv_test0001",
        "received": received, "request_id": "req-1", "ua": "Mozilla/5.0", "bot": false,
    });
    for (k, v) in fields.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

fn ok(
    id: &str,
    brand: &str,
    received: u64,
    product: &str,
    state: &str,
    form_type: &str,
    ms: f64,
) -> Value {
    event(
        id,
        brand,
        received,
        json!({"zip": "10001", "product": product, "language": "en", "ok": true,
        "state": state, "form_type": form_type, "language_used": "en", "ms": ms}),
    )
}

fn fail(id: &str, brand: &str, received: u64, zip: &str, error: &str) -> Value {
    event(
        id,
        brand,
        received,
        json!({"zip": zip, "product": "auto", "language": "en", "ok": false,
        "error": error, "ms": 0.4}),
    )
}

/// Writes lines to `root/events/brand=B/dt=D/hour=H/name`, gzipped when the name ends in .gz.
fn write_part(root: &Path, brand: &str, received: u64, name: &str, lines: &[String]) {
    let dir = root.join(formroute_events::archive::Partition::of(brand, received as i64).dir());
    std::fs::create_dir_all(&dir).unwrap();
    let text = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    let path = dir.join(name);
    if name.ends_with(".gz") {
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        std::fs::write(path, gz.finish().unwrap()).unwrap();
    } else {
        std::fs::write(path, text).unwrap();
    }
}

/// The sample archive: acme at 17h (two objects sharing a duplicate and a malformed line),
/// acme at 18h, solar at 17h.
fn sample_archive() -> PathBuf {
    let root = scratch("logs-sample");
    let s = |v: Value| v.to_string();
    write_part(
        &root,
        "acme",
        H17,
        "a.ndjson.gz",
        &[
            s(ok("acme_0001", "acme", H17, "auto", "NY", "standard", 1.0)),
            s(ok(
                "acme_0002",
                "acme",
                H17 + 1,
                " Auto",
                "NY",
                "standard",
                2.0,
            )),
            s(ok("acme_0003", "acme", H17 + 2, "home", "TX", "agent", 3.0)),
            s(fail("acme_0004", "acme", H17 + 3, "99999", "unknown_zip")),
            "{ this line is broken".to_owned(),
        ],
    );
    write_part(
        &root,
        "acme",
        H17,
        "b.ndjson.gz",
        &[
            // Redelivered by SQS: the same event again, archived in another object of the partition.
            s(ok("acme_0001", "acme", H17, "auto", "NY", "standard", 1.0)),
            s(fail(
                "acme_0005",
                "acme",
                H17 + 4,
                "99999-0001",
                "unknown_zip",
            )),
        ],
    );
    write_part(
        &root,
        "acme",
        H17 + HOUR,
        "c.ndjson",
        &[
            s(fail("acme_0006", "acme", H17 + HOUR, "123", "invalid_zip")),
            s(event(
                "acme_0007",
                "acme",
                H17 + HOUR,
                json!({"type": "load", "ms": 30, "av": "acme.v2", "source": "network"}),
            )),
        ],
    );
    write_part(
        &root,
        "solar",
        H17,
        "d.ndjson.gz",
        &[
            s(ok("solar_001", "solar", H17, "auto", "CA", "callback", 5.0)),
            s(fail("solar_002", "solar", H17, "12345", "not_served")),
        ],
    );
    root
}

/// `formroute logs report --from FROM` then `extra` flags; returns (success, stdout, stderr).
fn logs_report(from: &Path, extra: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(["logs", "report", "--from"])
        .arg(from)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The JSON report of the archive at `root`, which must succeed.
fn report_json(root: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let (ok, stdout, stderr) = logs_report(root, &args);
    assert!(ok, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn rows(r: &Value, table: &str, fields: &[&str]) -> Vec<String> {
    r[table]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            fields
                .iter()
                .map(|f| x[f].to_string().trim_matches('"').to_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn json_report_counts_every_event_once_by_brand_product_and_outcome() {
    let root = sample_archive();
    let r = report_json(&root, &[]);
    assert_eq!(r["input"]["files"], 4);
    assert_eq!(r["input"]["events"], 9);
    assert_eq!(r["input"]["duplicates"], 1);
    assert_eq!(r["input"]["malformed"], 1);
    assert_eq!(r["totals"]["resolves"], 8);
    assert_eq!(r["totals"]["ok"], 4);
    assert_eq!(r["totals"]["fallback_rate"], 0.5);
    assert_eq!(r["totals"]["loads"], 1);
    assert_eq!(
        rows(&r, "resolves", &["brand", "product", "outcome", "count"]),
        vec![
            "acme auto ok 2",
            "acme auto unknown_zip 2",
            "acme auto invalid_zip 1",
            "acme home ok 1",
            "solar auto not_served 1",
            "solar auto ok 1",
        ]
    );
    assert_eq!(
        rows(&r, "states", &["state", "count"]),
        vec!["NY 2", "CA 1", "TX 1"]
    );
    assert_eq!(
        rows(&r, "unknown_zips", &["zip", "brand", "count"]),
        vec!["99999 acme 2"]
    );
    assert_eq!(
        rows(&r, "artifact_versions", &["brand", "version", "count"]),
        vec!["acme acme.v2 1"]
    );
    assert_eq!(r["brands"][0]["resolve_ms"]["p50"], 0.4);
    assert_eq!(r["first_event"], "2026-07-25T17:20:00Z");
    assert_eq!(r["last_event"], "2026-07-25T18:20:00Z");
    // Deterministic: the same archive gives the same bytes.
    let again = report_json(&root, &[]);
    assert_eq!(r, again);
}

#[test]
fn filters_skip_whole_partitions_and_events_outside_them() {
    let root = sample_archive();
    let solar = report_json(&root, &["--brand", "solar"]);
    assert_eq!(solar["input"]["files"], 1, "only solar's object is opened");
    assert_eq!(solar["totals"]["resolves"], 2);
    let late = report_json(&root, &["--since", "2026-07-25T18:00Z"]);
    assert_eq!(late["input"]["files"], 1);
    assert_eq!(late["totals"]["resolves"], 1);
    assert_eq!(late["totals"]["loads"], 1);
    let early = report_json(
        &root,
        &["--until", "2026-07-25T17:20:00Z", "--brand", "acme,solar"],
    );
    // Events at exactly 17:20:00.000 are not before --until; the two at +1, +2... ms are not either.
    assert_eq!(early["input"]["events"], 0);
    assert_eq!(early["input"]["filtered_out"], 8);
    let (ok, _, stderr) = logs_report(&root, &["--since", "last tuesday"]);
    assert!(!ok);
    assert!(
        stderr.contains("--since") && stderr.contains("YYYY-MM-DD"),
        "{stderr}"
    );
}

#[test]
fn terminal_tables_and_csv_show_the_same_numbers() {
    let root = sample_archive();
    let (ok, table, stderr) = logs_report(&root, &[]);
    assert!(ok, "{stderr}");
    for needle in [
        "resolves 8  ok 4  fallbacks 4 (50.0%)",
        "Resolves by brand, product and outcome",
        "Unknown ZIPs visitors typed",
        "99999",
        "Top states",
        "acme.v2",
    ] {
        assert!(table.contains(needle), "missing {needle:?} in:\n{table}");
    }
    // Progress goes to stderr, never to stdout.
    assert!(stderr.contains("logs report: reading 4 files"), "{stderr}");
    assert!(!table.contains("logs report:"));

    let (ok, csv, _) = logs_report(&root, &["--format", "csv"]);
    assert!(ok);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "table,brand,day,key,detail,value");
    for row in [
        "totals,*,,resolves,,8",
        "resolves,acme,,auto,unknown_zip,2",
        "unknown_zips,acme,,99999,,2",
        "states,solar,,CA,,1",
        "fallback_reasons,solar,,not_served,,1",
    ] {
        assert!(lines.contains(&row), "missing {row:?} in:\n{csv}");
    }
}

#[test]
fn a_missing_folder_is_an_error_that_says_so() {
    let (ok, stdout, stderr) = logs_report(Path::new("/nonexistent/archive"), &[]);
    assert!(!ok);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("/nonexistent/archive") && stderr.contains("no such"),
        "{stderr}"
    );
}

#[test]
fn the_html_report_is_one_self_contained_file() {
    let root = sample_archive();
    let html = root.join("report.html");
    let (ok, _, stderr) = logs_report(
        &root,
        &["--html", html.to_str().unwrap(), "--format", "json"],
    );
    assert!(ok, "{stderr}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("<svg") && page.contains(">NY</text>"));
    for external in ["http://", "https://", "<script", "<link", "src=", "url("] {
        assert!(!page.contains(external), "the page refers to {external}");
    }
}

/// Opens the HTML report in headless Chromium (playwright-core from client-js) and collects
/// console errors, page errors and any request other than the file itself.
#[test]
fn the_html_report_renders_in_headless_chromium_without_errors() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let pw = repo().join("client-js/node_modules/playwright-core");
    assert!(
        Path::new(&chromium).exists() && pw.exists(),
        "chromium ({chromium}) or playwright-core ({}) is missing: run `bash tests/setup.sh`",
        pw.display()
    );
    let root = sample_archive();
    let html = root.join("report.html");
    let (ok, _, stderr) = logs_report(&root, &["--html", html.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let script = r#"
const { chromium } = require(process.argv[1]);
(async () => {
  const browser = await chromium.launch({ executablePath: process.argv[2], args: ['--no-sandbox', '--disable-gpu',
    '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage();
  const problems = [];
  page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.type() + ': ' + m.text()); });
  page.on('pageerror', e => problems.push('pageerror: ' + e.message));
  page.on('request', r => { if (r.url() !== 'file://' + process.argv[3]) problems.push('request: ' + r.url()); });
  await page.goto('file://' + process.argv[3], { waitUntil: 'load' });
  const tiles = await page.locator('svg rect').count();
  const ny = await page.locator('svg title', { hasText: 'NY: 2 resolves' }).count();
  const h1 = await page.locator('h1').innerText();
  const box = await page.locator('main').boundingBox();
  await page.screenshot({ path: process.argv[3] + '.png', fullPage: true });
  await browser.close();
  console.log(JSON.stringify({ problems, tiles, ny, h1, width: box && box.width }));
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
    assert_eq!(got["ny"], 1, "the NY tile shows its count: {got}");
    assert!(got["tiles"].as_u64().unwrap() >= 62, "{got}");
    assert!(got["h1"].as_str().unwrap().contains("report"), "{got}");
    assert!(got["width"].as_f64().unwrap() > 300.0, "{got}");
}

#[test]
fn an_event_sent_again_in_the_next_hour_of_the_same_day_counts_once() {
    // The page's retry after a 503: same id, received an hour later, in the next partition.
    let root = scratch("logs-cross-hour");
    let first = ok("retried0001", "acme", H17, "auto", "NY", "standard", 1.0);
    let mut again = first.clone();
    again["received"] = json!(H17 + HOUR);
    write_part(&root, "acme", H17, "a.ndjson", &[first.to_string()]);
    write_part(&root, "acme", H17 + HOUR, "b.ndjson", &[again.to_string()]);
    // The next day is another window: an id seen then is another event.
    let mut next_day = first.clone();
    next_day["received"] = json!(H17 + 24 * HOUR);
    write_part(
        &root,
        "acme",
        H17 + 24 * HOUR,
        "c.ndjson",
        &[next_day.to_string()],
    );
    let r = report_json(&root, &[]);
    assert_eq!(r["input"]["duplicates"], 1);
    assert_eq!(r["totals"]["resolves"], 2);
}

/// A small archive for marketing's questions: two page views of acme that reached a form (one
/// of them looked up twice), one that fell back, a bot's lookups, two days, loads from the
/// network and the cache, failed lookups in NY and CA and an unknown ZIP.
fn marketing_archive() -> PathBuf {
    let root = scratch("logs-marketing");
    let day2 = H17 + 24 * HOUR;
    let with = |mut e: Value, fields: Value| {
        for (k, v) in fields.as_object().unwrap() {
            e[k] = v.clone();
        }
        e.to_string()
    };
    write_part(
        &root,
        "acme",
        H17,
        "a.ndjson.gz",
        &[
            with(
                ok("m_000001", "acme", H17, "auto", "NY", "standard", 1.0),
                json!({"pv": "pv_visit001"}),
            ),
            with(
                ok("m_000002", "acme", H17 + 1, "auto", "NY", "standard", 1.0),
                json!({"pv": "pv_visit001"}),
            ),
            with(
                ok("m_000003", "acme", H17 + 2, "home", "NY", "standard", 1.0),
                json!({"pv": "pv_visit002"}),
            ),
            with(
                fail("m_000004", "acme", H17 + 3, "10001", "not_served"),
                json!({"pv": "pv_visit003"}),
            ),
            with(
                fail("m_000005", "acme", H17 + 4, "90001", "unavailable"),
                json!({"pv": "pv_visit003"}),
            ),
            with(
                fail("m_000006", "acme", H17 + 5, "00000", "unknown_zip"),
                json!({"pv": "pv_visit003"}),
            ),
            with(
                ok("m_000007", "acme", H17 + 6, "auto", "NY", "standard", 1.0),
                json!({"pv": "pv_robot001", "bot": true, "ua": "Googlebot/2.1"}),
            ),
            with(
                ok("m_000008", "acme", H17 + 7, "auto", "NY", "standard", 1.0),
                json!({"pv": "pv_robot001", "bot": true, "ua": "Googlebot/2.1"}),
            ),
            with(
                event(
                    "m_000009",
                    "acme",
                    H17 + 8,
                    json!({"type": "load", "ms": 120, "source": "network"}),
                ),
                json!({"pv": "pv_visit001"}),
            ),
            with(
                event(
                    "m_000010",
                    "acme",
                    H17 + 9,
                    json!({"type": "load", "ms": 4, "source": "cache"}),
                ),
                json!({"pv": "pv_visit002"}),
            ),
        ],
    );
    write_part(
        &root,
        "acme",
        day2,
        "b.ndjson.gz",
        &[with(
            fail("m_000011", "acme", day2, "10001", "not_served"),
            json!({"pv": "pv_visit004"}),
        )],
    );
    root
}

#[test]
fn visitors_are_counted_as_page_views_and_bots_are_left_out_unless_asked_for() {
    let root = marketing_archive();
    let r = report_json(&root, &[]);
    assert_eq!(r["report_version"], 2);
    assert_eq!(r["input"]["bots_excluded"], 2);
    assert_eq!(r["totals"]["resolves"], 7);
    assert_eq!(
        r["totals"]["page_views"], 4,
        "visit 1, 2, 3 and 4; the robot is left out"
    );
    assert_eq!(r["totals"]["visitors_to_form"], 2);
    assert_eq!(r["totals"]["bot_events"], 0);
    assert_eq!(
        rows(
            &r,
            "days",
            &[
                "day",
                "brand",
                "page_views",
                "visitors_to_form",
                "resolves",
                "ok",
                "fallbacks",
                "loads"
            ]
        ),
        vec!["2026-07-25 acme 3 2 6 3 3 2", "2026-07-26 acme 1 0 1 0 1 0"]
    );
    assert_eq!(
        rows(
            &r,
            "day_products",
            &[
                "day",
                "product",
                "visitors_to_form",
                "resolves",
                "ok",
                "fallbacks"
            ]
        ),
        vec![
            "2026-07-25 auto 1 5 2 3",
            "2026-07-25 home 1 1 1 0",
            "2026-07-26 auto 0 1 0 1"
        ]
    );
    let with_bots = report_json(&root, &["--include-bots"]);
    assert_eq!(with_bots["input"]["bots_excluded"], 0);
    assert_eq!(with_bots["totals"]["bot_events"], 2);
    assert_eq!(with_bots["totals"]["resolves"], 9);
    assert_eq!(with_bots["totals"]["page_views"], 5);

    // The terminal says how many bot events it left out, and shows the day figures.
    let (ok, text, stderr) = logs_report(&root, &[]);
    assert!(ok, "{stderr}");
    for needle in [
        "2 bot events left out (--include-bots counts them)",
        "page views 4  visitors sent to a form 2",
        "Per day and brand",
        "Per day, brand and product",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    // The CSV's `days` and `day_products` tables.
    let (ok, csv, _) = logs_report(&root, &["--format", "csv"]);
    assert!(ok);
    for row in [
        "days,acme,2026-07-25,page_views,,3",
        "days,acme,2026-07-25,visitors_to_form,,2",
        "day_products,acme,2026-07-25,auto,resolves,5",
        "totals,*,,bots_excluded,,2",
    ] {
        assert!(csv.lines().any(|l| l == row), "missing {row:?} in:\n{csv}");
    }
}

#[test]
fn the_html_header_states_the_requested_period_and_filters() {
    let root = marketing_archive();
    let html = root.join("report.html");
    let (ok, _, stderr) = logs_report(
        &root,
        &[
            "--since",
            "2026-07-25",
            "--until",
            "2026-08-01",
            "--brand",
            "acme",
            "--html",
            html.to_str().unwrap(),
        ],
    );
    assert!(ok, "{stderr}");
    let page = std::fs::read_to_string(&html).unwrap();
    let header = &page[page.find("<header>").unwrap()..page.find("</header>").unwrap()];
    for needle in [
        "requested: from 2026-07-25T00:00:00Z to before 2026-08-01T00:00:00Z, brands acme, bots left out",
        "2 bot events left out",
    ] {
        assert!(header.contains(needle), "missing {needle:?} in {header}");
    }
}

#[test]
fn unmet_demand_is_mapped_to_states_through_the_artifacts() {
    let root = marketing_archive();
    let build = scratch("logs-build");
    common::build(&repo().join("data"), &build);
    let r = report_json(&root, &["--artifacts", build.to_str().unwrap()]);
    assert_eq!(r["filter"]["artifacts"], build.to_str().unwrap());
    assert_eq!(
        rows(&r, "unmet_demand", &["brand", "state", "reason", "count"]),
        vec![
            "acme NY not_served 2",
            "acme null unknown_zip 1",
            "acme CA unavailable 1"
        ]
    );
    // Without artifacts the same rows have no state, and the report says how to get them.
    let bare = report_json(&root, &[]);
    assert_eq!(
        rows(&bare, "unmet_demand", &["state", "reason", "count"]),
        vec![
            "null not_served 2",
            "null unavailable 1",
            "null unknown_zip 1"
        ]
    );
    let (ok, text, _) = logs_report(&root, &[]);
    assert!(ok && text.contains("pass --artifacts DIR"), "{text}");
    let (ok, csv, _) = logs_report(
        &root,
        &["--format", "csv", "--artifacts", build.to_str().unwrap()],
    );
    assert!(ok);
    assert!(
        csv.lines()
            .any(|l| l == "unmet_demand,acme,,NY,not_served,2"),
        "{csv}"
    );
    // The HTML map colours the states.
    let html = root.join("unmet.html");
    let (ok, _, stderr) = logs_report(
        &root,
        &[
            "--artifacts",
            build.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
    );
    assert!(ok, "{stderr}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("<title>NY: 2 failed lookups</title>"),
        "the unmet-demand map"
    );
    assert!(page.contains("<title>CA: 1 failed lookup</title>"));
    // A folder that is not a build says what to do.
    let (ok, _, stderr) = logs_report(&root, &["--artifacts", root.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stderr.contains("not a build folder") && stderr.contains("formroute build --out"),
        "{stderr}"
    );
}

#[test]
fn the_html_report_shows_router_load_time_per_brand_network_and_cache() {
    let root = marketing_archive();
    let html = root.join("report.html");
    let (ok, _, stderr) = logs_report(&root, &["--html", html.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let page = std::fs::read_to_string(&html).unwrap();
    let at = page
        .find("Is the page fast: router load time")
        .expect("the load-time section");
    let section = &page[at..at + page[at..].find("</section>").unwrap()];
    // brand, loads, median, p95, network loads, median, p95, cache loads, median, p95.
    let cells = "<td>acme</td><td class=\"n\">2</td><td class=\"n\">4.0 ms</td><td class=\"n\">120.0 ms</td>\
                 <td class=\"n\">1</td><td class=\"n\">120.0 ms</td><td class=\"n\">120.0 ms</td>\
                 <td class=\"n\">1</td><td class=\"n\">4.0 ms</td><td class=\"n\">4.0 ms</td>";
    assert!(section.contains(cells), "{section}");
    let r = report_json(&root, &[]);
    assert_eq!(r["brands"][0]["load_ms_network"]["p50"], 120.0);
    assert_eq!(r["brands"][0]["load_ms_cache"]["p50"], 4.0);
}

#[test]
fn an_empty_report_warns_and_fails_with_strict() {
    let root = marketing_archive();
    // A period without data.
    let (ok, _, stderr) = logs_report(&root, &["--since", "2027-01-01"]);
    assert!(ok, "without --strict an empty report is a warning only");
    assert!(
        stderr.contains("warning: the report is empty") && stderr.contains("outside the period"),
        "{stderr}"
    );
    let out = Command::new(BIN)
        .args([
            "logs",
            "report",
            "--strict",
            "--since",
            "2027-01-01",
            "--from",
        ])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A folder with no archive under it (a mistyped prefix).
    let empty = scratch("logs-empty");
    let out = Command::new(BIN)
        .args(["logs", "report", "--strict", "--from"])
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no archive file under") && stderr.contains("prefix"),
        "{stderr}"
    );
    // Data in the period: --strict passes.
    let (ok, _, stderr) = logs_report(&root, &["--strict"]);
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("is empty"));
}

#[test]
fn top_bounds_the_html_tables_and_counts_are_singular_for_one() {
    let root = scratch("logs-top");
    let lines: Vec<String> = (0..30)
        .map(|i| {
            fail(
                &format!("top_{i:05}"),
                "acme",
                H17 + i,
                &format!("{:05}", 99_900 + i),
                "unknown_zip",
            )
            .to_string()
        })
        .collect();
    write_part(&root, "acme", H17, "a.ndjson", &lines);
    let html = root.join("report.html");
    let (passed, _, stderr) = logs_report(&root, &["--top", "5", "--html", html.to_str().unwrap()]);
    assert!(passed, "{stderr}");
    let page = std::fs::read_to_string(&html).unwrap();
    let at = page.find("ZIPs we do not know").unwrap();
    let section = &page[at..at + page[at..].find("</section>").unwrap()];
    assert_eq!(
        section.matches("<tr>").count(),
        1 + 5,
        "a head row and --top 5 rows: {section}"
    );
    assert!(section.contains("(top 5 of 30)"), "{section}");

    let one = scratch("logs-one");
    write_part(
        &one,
        "acme",
        H17,
        "a.ndjson",
        &[ok("one_00001", "acme", H17, "auto", "NY", "standard", 1.0).to_string()],
    );
    let (passed, text, _) = logs_report(&one, &[]);
    assert!(passed);
    assert!(
        text.contains("report: 1 event from") && text.contains("read 1 file, 1 line"),
        "{text}"
    );
    let html = one.join("one.html");
    let (passed, _, _) = logs_report(&one, &["--html", html.to_str().unwrap()]);
    assert!(passed);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("1 file and 1 event read"),
        "singular in the footer"
    );
    assert!(page.contains("NY: 1 resolve ("), "singular on the map");
    assert!(
        !page.contains(" 1 resolves") && !page.contains(" 1 events") && !page.contains(" 1 files")
    );
}
