//! `formroute diff`: two builds of the sample data compared through the resolver, as text and JSON.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the sample data with `edit` applied to (file name, contents); returns the output folder.
fn build_edited(name: &str, edit: impl Fn(&str, String) -> String) -> PathBuf {
    let root = scratch(&format!("diff-{name}"));
    let (data, out) = (root.join("data"), root.join("out"));
    write_sample_data(&data, edit);
    build(&data, &out);
    out
}

fn diff(old: &Path, new: &Path, json: bool) -> String {
    let mut cmd = Command::new(BIN);
    cmd.arg("diff").arg(old).arg(new);
    if json {
        cmd.args(["--format", "json"]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn diff_counts_zips_whose_form_type_or_url_changes_per_brand_and_product() {
    let old = build_edited("old", |_, t| t);
    // lakeside's first form (home, direct) moves to a new host: its URL changes, its form type not.
    let new = build_edited("new", |f, t| match f {
        "forms.csv" => t.replacen(
            "https://www.lakeside.example/",
            "https://new.lakeside.example/",
            1,
        ),
        _ => t,
    });
    let same = diff(&old, &old, false);
    assert!(same.contains("no ZIP changes form type or URL"), "{same}");
    assert!(
        !same.lines().any(|l| l.trim_end().ends_with(" changed")),
        "{same}"
    );

    let text = diff(&old, &new, false);
    assert!(text.contains("lakeside"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&diff(&old, &new, true)).unwrap();
    let brands = json["brands"].as_array().unwrap();
    let by = |b: &str| brands.iter().find(|x| x["brand"] == b).unwrap().clone();
    assert_eq!(by("acme")["files"], "unchanged");
    assert_eq!(by("solis")["files"], "unchanged");
    let lakeside = by("lakeside");
    assert_eq!(lakeside["files"], "changed");
    let products = lakeside["products"].as_array().unwrap();
    assert!(!products.is_empty(), "{lakeside}");
    let total_url: u64 = products
        .iter()
        .map(|p| p["zips_url_changed"].as_u64().unwrap())
        .sum();
    let total_type: u64 = products
        .iter()
        .map(|p| p["zips_form_type_changed"].as_u64().unwrap())
        .sum();
    assert!(total_url > 0, "{lakeside}");
    assert_eq!(total_type, 0, "only a URL changed: {lakeside}");
    let ex = &products[0]["examples"][0];
    assert!(
        ex["old"].as_str().unwrap().contains("www.lakeside.example"),
        "{ex}"
    );
    assert!(
        ex["new"].as_str().unwrap().contains("new.lakeside.example"),
        "{ex}"
    );
}

#[test]
fn diff_reports_form_type_changes_from_a_rule_change() {
    let old = build_edited("rule-old", |_, t| t);
    let new = build_edited("rule-new", |f, t| match f {
        "rules.csv" => t.replacen("acme,*,*,direct", "acme,*,*,agent", 1),
        _ => t,
    });
    let json: serde_json::Value = serde_json::from_str(&diff(&old, &new, true)).unwrap();
    let acme = json["brands"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["brand"] == "acme")
        .unwrap()
        .clone();
    let products = acme["products"].as_array().unwrap();
    assert!(
        products
            .iter()
            .all(|p| p["zips_form_type_changed"].as_u64().unwrap() > 0),
        "{acme}"
    );
    let ex = &products[0]["examples"][0];
    assert!(ex["old"].as_str().unwrap().starts_with("direct"), "{ex}");
    assert!(ex["new"].as_str().unwrap().starts_with("agent"), "{ex}");
}
