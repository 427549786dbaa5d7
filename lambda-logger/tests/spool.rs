//! The spool under faults: a write that fails half-way (file-size limit standing in for a full disk) leaves no torn line, and rotation by rename is followed.

mod common;

use common::procs::*;
use common::*;
use serde_json::Value;
use std::process::Command;

/// Every line of the spool as JSON, panicking with the line number on a line that is not.
fn lines_as_events(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the spool ends in a torn line: {:?}",
        &text[text.len().saturating_sub(80)..]
    );
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("spool line {} is not an event ({e}): {l:.120}", i + 1))
        })
        .collect()
}

/// `lambda-logger serve --spool PATH` whose files may not grow past `kib` KiB (soft limit,
/// `SIGXFSZ` ignored, so a write past it fails with `EFBIG` as one past a full disk would).
fn logger_with_file_size_limit(spool: &std::path::Path, kib: u32) -> (Proc, String) {
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -S -f {kib}; exec \"$0\" serve --listen 127.0.0.1:0 --artifacts \"$1\" --spool \"$2\""
        ))
        .arg(env!("CARGO_BIN_EXE_lambda-logger"))
        .arg(artifacts())
        .arg(spool)
        .env_remove("AWS_LAMBDA_RUNTIME_API");
    let (proc, line) = start(cmd, "listening on http://", false);
    let url = line
        .split("http://")
        .nth(1)
        .unwrap()
        .trim_end_matches("/v1/events");
    (proc, format!("http://{url}"))
}

#[test]
fn a_batch_that_does_not_fit_is_refused_whole_and_the_next_one_is_stored_intact() {
    let spool = temp_path("limited.ndjson");
    let (logger, base) = logger_with_file_size_limit(&spool, 8);
    let events = numbered_events("torn_", 200);
    let mut acknowledged = Vec::new();
    let mut refused = false;
    for chunk in events.chunks(10) {
        match post_events(&base, ACME, chunk) {
            (202, _) => acknowledged.extend(chunk.iter().cloned()),
            (503, _) => {
                refused = true;
                break;
            }
            (status, body) => panic!("unexpected answer {status}: {body}"),
        }
    }
    assert!(refused, "the file-size limit never made a batch fail");
    let stored = lines_as_events(&spool);
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "only acknowledged batches are in the spool"
    );

    // Space comes back: the next acknowledged event must be a whole line of its own.
    let pid = logger.child.id().to_string();
    let raised = Command::new("prlimit")
        .args(["--pid", &pid, "--fsize=unlimited:unlimited"])
        .status()
        .expect("prlimit (util-linux)");
    assert!(raised.success());
    let next = numbered_events("after_", 1);
    assert_eq!(post_events(&base, ACME, &next).0, 202);
    acknowledged.extend(next);
    let stored = lines_as_events(&spool);
    assert_eq!(stored.len(), acknowledged.len());
    for (logged, sent) in stored.iter().zip(&acknowledged) {
        assert_logged_as_sent(logged, sent);
    }
}

#[test]
fn a_spool_renamed_away_is_reopened_at_its_path() {
    let spool = temp_path("rotated.ndjson");
    let (_logger, base) = start_logger(&["--spool", spool.to_str().unwrap()], &[]);
    let first = numbered_events("before_rotation_", 3);
    assert_eq!(post_events(&base, ACME, &first).0, 202);
    let rotated = spool.with_extension("ndjson.1");
    std::fs::rename(&spool, &rotated).unwrap();
    let second = numbered_events("after_rotation_", 4);
    assert_eq!(post_events(&base, ACME, &second).0, 202);
    let old = lines_as_events(&rotated);
    let new = lines_as_events(&spool);
    assert_eq!(old.len(), 3, "the rotated file keeps what it had");
    assert_eq!(new.len(), 4, "new events go to a new file at the path");
    assert_eq!(new[0]["id"], second[0]["id"]);
}
