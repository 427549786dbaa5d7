//! Delivery through real processes: the lambda-logger binary, a real SQS server (moto), and the Lambda runtime emulator.
//!
//! Needs FORMROUTE_MOTO_URL (a moto server, e.g. `moto_server -H 127.0.0.1 -p 5101`); without it
//! each test fails with the command that starts moto. The Lambda test also needs
//! `cargo lambda` (`bash tests/setup.sh` installs it); without it, that test fails saying so.

mod common;

use common::aws::*;
use common::procs::*;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

/// A fresh queue on moto; returns its URL.
fn new_queue(rt: &tokio::runtime::Runtime, moto: &str, name: &str) -> String {
    let name = format!(
        "{name}-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    );
    rt.block_on(sqs(moto).create_queue().queue_name(name).send())
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned()
}

/// Every message on the queue: (body as JSON, attributes brand and type). Each is received
/// once and hidden for five minutes, so a message seen twice was sent twice.
fn drain(rt: &tokio::runtime::Runtime, moto: &str, queue: &str) -> Vec<(Value, String, String)> {
    let client = sqs(moto);
    let mut out = Vec::new();
    let mut empty = 0;
    while empty < 2 {
        let r = rt
            .block_on(
                client
                    .receive_message()
                    .queue_url(queue)
                    .max_number_of_messages(10)
                    .visibility_timeout(300)
                    .message_attribute_names("All")
                    .send(),
            )
            .unwrap();
        let msgs = r.messages();
        if msgs.is_empty() {
            empty += 1;
            continue;
        }
        for m in msgs {
            let attrs = m.message_attributes().unwrap();
            let attr = |k: &str| attrs[k].string_value().unwrap().to_owned();
            out.push((
                serde_json::from_str(m.body().unwrap()).unwrap(),
                attr("brand"),
                attr("type"),
            ));
        }
    }
    out
}

fn by_id(events: &[Value]) -> BTreeMap<String, Value> {
    events
        .iter()
        .map(|e| (e["id"].as_str().unwrap().to_owned(), e.clone()))
        .collect()
}

/// Checks the queue holds exactly `sent`, each once, with all its fields and the logger's.
fn assert_queue_holds_exactly(queued: &[(Value, String, String)], sent: &[Value]) {
    let sent = by_id(sent);
    let mut seen = BTreeMap::new();
    for (body, brand, kind) in queued {
        let id = body["id"].as_str().unwrap().to_owned();
        assert!(
            seen.insert(id.clone(), ()).is_none(),
            "event {id} queued twice"
        );
        let original = sent
            .get(&id)
            .unwrap_or_else(|| panic!("event {id} was never sent"));
        assert_logged_as_sent(body, original);
        assert_eq!(brand, original["brand"].as_str().unwrap());
        assert_eq!(kind, original["type"].as_str().unwrap());
        assert_eq!(body["ip_prefix"], "127.0.0.0/24");
    }
    let missing: Vec<_> = sent.keys().filter(|k| !seen.contains_key(*k)).collect();
    assert!(missing.is_empty(), "accepted but not queued: {missing:?}");
}

fn proxy(moto: &str, mode: &str) -> (Proc, String) {
    delayed_proxy(moto, mode, 0.0)
}

/// The faulty proxy answering every `SendMessageBatch` `delay` seconds after forwarding it.
fn delayed_proxy(moto: &str, mode: &str, delay: f64) -> (Proc, String) {
    let mut cmd = Command::new("python3");
    cmd.arg(fixtures().join("../faulty_sqs.py"))
        .args([moto, mode, &delay.to_string()]);
    let (p, line) = start(cmd, "port ", true);
    (
        p,
        format!(
            "http://127.0.0.1:{}",
            line.trim_start_matches("port ").trim()
        ),
    )
}

fn proxy_stats(url: &str) -> Value {
    serde_json::from_str(&http("GET", &format!("{url}/stats"), &[], "").1).unwrap()
}

#[test]
fn every_accepted_event_reaches_the_queue_exactly_once_with_one_call_per_ten_events() {
    let moto = moto_url("every_accepted_event_reaches_the_queue_exactly_once");
    let rt = runtime();
    let queue = new_queue(&rt, &moto, "exactly-once");
    let (counter, counter_url) = proxy(&moto, "pass");
    let mut env = AWS_ENV.to_vec();
    env.push(("AWS_ENDPOINT_URL", &counter_url));
    let (_logger, base) = start_logger(&["--queue-url", &queue], &env);
    let events = numbered_events("exactly_once_", 230);
    let invalid = examples("invalid")
        .into_iter()
        .find(|e| e["brand"] == "acme")
        .unwrap();
    let mut requests = 0;
    let mut expected_calls = 0;
    for (i, chunk) in events.chunks(10).enumerate() {
        let mut batch = chunk.to_vec();
        if i % 5 == 0 {
            batch.push(invalid.clone());
        }
        let (status, body) = post_events(&base, ACME, &batch);
        assert_eq!(status, 202, "{body}");
        let rejected = usize::from(i % 5 == 0);
        assert_eq!(
            body,
            format!(r#"{{"accepted":{},"rejected":{rejected}}}"#, chunk.len())
        );
        requests += 1;
        expected_calls += chunk.len().div_ceil(10);
    }
    // One request of 100 events: 10 calls, not 100.
    let hundred = numbered_events("hundred_", 100);
    assert_eq!(post_events(&base, ACME, &hundred).0, 202);
    expected_calls += 10;
    let stats = proxy_stats(&counter_url);
    assert_eq!(stats["batch_calls"], expected_calls, "{requests} requests");
    let mut all = events.clone();
    all.extend(hundred);
    assert_queue_holds_exactly(&drain(&rt, &moto, &queue), &all);
    drop(counter);
}

#[test]
fn entries_the_queue_fails_on_its_side_are_retried_until_all_are_queued_once() {
    let moto = moto_url("entries_the_queue_fails_are_retried");
    let rt = runtime();
    let queue = new_queue(&rt, &moto, "flaky");
    let (_flaky, flaky_url) = proxy(&moto, "flaky");
    let mut env = AWS_ENV.to_vec();
    env.push(("AWS_ENDPOINT_URL", &flaky_url));
    let (_logger, base) = start_logger(&["--queue-url", &queue], &env);
    let events = numbered_events("flaky_", 60);
    for chunk in events.chunks(20) {
        let (status, body) = post_events(&base, ACME, chunk);
        assert_eq!(
            (status, body),
            (202, r#"{"accepted":20,"rejected":0}"#.to_owned())
        );
    }
    let stats = proxy_stats(&flaky_url);
    assert_eq!(stats["injected"], 60, "every entry failed once: {stats}");
    assert_queue_holds_exactly(&drain(&rt, &moto, &queue), &events);
}

#[test]
fn a_queue_that_keeps_failing_entries_gives_503_and_queues_the_others_once() {
    let moto = moto_url("a_queue_that_keeps_failing_entries_gives_503");
    let rt = runtime();
    let queue = new_queue(&rt, &moto, "broken");
    let (_broken, broken_url) = proxy(&moto, "broken");
    let mut env = AWS_ENV.to_vec();
    env.push(("AWS_ENDPOINT_URL", &broken_url));
    let (_logger, base) = start_logger(&["--queue-url", &queue], &env);
    let events = numbered_events("broken_", 10);
    let (status, _) = post_events(&base, ACME, &events);
    assert_eq!(status, 503);
    // Entry "0" (the first event) never got through; the other nine are there, once each.
    assert_queue_holds_exactly(&drain(&rt, &moto, &queue), &events[1..]);
}

#[test]
fn an_entry_missing_from_the_queues_answer_counts_as_not_queued() {
    let moto = moto_url("an_entry_missing_from_the_queues_answer");
    let rt = runtime();
    let queue = new_queue(&rt, &moto, "missing");
    let (_missing, missing_url) = proxy(&moto, "missing");
    let mut env = AWS_ENV.to_vec();
    env.push(("AWS_ENDPOINT_URL", &missing_url));
    let (_logger, base) = start_logger(&["--queue-url", &queue], &env);
    let events = numbered_events("missing_", 10);
    let (status, body) = post_events(&base, ACME, &events);
    assert_eq!(
        status, 503,
        "an event that is not on the queue was acknowledged: {body}"
    );
    assert_queue_holds_exactly(&drain(&rt, &moto, &queue), &events[1..]);
}

#[test]
fn a_queue_that_takes_the_events_but_answers_late_gets_each_event_once() {
    let moto = moto_url("a_queue_that_answers_late");
    let rt = runtime();
    let queue = new_queue(&rt, &moto, "late");
    // Forwarded at once, answered 10 s later: longer than one call may wait.
    let (_late, late_url) = delayed_proxy(&moto, "pass", 10.0);
    let mut env = AWS_ENV.to_vec();
    env.push(("AWS_ENDPOINT_URL", &late_url));
    let (logger, base) = start_logger(&["--queue-url", &queue], &env);
    let events = numbered_events("late_", 10);
    let started = Instant::now();
    let (status, _) = post_events(&base, ACME, &events);
    let took = started.elapsed();
    // The logger cannot know the events are queued: 503, and the client will send them again.
    assert_eq!(status, 503);
    assert!(took < Duration::from_secs(6), "took {took:?}");
    // What it must not do is send them a second time itself: once each on the queue.
    assert_eq!(proxy_stats(&late_url)["batch_calls"], 1);
    assert_queue_holds_exactly(&drain(&rt, &moto, &queue), &events);
    assert!(
        logger
            .stderr
            .lock()
            .unwrap()
            .contains("may be on the queue"),
        "the unknown outcome is not logged"
    );
}

#[test]
fn retries_against_a_slow_failing_queue_stop_within_the_time_budget() {
    let moto = moto_url("retries_against_a_slow_failing_queue");
    let rt = runtime();
    let queue = new_queue(&rt, &moto, "slow-broken");
    // Every call takes 1.5 s (under the 2 s a call may wait) and fails entry "0": five tries
    // and their pauses take over 9 s, about the function's whole 10 s time-out.
    let (_slow, slow_url) = delayed_proxy(&moto, "broken", 1.5);
    let mut env = AWS_ENV.to_vec();
    env.push(("AWS_ENDPOINT_URL", &slow_url));
    let (_logger, base) = start_logger(&["--queue-url", &queue], &env);
    let started = Instant::now();
    let (status, _) = post_events(&base, ACME, &numbered_events("slow_", 10));
    let took = started.elapsed();
    assert_eq!(status, 503);
    assert!(
        took < Duration::from_secs(6),
        "the request took {took:?}, over its 5 s budget"
    );
}

#[test]
fn a_queue_that_is_down_gives_503_quickly() {
    // No moto needed: nothing listens on the endpoint.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut env = AWS_ENV.to_vec();
    env.push(("AWS_ENDPOINT_URL", &endpoint));
    let queue = format!("{endpoint}/123456789012/down");
    let (logger, base) = start_logger(&["--queue-url", &queue], &env);
    let started = Instant::now();
    let (status, body) = post_events(&base, ACME, &numbered_events("down_", 10));
    assert_eq!(status, 503, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "took {:?}",
        started.elapsed()
    );
    // The logger's stderr is collected by a reader thread: give it a moment to catch up.
    let logged = || {
        logger
            .stderr
            .lock()
            .unwrap()
            .contains("could not be queued")
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while !logged() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(logged(), "the logger said nothing about the failed queue");
}

#[test]
fn the_lambda_runtime_path_queues_every_event_exactly_once() {
    let moto = moto_url("the_lambda_runtime_path_queues_every_event_exactly_once");
    require_cargo_lambda("the_lambda_runtime_path");
    let rt = runtime();
    let queue = new_queue(&rt, &moto, "lambda");
    let manifest = artifacts().join("manifest.json");
    let mut lambda = OnLambdaRuntime::start(
        env!("CARGO_BIN_EXE_lambda-logger"),
        &[
            ("FORMROUTE_MANIFEST", manifest.to_str().unwrap()),
            ("FORMROUTE_QUEUE_URL", &queue),
            ("AWS_ENDPOINT_URL", &moto),
        ],
    );
    let port = lambda.port;
    let base = format!("http://127.0.0.1:{port}/lambda-url/_");
    let events = numbered_events("lambda_", 40);
    let mut durations = Vec::new();
    for chunk in events.chunks(10) {
        let t = Instant::now();
        let (status, body) = post_events(&base, SOLAR, &[]);
        assert_eq!(
            (status, body.as_str()),
            (202, r#"{"accepted":0,"rejected":0}"#)
        );
        let (status, body) = post_events(&base, ACME, chunk);
        assert_eq!(
            (status, body),
            (202, r#"{"accepted":10,"rejected":0}"#.to_owned())
        );
        durations.push(t.elapsed());
    }
    let (status, _) = post_events(&base, "https://evil.example", &events[..1]);
    assert_eq!(status, 403);
    assert!(lambda.function_running(), "the function exited");
    durations.sort();
    eprintln!(
        "runtime emulator: median {:?} per two invocations",
        durations[durations.len() / 2]
    );
    let queued = drain(&rt, &moto, &queue);
    let sent = by_id(&events);
    assert_eq!(queued.len(), sent.len());
    for (body, _, _) in &queued {
        assert_logged_as_sent(body, &sent[body["id"].as_str().unwrap()]);
    }
}
