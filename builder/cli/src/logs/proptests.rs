//! Property tests (the report readers' fuzz run) over `formroute logs report`'s readers and renderers: arbitrary bytes and schema-shaped hostile events, as a spool file and as a gzipped archive object.
//!
//! Properties: nothing panics; the totals equal the count of valid distinct events; the
//! terminal and HTML output hold no raw control, bidi or combining-run character; no CSV text
//! cell starts with a formula character unless prefixed with `'`.
//!
//! Cases: `PROPTEST_CASES` (proptest's own variable; default 256). The long run of
//! `tests/run-all.sh` sets it higher, kept under about 30 s.

use super::aggregate::{Aggregator, Filter};
use super::display::is_inert;
use super::read::{read_report, Source};
use super::report::Report;
use super::{csv as report_csv, html, text};
use flate2::write::GzEncoder;
use formroute_events::archive::Partition;
use formroute_events::event::RESOLVE_REASONS;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;

const T0: u64 = 1_785_000_000_000;

/// Characters that have broken reports: controls, bidi controls, invisibles, combining marks,
/// formula starters, separators, quotes, HTML specials.
const HOSTILE: &[char] = &[
    '\0', '\u{1b}', '\u{7}', '\u{7f}', '\u{85}', '\u{9b}', '\n', '\r', '\t', '\u{1f}', '\u{202a}',
    '\u{202e}', '\u{2066}', '\u{2069}', '\u{200b}', '\u{200f}', '\u{feff}', '\u{2028}', '\u{301}',
    '\u{36f}', '=', '+', '-', '@', ',', '"', '\'', '\\', '<', '>', '&', ';', '\u{ffff}',
];

fn hostile_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(HOSTILE),
            1 => any::<char>(),
            2 => prop::char::range('a', 'z'),
        ],
        0..64,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// One schema-valid event's client fields (checked with `Event::from_value` below).
fn event(i: usize) -> impl Strategy<Value = Value> {
    let brand = prop::sample::select(&["acme", "solis", "b-1"][..]);
    let pv = prop::sample::select(&["pv_aaaa0001", "pv_bbbb0002", "pv_cccc0003"][..]);
    let av = prop::option::of("-?[A-Za-z0-9._:-]{1,12}");
    let kind = 0..4u8;
    (
        brand,
        pv,
        av,
        kind,
        hostile_text(),
        hostile_text(),
        "[A-Z]{2}",
        "-?[a-z0-9-]{1,8}",
        prop::sample::select(&RESOLVE_REASONS[..]),
        0.0..5000.0f64,
        any::<bool>(),
    )
        .prop_map(
            move |(brand, pv, av, kind, product, zip, state, form_type, reason, ms, cache)| {
                let mut e = json!({"id": format!("ev{i:06}"), "ts": T0 + i as u64, "brand": brand,
                "page": format!("https://www.{brand}.example/"), "pv": pv, "ms": (ms * 10.0).round() / 10.0});
                if let Some(av) = av {
                    e["av"] = json!(av);
                }
                match kind {
                    0 | 1 => {
                        e["type"] = json!("resolve");
                        e["zip"] = json!(zip);
                        e["product"] = json!(product);
                        e["language"] = json!("en");
                        if kind == 0 {
                            e["ok"] = json!(true);
                            e["state"] = json!(state);
                            e["form_type"] = json!(form_type);
                            e["language_used"] = json!("en");
                        } else {
                            e["ok"] = json!(false);
                            e["error"] = json!(reason);
                        }
                    }
                    2 => {
                        e["type"] = json!("load");
                        e["source"] = json!(if cache { "cache" } else { "network" });
                    }
                    _ => e["type"] = json!("error"),
                }
                e
            },
        )
}

/// One input line: a new event (`bot` flag, ASCII-escaped or raw UTF-8), a copy of an earlier
/// line, or garbage bytes.
#[derive(Debug, Clone)]
enum Item {
    Event(Value, bool, bool),
    Again(usize),
    Garbage(Vec<u8>),
}

fn items() -> impl Strategy<Value = Vec<Item>> {
    (1..40usize).prop_flat_map(|n| {
        (0..n)
            .map(|i| {
                prop_oneof![
                    6 => (event(i), any::<bool>(), any::<bool>()).prop_map(|(e, bot, ascii)| Item::Event(e, bot, ascii)),
                    1 => any::<usize>().prop_map(Item::Again),
                    1 => prop::collection::vec(any::<u8>(), 0..120).prop_map(Item::Garbage),
                ]
            })
            .collect::<Vec<_>>()
    })
}

