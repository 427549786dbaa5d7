//! `formroute logs report` against crafted events (issue 11): spoofed figures and terminal escapes through visitor-typed values, and CSV formula injection.
//!
//! Every crafted event here is one the logger accepts (it passes `formroute_events::Event::from_value`):
//! the schema lets a visitor type any 64 characters as `product`, `zip` and `language`.

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const T0: u64 = 1_785_000_000_000; // 2026-07-25T17:20:00Z

/// Cursor up 9 lines, clear the line, print a fake headline, cursor back down: after `\x1f` in
/// `product`, this landed in the outcome column, printed raw.
const REWRITE_HEADLINE: &str = "auto\u{1f}\u{1b}[9F\u{1b}[2Kfallbacks 0 (0.0%)\u{1b}[9E";
const BIDI: &str = "auto\u{202e}gnp.exe";
const ESC_TITLE: &str = "\u{1b}]0;owned\u{7}\u{1b}[31mred";

fn zalgo() -> String {
    format!("h{}ome", "\u{301}".repeat(50))
}

/// A logged event as the archive holds it, checked against the schema the logger enforces.
fn resolve(id: &str, product: &str, ok: bool, extra: Value) -> Value {
    let mut e = json!({
        "id": id, "type": "resolve", "ts": T0, "brand": "acme",
        "page": "https://www.acme.example/quote", "pv": format!("pv_{id}"),
        "zip": "10001", "product": product, "language": "en", "ok": ok, "ms": 0.5,
    });
    if ok {
        e["state"] = json!("NY");
        e["form_type"] = json!("standard");
        e["language_used"] = json!("en");
    } else {
        e["error"] = json!("not_served");
    }
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    let client: serde_json::Map<String, Value> = e
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| formroute_events::event::EVENT_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    formroute_events::Event::from_value(Value::Object(client))
        .unwrap_or_else(|err| panic!("the logger would refuse {e}: {err}"));
    e["received"] = json!(T0);
    e["request_id"] = json!("req-1");
    e["ua"] = json!("Mozilla/5.0");
    e["bot"] = json!(false);
    e
}

/// One spool file (the local server's, no partition layout) with the given events.
fn spool(name: &str, events: &[Value]) -> PathBuf {
    let dir = scratch(name);
    let text: String = events.iter().map(|e| format!("{e}\n")).collect();
    let path = dir.join("events.ndjson");
    std::fs::write(&path, text).unwrap();
    path
}

/// 100 lookups of acme: 90 sent to a form, 10 fallbacks, four of which carry crafted products.
fn crafted_spool() -> PathBuf {
    let mut events = Vec::new();
    for i in 0..90 {
        events.push(resolve(&format!("okay{i:04}"), "auto", true, json!({})));
    }
    for (i, product) in [REWRITE_HEADLINE, BIDI, ESC_TITLE, &zalgo(), "auto", "auto"]
        .iter()
        .enumerate()
    {
        events.push(resolve(&format!("fail{i:04}"), product, false, json!({})));
    }
    for i in 6..10 {
        events.push(resolve(&format!("fail{i:04}"), "auto", false, json!({})));
    }
    spool("logs-attack", &events)
}

