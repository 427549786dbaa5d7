//! The archive pipeline through real processes: lambda-logger -> SQS (moto) -> lambda-archiver -> S3 (moto) -> `formroute logs report`, and the archiver behind the Lambda runtime emulator.
//!
//! Needs FORMROUTE_MOTO_URL (a moto server, e.g. `moto_server -H 127.0.0.1 -p 5103`); without it
//! each test fails with the command that starts moto. The report step runs the `formroute`
//! binary from the same target folder (built by `cargo build --bins`, else built here). The
//! Lambda test also needs `cargo lambda` (`bash tests/setup.sh` installs it); without it, that test fails saying so.

mod common;

use common::aws::*;
use common::procs::*;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

fn unique(name: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}-{}-{}", std::process::id(), nanos % 1_000_000_000)
}

/// A queue whose messages go to a dead-letter queue after `max_receives` receives; returns
/// (queue URL, dead-letter queue URL).
fn queue_with_dlq(rt: &tokio::runtime::Runtime, moto: &str, max_receives: u32) -> (String, String) {
    let c = sqs(moto);
    let name = unique("archive");
    let dlq = rt
        .block_on(c.create_queue().queue_name(format!("{name}-dlq")).send())
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let arn = rt
        .block_on(
            c.get_queue_attributes()
                .queue_url(&dlq)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .send(),
        )
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    let policy = json!({"deadLetterTargetArn": arn, "maxReceiveCount": max_receives}).to_string();
    let queue = rt
        .block_on(
            c.create_queue()
                .queue_name(name)
                .attributes(
                    aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
                    policy,
                )
                .send(),
        )
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    (queue, dlq)
}

fn new_bucket(rt: &tokio::runtime::Runtime, moto: &str) -> String {
    let bucket = unique("archive").to_lowercase();
    rt.block_on(s3(moto).create_bucket().bucket(&bucket).send())
        .unwrap();
    bucket
}

