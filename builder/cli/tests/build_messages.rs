//! What `formroute build` tells the data team: override reach and wide-prefix warnings, knock-on findings as notes, spreadsheet formats, expect.csv.

mod common;

use common::*;
use std::path::{Path, PathBuf};

/// The sample data with `edit` applied, in a fresh folder; returns (data, out).
fn sample(name: &str, edit: impl Fn(&str, String) -> String) -> (PathBuf, PathBuf) {
    let root = scratch(&format!("msg-{name}"));
    let (data, out) = (root.join("data"), root.join("out"));
    write_sample_data(&data, edit);
    (data, out)
}

fn count(text: &str, what: &str) -> usize {
    text.matches(what).count()
}

/// The diagnostics lines of a build's stderr (`file:line...: error|warning: ...`).
fn findings<'a>(err: &'a str, kind: &str) -> Vec<&'a str> {
    let tag = format!(": {kind}: ");
    err.lines().filter(|l| l.contains(&tag)).collect()
}

#[test]
fn the_sample_builds_with_one_warning_and_every_override_shows_its_reach() {
    let (data, out) = sample("plain", |_, t| t);
    let (code, err) = try_build(&data, &out);
    assert_eq!(code, Some(0), "{err}");
    // expect.csv declares what the regional brands serve: only the deliberate unreached form remains.
    assert_eq!(findings(&err, "warning"), [format!("{}: warning: no ZIP reaches form type `callback` of product `home` (brand `acme`): this form is never used (column `form_type`)", data.join("forms.csv:17:3").display())]);
    assert!(err.contains("formroute: built 3 brand(s)"), "{err}");
    assert!(err.contains("1 warning(s)"), "{err}");
    // Reach of each override: line, product, prefix, form type, ZIPs, states.
    assert!(
        err.contains(
            "  14: life 9 -> callback: 4,535 ZIPs (4,535 change form type) in CA 2,658, WA 733"
        ),
        "{err}"
    );
    assert!(
        err.contains("  16: * 09 -> none: 545 ZIPs (545 change form type) in AE 539, NJ 6"),
        "{err}"
    );
    assert!(
        err.contains("  19: moto 00901 -> agente: 1 ZIP (0 change form type) in PR 1"),
        "{err}"
    );
    // Served states by form type, so a form-type change shows.
    assert!(
        err.contains("    callback       1495 ZIPs in  1 state : FL"),
        "{err}"
    );
}

#[test]
fn dropped_leading_zeros_in_prefixes_are_warned_with_their_reach() {
    // What a spreadsheet does to the column: `09` -> `9`, `00901` -> `901`.
    let (data, out) = sample("zeros", |f, t| match f {
        "zip_overrides.csv" => t
            .replace("\nacme,*,09,none\n", "\nacme,*,9,none\n")
            .replace("\nsolis,moto,00901,agente\n", "\nsolis,moto,901,agente\n"),
        _ => t,
    });
    let (code, err) = try_build(&data, &out);
    assert_eq!(code, Some(0), "still legal data: {err}");
    let warnings = findings(&err, "warning");
    let wide: Vec<&&str> = warnings
        .iter()
        .filter(|w| w.contains("zip_overrides.csv:16:3: warning: override `9`"))
        .collect();
    assert_eq!(wide.len(), 1, "{err}");
    assert!(
        wide[0].contains("reaches 4,535 ZIPs in 12 states and more ZIPs than any whole state"),
        "{err}"
    );
    assert!(
        err.contains("help: leading zeros? A spreadsheet turns `09` into `9`: `09` would reach 545 ZIPs in AE NJ"),
        "{err}"
    );
    // The deliberate life `9` override is acknowledged in expect.csv: not warned.
    assert!(
        !err.contains("product `life`, -> `callback`) reaches"),
        "{err}"
    );
    // The West Coast no longer served differs from expect.csv.
    let expect: Vec<&&str> = warnings
        .iter()
        .filter(|w| w.contains("expect.csv:8: warning: brand `acme` product `auto` differs"))
        .collect();
    assert_eq!(expect.len(), 1, "{err}");
    assert!(
        expect[0].contains("CA expected served, is not served (0 of 2,658 ZIPs served)"),
        "{err}"
    );
    // `901` reaches Los Angeles: visible in the reach list.
    assert!(err.contains(": moto 901 -> agente: "), "{err}");
    assert!(err.contains(" in CA "), "{err}");
}