/// The lines, and what the report must count: (events, resolves, ok, bot events left out).
fn lines_of(items: &[Item]) -> (Vec<Vec<u8>>, [u64; 4]) {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut events: Vec<usize> = Vec::new();
    let mut want = [0u64; 4];
    for item in items {
        match item {
            Item::Event(client, bot, ascii) => {
                let event =
                    formroute_events::Event::from_value(client.clone()).unwrap_or_else(|e| {
                        panic!("the generator made an invalid event {client}: {e}")
                    });
                let logged = formroute_events::LoggedEvent {
                    event,
                    meta: formroute_events::Enrichment {
                        received: client["ts"].as_u64().unwrap_or(T0),
                        request_id: "req".into(),
                        country: None,
                        ua: "ua".into(),
                        ip_prefix: None,
                        bot: *bot,
                    },
                };
                let line = if *ascii {
                    logged.to_json()
                } else {
                    serde_json::to_string(&logged).unwrap()
                };
                if *bot {
                    want[3] += 1;
                } else {
                    want[0] += 1;
                    if client["type"] == "resolve" {
                        want[1] += 1;
                        want[2] += u64::from(client["ok"] == true);
                    }
                }
                events.push(lines.len());
                lines.push(line.into_bytes());
            }
            Item::Again(k) if !events.is_empty() => {
                lines.push(lines[events[k % events.len()]].clone());
            }
            Item::Again(_) => {}
            Item::Garbage(b) => lines.push(b.iter().copied().filter(|b| *b != b'\n').collect()),
        }
    }
    (lines, want)
}

fn scratch() -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "formroute-logs-prop-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The renderers' properties on one report.
fn check_rendered(r: &Report) -> Result<(), TestCaseError> {
    let t = text::render_tables(r, 15);
    prop_assert!(
        is_inert(&t),
        "unsafe character in the terminal report:\n{t}"
    );
    let h = html::render(r, 15);
    prop_assert!(is_inert(&h), "unsafe character in the HTML report");
    let mut out = Vec::new();
    report_csv::write_csv(r, &mut out).unwrap();
    let mut rdr = csv::ReaderBuilder::new().from_reader(out.as_slice());
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for (i, cell) in rec.iter().enumerate() {
            if i == report_csv::HEADER.len() - 1 {
                prop_assert!(cell.parse::<f64>().is_ok(), "value {cell:?}");
            } else {
                prop_assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "formula cell {cell:?} in {rec:?}"
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_and_never_reach_the_output_raw(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..20)) {
        let mut a = Aggregator::new(Filter::default(), 8);
        a.start_window(None);
        for l in &lines {
            a.add_line(l);
        }
        let r = a.finish(10);
        prop_assert!(r.input.events + r.input.malformed <= lines.len() as u64);
        check_rendered(&r)?;
    }

    #[test]
    fn hostile_events_from_a_spool_are_counted_once_and_rendered_inert(items in items()) {
        let (lines, [events, resolves, ok, bots]) = lines_of(&items);
        let dir = scratch();
        let spool = dir.join("events.ndjson");
        let mut text: Vec<u8> = Vec::new();
        for l in &lines {
            text.extend_from_slice(l);
            text.push(b'\n');
        }
        std::fs::write(&spool, &text).unwrap();
        let r = read_report(&Source::Local(spool), Aggregator::new(Filter::default(), 8), 100).unwrap();
        prop_assert_eq!(r.input.events, events);
        prop_assert_eq!(r.totals.resolves, resolves);
        prop_assert_eq!(r.totals.ok, ok);
        prop_assert_eq!(r.input.bots_excluded, bots);
        check_rendered(&r)?;

        // The same lines as one gzipped archive object of a partition.
        let part = dir.join(Partition::of("acme", T0 as i64).dir());
        std::fs::create_dir_all(&part).unwrap();
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).unwrap();
        std::fs::write(part.join("1-0.ndjson.gz"), gz.finish().unwrap()).unwrap();
        let archive = dir.join("events");
        let a = read_report(&Source::Local(archive), Aggregator::new(Filter::default(), 8).include_bots(true), 100).unwrap();
        prop_assert_eq!(a.input.events, events + bots);
        prop_assert_eq!(a.totals.bot_events, bots);
        check_rendered(&a)?;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
