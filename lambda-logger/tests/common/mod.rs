//! Helpers shared by lambda-logger's tests: fixture paths, example events, unique temp files (AWS and processes in submodules).
#![allow(dead_code)]

pub(crate) mod aws;
pub(crate) mod lookup;
pub(crate) mod procs;

use serde_json::Value;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

pub(crate) const ACME: &str = "https://www.acme.example";
pub(crate) const SOLAR: &str = "https://www.solar.example";

pub(crate) fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub(crate) fn artifacts() -> PathBuf {
    fixtures().join("artifacts")
}

/// The shared example events of client-js/schema/examples/{valid,invalid}, sorted by file name.
pub(crate) fn examples(kind: &str) -> Vec<Value> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../client-js/schema/examples")
        .join(kind);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// The valid examples with fresh ids `{prefix}{n:06}` (so many copies can be told apart).
pub(crate) fn numbered_events(prefix: &str, n: usize) -> Vec<Value> {
    let valid = examples("valid");
    (0..n)
        .map(|i| {
            let mut e = valid[i % valid.len()].clone();
            e["id"] = Value::String(format!("{prefix}{i:06}"));
            e
        })
        .collect()
}

pub(crate) fn temp_path(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "lambda-logger-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Reads an NDJSON file into values.
pub(crate) fn read_ndjson(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Asserts that `logged` is `sent` plus exactly the logger's fields.
pub(crate) fn assert_logged_as_sent(logged: &Value, sent: &Value) {
    let logged = logged.as_object().unwrap();
    for (k, v) in sent.as_object().unwrap() {
        assert_eq!(logged.get(k), Some(v), "field {k} of {}", sent["id"]);
    }
    let added: Vec<&str> = logged
        .keys()
        .map(String::as_str)
        .filter(|k| !sent.as_object().unwrap().contains_key(*k))
        .collect();
    for k in &added {
        assert!(
            [
                "received",
                "request_id",
                "country",
                "ua",
                "ip_prefix",
                "bot"
            ]
            .contains(k),
            "unexpected field {k}"
        );
    }
    for k in ["received", "request_id", "ua", "bot"] {
        assert!(logged.contains_key(k), "missing {k}");
    }
}