#[test]
fn a_header_typo_gives_its_errors_and_no_pile_of_consequent_warnings() {
    let (data, out) = sample("header", |f, t| match f {
        "rules.csv" => t.replace(
            "brand,product,state,form_type",
            "brand,product,state,form_tpye",
        ),
        _ => t,
    });
    let (code, err) = try_build(&data, &out);
    assert_eq!(code, Some(1), "{err}");
    assert!(findings(&err, "warning").is_empty(), "{err}");
    let errors = findings(&err, "error");
    assert_eq!(errors.len(), 2, "{err}");
    assert!(
        err.contains("rules.csv:3:4: error: unknown column `form_tpye`"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `form_type`?"), "{err}");
    // A whole-row or whole-file finding has no `:0` column.
    assert!(
        err.contains("rules.csv:3: error: missing column `form_type`"),
        "{err}"
    );
    assert!(!err.contains(":0:"), "{err}");
    assert!(
        err.contains("note: no row of rules.csv is read until its header is fixed"),
        "{err}"
    );
    assert!(err.contains("2 error(s) ("), "{err}");
    assert!(
        err.contains("warning(s) not shown: fix the errors first"),
        "{err}"
    );
}

#[test]
fn rows_using_a_refused_form_are_a_note_on_the_forms_error() {
    let (data, out) = sample("refused-form", |f, t| match f {
        // acme's English auto call-back form gets an http URL (refused); FL auto reaches it.
        "forms.csv" => t.replace(
            "acme,auto,callback,en,https://",
            "acme,auto,callback,en,http://",
        ),
        // A brand whose only form has a bad language.
        "brands.csv" => t + "solo,Solo,en,https://solo.example/?zip={zip},https://solo.example\n",
        _ => t,
    });
    let data2 = data.clone();
    std::fs::write(
        data2.join("forms.csv"),
        std::fs::read_to_string(data.join("forms.csv")).unwrap()
            + "solo,home,direct,EN,https://solo.example/home?zip={zip}\n",
    )
    .unwrap();
    std::fs::write(
        data2.join("rules.csv"),
        std::fs::read_to_string(data.join("rules.csv")).unwrap() + "solo,*,*,direct\n",
    )
    .unwrap();
    let (code, err) = try_build(&data, &out);
    assert_eq!(code, Some(1), "{err}");
    let errors = findings(&err, "error");
    assert_eq!(errors.len(), 2, "only the two bad forms rows: {err}");
    assert!(
        errors[0].contains("forms.csv:10:5: error: URL is not `https://`"),
        "{err}"
    );
    assert!(
        errors[1].contains("forms.csv:38:4: error: `EN` is not a language code"),
        "{err}"
    );
    assert!(
        errors.iter().all(|e| !e.contains("has no such form")),
        "{err}"
    );
    assert!(
        err.contains("note: because of this, rules.csv:10:4: ZIPs reach form type `callback` of brand `acme`"),
        "{err}"
    );
    assert!(
        err.contains(
            "note: because of this, brands.csv:10: brand `solo` has no forms in forms.csv"
        ),
        "{err}"
    );
}

/// Excel's "CSV" of a file: every row padded to `width` fields, comment lines quoted.
fn excel(text: &str, width: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.is_empty() {
            out.push_str(&",".repeat(width - 1));
        } else if line.starts_with('#') && line.contains(',') {
            out.push_str(&format!(
                "\"{}\"{}",
                line.replace('"', "\"\""),
                ",".repeat(width - 1)
            ));
        } else {
            let n = line.matches(',').count() + 1;
            out.push_str(line);
            out.push_str(&",".repeat(width.saturating_sub(n)));
        }
        out.push_str("\r\n");
    }
    out
}

#[test]
fn spreadsheet_padding_and_quoted_comments_build_the_same_artifacts() {
    let (plain, out1) = sample("excel-plain", |_, t| t);
    assert_eq!(try_build(&plain, &out1).0, Some(0));
    let (data, out2) = sample("excel", |f, t| match f {
        "rules.csv" | "zip_overrides.csv" => excel(&t, 6),
        "forms.csv" => excel(&t, 7),
        _ => t,
    });
    assert!(std::fs::read_to_string(data.join("rules.csv"))
        .unwrap()
        .contains("\"# For a ZIP with no override, the first match wins: (product, state), (product, *), (*, state), (*, *).\",,,,,\r\n"));
    let (code, err) = try_build(&data, &out2);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        std::fs::read(out1.join("manifest.json")).unwrap(),
        std::fs::read(out2.join("manifest.json")).unwrap()
    );
}

fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut v = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    for u in text.encode_utf16() {
        v.extend_from_slice(&u.to_le_bytes());
    }
    v
}

