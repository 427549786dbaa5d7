//! The `formroute` binary as users meet it: `build` (refusal, atomic replace, determinism) and `resolve`.

mod common;

use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A fresh folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        TempDir(scratch(&format!("cli-{name}")))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run formroute")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn formroute");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// `formroute build --data DATA --out OUT`.
fn run_build(data: &Path, out: &Path) -> Output {
    run(&["build", "--data", s(data), "--out", s(out)])
}

/// `formroute resolve --artifacts DIR --brand B --zip Z --product P`, then `extra` flags.
fn resolve(artifacts: &Path, brand: &str, zip: &str, product: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "resolve",
        "--artifacts",
        s(artifacts),
        "--brand",
        brand,
        "--zip",
        zip,
        "--product",
        product,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A small valid database.
fn write_data(dir: &Path) {
    let files = [
        ("zips.csv", "zip,state\n10001,NY\n10011,NY\n20001,DC\n60601,IL\n"),
        (
            "brands.csv",
            "brand,name,default_language,fallback_url,origins\nacme,Acme,en,https://acme.example/fb?zip={zip}&p={product}&l={language},https://www.acme.example\n",
        ),
        (
            "forms.csv",
            "brand,product,form_type,language,url\n\
             acme,auto,direct,en,https://acme.example/{language}/auto?zip={zip}&s={state}\n\
             acme,auto,direct,es,https://acme.example/es/auto?zip={zip}\n\
             acme,auto,agent,en,https://acme.example/agent?zip={zip}\n\
             acme,home,direct,en,https://acme.example/home/café?zip={zip}\n",
        ),
        (
            "rules.csv",
            "brand,product,state,form_type\n# comment lines count\nacme,*,*,direct\nacme,home,IL,none\n",
        ),
        ("zip_overrides.csv", "brand,product,zip_prefix,form_type\nacme,auto,1001,agent\n"),
    ];
    fs::create_dir_all(dir).expect("data dir");
    for (name, text) in files {
        fs::write(dir.join(name), text).expect("write data");
    }
}

/// Every file of a folder with its bytes, sorted by name.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).expect("read"),
            )
        })
        .collect();
    v.sort();
    v
}

