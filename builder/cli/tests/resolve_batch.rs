//! `formroute resolve --batch --format csv` with the query echoed, and the data team's regression file: `expected_form_type` / `expected_url` checked, non-zero exit on a mismatch.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sample_build(name: &str) -> PathBuf {
    let root = scratch(&format!("batch-{name}"));
    write_sample_data(&root.join("data"), |_, t| t);
    build(&root.join("data"), &root.join("out"));
    root
}

fn resolve_batch(out: &Path, batch: &Path, extra: &[&str]) -> Output {
    Command::new(BIN)
        .arg("resolve")
        .arg("--artifacts")
        .arg(out)
        .arg("--batch")
        .arg(batch)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn csv_output_echoes_each_query_and_checks_expectations() {
    let root = sample_build("expect");
    let batch = root.join("regression.csv");
    std::fs::write(
        &batch,
        "brand,zip,product,language,expected_form_type,expected_url\n\
         acme,32801,auto,es,callback,https://www.acme.example/es/callback?product=auto&zip=32801&form=callback\n\
         acme,10004,auto,en,agent,\n\
         acme,32801,home,en,not_served,https://www.acme.example/en/quote?zip=32801&product=home&src=acme\n\
         acme,14201,home,en,direct,\n\
         solis,00907,moto,\" en\",,\n",
    )
    .unwrap();
    let o = resolve_batch(&root.join("out"), &batch, &["--format", "csv"]);
    let (stdout, stderr) = (
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    );
    assert_eq!(o.status.code(), Some(1), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "brand,zip,product,language,ok,url,state,form_type,language_used,error,fallback_url,expected_form_type,expected_url,check"
    );
    assert_eq!(
        lines[1],
        "acme,32801,auto,es,true,https://www.acme.example/es/callback?product=auto&zip=32801&form=callback,FL,callback,es,,,callback,https://www.acme.example/es/callback?product=auto&zip=32801&form=callback,ok"
    );
    assert!(lines[3].starts_with("acme,32801,home,en,false,,,,,not_served,https://www.acme.example/en/quote?zip=32801&product=home&src=acme,not_served,"), "{}", lines[3]);
    assert!(lines[3].ends_with(",ok"), "{}", lines[3]);
    assert!(
        lines[4].starts_with("acme,14201,home,en,true,https://agents.acme.example/"),
        "{}",
        lines[4]
    );
    assert!(lines[4].ends_with(",direct,,mismatch"), "{}", lines[4]);
    // The query exactly as asked (quoted when needed), and no expectation: not checked.
    assert!(
        lines[5].starts_with("solis,00907,moto, en,true,"),
        "{}",
        lines[5]
    );
    assert!(lines[5].ends_with(",,,"), "{}", lines[5]);
    assert_eq!(lines.len(), 6);
    assert!(
        stderr.contains(&format!(
            "{}:5: acme 14201 home en: expected form type `direct`, got `agent`",
            batch.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("1 of 4 checked queries differ"), "{stderr}");

    // The same file, NDJSON: SPEC's lines on stdout, the check on stderr and in the exit code.
    let o = resolve_batch(&root.join("out"), &batch, &[]);
    assert_eq!(o.status.code(), Some(1));
    let ndjson = String::from_utf8(o.stdout).unwrap();
    assert!(ndjson.starts_with("{\"ok\":true,\"url\":\"https://www.acme.example/es/callback?product=auto&zip=32801&form=callback\",\"state\":\"FL\",\"form_type\":\"callback\",\"language\":\"es\"}\n"), "{ndjson}");

    // All as expected: exit 0.
    let good = root.join("good.csv");
    std::fs::write(
        &good,
        "brand,zip,product,expected_form_type\nacme,14201,home,agent\nlakeside,60601,home,not_served\n",
    )
    .unwrap();
    let o = resolve_batch(&root.join("out"), &good, &["--format", "csv"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("all 2 checked queries answer as expected"));
}

#[test]
fn a_single_query_can_be_printed_as_csv() {
    let root = sample_build("single");
    let o = Command::new(BIN)
        .arg("resolve")
        .arg("--artifacts")
        .arg(root.join("out"))
        .args([
            "--brand",
            "acme",
            "--zip",
            "80202",
            "--product",
            "auto",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        "brand,zip,product,language,ok,url,state,form_type,language_used,error,fallback_url\n\
         acme,80202,auto,,true,https://www.acme.example/en/quote/auto?zip=80202&state=CO,CO,direct,en,,\n"
    );
}