fn list_keys(rt: &tokio::runtime::Runtime, moto: &str, bucket: &str) -> Vec<String> {
    let out = rt
        .block_on(s3(moto).list_objects_v2().bucket(bucket).send())
        .unwrap();
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

/// A resolve event of brand acme.
fn resolve(n: usize, product: &str, outcome: Result<(&str, &str), (&str, &str)>, ms: f64) -> Value {
    let mut e = json!({
        "id": format!("pipeline_{n:06}"), "type": "resolve", "ts": 1_785_000_000_000u64 + n as u64,
        "brand": "acme", "page": "https://www.acme.example/quote", "pv": "pv_pipeline01",
        "product": product, "language": "en", "ms": ms,
    });
    match outcome {
        Ok((state, form_type)) => {
            e["zip"] = json!("10001");
            e["ok"] = json!(true);
            e["state"] = json!(state);
            e["form_type"] = json!(form_type);
            e["language_used"] = json!("en");
        }
        Err((zip, error)) => {
            e["zip"] = json!(zip);
            e["ok"] = json!(false);
            e["error"] = json!(error);
        }
    }
    e
}

/// What the test sends: 20 ok resolves (NY x12 standard, CA x8 agent), 6 unknown ZIPs (3 of
/// them 99999), 2 not served, 2 loads with an artifact version.
fn pipeline_events() -> Vec<Value> {
    let mut v = Vec::new();
    for n in 0..12 {
        v.push(resolve(n, "auto", Ok(("NY", "standard")), 1.0 + n as f64));
    }
    for n in 12..20 {
        v.push(resolve(n, "home", Ok(("CA", "agent")), 2.0));
    }
    for (n, zip) in (20..26).zip(["99999", "99999", "99999-1234", "00001", "00002", "00003"]) {
        v.push(resolve(n, "auto", Err((zip, "unknown_zip")), 0.5));
    }
    for n in 26..28 {
        v.push(resolve(n, "life", Err(("10001", "not_served")), 0.5));
    }
    for n in 28..30 {
        v.push(
            json!({"id": format!("pipeline_{n:06}"), "type": "load", "ts": 1_785_000_000_000u64,
            "brand": "acme", "page": "https://www.acme.example/quote", "pv": "pv_pipeline01",
            "ms": 40, "av": "acme.0123456789abcdef", "source": "network"}),
        );
    }
    v
}

/// The `formroute` binary next to this package's binaries, built if it is not there yet.
fn formroute_bin() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_BIN_EXE_lambda-archiver"))
        .parent()
        .unwrap()
        .to_path_buf();
    let bin = dir.join(format!("formroute{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = Command::new(cargo)
            .args(["build", "-p", "formroute", "--bin", "formroute"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(st.success(), "cannot build formroute");
    }
    bin
}

fn archiver(args: &[&str], moto: &str) -> (Value, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lambda-archiver"));
    cmd.args(args)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env("AWS_ENDPOINT_URL", moto);
    for (k, v) in AWS_ENV {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "lambda-archiver {args:?} failed:\n{stderr}"
    );
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

fn report(from: &str, moto: &str, extra: &[&str]) -> Value {
    let mut cmd = Command::new(formroute_bin());
    cmd.args(["logs", "report", "--from", from, "--format", "json"])
        .args(extra)
        .env("AWS_ENDPOINT_URL", moto);
    for (k, v) in AWS_ENV {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "formroute logs report failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn count_of<'a>(rows: &'a Value, key: &str, value: &str) -> u64 {
    rows.as_array()
        .unwrap()
        .iter()
        .filter(|r| r[key] == value)
        .map(|r: &'a Value| r["count"].as_u64().unwrap())
        .sum()
}

#[test]
fn events_posted_to_the_logger_reach_the_report_once_each_and_poison_is_dead_lettered() {
    let moto = moto_url("archiver pipeline");
    let rt = runtime();
    let (queue, dlq) = queue_with_dlq(&rt, &moto, 1);
    let bucket = new_bucket(&rt, &moto);
    let (_logger, base) = start_logger(&["--queue-url", &queue], &AWS_ENV);

    let events = pipeline_events();
    for chunk in events.chunks(10) {
        let (status, body) = post_events(&base, ACME, chunk);
        assert_eq!(
            (status, body),
            (202, r#"{"accepted":10,"rejected":0}"#.to_owned())
        );
    }
    // A page that sends its first batch twice (a retried beacon): the same event ids again.
    let (status, _) = post_events(&base, ACME, &events[..10]);
    assert_eq!(status, 202);
    // And a message that is no event at all, put on the queue by something else.
    rt.block_on(
        sqs(&moto)
            .send_message()
            .queue_url(&queue)
            .message_body("{not an event")
            .send(),
    )
    .unwrap();

    let target = format!("s3://{bucket}/archive");
    let (stats, stderr) = archiver(
        &[
            "drain",
            "--queue-url",
            &queue,
            "--to",
            &target,
            "--wait",
            "0",
            "--visibility-timeout",
            "1",
        ],
        &moto,
    );
    assert_eq!(stats["messages"], 41, "{stderr}");
    assert_eq!(stats["events"], 30, "{stderr}");
    assert_eq!(stats["duplicates"], 10, "{stderr}");
    assert_eq!(stats["poison"], 1, "{stderr}");
    assert_eq!(stats["deleted"], 40, "{stderr}");

    // One object per partition of the batch, in the Athena layout.
    let keys = list_keys(&rt, &moto, &bucket);
    let partitions: BTreeSet<String> = keys
        .iter()
        .map(|k| k.rsplit_once('/').unwrap().0.to_owned())
        .collect();
    assert_eq!(keys.len(), partitions.len(), "{keys:?}");
    assert_eq!(stats["objects"], keys.len() as u64);
    for k in &keys {
        let parts: Vec<&str> = k.split('/').collect();
        assert_eq!(parts.len(), 6, "{k}");
        assert_eq!(&parts[..3], ["archive", "events", "brand=acme"], "{k}");
        assert!(parts[3].starts_with("dt=20") && parts[3].len() == 13, "{k}");
        assert!(parts[4].starts_with("hour=") && parts[4].len() == 7, "{k}");
        assert!(parts[5].ends_with(".ndjson.gz"), "{k}");
    }

    let r = report(&target, &moto, &[]);
    assert_eq!(r["input"]["events"], 30);
    assert_eq!(r["input"]["malformed"], 0);
    let t = &r["totals"];
    assert_eq!(
        (
            t["resolves"].as_u64(),
            t["ok"].as_u64(),
            t["fallbacks"].as_u64()
        ),
        (Some(28), Some(20), Some(8))
    );
    assert_eq!(t["loads"], 2);
    assert_eq!(t["resolve_ms"]["count"], 28);
    assert_eq!(count_of(&r["states"], "state", "NY"), 12);
    assert_eq!(count_of(&r["states"], "state", "CA"), 8);
    assert_eq!(count_of(&r["form_types"], "form_type", "agent"), 8);
    assert_eq!(count_of(&r["fallback_reasons"], "reason", "unknown_zip"), 6);
    assert_eq!(count_of(&r["fallback_reasons"], "reason", "not_served"), 2);
    // 99999 and 99999-1234 are the same ZIP once normalised: the top of the to-do list.
    assert_eq!(
        r["unknown_zips"][0],
        json!({"brand": "acme", "zip": "99999", "count": 3})
    );
    assert_eq!(r["unknown_zips"].as_array().unwrap().len(), 4);
    assert_eq!(
        r["artifact_versions"][0]["version"],
        "acme.0123456789abcdef"
    );
    assert_eq!(r["artifact_versions"][0]["count"], 2);
    let resolves: Vec<(String, String, u64)> = r["resolves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["product"].as_str().unwrap().into(),
                x["outcome"].as_str().unwrap().into(),
                x["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        resolves,
        vec![
            ("auto".into(), "ok".into(), 12),
            ("auto".into(), "unknown_zip".into(), 6),
            ("home".into(), "ok".into(), 8),
            ("life".into(), "not_served".into(), 2),
        ]
    );
    // --brand of another brand sees nothing.
    let none = report(&target, &moto, &["--brand", "solar"]);
    assert_eq!(none["input"]["events"], 0);
    assert_eq!(none["input"]["files"], 0);

    // The poison message stayed on the queue; once it is received again past maxReceiveCount,
    // the queue's redrive policy moves it to the dead-letter queue.
    std::thread::sleep(Duration::from_millis(1500));
    let c = sqs(&moto);
    let again = rt
        .block_on(
            c.receive_message()
                .queue_url(&queue)
                .max_number_of_messages(10)
                .send(),
        )
        .unwrap();
    assert!(
        again.messages().is_empty(),
        "the poison message was not dead-lettered"
    );
    let dead = rt
        .block_on(
            c.receive_message()
                .queue_url(&dlq)
                .max_number_of_messages(10)
                .send(),
        )
        .unwrap();
    let bodies: Vec<&str> = dead.messages().iter().filter_map(|m| m.body()).collect();
    assert_eq!(bodies, vec!["{not an event"]);
}

#[test]
fn the_archiver_behind_the_lambda_runtime_reports_only_the_poison_message_as_failed() {
    let moto = moto_url("archiver on the Lambda runtime");
    require_cargo_lambda("archiver on the Lambda runtime");
    let rt = runtime();
    let bucket = new_bucket(&rt, &moto);
    let archive_to = format!("s3://{bucket}/lambda");
    let mut lambda = OnLambdaRuntime::start(
        env!("CARGO_BIN_EXE_lambda-archiver"),
        &[
            ("FORMROUTE_ARCHIVE_TO", &archive_to),
            ("AWS_ENDPOINT_URL", &moto),
        ],
    );
    let port = lambda.port;

    let good = |n: usize, received: u64| {
        json!({"id": format!("lambda_{n:06}"), "type": "load", "ts": received, "brand": "acme",
               "page": "https://www.acme.example/", "pv": "pv_lambda001", "ms": 12,
               "received": received, "request_id": "r1", "ua": "Mozilla/5.0", "bot": false})
        .to_string()
    };
    let h17 = 1_785_000_000_000u64; // 2026-07-25T17:20Z
    let bodies = [
        ("m-1", good(1, h17)),
        ("m-2", "this is not json".to_owned()),
        ("m-3", good(2, h17 + 1000)),
        ("m-4", good(3, h17 + 3_600_000)),
        ("m-5", good(1, h17)),
    ];
    let records: Vec<Value> = bodies
        .iter()
        .map(|(id, body)| json!({"messageId": id, "receiptHandle": "rh", "body": body, "attributes": {},
            "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:beacons", "awsRegion": "us-east-1"}))
        .collect();
    let payload = json!({ "Records": records }).to_string();
    let started = Instant::now();
    let (status, body) = http(
        "POST",
        &format!("http://127.0.0.1:{port}/2015-03-31/functions/_/invocations"),
        &[("Content-Type", "application/json")],
        &payload,
    );
    eprintln!(
        "archiver invocation through the emulator: {:?}",
        started.elapsed()
    );
    assert_eq!(status, 200, "{body}");
    let resp: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        resp,
        json!({"batchItemFailures": [{"itemIdentifier": "m-2"}]})
    );
    let keys = list_keys(&rt, &moto, &bucket);
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys[0].starts_with("lambda/events/brand=acme/dt=2026-07-25/hour=17/"));
    assert!(keys[1].starts_with("lambda/events/brand=acme/dt=2026-07-25/hour=18/"));
    let r = report(&format!("s3://{bucket}/lambda"), &moto, &[]);
    assert_eq!(r["totals"]["loads"], 3);
    assert!(lambda.function_running(), "the function exited");
}

#[test]
fn the_archivers_help_says_what_it_is() {
    let out = Command::new(env!("CARGO_BIN_EXE_lambda-archiver"))
        .arg("--help")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{help}");
    assert!(help.contains("archives queued beacon events"), "{help}");
    assert!(!help.contains("beacon endpoint"), "{help}");
}
