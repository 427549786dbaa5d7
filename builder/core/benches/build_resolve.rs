//! Criterion benchmarks: load + compile of `data/`, compile of synthetic 50/100/200-brand databases, artifact load and resolve ns/op, format 1 beside format 2.
//!
//! Run: `cargo bench -p formroute-core --bench build_resolve`. The synthetic databases mirror
//! `builder/cli/examples/synth.rs` (10 products x 5 form types x 3 languages per brand, ~26 rules
//! and ~30 overrides of 1-5 digits each) over the real ZIPs of `data/zips.csv`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use formroute_core::artifact::Artifact;
use formroute_core::compile::{compile, Columns};
use formroute_core::load::{load, Sources};
use formroute_core::model::{Brand, Database, Form, Override, Rule};
use formroute_core::resolve::resolve;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

fn data_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

const PRODUCTS: [&str; 10] = [
    "auto", "home", "renters", "life", "boat", "moto", "pet", "travel", "umbrella", "condo",
];
const FORM_TYPES: [&str; 5] = ["direct", "agent", "callback", "partner", "broker"];
const LANGUAGES: [&str; 3] = ["en", "es", "fr"];

fn synth(base: &Database, brands: usize) -> Database {
    let mut states: Vec<&str> = base.zips.iter().map(|(_, s)| s.as_str()).collect();
    states.dedup();
    states.sort_unstable();
    states.dedup();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut db = Database {
        zips: base.zips.clone(),
        zip_data_version: base.zip_data_version.clone(),
        ..Database::default()
    };
    for i in 0..brands {
        let slug = format!("brand{i:03}");
        let mut b = Brand {
            slug: slug.clone(),
            name: format!("Brand {i}"),
            default_language: if i % 5 == 0 { "es" } else { "en" }.into(),
            fallback_url: format!("https://{slug}.example/{{language}}/quote?zip={{zip}}"),
            origins: vec![format!("https://www.{slug}.example")],
            line: 2 + i as u32,
            ..Brand::default()
        };
        for p in PRODUCTS {
            for t in FORM_TYPES {
                for l in LANGUAGES {
                    b.forms.push(Form {
                        product: p.into(),
                        form_type: t.into(),
                        language: l.into(),
                        url: format!(
                            "https://{slug}.example/{l}/{p}/{t}?zip={{zip}}&state={{state}}"
                        ),
                        line: 0,
                    });
                }
            }
        }
        let rule = |p: Option<&str>, s: Option<&str>, t: Option<&str>| Rule {
            product: p.map(Into::into),
            state: s.map(Into::into),
            form_type: t.map(Into::into),
            line: 0,
        };
        b.rules.push(rule(None, None, Some("direct")));
        let mut used = std::collections::BTreeSet::new();
        for _ in 0..10 {
            let s = states[rng.below(states.len())];
            if used.insert(("*", s)) {
                b.rules
                    .push(rule(None, Some(s), Some(FORM_TYPES[1 + rng.below(4)])));
            }
        }
        for _ in 0..15 {
            let p = PRODUCTS[rng.below(10)];
            let s = states[rng.below(states.len())];
            if used.insert((p, s)) {
                let t = if rng.below(6) == 0 {
                    None
                } else {
                    Some(FORM_TYPES[rng.below(5)])
                };
                b.rules.push(rule(Some(p), Some(s), t));
            }
        }
        b.rules
            .push(rule(Some(PRODUCTS[rng.below(10)]), None, Some("agent")));
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..30 {
            let zip = db.zips[rng.below(db.zips.len())].0;
            let len = 1 + rng.below(5);
            let prefix = String::from_utf8_lossy(&zip[..len]).into_owned();
            let p = if rng.below(2) == 0 {
                None
            } else {
                Some(PRODUCTS[rng.below(10)])
            };
            if seen.insert((p, prefix.clone())) {
                let t = if rng.below(8) == 0 {
                    None
                } else {
                    Some(FORM_TYPES[rng.below(5)])
                };
                b.overrides.push(Override {
                    product: p.map(Into::into),
                    zip_prefix: prefix,
                    form_type: t.map(Into::into),
                    line: 0,
                });
            }
        }
        db.brands.insert(slug, b);
    }
    db
}

fn benches(c: &mut Criterion) {
    let sources = Sources::read_dir(&data_dir()).expect("data/ readable");
    let loaded = load(&sources);
    assert!(!loaded.has_errors(), "data/ must load cleanly");
    let columns = Columns::from_files(&sources.files);

    let mut g = c.benchmark_group("build");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("data_load_and_compile", |b| {
        b.iter(|| {
            let l = load(black_box(&sources));
            compile(&l.db, &columns).expect("compiles")
        })
    });
    for n in [50, 100, 200] {
        let db = synth(&loaded.db, n);
        g.bench_function(format!("synth_{n}_brands_compile"), |b| {
            b.iter_batched(
                || (),
                |()| compile(black_box(&db), &columns).expect("compiles"),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();

    let out = compile(&loaded.db, &columns)
        .expect("compiles")
        .output
        .expect("data/ compiles");
    let entry = out.manifest.brands.values().next().expect("a brand");
    let file = |name: &str| &out.files.iter().find(|(n, _)| n == name).expect("file").1;
    let bytes = file(&entry.artifact);
    let bytes_v2 = file(entry.artifact_v2.as_deref().expect("a v2 artifact"));
    let mut g = c.benchmark_group("artifact");
    g.bench_function("from_bytes_national_brand", |b| {
        b.iter(|| Artifact::from_bytes(black_box(bytes)))
    });
    g.bench_function("from_bytes_national_brand_v2", |b| {
        b.iter(|| Artifact::from_bytes(black_box(bytes_v2)))
    });
    g.finish();

    let a = Artifact::from_bytes(bytes).expect("valid");
    let a2 = Artifact::from_bytes(bytes_v2).expect("valid");
    let queries: Vec<(String, &str, &str)> = loaded
        .db
        .zips
        .iter()
        .step_by(97)
        .enumerate()
        .map(|(i, (z, _))| {
            let zip = String::from_utf8_lossy(z).into_owned();
            let zip = if i % 3 == 0 {
                format!(" {zip}-1234 ")
            } else {
                zip
            };
            (
                zip,
                ["auto", "Home", "life"][i % 3],
                ["", "es-MX", "en"][i % 3],
            )
        })
        .collect();
    let mut g = c.benchmark_group("resolve");
    g.throughput(criterion::Throughput::Elements(queries.len() as u64));
    g.bench_function("mixed_queries", |b| {
        b.iter(|| {
            for (z, p, l) in &queries {
                black_box(resolve(&a, z, p, l));
            }
        })
    });
    g.bench_function("mixed_queries_v2", |b| {
        b.iter(|| {
            for (z, p, l) in &queries {
                black_box(resolve(&a2, z, p, l));
            }
        })
    });
    g.bench_function("resolve_to_json_line", |b| {
        b.iter(|| {
            for (z, p, l) in &queries {
                black_box(resolve(&a, z, p, l).to_json());
            }
        })
    });
    g.finish();
}

// `criterion_group!` writes an undocumented `pub fn`; a bench is no API, so its docs are not asked for.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group!(all, benches);
}
criterion_main!(group::all);