/// A temp folder holding the small database in `data/` and a successful build of it in `out/`;
/// returns (folder, data, out).
fn built_from_data(name: &str) -> (TempDir, PathBuf, PathBuf) {
    let t = TempDir::new(name);
    let (data, out) = (t.0.join("data"), t.0.join("out"));
    write_data(&data);
    let o = run_build(&data, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    (t, data, out)
}

#[test]
fn build_writes_artifacts_and_a_manifest_and_reports_coverage_on_stderr() {
    let t = TempDir::new("build");
    let (data, out) = (t.0.join("data"), t.0.join("out"));
    write_data(&data);
    let o = run_build(&data, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        o.stdout.is_empty(),
        "data goes to files, progress to stderr"
    );
    let err = stderr(&o);
    assert!(err.contains("coverage of brand `acme`"), "{err}");
    assert!(err.contains("does not serve product `home`"), "{err}");
    let names: Vec<String> = snapshot(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.len(), 6, "{names:?}");
    assert!(names
        .iter()
        .any(|n| n.starts_with("acme.") && n.ends_with(".frt") && !n.ends_with(".v2.frt")));
    assert!(names
        .iter()
        .any(|n| n.starts_with("acme.") && n.ends_with(".v2.frt")));
    assert!(names.iter().any(|n| n.ends_with(".explain.msgpack")));
    // The client files the binary carries, content-addressed (docs/PUBLISHING.md).
    assert!(names
        .iter()
        .any(|n| n.starts_with("formroute.") && n.ends_with(".min.js")));
    assert!(names
        .iter()
        .any(|n| n.starts_with("formroute.") && n.ends_with(".esm.js")));
    assert!(names.contains(&"manifest.json".to_string()));
}

#[test]
fn two_builds_of_the_sample_data_are_byte_identical() {
    let t = TempDir::new("determinism");
    let data = repo().join("data");
    let (a, b) = (t.0.join("a"), t.0.join("b"));
    for out in [&a, &b] {
        let o = run_build(&data, out);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (sa, sb) = (snapshot(&a), snapshot(&b));
    assert!(sa.len() >= 7, "the sample data has at least three brands");
    assert_eq!(sa, sb);
}

#[test]
fn a_refused_build_prints_every_error_and_leaves_the_previous_output_intact() {
    let (t, data, out) = built_from_data("refuse");
    let before = snapshot(&out);

    // Two errors: a bad ZIP in zips.csv, and an override reaching a form type with no `en` form.
    fs::write(
        data.join("zips.csv"),
        "zip,state\n10001,NY\n1001,NY\n20001,DC\n60601,IL\n",
    )
    .expect("write");
    fs::write(
        data.join("zip_overrides.csv"),
        "brand,product,zip_prefix,form_type\nacme,auto,1001,agent\nacme,home,2,agent\n",
    )
    .expect("write");
    let o = run_build(&data, &out);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let zips = format!("{}:3:1: error:", data.join("zips.csv").display());
    let ovr = format!("{}:3:4: error:", data.join("zip_overrides.csv").display());
    assert!(err.contains(&zips), "missing {zips} in:\n{err}");
    assert!(err.contains(&ovr), "missing {ovr} in:\n{err}");
    assert!(err.contains("help:"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(
        snapshot(&out),
        before,
        "the previous build must be untouched"
    );
    let leftovers: Vec<_> = fs::read_dir(&t.0)
        .expect("dir")
        .map(|e| e.expect("e").file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "no temporary folder is left behind: {leftovers:?}"
    );
}

#[test]
fn a_successful_rebuild_replaces_the_whole_folder() {
    let (_t, data, out) = built_from_data("replace");
    let before = snapshot(&out);
    fs::write(
        data.join("zip_overrides.csv"),
        "brand,product,zip_prefix,form_type\nacme,auto,1000,agent\n",
    )
    .expect("write");
    assert!(run_build(&data, &out).status.success());
    let after = snapshot(&out);
    assert_eq!(
        after.len(),
        6,
        "old artifact files are gone: {:?}",
        after.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_ne!(before, after);
}

#[test]
fn build_refuses_to_replace_a_folder_that_is_not_a_build() {
    let t = TempDir::new("notbuild");
    let (data, out) = (t.0.join("data"), t.0.join("precious"));
    write_data(&data);
    fs::create_dir_all(&out).expect("dir");
    fs::write(out.join("notes.txt"), "keep me").expect("write");
    let o = run_build(&data, &out);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("not a formroute build folder"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        fs::read_to_string(out.join("notes.txt")).expect("kept"),
        "keep me"
    );
}

/// The repository's sample data (three brands) in a fresh folder, built into `out`: the folder,
/// the data, `out`, and a second output folder not yet written.
fn sample_built(name: &str) -> (TempDir, PathBuf, PathBuf, PathBuf) {
    let t = TempDir::new(name);
    let (data, out, fresh) = (t.0.join("data"), t.0.join("out"), t.0.join("fresh"));
    write_sample_data(&data, |_, text| text);
    let o = run_build(&data, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    (t, data, out, fresh)
}

#[cfg(unix)]
#[test]
fn a_rebuild_keeps_the_files_of_unchanged_brands_and_writes_the_edited_brands() {
    use std::os::unix::fs::MetadataExt;
    let (_t, data, out, fresh) = sample_built("keep");
    let inode = |dir: &Path, name: &str| fs::metadata(dir.join(name)).expect("meta").ino();
    let before: Vec<(String, u64)> = snapshot(&out)
        .into_iter()
        .map(|(name, _)| {
            let i = inode(&out, &name);
            (name, i)
        })
        .collect();

    // One line of one brand: only acme's files change.
    let overrides = fs::read_to_string(data.join("zip_overrides.csv")).expect("read");
    fs::write(
        data.join("zip_overrides.csv"),
        format!("{overrides}acme,home,97,agent\n"),
    )
    .expect("write");
    let o = run_build(&data, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let after = snapshot(&out);
    for (name, ino) in before.iter().filter(|(n, _)| n != "manifest.json") {
        let still = after.iter().any(|(n, _)| n == name);
        if name.starts_with("acme.") {
            assert!(!still, "{name}: acme's files have new names (their hashes)");
        } else {
            assert!(still, "{name} is gone");
            assert_eq!(
                inode(&out, name),
                *ino,
                "{name} was written again, not kept"
            );
        }
    }
    let kept = before.len()
        - 1
        - before
            .iter()
            .filter(|(n, _)| n.starts_with("acme."))
            .count();
    assert!(
        stderr(&o).contains(&format!("; {kept} unchanged since the previous build")),
        "{}",
        stderr(&o)
    );
    // What is kept is what a build into a new folder writes.
    assert!(run_build(&data, &fresh).status.success());
    assert_eq!(snapshot(&out), snapshot(&fresh));
}

#[test]
fn a_file_of_the_previous_build_changed_by_hand_is_written_again() {
    let (_t, data, out, fresh) = sample_built("tampered");
    let (name, bytes) = snapshot(&out)
        .into_iter()
        .find(|(n, _)| n.starts_with("lakeside.") && n.ends_with(".v2.frt"))
        .expect("lakeside's v2 artifact");
    // Same length, one byte flipped: the name still matches, the bytes do not.
    let mut damaged = bytes.clone();
    damaged[40] ^= 0xff;
    fs::write(out.join(&name), &damaged).expect("write");
    let o = run_build(&data, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fs::read(out.join(&name)).expect("read"), bytes);
    assert!(run_build(&data, &fresh).status.success());
    assert_eq!(snapshot(&out), snapshot(&fresh));
}

fn built(name: &str) -> (TempDir, PathBuf) {
    let (t, _data, out) = built_from_data(name);
    (t, out)
}

#[test]
fn resolve_prints_one_spec_line_per_query() {
    let (_t, out) = built("resolve-one");
    let o = resolve(
        &out,
        "acme",
        " 20001-1234",
        "AUTO",
        &["--language", "es-MX"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "{\"ok\":true,\"url\":\"https://acme.example/es/auto?zip=20001\",\"state\":\"DC\",\"form_type\":\"direct\",\"language\":\"es\"}\n"
    );
    // Non-ASCII in a template is written as itself; a ZIP starting with `-` is a value, not a flag.
    let o = resolve(&out, "acme", "-1", "home", &[]);
    assert_eq!(stdout(&o), "{\"ok\":false,\"error\":\"invalid_zip\",\"fallback_url\":\"https://acme.example/fb?zip=&p=home&l=en\"}\n");
    let o = resolve(&out, "acme", "20001", "home", &[]);
    assert_eq!(
        stdout(&o),
        "{\"ok\":true,\"url\":\"https://acme.example/home/café?zip=20001\",\"state\":\"DC\",\"form_type\":\"direct\",\"language\":\"en\"}\n"
    );
    let o = resolve(&out, "Acme", "20001", "home", &[]);
    assert_eq!(
        stdout(&o),
        "{\"ok\":false,\"error\":\"unknown_brand\",\"fallback_url\":null}\n"
    );
}

#[test]
fn resolve_batch_takes_fields_exactly_and_answers_in_input_order() {
    let (_t, out) = built("resolve-batch");
    let csv = "language,brand,zip,product\n\
               es,acme,10011,auto\n\
               ,acme,\" 10001 \",Auto\n\
               en,acme,60601,home\n\
               en,nope,10001,auto\n\
               \"fr\",acme,\"10001,2\",\"a\"\"b\"\n";
    let mut bytes = csv.as_bytes().to_vec();
    // A row with bytes that are not UTF-8 still gets an answer (decoded lossily).
    bytes.extend_from_slice(b"en,acme,20001,h\xffme\n");
    let o = run_stdin(&["resolve", "--artifacts", s(&out), "--batch", "-"], &bytes);
    assert!(o.status.success(), "{}", stderr(&o));
    let want = [
        // 10011 starts with the override's 1001: agent, which has no `es` form, so `en`.
        r#"{"ok":true,"url":"https://acme.example/agent?zip=10011","state":"NY","form_type":"agent","language":"en"}"#,
        r#"{"ok":true,"url":"https://acme.example/en/auto?zip=10001&s=NY","state":"NY","form_type":"direct","language":"en"}"#,
        r#"{"ok":false,"error":"not_served","fallback_url":"https://acme.example/fb?zip=60601&p=home&l=en"}"#,
        r#"{"ok":false,"error":"unknown_brand","fallback_url":null}"#,
        r#"{"ok":false,"error":"invalid_zip","fallback_url":"https://acme.example/fb?zip=&p=a%22b&l=en"}"#,
        r#"{"ok":false,"error":"unknown_product","fallback_url":"https://acme.example/fb?zip=20001&p=h%EF%BF%BDme&l=en"}"#,
    ];
    assert_eq!(stdout(&o), want.join("\n") + "\n");
}

#[test]
fn resolve_explain_appends_the_deciding_row_last() {
    let (_t, out) = built("explain");
    let csv = "brand,zip,product,language\nacme,10011,auto,\nacme,10011,auto,es\nacme,60601,home,\nacme,x,auto,\n";
    let o = run_stdin(
        &[
            "resolve",
            "--artifacts",
            s(&out),
            "--batch",
            "-",
            "--explain",
        ],
        csv.as_bytes(),
    );
    let lines: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    assert!(lines[0].ends_with(r#","language":"en","decided_by":"zip_overrides.csv:2 (product=auto,zip_prefix=1001,form_type=agent)"}"#), "{}", lines[0]);
    assert!(
        lines[1].ends_with(
            r#","decided_by":"zip_overrides.csv:2 (product=auto,zip_prefix=1001,form_type=agent)"}"#
        ),
        "{}",
        lines[1]
    );
    assert!(
        lines[2]
            .ends_with(r#","decided_by":"rules.csv:4 (product=home,state=IL,form_type=none)"}"#),
        "{}",
        lines[2]
    );
    assert!(lines[3].ends_with(r#","decided_by":null}"#), "{}", lines[3]);
}

#[test]
fn a_corrupt_artifact_answers_unavailable_and_says_why_on_stderr() {
    // Each format's file in turn: that format answers `unavailable`, the other still resolves.
    for (format, other, suffix) in [("1", "2", ".frt"), ("2", "1", ".v2.frt")] {
        let (_t, out) = built(&format!("corrupt-{format}"));
        let frt = fs::read_dir(&out)
            .expect("dir")
            .map(|e| e.expect("e").path())
            .find(|p| {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                name.ends_with(suffix) && (suffix != ".frt" || !name.ends_with(".v2.frt"))
            })
            .expect("frt");
        let mut bytes = fs::read(&frt).expect("read");
        let n = bytes.len();
        bytes[n / 2] ^= 0x40;
        fs::write(&frt, bytes).expect("write");
        let o = resolve(
            &out,
            "acme",
            "10001",
            "auto",
            &["--artifact-format", format],
        );
        assert!(o.status.success());
        assert_eq!(
            stdout(&o),
            "{\"ok\":false,\"error\":\"unavailable\",\"fallback_url\":null}\n"
        );
        assert!(
            stderr(&o).contains("brand `acme` is unavailable"),
            "{}",
            stderr(&o)
        );
        let o = resolve(&out, "acme", "10001", "auto", &["--artifact-format", other]);
        assert!(stdout(&o).starts_with("{\"ok\":true"), "{}", stdout(&o));
    }
}

#[test]
fn both_artifact_formats_answer_alike_and_an_unknown_one_is_a_usage_error() {
    let (_t, out) = built("formats");
    for (zip, product) in [
        ("10001", "auto"),
        ("20001", "home"),
        ("99999", "auto"),
        ("1", "x"),
    ] {
        let lines: Vec<String> = ["1", "2"]
            .iter()
            .map(|f| {
                stdout(&resolve(
                    &out,
                    "acme",
                    zip,
                    product,
                    &["--artifact-format", f],
                ))
            })
            .collect();
        assert_eq!(lines[0], lines[1], "{zip} {product}");
        assert_eq!(lines[1], stdout(&resolve(&out, "acme", zip, product, &[])));
    }
    let o = resolve(&out, "acme", "10001", "auto", &["--artifact-format", "3"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn resolve_without_a_manifest_fails_with_a_message() {
    let t = TempDir::new("nomanifest");
    let o = resolve(&t.0, "acme", "10001", "auto", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("manifest.json"), "{}", stderr(&o));
}
