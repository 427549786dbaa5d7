//! Compiling: the reachability check's errors, warnings, class numbering, determinism and the manifest.

use formroute_core::artifact::Artifact;
use formroute_core::compile::{compile, Columns, Compiled};
use formroute_core::diag::Severity;
use formroute_core::load::{load, Sources};
use std::collections::BTreeMap;

const ZIPS: &str = "zip,state\n10001,NY\n10002,NY\n20001,DC\n20002,DC\n30001,GA\n90210,CA\n";
const BRANDS: &str = "brand,name,default_language,fallback_url,origins\nacme,Acme,en,https://acme.example/fb,https://www.acme.example\n";

fn build(forms: &str, rules: &str, overrides: &str) -> Compiled {
    let files: BTreeMap<String, Vec<u8>> = [
        ("zips.csv", ZIPS),
        ("brands.csv", BRANDS),
        ("forms.csv", forms),
        ("rules.csv", rules),
        ("zip_overrides.csv", overrides),
    ]
    .iter()
    .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
    .collect();
    let sources = Sources { files };
    let loaded = load(&sources);
    assert!(
        !loaded.has_errors(),
        "test data must load: {:#?}",
        loaded.diagnostics
    );
    compile(&loaded.db, &Columns::from_files(&sources.files)).expect("no internal compile error")
}

const FORMS: &str = "brand,product,form_type,language,url
acme,auto,direct,en,https://acme.example/auto
acme,auto,agent,es,https://acme.example/es/agent
acme,home,direct,en,https://acme.example/home
";

#[test]
fn a_reached_form_type_without_a_default_language_form_is_an_error_at_each_row_reaching_it() {
    // agent has only an `es` form; the brand's default is en. Two rows reach it (a rule, an override),
    // a third (for GA, no ZIP is... GA has 30001) also does; a row for a state with no ZIPs does not.
    let rules =
        "brand,product,state,form_type\nacme,*,*,direct\nacme,auto,NY,agent\nacme,auto,TX,agent\n";
    // Column order is free: form_type is column 2 here.
    let overrides = "brand,form_type,product,zip_prefix\nacme,agent,*,2\n";
    let c = build(FORMS, rules, overrides);
    assert!(
        c.output.is_none(),
        "nothing is produced when there is an error"
    );
    let errors: Vec<_> = c
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let at: Vec<(&str, u32, u32)> = errors
        .iter()
        .map(|d| (d.file.as_str(), d.line, d.column))
        .collect();
    assert_eq!(
        at,
        vec![("rules.csv", 3, 4), ("zip_overrides.csv", 2, 2)],
        "{errors:#?}"
    );
    assert!(
        errors[0].message.contains("`agent`") && errors[0].message.contains("`auto`"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].message.contains("default language `en`"),
        "{}",
        errors[0]
    );
    // The `*` override reaches agent for both products: both are named.
    assert!(
        errors[1].message.contains("`auto`, `home`"),
        "{}",
        errors[1]
    );
    assert_eq!(errors[1].column_name.as_deref(), Some("form_type"));
}

#[test]
fn a_form_type_that_no_row_reaches_needs_no_form() {
    // `callback` appears in no forms.csv row, but the only row naming it covers a state without ZIPs.
    let rules = "brand,product,state,form_type\nacme,*,*,direct\nacme,auto,TX,callback\n";
    let c = build(FORMS, rules, "brand,product,zip_prefix,form_type\n");
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
}

#[test]
fn forms_no_rule_reaches_and_unserved_states_are_warnings_and_in_the_coverage() {
    let rules = "brand,product,state,form_type\nacme,*,*,direct\nacme,home,GA,none\n";
    let c = build(
        FORMS,
        rules,
        "brand,product,zip_prefix,form_type\nacme,home,2000,none\nacme,home,20001,direct\n",
    );
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    let warnings: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{}:{}:{}", d.file, d.line, d.column))
        .collect();
    // forms.csv line 3 (auto/agent/es) is reached by nothing; home is not served in GA and part of DC.
    assert!(
        warnings.contains(&"forms.csv:3:3".to_string()),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&"brands.csv:2:0".to_string()),
        "{warnings:?}"
    );
    let out = c.output.expect("output");
    let home = &out.coverage[0].products[1];
    assert_eq!(home.product, "home");
    assert_eq!((home.zips_served, home.zips_not_served), (4, 2));
    assert_eq!(home.states_not_served, vec!["GA"]);
    assert_eq!(home.states_partly_served, vec!["DC"]);
    assert_eq!(home.states_served, vec!["CA", "NY"]);
    assert_eq!(
        out.coverage[0].products[0].unreached_form_types,
        vec!["agent"]
    );
}

fn artifact(c: &Compiled) -> Artifact {
    let out = c.output.as_ref().expect("output");
    let (_, b) = out
        .files
        .iter()
        .find(|(n, _)| n.ends_with(".frt"))
        .expect("frt");
    Artifact::from_bytes(b).expect("valid")
}

#[test]
fn classes_are_numbered_by_first_appearance_in_ascending_zip_order() {
    // ZIP order: 10001 NY, 10002 NY(override), 20001 DC, 20002 DC, 30001 GA, 90210 CA.
    let rules = "brand,product,state,form_type\nacme,*,*,direct\n";
    let c = build(
        FORMS,
        rules,
        "brand,product,zip_prefix,form_type\nacme,auto,10002,none\n",
    );
    let a = artifact(&c);
    let class_ids: Vec<usize> = ["10001", "10002", "20001", "20002", "30001", "90210"]
        .iter()
        .map(|z| {
            let class = a.class_of(z.as_bytes()).expect("known zip");
            a.tables
                .classes
                .iter()
                .position(|c| c.as_slice() == class)
                .expect("class")
        })
        .collect();
    assert_eq!(class_ids, vec![0, 1, 2, 2, 3, 4]);
    let t = &a.tables;
    assert_eq!(t.states, vec!["CA", "DC", "GA", "NY"]);
    assert_eq!(t.products, vec!["auto", "home"]);
    assert_eq!(t.form_types, vec!["agent", "direct"]);
    // NY, auto=direct(2), home=direct(2); then NY with auto not served.
    assert_eq!(t.classes[0], vec![3, 2, 2]);
    assert_eq!(t.classes[1], vec![3, 0, 2]);
}

#[test]
fn the_same_data_gives_the_same_bytes_and_the_manifest_names_them_by_hash() {
    let rules = "brand,product,state,form_type\nacme,*,*,direct\n";
    let a = build(FORMS, rules, "brand,product,zip_prefix,form_type\n")
        .output
        .expect("a");
    let b = build(FORMS, rules, "brand,product,zip_prefix,form_type\n")
        .output
        .expect("b");
    assert_eq!(a, b);
    let entry = &a.manifest.brands["acme"];
    assert!(entry.artifact.starts_with("acme.") && entry.artifact.ends_with(".frt"));
    assert_eq!(&entry.artifact[5..21], &entry.artifact_sha256[..16]);
    let (_, bytes) = a
        .files
        .iter()
        .find(|(n, _)| *n == entry.artifact)
        .expect("listed file");
    assert_eq!(entry.artifact_bytes, bytes.len() as u64);
    assert_eq!(a.manifest.zip_data_version.len(), "sha256:".len() + 16);
    assert!(a.manifest.to_json().ends_with("}\n"));
}
