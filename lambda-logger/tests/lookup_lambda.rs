//! The function on the Lambda runtime emulator reading the published build from S3 (moto): a new publish is live within the refresh time, S3 going away keeps the last good build, a cold start without S3 answers 503 and the fallback.
//!
//! Needs FORMROUTE_MOTO_URL (a moto server) and `cargo lambda` (tests/run-all.sh provides both);
//! without them each test fails with the command that provides what is missing. Builds are published with
//! the real `formroute publish`, and S3 is cut off by closing a TCP gate in front of moto.

mod common;

use common::aws::*;
use common::lookup::*;
use common::procs::{moto_url, post_events};
use common::*;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A fresh bucket on moto.
fn new_bucket(moto: &str, name: &str) -> String {
    let bucket = format!("{name}-{}", std::process::id());
    runtime()
        .block_on(s3(moto).create_bucket().bucket(&bucket).send())
        .unwrap();
    bucket
}

/// `formroute publish --artifacts DIR --bucket B --prefix routes` against moto.
fn publish(moto: &str, dir: &Path, bucket: &str) {
    publish_to(moto, dir, bucket, &[]);
}

/// Builds A (data/ as it is) and B (plus the brand `nova` and its origin).
fn builds() -> (PathBuf, PathBuf) {
    let root = temp_path("builds");
    let mut out = Vec::new();
    for (name, nova) in [("a", false), ("b", true)] {
        let data = root.join(format!("data-{name}"));
        write_data(&data, nova);
        let dir = root.join(format!("out-{name}"));
        build(&data, &dir);
        out.push(dir);
    }
    (out[0].clone(), out[1].clone())
}

fn nova_event(n: usize) -> serde_json::Value {
    let mut e = numbered_events(&format!("nova_{n}_"), 1).remove(0);
    e["brand"] = "nova".into();
    e["page"] = format!("{NOVA_ORIGIN}/quote").into();
    e
}

fn cli(out: &Path, brand: &str) -> Vec<u8> {
    let args = ["--brand", brand, "--zip", "10001", "--product", "auto"].map(OsStr::new);
    cli_resolve(out, &args)
}

#[test]
fn a_publish_is_live_within_the_refresh_time_and_s3_going_away_keeps_the_last_good_build() {
    let moto = moto_url("a_publish_is_live_within_the_refresh_time");
    require_cargo_lambda("a_publish_is_live_within_the_refresh_time");
    let (a, b) = builds();
    let bucket = new_bucket(&moto, "lookup-live");
    publish(&moto, &a, &bucket);
    let gate = Gate::start(&moto);
    let spool = temp_path("spool.ndjson");
    let artifacts = format!("s3://{bucket}/routes");
    let mut lambda = OnLambdaRuntime::start(
        env!("CARGO_BIN_EXE_lambda-logger"),
        &[
            ("FORMROUTE_ARTIFACTS", &artifacts),
            ("FORMROUTE_REFRESH_SECS", "1"),
            ("FORMROUTE_SPOOL", spool.to_str().unwrap()),
            ("AWS_ENDPOINT_URL", &gate.url),
        ],
    );
    let base = format!("http://127.0.0.1:{}/lambda-url/_", lambda.port);
    let acme = "/v1/resolve?brand=acme&zip=10001&product=auto";
    let nova = "/v1/resolve?brand=nova&zip=10001&product=auto";

    // Build A: acme answers as the CLI does; nova is unknown and its beacons are refused.
    let first = get(&base, acme);
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.body, cli(&a, "acme"));
    assert!(get(&base, nova).text().contains("unknown_brand"));
    assert_eq!(post_events(&base, NOVA_ORIGIN, &[nova_event(0)]).0, 403);

    // Build B is published: within the refresh time (1 s, plus a request to notice) it answers.
    publish(&moto, &b, &bucket);
    let published = Instant::now();
    while !get(&base, nova).text().contains("\"ok\":true") {
        assert!(
            published.elapsed() < Duration::from_secs(5),
            "build B was not picked up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("build B live {:?} after its publish", published.elapsed());
    assert_eq!(get(&base, nova).body, cli(&b, "nova"));
    let (status, body) = post_events(&base, NOVA_ORIGIN, &[nova_event(1)]);
    assert_eq!(
        (status, body.as_str()),
        (202, r#"{"accepted":1,"rejected":0}"#)
    );
    let go = get(&base, "/v1/go?brand=nova&zip=10001&product=auto");
    assert_eq!(go.status, 302);
    assert_eq!(
        go.header("location"),
        Some("https://www.nova.example/auto?zip=10001&state=NY")
    );

    // S3 goes away: refreshes fail, and the last good build (B) keeps answering.
    gate.close();
    std::thread::sleep(Duration::from_millis(2500));
    for _ in 0..3 {
        assert_eq!(get(&base, nova).body, cli(&b, "nova"));
        assert_eq!(get(&base, acme).body, cli(&b, "acme"));
        assert_eq!(post_events(&base, NOVA_ORIGIN, &[nova_event(2)]).0, 202);
        std::thread::sleep(Duration::from_millis(600));
    }
    assert!(lambda.function_running(), "the function exited");
    // The lookups were logged on the function's sink as server events.
    let logged = read_ndjson(&spool);
    assert!(logged
        .iter()
        .any(|e| e["source"] == "server" && e["brand"] == "nova" && e["ok"] == true));
}

#[test]
fn a_cold_start_without_s3_answers_503_and_sends_go_to_the_fallback_url() {
    require_cargo_lambda("a_cold_start_without_s3");
    let spool = temp_path("spool.ndjson");
    let nowhere = closed_port_url();
    let mut lambda = OnLambdaRuntime::start(
        env!("CARGO_BIN_EXE_lambda-logger"),
        &[
            ("FORMROUTE_ARTIFACTS", "s3://unreachable/routes"),
            ("FORMROUTE_FALLBACK_URL", "https://www.example.com/quote"),
            ("FORMROUTE_SPOOL", spool.to_str().unwrap()),
            ("AWS_ENDPOINT_URL", &nowhere),
        ],
    );
    let base = format!("http://127.0.0.1:{}/lambda-url/_", lambda.port);
    let (status, body) = post_events(&base, ACME, &numbered_events("cold_", 2));
    assert_eq!(status, 503, "{body}");
    let go = get(&base, "/v1/go?brand=acme&zip=10001&product=auto");
    assert_eq!(go.status, 302, "{}", go.text());
    assert_eq!(go.header("location"), Some("https://www.example.com/quote"));
    let r = get(&base, "/v1/resolve?brand=acme&zip=10001&product=auto");
    assert_eq!(r.status, 503);
    assert_eq!(
        r.text(),
        "{\"ok\":false,\"error\":\"unavailable\",\"fallback_url\":\"https://www.example.com/quote\"}\n"
    );
    assert!(lambda.function_running(), "the function exited");
}
