//! `lambda-logger serve` against slow and silent clients: read time-outs free their connections, and Ctrl-C stops within its deadline.

mod common;

use common::procs::*;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

fn logger(extra: &[&str], nofile: Option<u32>) -> (Proc, String) {
    let spool = temp_path("serve.ndjson");
    let mut cmd = Command::new("bash");
    let limit = nofile.map_or(String::new(), |n| format!("ulimit -n {n}; "));
    cmd.arg("-c")
        .arg(format!("{limit}exec \"$@\""))
        .arg("bash")
        .arg(env!("CARGO_BIN_EXE_lambda-logger"))
        .args(["serve", "--listen", "127.0.0.1:0", "--artifacts"])
        .arg(artifacts())
        .arg("--spool")
        .arg(&spool)
        .args(extra)
        .env_remove("AWS_LAMBDA_RUNTIME_API");
    let (proc, line) = start(cmd, "listening on http://", false);
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .trim_end_matches("/v1/events")
        .to_owned();
    (proc, addr)
}

/// What the server sends before it closes the connection, or None if it keeps it open for `wait`.
fn read_until_closed(s: &mut TcpStream, wait: Duration) -> Option<String> {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Some(String::from_utf8_lossy(&got).into_owned()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some(String::from_utf8_lossy(&got).into_owned())
            }
            Err(_) => return None,
        }
    }
}

const HEAD: &str = "POST /v1/events HTTP/1.1\r\nHost: x\r\nOrigin: https://www.acme.example\r\nContent-Type: text/plain\r\n";

#[test]
fn connections_that_send_half_a_head_or_nothing_are_closed_after_the_read_timeout() {
    let (_logger, addr) = logger(&["--read-timeout-secs", "1"], None);
    let mut silent = TcpStream::connect(&addr).unwrap();
    let mut half = TcpStream::connect(&addr).unwrap();
    half.write_all(HEAD.as_bytes()).unwrap();
    for (what, s) in [("silent", &mut silent), ("half a head", &mut half)] {
        let started = Instant::now();
        assert!(
            read_until_closed(s, Duration::from_secs(8)).is_some(),
            "a connection that sent {what} is still open after {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_body_that_stops_half_way_gets_408() {
    let (_logger, addr) = logger(&["--read-timeout-secs", "1"], None);
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(format!("{HEAD}Content-Length: 100\r\n\r\n{{\"events\":[").as_bytes())
        .unwrap();
    let answer =
        read_until_closed(&mut s, Duration::from_secs(8)).expect("the connection is still open");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[test]
fn silent_connections_at_the_descriptor_limit_do_not_lock_out_a_real_beacon() {
    // 64 descriptors, 100 clients that connect and send nothing.
    let (_logger, addr) = logger(&["--read-timeout-secs", "1"], Some(64));
    let _silent: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let (status, body) = post_events(
        &format!("http://{addr}"),
        ACME,
        &numbered_events("fd_limit_", 1),
    );
    assert_eq!(status, 202, "{body}");
}

#[test]
fn ctrl_c_stops_the_server_within_its_shutdown_deadline() {
    let (mut logger, addr) = logger(&["--read-timeout-secs", "60", "--shutdown-secs", "1"], None);
    // A request in flight that will not finish by itself for a minute.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(format!("{HEAD}Content-Length: 100\r\n\r\n{{").as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = logger.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let started = Instant::now();
    loop {
        if let Some(status) = logger.child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still running {:?} after Ctrl-C",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(logger.stderr.lock().unwrap().contains("stopping"));
}

/// One valid `load` event of `brand` from a page on `origin`.
fn staging_event(brand: &str, origin: &str) -> serde_json::Value {
    serde_json::json!({
        "id": format!("staging_{brand}"), "type": "load", "ts": 1767225600000u64,
        "brand": brand, "page": format!("{origin}/get-a-quote"), "pv": "pv_staging", "ms": 3
    })
}

#[test]
fn a_staging_origin_is_refused_without_allow_origin_and_accepted_for_every_brand_with_it() {
    const STAGING: &str = "https://staging.acme.example";
    let (_plain, addr) = logger(&[], None);
    let (status, body) = post_events(
        &format!("http://{addr}"),
        STAGING,
        &[staging_event("acme", STAGING)],
    );
    assert_eq!(status, 403, "{body}");

    // Given as a URL with a trailing slash and capitals, as people paste it.
    let (with, addr) = logger(
        &[
            "--allow-origin",
            "https://Staging.Acme.example/",
            "--allow-origin",
            "http://localhost:5173",
        ],
        None,
    );
    assert!(
        with.stderr.lock().unwrap().contains(
            "lambda-logger: also accepting beacons for every brand from http://localhost:5173, https://staging.acme.example (--allow-origin)"
        ),
        "{}",
        with.stderr.lock().unwrap()
    );
    for brand in ["acme", "solar"] {
        let (status, body) = post_events(
            &format!("http://{addr}"),
            STAGING,
            &[staging_event(brand, STAGING)],
        );
        assert_eq!(status, 202, "{brand}: {body}");
        assert_eq!(body, r#"{"accepted":1,"rejected":0}"#, "{brand}");
    }
    // Still no brand that the build does not have.
    let (status, _) = post_events(
        &format!("http://{addr}"),
        STAGING,
        &[staging_event("nobrand", STAGING)],
    );
    assert_eq!(status, 403);
}

#[test]
fn an_allow_origin_that_is_no_origin_stops_the_server_saying_what_to_give() {
    let out = Command::new(env!("CARGO_BIN_EXE_lambda-logger"))
        .args(["serve", "--listen", "127.0.0.1:0", "--artifacts"])
        .arg(artifacts())
        .arg("--spool")
        .arg(temp_path("bad-origin.ndjson"))
        .args(["--allow-origin", "https://staging.acme.example/quote"])
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--allow-origin https://staging.acme.example/quote: not an origin: give scheme://host[:port]"),
        "{err}"
    );
}