#[test]
fn utf16_and_tab_separated_files_get_one_error_that_says_so() {
    for bom in [true, false] {
        let (data, out) = sample(&format!("utf16-{bom}"), |_, t| t);
        let text = std::fs::read_to_string(data.join("forms.csv")).unwrap();
        std::fs::write(data.join("forms.csv"), utf16le(&text, bom)).unwrap();
        let (code, err) = try_build(&data, &out);
        assert_eq!(code, Some(1));
        let errors = findings(&err, "error");
        assert_eq!(errors.len(), 1, "{err}");
        assert!(
            errors[0].contains("forms.csv: error: file is UTF-16"),
            "{err}"
        );
        assert!(err.contains("save it as UTF-8"), "{err}");
    }
    let (data, out) = sample("tsv", |f, t| match f {
        "brands.csv" => t
            .lines()
            .map(|l| {
                if l.starts_with('#') {
                    l.to_string()
                } else {
                    l.replace(',', "\t")
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => t,
    });
    let (code, err) = try_build(&data, &out);
    assert_eq!(code, Some(1));
    let errors = findings(&err, "error");
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].contains("brands.csv:3: error: file is tab-separated (TSV), not comma-separated"),
        "{err}"
    );
}

#[test]
fn a_form_type_typo_and_a_state_name_get_did_you_mean() {
    let (data, out) = sample("typos", |f, t| match f {
        "rules.csv" => t
            .replace("acme,*,NY,agent", "acme,*,NY,agnet")
            .replace("acme,*,FL,callback", "acme,*,Florida,callback"),
        _ => t,
    });
    let (code, err) = try_build(&data, &out);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("rules.csv:7:4: error: brand `acme` has no form type `agnet` in forms.csv"),
        "{err}"
    );
    assert!(
        err.contains("help: did you mean `agent`? the form types of `acme` are: agent, callback, direct, partner"),
        "{err}"
    );
    assert!(
        err.contains("rules.csv:10:3: error: `Florida` is not a USPS state code"),
        "{err}"
    );
    assert!(
        err.contains("help: write the two-letter USPS code `FL` for Florida"),
        "{err}"
    );
}

#[test]
fn without_expect_csv_regional_brands_warn_and_military_nj_zips_have_their_own_warning() {
    let (data, out) = sample("no-expect", |_, t| t);
    std::fs::remove_file(data.join("expect.csv")).unwrap();
    let (code, err) = try_build(&data, &out);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(count(&err, ": warning: brand `"), 8, "{err}");
    assert!(
        err.contains("if it is, declare the served states in expect.csv"),
        "{err}"
    );
    // solis serves the military abroad (AE) in the sample: without expect.csv that is flagged.
    assert!(
        err.contains("rules.csv:18:3: warning: this rule serves product `auto` of brand `solis` at 6 military post offices that zips.csv labels NJ (09905 09980 09981 09982 09983 09984)"),
        "{err}"
    );
    assert!(
        err.contains("add `solis,*,09,none` to zip_overrides.csv"),
        "{err}"
    );

    // With expect.csv, acme losing its `09` override shows both ways.
    let (data, out) = sample("military", |f, t| match f {
        "zip_overrides.csv" => t.replace("\nacme,*,09,none\n", "\n"),
        _ => t,
    });
    let (code, err) = try_build(&data, &out);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("rules.csv:5:3: warning: this rule serves product `auto`, `home`, `renters` of brand `acme` at 6 military post offices"),
        "{err}"
    );
    assert!(
        err.contains("AE expected not served, is served (539 of 539 ZIPs served)"),
        "{err}"
    );
    assert!(
        !err.contains("brand `solis` at 6 military"),
        "expect.csv declares AE for solis: {err}"
    );
}

#[test]
fn a_bad_expect_csv_row_is_an_error_at_its_spot() {
    let (data, out) = sample("bad-expect", |f, t| match f {
        "expect.csv" => t + "acme,auto,* -XX,,\n",
        _ => t,
    });
    let (code, err) = try_build(&data, &out);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("expect.csv:19:3: error: `XX` is not a USPS state code"),
        "{err}"
    );
}

#[test]
fn out_that_is_not_a_build_folder_says_what_to_do() {
    let (data, _) = sample("out", |_, t| t);
    let out = data.parent().unwrap().join("notes");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("todo.txt"), "keep me").unwrap();
    let (code, err) = try_build(&data, &out);
    assert_eq!(code, Some(1));
    assert!(err.contains("give --out a new or empty folder"), "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("todo.txt")).unwrap(),
        "keep me"
    );
    let _ = Path::new("");
}
