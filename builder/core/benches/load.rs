//! Benchmarks loading and validating the rule database: the sample `data/` and a generated 200-brand database.
//!
//! Run: `cargo bench -p formroute-core --bench load`. The generated database uses the real
//! `data/zips.csv` (about 42,800 ZIPs) and 200 brands x 10 products x 3 languages x 3 form types
//! (18,000 forms), 60 state rules and 20 ZIP overrides per brand (12,000 + 4,000 rows).

use criterion::{criterion_group, criterion_main, Criterion};
use formroute_core::load::{load, Sources};
use std::fmt::Write;
use std::path::Path;

fn data_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

const STATES: [&str; 20] = [
    "AL", "AK", "AZ", "CA", "CO", "FL", "GA", "IL", "MA", "MI", "MN", "NY", "NC", "OH", "PA", "TX",
    "VA", "WA", "WI", "PR",
];

/// The 200-brand database, in memory, with the real ZIP file.
fn generated(zips: Vec<u8>) -> Sources {
    let (mut brands, mut forms, mut rules, mut overrides) = (
        String::from("brand,name,default_language,fallback_url,origins\n"),
        String::from("brand,product,form_type,language,url\n"),
        String::from("brand,product,state,form_type\n"),
        String::from("brand,product,zip_prefix,form_type\n"),
    );
    for b in 0..200 {
        let brand = format!("brand-{b:03}");
        let _ = writeln!(
            brands,
            "{brand},Brand {b},en,https://{brand}.example/quote?zip={{zip}}&p={{product}},https://www.{brand}.example https://{brand}.example"
        );
        for p in 0..10 {
            for ft in ["standard", "agent", "partner"] {
                for lang in ["en", "es", "fr"] {
                    let _ = writeln!(
                        forms,
                        "{brand},product-{p},{ft},{lang},https://{brand}.example/{lang}/{{product}}/{ft}?zip={{zip}}&st={{state}}"
                    );
                }
            }
        }
        let _ = writeln!(rules, "{brand},*,*,standard");
        for (i, st) in STATES.iter().enumerate() {
            let ft = ["agent", "partner", "none"][i % 3];
            let _ = writeln!(rules, "{brand},*,{st},{ft}");
            let _ = writeln!(rules, "{brand},product-{},{st},standard", i % 10);
            let _ = writeln!(rules, "{brand},product-{},*,agent", i % 10 + 100);
        }
        for i in 0..20 {
            let _ = writeln!(
                overrides,
                "{brand},product-{},{:03},partner",
                i % 10,
                (b * 7 + i * 37) % 1000
            );
        }
    }
    // Rules for product-100.. do not exist: keep only the rows naming real products.
    let rules: String = rules
        .lines()
        .filter(|l| !l.contains(",product-1") || l.contains(",product-1,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut files = std::collections::BTreeMap::new();
    files.insert("zips.csv".to_string(), zips);
    files.insert("brands.csv".to_string(), brands.into_bytes());
    files.insert("forms.csv".to_string(), forms.into_bytes());
    files.insert("rules.csv".to_string(), rules.into_bytes());
    files.insert("zip_overrides.csv".to_string(), overrides.into_bytes());
    Sources { files }
}

fn bench(c: &mut Criterion) {
    let sample = Sources::read_dir(&data_dir()).expect("data/ is readable");
    let loaded = load(&sample);
    assert!(!loaded.has_errors(), "data/ must load cleanly");
    c.bench_function("load data/ (sample)", |b| b.iter(|| load(&sample)));

    let big = generated(sample.files["zips.csv"].clone());
    let loaded = load(&big);
    assert!(!loaded.has_errors(), "generated database must load cleanly");
    let rows: usize = big
        .files
        .values()
        .map(|f| f.iter().filter(|&&c| c == b'\n').count())
        .sum();
    eprintln!(
        "generated: {} brands, {rows} lines, {} bytes",
        loaded.db.brands.len(),
        big.files.values().map(Vec::len).sum::<usize>()
    );
    c.bench_function("load generated 200 brands", |b| b.iter(|| load(&big)));
}

// `criterion_group!` writes an undocumented `pub fn`; a bench is no API, so its docs are not asked for.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group! {
        name = benches;
        config = Criterion::default().sample_size(20);
        targets = bench
    }
}
criterion_main!(group::benches);
