//! `formroute diff`: two builds of the sample data compared through the resolver, grouped by state and old -> new, as text and JSON; `--fail-on-change`.

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

/// `formroute diff OLD NEW --fail-on-change`: its exit code.
fn fail_on_change(old: &Path, new: &Path) -> Option<i32> {
    let out = Command::new(BIN)
        .arg("diff")
        .arg(old)
        .arg(new)
        .arg("--fail-on-change")
        .output()
        .unwrap();
    out.status.code()
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
    let ex = &products[0]["groups"][0]["example"];
    assert!(
        ex["old_url"]
            .as_str()
            .unwrap()
            .contains("www.lakeside.example"),
        "{ex}"
    );
    assert!(
        ex["new_url"]
            .as_str()
            .unwrap()
            .contains("new.lakeside.example"),
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
    let g = &products[0]["groups"][0];
    assert_eq!(g["form_type_changed"], true, "{g}");
    assert_eq!(g["old"]["form_type"], "direct", "{g}");
    assert_eq!(g["new"]["form_type"], "agent", "{g}");
}

/// The data team's change request of data/README.md: acme auto in Florida goes to a new Spanish
/// agent form, and Miami (331xx) keeps the call-back form.
fn florida_change(f: &str, t: String) -> String {
    match f {
        "rules.csv" => t.replacen(
            "acme,home,FL,none\n",
            "acme,home,FL,none\nacme,auto,FL,agent\n",
            1,
        ),
        "zip_overrides.csv" => t.replacen(
            "acme,home,33109,agent\n",
            "acme,home,33109,agent\nacme,auto,331,callback\n",
            1,
        ),
        "forms.csv" => t.replacen(
            "acme,auto,callback,en,",
            "acme,auto,agent,es,https://agents.acme.example/es/buscar?zip={zip}&product={product}\nacme,auto,callback,en,",
            1,
        ),
        _ => t,
    }
}

#[test]
fn diff_groups_changes_by_state_and_old_to_new_form_type_changes_first() {
    let old = build_edited("fl-old", |_, t| t);
    let new = build_edited("fl-new", florida_change);
    let text = diff(&old, &new, false);
    let json: serde_json::Value = serde_json::from_str(&diff(&old, &new, true)).unwrap();
    assert_eq!(json["changed"], true);
    let acme = json["brands"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["brand"] == "acme")
        .unwrap()
        .clone();
    let products = acme["products"].as_array().unwrap();
    assert_eq!(products.len(), 1, "only auto changes: {acme}");
    let groups = products[0]["groups"].as_array().unwrap();
    // Form-type changes first: Florida, callback -> agent, in each language asked.
    let first = &groups[0];
    assert_eq!(first["state"], "FL", "{first}");
    assert_eq!(first["form_type_changed"], true);
    assert_eq!(first["old"]["form_type"], "callback");
    assert_eq!(first["new"]["form_type"], "agent");
    assert!(first["new"]["url_template"]
        .as_str()
        .unwrap()
        .starts_with("https://agents.acme.example/"));
    let fl_zips = first["zips"].as_u64().unwrap();
    assert_eq!(
        fl_zips,
        products[0]["zips_form_type_changed"].as_u64().unwrap()
    );
    // Every Florida ZIP but Miami's 331xx: one example each, none of them in 331xx.
    for g in groups.iter().filter(|g| g["state"] == "FL") {
        let zip = g["example"]["zip"].as_str().unwrap();
        assert!(zip.starts_with('3') && !zip.starts_with("331"), "{g}");
    }
    let first_url_only = groups
        .iter()
        .position(|g| g["form_type_changed"] == false)
        .unwrap();
    assert!(groups[first_url_only..]
        .iter()
        .all(|g| g["form_type_changed"] == false));
    // The Spanish agent form changes New York's URLs, not its form type.
    assert!(groups[first_url_only..].iter().any(|g| g["state"] == "NY"
        && g["old"]["language"] == "en"
        && g["new"]["language"] == "es"));
    // The text says the same, Florida first, with the templates and one example.
    let fl = text.find("  FL ").unwrap();
    let ny = text.find("  NY ").unwrap();
    assert!(fl < ny, "{text}");
    assert!(text.contains("callback (en) -> agent (en)"), "{text}");
    assert!(
        text.contains("-> https://agents.acme.example/es/buscar?zip={zip}&product={product}"),
        "{text}"
    );
    assert!(text.contains("e.g. 32"), "{text}");
    // CI: --fail-on-change exits 1 on a change, 0 when nothing changes.
    assert_eq!(fail_on_change(&old, &new), Some(1));
    assert_eq!(fail_on_change(&old, &old), Some(0));
}

#[test]
fn an_added_or_removed_brand_shows_its_coverage() {
    let old = build_edited("brand-old", |_, t| t);
    let new = build_edited("brand-new", |f, t| match f {
        "brands.csv" => {
            t + "newco,New Co,en,https://www.newco.example/?zip={zip},https://www.newco.example\n"
        }
        "forms.csv" => t + "newco,pet,direct,en,https://www.newco.example/pet?zip={zip}\n",
        "rules.csv" => t + "newco,*,*,none\nnewco,pet,TX,direct\n",
        _ => t,
    });
    let json: serde_json::Value = serde_json::from_str(&diff(&old, &new, true)).unwrap();
    let newco = json["brands"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["brand"] == "newco")
        .unwrap()
        .clone();
    assert_eq!(newco["files"], "added");
    let pet = &newco["coverage"][0];
    assert_eq!(pet["product"], "pet");
    assert!(pet["zips_served"].as_u64().unwrap() > 1000, "{pet}");
    assert_eq!(pet["form_types"]["direct"], serde_json::json!(["TX"]));
    let text = diff(&new, &old, false);
    assert!(text.contains("newco (removed brand, it served):"), "{text}");
    assert!(text.contains("direct        1 state : TX"), "{text}");
}
