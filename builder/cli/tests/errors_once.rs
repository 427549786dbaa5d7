//! The `formroute` binary on failing cases (a missing build, a broken manifest, a damaged or unreadable artifact, a bad or unreachable `s3://` URL, a missing bucket): each cause is printed once, on one `formroute: error:` line.
//!
//! The missing-bucket case needs `FORMROUTE_MOTO_URL` (a moto server); without it that test fails
//! with the command that starts one.

mod common;

use common::once;
use common::*;
use std::path::Path;
use std::process::Command;

/// Runs `formroute ARGS` with `env`; it must fail. Returns its stderr.
fn fails(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    stderr
}

/// `stderr` has one `formroute: error:` line, and each of `causes` once (see [`once::says_once`]).
fn says_once(stderr: &str, causes: &[&str]) {
    once::says_once("formroute", stderr, causes);
}

/// `formroute resolve` of one query against the build in `dir`, which must fail; its stderr.
fn resolve_fails(dir: &Path) -> String {
    let query = ["--brand", "acme", "--zip", "10001", "--product", "auto"];
    let mut args = vec!["resolve", "--artifacts", path(dir)];
    args.extend(query);
    fails(&args, &[])
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A build of the sample data in a fresh folder.
fn built(name: &str) -> std::path::PathBuf {
    let out = scratch(name).join("out");
    build(&repo().join("data"), &out);
    out
}

/// The file of acme's newest artifact in `out` (format 2), the one `diff` reads.
fn acme_newest(out: &Path) -> std::path::PathBuf {
    std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("acme.") && name.ends_with(".v2.frt")
        })
        .unwrap()
}

#[test]
fn a_data_folder_that_is_a_file_names_the_read_error_once() {
    let dir = scratch("data-is-a-file");
    let data = dir.join("data");
    std::fs::write(&data, "not a folder").unwrap();
    let out = dir.join("out");
    let stderr = fails(&["build", "--data", path(&data), "--out", path(&out)], &[]);
    says_once(&stderr, &["zips.csv", "Not a directory"]);
}

#[test]
fn a_folder_without_a_manifest_names_the_missing_file_once() {
    let empty = scratch("no-manifest");
    let stderr = resolve_fails(&empty);
    says_once(&stderr, &["manifest.json", "No such file or directory"]);
}

#[test]
fn a_manifest_that_is_not_json_says_why_once() {
    let dir = scratch("bad-manifest");
    std::fs::write(dir.join("manifest.json"), "{\"format_version\": 1,").unwrap();
    let stderr = resolve_fails(&dir);
    says_once(&stderr, &["is not a valid manifest", "EOF while parsing"]);
}

#[test]
fn a_manifest_of_another_format_version_gives_the_version_message_once() {
    let dir = built("v9-manifest");
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"format_version\": 1,"), "{manifest}");
    let manifest = manifest.replace("\"format_version\": 1,", "\"format_version\": 9,");
    std::fs::write(dir.join("manifest.json"), manifest).unwrap();
    let stderr = resolve_fails(&dir);
    says_once(
        &stderr,
        &[&formroute_core::artifact::unsupported_version(
            9,
            "version 1",
        )],
    );
}

#[test]
fn a_damaged_artifact_in_a_diff_names_the_failed_check_once() {
    let old = built("diff-damaged-old");
    let new = built("diff-damaged-new");
    let frt = acme_newest(&new);
    let mut bytes = std::fs::read(&frt).unwrap();
    let sha_before = formroute_core::compile::sha256_hex(&bytes);
    let n = bytes.len();
    bytes[n / 2] ^= 0x40;
    std::fs::write(&frt, &bytes).unwrap();
    // The manifest lists the damaged bytes' SHA-256, so the artifact's own check is the one that fails.
    let manifest = std::fs::read_to_string(new.join("manifest.json")).unwrap();
    let manifest = manifest.replace(&sha_before, &formroute_core::compile::sha256_hex(&bytes));
    std::fs::write(new.join("manifest.json"), manifest).unwrap();
    let stderr = fails(&["diff", path(&old), path(&new)], &[]);
    says_once(&stderr, &["brand acme is unusable", "checksum mismatch"]);
}

#[test]
fn an_unreadable_artifact_in_a_diff_names_the_read_error_once() {
    let old = built("diff-unreadable-old");
    let new = built("diff-unreadable-new");
    // A folder where the file should be: reading it fails for root too.
    let frt = acme_newest(&new);
    std::fs::remove_file(&frt).unwrap();
    std::fs::create_dir(&frt).unwrap();
    let stderr = fails(&["diff", path(&old), path(&new)], &[]);
    says_once(&stderr, &["cannot read", "Is a directory"]);
}

#[test]
fn an_s3_url_without_a_bucket_is_refused_once() {
    let dir = built("diff-no-bucket");
    let stderr = fails(&["diff", "s3:///cdn", path(&dir)], &[]);
    says_once(&stderr, &["s3:///cdn", "expected s3://BUCKET/PREFIX"]);
}

#[test]
fn an_unreachable_s3_endpoint_names_each_cause_once() {
    let dir = built("diff-unreachable");
    // A port nothing listens on: the SDK's dispatch failure and its causes.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let stderr = fails(
        &["diff", "s3://bucket/cdn", path(&dir)],
        &[
            ("AWS_ENDPOINT_URL", &endpoint),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
    );
    says_once(&stderr, &["cannot get s3://bucket/cdn/manifest.json"]);
}

#[test]
fn a_bucket_s3_does_not_have_is_named_once_with_s3s_own_words() {
    let moto = moto();
    let env = [
        ("AWS_ENDPOINT_URL", moto.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
    ];
    let stderr = fails(
        &[
            "logs",
            "report",
            "--from",
            "s3://formroute-no-such-bucket/x",
        ],
        &env,
    );
    says_once(&stderr, &["The specified bucket does not exist"]);
}
