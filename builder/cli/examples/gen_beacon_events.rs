//! Writes a synthetic beacon archive (the archiver's partitioned gzipped NDJSON layout) for benchmarks of `formroute logs report`.
//!
//! Usage: `cargo run --release -p formroute --example gen_beacon_events -- OUT_DIR [EVENTS] [DUP_PERCENT]`
//! Events are the logger's stored form (`formroute_events::LoggedEvent`), spread over
//! 3 brands x 7 days x 24 hours, 1 % duplicates by default (in the same partition, as SQS
//! redelivery makes them); deterministic (a fixed-seed PRNG). Prints the expected totals on stdout.

use anyhow::{Context, Result};
use flate2::write::GzEncoder;
use formroute_events::archive::Partition;
use formroute_events::{Enrichment, Event, EventType, LoggedEvent};
use std::io::Write;
use std::path::PathBuf;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const BRANDS: [&str; 3] = ["acme", "solar", "valle"];
const PRODUCTS: [&str; 4] = ["auto", "home", "life", "renters"];
const STATES: [&str; 12] = [
    "CA", "TX", "FL", "NY", "PA", "IL", "OH", "GA", "NC", "MI", "PR", "AK",
];
const FORM_TYPES: [&str; 3] = ["standard", "agent", "callback"];
const REASONS: [&str; 4] = [
    "unknown_zip",
    "invalid_zip",
    "not_served",
    "unknown_product",
];
const DAY0_MS: u64 = 1_785_024_000_000; // 2026-07-26T00:00:00Z

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .context("usage: OUT_DIR [EVENTS] [DUP_PERCENT]")?,
    );
    let events: u64 = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let dup_pct: u64 = args.next().map_or(Ok(1), |s| s.parse())?;
    let partitions = (BRANDS.len() * 7 * 24) as u64;
    let per = events.div_ceil(partitions);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut written, mut unique, mut resolves, mut ok) = (0u64, 0u64, 0u64, 0u64);
    let mut line = Vec::with_capacity(1024);
    'outer: for day in 0..7u64 {
        for hour in 0..24u64 {
            for brand in BRANDS {
                let start = DAY0_MS + (day * 24 + hour) * 3_600_000;
                let dir = out.join(Partition::of(brand, start as i64).dir());
                std::fs::create_dir_all(&dir)?;
                let f = std::fs::File::create(dir.join("part-00000.ndjson.gz"))?;
                let mut gz =
                    GzEncoder::new(std::io::BufWriter::new(f), flate2::Compression::new(6));
                let mut last = Vec::new();
                let mut i = 0u64;
                while i < per && unique < events {
                    if !last.is_empty() && rng.below(100) < dup_pct {
                        gz.write_all(&last)?;
                        written += 1;
                        continue;
                    }
                    let received = start + rng.below(3_600_000);
                    let kind = match rng.below(10) {
                        0 => EventType::Load,
                        _ => EventType::Resolve,
                    };
                    let mut ev = Event {
                        id: format!("ev{day}{hour:02}{brand}{i:08}x{:06}", rng.below(1_000_000)),
                        kind,
                        ts: received - rng.below(2000),
                        brand: brand.to_string(),
                        page: format!("https://www.{brand}.example/quote"),
                        pv: format!("pv{:012}", rng.below(1_000_000_000_000)),
                        zip: None,
                        product: None,
                        language: None,
                        ok: None,
                        state: None,
                        form_type: None,
                        language_used: None,
                        error: None,
                        ms: None,
                        av: Some(format!("{brand}.v{}", 1 + rng.below(2))),
                        source: None,
                    };
                    if kind == EventType::Resolve {
                        resolves += 1;
                        ev.zip = Some(format!("{:05}", rng.below(100_000)));
                        ev.product = Some(PRODUCTS[rng.below(4) as usize].to_string());
                        ev.language = Some("en".into());
                        ev.ms = serde_json::Number::from_f64((rng.below(5000) as f64) / 1000.0);
                        if rng.below(100) < 88 {
                            ok += 1;
                            ev.ok = Some(true);
                            ev.state = Some(STATES[rng.below(12) as usize].to_string());
                            ev.form_type = Some(FORM_TYPES[rng.below(3) as usize].to_string());
                            ev.language_used = Some("en".into());
                        } else {
                            ev.ok = Some(false);
                            ev.error = Some(REASONS[rng.below(4) as usize].to_string());
                        }
                    } else {
                        ev.ms = serde_json::Number::from_f64((rng.below(80_000) as f64) / 1000.0);
                    }
                    let logged = LoggedEvent {
                        event: ev,
                        meta: Enrichment {
                            received,
                            request_id: format!("req-{:016x}", rng.next()),
                            country: Some("US".into()),
                            ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36".into(),
                            ip_prefix: Some("203.0.113.0/24".into()),
                            bot: false,
                        },
                    };
                    line.clear();
                    logged.write_json(&mut line);
                    line.push(b'\n');
                    gz.write_all(&line)?;
                    last.clone_from(&line);
                    written += 1;
                    unique += 1;
                    i += 1;
                }
                gz.finish()?.flush()?;
                if unique >= events {
                    break 'outer;
                }
            }
        }
    }
    println!(
        "{{\"lines\":{written},\"events\":{unique},\"duplicates\":{},\"resolves\":{resolves},\"ok\":{ok}}}",
        written - unique
    );
    Ok(())
}
