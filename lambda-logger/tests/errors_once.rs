//! `lambda-logger` and `lambda-archiver` on failing cases (a missing spool file, an `s3://` URL without a bucket, a broken manifest, an unreachable or missing queue): each cause is printed once.
//!
//! The missing-queue case needs `FORMROUTE_MOTO_URL` (a moto server); without it that test fails
//! with the command that starts one.

mod common;
// The check is the CLI tests' own, so both crates' binaries are held to the same words.
#[path = "../../builder/cli/tests/common/once.rs"]
mod once;

use common::*;
use once::says_once;
use std::process::Command;

/// Runs `cmd`; it must exit with status 1. Returns its stderr.
fn fails(mut cmd: Command) -> String {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{cmd:?}: {stderr}");
    stderr
}

fn archiver() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lambda-archiver"))
}

#[test]
fn a_missing_spool_file_names_the_read_error_once() {
    let to = temp_path("archive");
    let mut cmd = archiver();
    cmd.args(["drain", "--from-spool"])
        .arg(temp_path("absent.ndjson"))
        .arg("--to")
        .arg(&to);
    let stderr = fails(cmd);
    says_once(
        "lambda-archiver",
        &stderr,
        &["absent.ndjson", "No such file or directory"],
    );
}

#[test]
fn an_archive_url_without_a_bucket_is_refused_once() {
    let spool = temp_path("spool.ndjson");
    std::fs::write(&spool, "").unwrap();
    let mut cmd = archiver();
    cmd.args(["drain", "--from-spool"])
        .arg(&spool)
        .args(["--to", "s3:///archive"]);
    let stderr = fails(cmd);
    says_once(
        "lambda-archiver",
        &stderr,
        &["`s3:///archive` names no bucket"],
    );
}

#[test]
fn an_unreachable_queue_names_each_cause_once() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let queue = format!(
        "http://{}/123456789012/absent",
        closed.local_addr().unwrap()
    );
    drop(closed);
    let mut cmd = archiver();
    cmd.args(["drain", "--queue-url", &queue, "--wait", "0", "--to"])
        .arg(temp_path("archive"))
        .envs(common::aws::AWS_ENV)
        .env("AWS_MAX_ATTEMPTS", "1")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_SQS")
        .env_remove("AWS_LAMBDA_RUNTIME_API");
    let stderr = fails(cmd);
    says_once("lambda-archiver", &stderr, &["receiving from"]);
}

#[test]
fn a_broken_manifest_stops_serve_and_says_why_once() {
    let dir = temp_path("build");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("manifest.json"), "{\"format_version\": 1,").unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lambda-logger"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--artifacts"])
        .arg(&dir)
        .arg("--spool")
        .arg(temp_path("spool.ndjson"))
        .env_remove("AWS_LAMBDA_RUNTIME_API");
    let stderr = fails(cmd);
    says_once(
        "lambda-logger",
        &stderr,
        &["is not a valid manifest", "EOF while parsing"],
    );
}

#[test]
fn a_queue_sqs_does_not_have_is_named_once_with_sqss_own_words() {
    let moto = common::procs::moto_url("a_queue_sqs_does_not_have");
    let mut cmd = archiver();
    cmd.args(["drain", "--queue-url"])
        .arg(format!("{moto}/123456789012/formroute-no-such-queue"))
        .args(["--wait", "0", "--to"])
        .arg(temp_path("archive"))
        .envs(common::aws::AWS_ENV)
        .env("AWS_ENDPOINT_URL", &moto)
        .env_remove("AWS_LAMBDA_RUNTIME_API");
    let stderr = fails(cmd);
    says_once(
        "lambda-archiver",
        &stderr,
        &["The specified queue does not exist"],
    );
    // The message, not a debug dump of the SDK's response.
    assert!(!stderr.contains("ServiceError {"), "{stderr}");
}
