//! The resolve bench's 442 mixed queries, run a fixed number of times per format, for instruction counts under callgrind.
//!
//! `cargo build --release -p formroute-core --example resolve_count`, then
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='resolve_count::run_*'
//! target/release/examples/resolve_count`: each `run_*` function's inclusive instructions,
//! divided by `ROUNDS * 442`, are the instructions per query (deterministic, unlike times on a
//! shared machine). `load_*` functions time `Artifact::from_bytes` the same way.

use formroute_core::artifact::Artifact;
use formroute_core::compile::{compile, Columns};
use formroute_core::load::{load, Sources};
use formroute_core::resolve::resolve;
use std::hint::black_box;
use std::path::Path;

/// Rounds of the query list per measured function.
const ROUNDS: usize = 20;

type Query = (String, &'static str, &'static str);

#[inline(never)]
fn run_v1(a: &Artifact, queries: &[Query]) {
    // Distinct bodies: the linker would fold identical functions into one symbol.
    black_box(0u8);
    for _ in 0..ROUNDS {
        for (z, p, l) in queries {
            black_box(resolve(a, z, p, l));
        }
    }
}

#[inline(never)]
fn run_v2(a: &Artifact, queries: &[Query]) {
    // Distinct bodies: the linker would fold identical functions into one symbol.
    black_box(1u8);
    for _ in 0..ROUNDS {
        for (z, p, l) in queries {
            black_box(resolve(a, z, p, l));
        }
    }
}

#[inline(never)]
fn run_v1_to_json(a: &Artifact, queries: &[Query]) {
    // Distinct bodies: the linker would fold identical functions into one symbol.
    black_box(2u8);
    for _ in 0..ROUNDS {
        for (z, p, l) in queries {
            black_box(resolve(a, z, p, l).to_json());
        }
    }
}

#[inline(never)]
fn load_v1(bytes: &[u8]) -> Artifact {
    // Distinct bodies: the linker would fold identical functions into one symbol.
    black_box(3u8);
    Artifact::from_bytes(black_box(bytes)).expect("valid")
}

#[inline(never)]
fn load_v2(bytes: &[u8]) -> Artifact {
    // Distinct bodies: the linker would fold identical functions into one symbol.
    black_box(4u8);
    Artifact::from_bytes(black_box(bytes)).expect("valid")
}

fn main() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    let sources = Sources::read_dir(&data).expect("data/ readable");
    let loaded = load(&sources);
    let columns = Columns::from_files(&sources.files);
    let out = compile(&loaded.db, &columns)
        .expect("compiles")
        .output
        .expect("data/ compiles");
    let entry = out.manifest.brands.values().next().expect("a brand");
    let file = |name: &str| &out.files.iter().find(|(n, _)| n == name).expect("file").1;
    let a = load_v1(file(&entry.artifact));
    let a2 = load_v2(file(entry.artifact_v2.as_deref().expect("a v2 artifact")));
    // The same queries as benches/build_resolve.rs's resolve group.
    let queries: Vec<Query> = loaded
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
    run_v1(&a, &queries);
    run_v2(&a2, &queries);
    run_v1_to_json(&a, &queries);
    println!(
        "{} queries x {ROUNDS} rounds per run_* function",
        queries.len()
    );
}
