//! Criterion benchmark of the build store's refresh: a revalidation that finds the manifest unchanged (S3 answers 304) against a full load of a publish, on moto over HTTP, and the same for a build folder.
//!
//! Run: `FORMROUTE_MOTO_URL=http://127.0.0.1:5101 cargo bench -p lambda-logger --bench refresh`
//! (moto: `moto_server -H 127.0.0.1 -p 5101`). The build is data/, built and published with the
//! `formroute` binary of the target folder (`cargo build -p formroute`). Without moto only the
//! folder cases run. "full load" is what a cold start or a new publish costs when every artifact is
//! new: GET manifest.json, GET each `a/<brand>.<hash>.frt` (gzip), SHA-256 and FORMAT.md checks.

use criterion::{criterion_group, criterion_main, Criterion};
use lambda_logger::artifacts::{Location, Refresh, Store};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn formroute() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    ["release/formroute", "debug/formroute"]
        .iter()
        .map(|p| root.join(p))
        .find(|p| p.is_file())
        .expect("no formroute binary: cargo build -p formroute")
}

fn run(cmd: &mut Command) {
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!(
        "lambda-logger-bench-refresh-{}",
        std::process::id()
    ));
    let out = dir.join("out");
    run(Command::new(formroute())
        .args(["build", "--data"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../data"))
        .arg("--out")
        .arg(&out));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let refresh = Duration::from_secs(30);
    let mut locations = vec![("folder", Location::Dir(out.clone()))];
    if let Ok(moto) = std::env::var("FORMROUTE_MOTO_URL") {
        let bucket = format!("bench-refresh-{}", std::process::id());
        for (k, v) in [
            ("AWS_ENDPOINT_URL", moto.as_str()),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
        ] {
            std::env::set_var(k, v);
        }
        run(Command::new("python3").args([
            "-c",
            &format!("import boto3;boto3.client('s3',endpoint_url='{moto}').create_bucket(Bucket='{bucket}')"),
        ]));
        run(Command::new(formroute())
            .args(["publish", "--artifacts"])
            .arg(&out)
            .args(["--bucket", &bucket, "--prefix", "routes"]));
        locations.push((
            "s3-moto",
            Location::parse(&format!("s3://{bucket}/routes")).unwrap(),
        ));
    } else {
        eprintln!("FORMROUTE_MOTO_URL not set: only the folder cases run");
    }
    let mut g = c.benchmark_group("refresh");
    g.sample_size(30);
    for (name, location) in &locations {
        let store = rt.block_on(Store::open(location, refresh));
        assert!(store.peek().is_some(), "{name}: nothing loaded");
        g.bench_function(format!("{name}/unchanged"), |b| {
            b.iter(|| assert_eq!(rt.block_on(store.revalidate()), Refresh::Unchanged))
        });
        g.bench_function(format!("{name}/full-load"), |b| {
            b.iter(|| {
                let s = rt.block_on(Store::open(location, refresh));
                assert!(s.peek().is_some());
            })
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(dir);
}

// `criterion_group!` writes an undocumented `pub fn`; a bench is no API, so its docs are not asked for.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group!(benches, bench);
}
criterion_main!(group::benches);