fn report(from: &Path, extra: &[&str]) -> (bool, Vec<u8>, String) {
    let out = Command::new(BIN)
        .args(["logs", "report", "--from"])
        .arg(from)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Whether `s` holds a character a terminal acts on or a browser reorders or hides, or a run of
/// more than two combining marks.
fn first_unsafe(s: &str) -> Option<(usize, char)> {
    let mut run = 0;
    for (i, c) in s.char_indices() {
        let bad = (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        run = if ('\u{300}'..='\u{36f}').contains(&c) {
            run + 1
        } else {
            0
        };
        if bad || run > 2 {
            return Some((i, c));
        }
    }
    None
}

#[test]
fn crafted_products_neither_shift_columns_nor_invent_rows() {
    let from = crafted_spool();
    let (ok, stdout, stderr) = report(&from, &["--format", "json"]);
    assert!(ok, "{stderr}");
    let r: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(r["totals"]["resolves"], 100);
    assert_eq!(r["totals"]["ok"], 90);
    assert_eq!(r["totals"]["fallbacks"], 10);
    let rows: Vec<(String, String, u64)> = r["resolves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["product"].as_str().unwrap().to_owned(),
                x["outcome"].as_str().unwrap().to_owned(),
                x["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut expected = vec![
        ("auto".to_owned(), "ok".to_owned(), 90),
        ("auto".to_owned(), "not_served".to_owned(), 6),
        // Products are trimmed and lowercased (SPEC step 3), so `[9F` is counted as `[9f`.
        (REWRITE_HEADLINE.to_lowercase(), "not_served".to_owned(), 1),
        (BIDI.to_owned(), "not_served".to_owned(), 1),
        (ESC_TITLE.to_owned(), "not_served".to_owned(), 1),
        (zalgo(), "not_served".to_owned(), 1),
    ];
    expected.sort();
    let mut got = rows.clone();
    got.sort();
    assert_eq!(got, expected, "every row is one (product, outcome) as sent");
    let outcomes: u64 = rows.iter().filter(|r| r.1 != "ok").map(|r| r.2).sum();
    assert_eq!(outcomes, 10, "the rows add up to the headline");
}

#[test]
fn the_terminal_report_shows_crafted_values_escaped_and_the_true_headline() {
    let from = crafted_spool();
    let (ok, stdout, stderr) = report(&from, &[]);
    assert!(ok, "{stderr}");
    let text = String::from_utf8(stdout).unwrap();
    assert_eq!(
        first_unsafe(&text),
        None,
        "raw control, bidi or mark run in:\n{text}"
    );
    assert!(text.contains("fallbacks 10 (10.0%)"), "{text}");
    // The exact bytes of each crafted value as shown.
    for shown in [
        "auto\\u{1f}\\u{1b}[9f\\u{1b}[2kfallbacks 0 (0.0%)\\u{1b}[9e",
        "auto\\u{202e}gnp.exe",
        "\\u{1b}]0;owned\\u{7}\\u{1b}[31mred",
        "h\u{301}\u{301}\\u{301}\\u{301}",
    ] {
        let head: String = shown.chars().take(20).collect();
        assert!(text.contains(&head), "missing {shown:?} in:\n{text}");
    }
    // No invented rows: one table line per (product, outcome).
    assert_eq!(
        text.matches("not_served").count(),
        text.lines().filter(|l| l.contains("not_served")).count()
    );
}

#[test]
fn the_html_report_shows_crafted_values_escaped() {
    let from = crafted_spool();
    let html = from.with_file_name("report.html");
    let (ok, _, stderr) = report(&from, &["--html", html.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(
        first_unsafe(&page),
        None,
        "raw control, bidi or mark run in the page"
    );
    assert!(
        page.contains("auto\\u{202e}gnp.exe"),
        "the bidi override is shown as an escape"
    );
    assert!(page.contains("\\u{1b}]0;owned\\u{7}\\u{1b}[31mred"));
    assert!(page.contains("h\u{301}\u{301}\\u{301}"));
}

/// Values a spreadsheet would run as formulas, each in a column the visitor controls.
fn formula_spool() -> PathBuf {
    let events = vec![
        resolve(
            "form0001",
            "=HYPERLINK(\"http://evil.example/x\",\"click\")",
            false,
            json!({"zip": "=1+1"}),
        ),
        resolve(
            "form0002",
            "@SUM(A1)",
            false,
            json!({"zip": "@SUM(A1)", "error": "unknown_zip"}),
        ),
        resolve(
            "form0003",
            "-2+3",
            true,
            json!({"form_type": "-2-3", "av": "-1"}),
        ),
        resolve(
            "form0004",
            "+1+1",
            false,
            json!({"error": "unknown_zip", "zip": "\r=1"}),
        ),
        // A leading tab is trimmed with the product (SPEC step 3); one inside stays, escaped.
        resolve("form0006", " \t=cmd|' /C calc'!A0", false, json!({})),
        resolve("form0005", "auto", true, json!({"av": "acme.v2"})),
    ];
    spool("logs-formula", &events)
}

#[test]
fn csv_cells_from_events_never_start_with_a_formula_character() {
    let from = formula_spool();
    let (ok, stdout, stderr) = report(&from, &["--format", "csv"]);
    assert!(ok, "{stderr}");
    let mut rdr = csv::ReaderBuilder::new().from_reader(stdout.as_slice());
    let head = rdr.headers().unwrap().clone();
    let value_col = head.iter().position(|h| h == "value").unwrap();
    let mut cells = Vec::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for (i, cell) in rec.iter().enumerate() {
            if i == value_col {
                // Numbers the report computes are written as numbers.
                assert!(cell.parse::<f64>().is_ok(), "value {cell:?} in {rec:?}");
            } else {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "cell {cell:?} of {rec:?} starts with a formula character"
                );
                cells.push(cell.to_owned());
            }
        }
    }
    for neutralised in [
        // Products are lowercased (SPEC step 3): the formula as a spreadsheet would get it.
        "'=hyperlink(\"http://evil.example/x\",\"click\")",
        "'=cmd|' /c calc'!a0",
        "'+1+1",
        "'-2+3",
        "'-2-3",
        "'-1",
        "'@sum(a1)",
    ] {
        assert!(
            cells.iter().any(|c| c == neutralised),
            "no cell {neutralised:?} in {cells:?}"
        );
    }
    // A leading tab or CR is neutralised too (shown as an escape, which no spreadsheet runs).
    assert!(
        !cells.iter().any(|c| c.contains('\t') || c.contains('\r')),
        "{cells:?}"
    );
}
