//! SPEC "Resolution, in order", sentence by sentence, through a real load -> compile -> artifact -> resolve.

use formroute_core::artifact::Artifact;
use formroute_core::compile::{compile, Columns};
use formroute_core::load::{load, Sources};
use formroute_core::resolve::{resolve, Reason, Resolution};
use std::collections::BTreeMap;

const ZIPS: &str = "zip,state
00501,NY
10001,NY
10002,NY
10011,NY
10101,NY
10201,NY
20001,DC
60601,IL
81001,CA
90210,CA
96799,AS
";

const BRANDS: &str = "brand,name,default_language,fallback_url,origins
acme,Acme,en,https://acme.example/fb?zip={zip}&p={product}&l={language}&b={brand},https://www.acme.example
";

const FORMS: &str = "brand,product,form_type,language,url
acme,auto,direct,en,https://acme.example/{language}/{product}?zip={zip}&s={state}&t={form_type}&b={brand}
acme,auto,direct,es,https://acme.example/es/auto?zip={zip}
acme,auto,agent,en,https://acme.example/agent?zip={zip}
acme,auto,partner,en,https://partner.example/?zip={zip}
acme,home,direct,en,https://acme.example/home?zip={zip}
acme,home,agent,en,https://acme.example/home-agent?zip={zip}
acme,home,agent,fr,https://acme.example/fr/home-agent?zip={zip}
acme,home,partner,en,https://partner.example/home?zip={zip}
";

// Every precedence level is used: (p,s) auto/CA, (p,*) home/*, (*,s) */NY, (*,*), and `none`.
const RULES: &str = "brand,product,state,form_type
acme,*,*,direct
acme,*,NY,agent
acme,home,*,direct
acme,auto,CA,partner
acme,home,IL,none
";

const OVERRIDES: &str = "brand,product,zip_prefix,form_type
acme,*,100,direct
acme,auto,100,partner
acme,*,1000,agent
acme,home,10002,none
acme,*,9,agent
";

fn artifact_from(files: &[(&str, &str)]) -> Artifact {
    let sources = Sources {
        files: files
            .iter()
            .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
            .collect::<BTreeMap<_, _>>(),
    };
    let loaded = load(&sources);
    assert!(
        !loaded.has_errors(),
        "test data must load: {:#?}",
        loaded.diagnostics
    );
    let compiled = compile(&loaded.db, &Columns::from_files(&sources.files))
        .expect("no internal compile error");
    assert!(
        !compiled.has_errors(),
        "test data must compile: {:#?}",
        compiled.diagnostics
    );
    let out = compiled.output.expect("output");
    let (_, bytes) = out
        .files
        .iter()
        .find(|(n, _)| n.ends_with(".frt"))
        .expect("an artifact");
    Artifact::from_bytes(bytes).expect("valid artifact")
}

fn acme() -> Artifact {
    artifact_from(&[
        ("zips.csv", ZIPS),
        ("brands.csv", BRANDS),
        ("forms.csv", FORMS),
        ("rules.csv", RULES),
        ("zip_overrides.csv", OVERRIDES),
    ])
}

fn ok(url: &str, state: &str, form_type: &str, language: &str) -> Resolution<'static> {
    Resolution::Ok {
        url: url.into(),
        state: state.to_string().into(),
        form_type: form_type.to_string().into(),
        language: language.to_string().into(),
    }
}

fn failed(error: Reason, fallback: &str) -> Resolution<'static> {
    Resolution::Failed {
        error,
        fallback_url: Some(fallback.into()),
    }
}

#[test]
fn step1_all_three_zip_forms_keep_the_first_five_digits() {
    let a = acme();
    for zip in [
        "20001",
        "20001-0001",
        "200010001",
        " 20001\t",
        "\r\n20001-9999\x0C ",
    ] {
        assert_eq!(
            resolve(&a, zip, "auto", "en"),
            ok(
                "https://acme.example/en/auto?zip=20001&s=DC&t=direct&b=acme",
                "DC",
                "direct",
                "en"
            ),
            "zip {zip:?}"
        );
    }
}

#[test]
fn step1_anything_else_is_invalid_zip_with_an_empty_zip_in_the_fallback() {
    let a = acme();
    for zip in [
        "",
        "2000",
        "200011",
        "20001-",
        "20001 0001",
        "2000l",
        "\x0B20001",
        "\u{a0}20001",
        "２０００１",
    ] {
        assert_eq!(
            resolve(&a, zip, "auto", ""),
            failed(
                Reason::InvalidZip,
                "https://acme.example/fb?zip=&p=auto&l=en&b=acme"
            ),
            "zip {zip:?}"
        );
    }
}

#[test]
fn step2_a_well_formed_zip_missing_from_zips_csv_is_unknown_zip() {
    assert_eq!(
        resolve(&acme(), "99999-1234", "Auto", "ES"),
        failed(
            Reason::UnknownZip,
            "https://acme.example/fb?zip=99999&p=auto&l=es&b=acme"
        )
    );
}

#[test]
fn step3_product_is_trimmed_and_only_ascii_capitals_are_lowercased() {
    let a = acme();
    let want = ok("https://acme.example/home?zip=20001", "DC", "direct", "en");
    assert_eq!(resolve(&a, "20001", " HoMe\n", ""), want);
    // `Ｈome` (full-width H) is not `home`; the fallback carries it percent-encoded.
    assert_eq!(
        resolve(&a, "20001", "Ｈome", ""),
        failed(
            Reason::UnknownProduct,
            "https://acme.example/fb?zip=20001&p=%EF%BC%A8ome&l=en&b=acme"
        )
    );
}

#[test]
fn step3_unknown_product_fallback_has_the_product_as_asked_percent_encoded() {
    assert_eq!(
        resolve(&acme(), "20001", " Boat & Café/x ", "en"),
        failed(
            Reason::UnknownProduct,
            "https://acme.example/fb?zip=20001&p=boat%20%26%20caf%C3%A9%2Fx&l=en&b=acme"
        )
    );
}

#[test]
fn step4_rules_product_and_state_first() {
    // auto in CA (91001, no override): (auto, CA) = partner beats (*, *) = direct.
    assert_eq!(
        resolve(&acme(), "81001", "auto", ""),
        ok("https://partner.example/?zip=81001", "CA", "partner", "en")
    );
}

#[test]
fn step4_an_override_beats_every_rule() {
    // 90210 starts with 9: the `*,9` override (agent) wins over (auto, CA) = partner.
    assert_eq!(
        resolve(&acme(), "90210", "auto", ""),
        ok("https://acme.example/agent?zip=90210", "CA", "agent", "en")
    );
}

#[test]
fn step4_rules_product_any_state_beats_any_product_state() {
    // home in NY (10201, no override): (home, *) = direct beats (*, NY) = agent.
    assert_eq!(
        resolve(&acme(), "10201", "home", ""),
        ok("https://acme.example/home?zip=10201", "NY", "direct", "en")
    );
}

#[test]
fn step4_rules_any_product_state_beats_catch_all() {
    // auto in NY (10201): no (auto, NY), no (auto, *): (*, NY) = agent.
    assert_eq!(
        resolve(&acme(), "10201", "auto", ""),
        ok("https://acme.example/agent?zip=10201", "NY", "agent", "en")
    );
}

#[test]
fn step4_catch_all_rule_applies_last() {
    assert_eq!(
        resolve(&acme(), "20001", "auto", ""),
        ok(
            "https://acme.example/en/auto?zip=20001&s=DC&t=direct&b=acme",
            "DC",
            "direct",
            "en"
        )
    );
}

#[test]
fn step4_none_rule_is_not_served_with_the_fallback() {
    assert_eq!(
        resolve(&acme(), "60601", "home", "fr-CA"),
        failed(
            Reason::NotServed,
            "https://acme.example/fb?zip=60601&p=home&l=fr&b=acme"
        )
    );
}

#[test]
fn step4_longest_prefix_wins() {
    // 10001: `*,1000` (agent, length 4) beats `auto,100` (partner, 3) and `*,100` (direct, 3).
    assert_eq!(
        resolve(&acme(), "10001", "auto", ""),
        ok("https://acme.example/agent?zip=10001", "NY", "agent", "en")
    );
}

#[test]
fn step4_at_equal_length_the_product_row_beats_star() {
    // 10011: `auto,100` (partner) and `*,100` (direct) are both length 3; auto takes its own row.
    assert_eq!(
        resolve(&acme(), "10011", "auto", ""),
        ok("https://partner.example/?zip=10011", "NY", "partner", "en")
    );
    assert_eq!(
        resolve(&acme(), "10011", "home", ""),
        ok("https://acme.example/home?zip=10011", "NY", "direct", "en")
    );
}

#[test]
fn step4_none_override_is_not_served_where_rules_would_serve() {
    assert_eq!(
        resolve(&acme(), "10002", "home", ""),
        failed(
            Reason::NotServed,
            "https://acme.example/fb?zip=10002&p=home&l=en&b=acme"
        )
    );
    assert_eq!(
        resolve(&acme(), "10002", "auto", ""),
        ok("https://acme.example/agent?zip=10002", "NY", "agent", "en")
    );
}

#[test]
fn step4_no_matching_rule_is_not_served() {
    let rules = "brand,product,state,form_type\nacme,auto,DC,direct\n";
    let a = artifact_from(&[
        ("zips.csv", ZIPS),
        ("brands.csv", BRANDS),
        ("forms.csv", FORMS),
        ("rules.csv", rules),
        ("zip_overrides.csv", "brand,product,zip_prefix,form_type\n"),
    ]);
    assert_eq!(
        resolve(&a, "60601", "auto", ""),
        failed(
            Reason::NotServed,
            "https://acme.example/fb?zip=60601&p=auto&l=en&b=acme"
        )
    );
}

#[test]
fn step5_language_subtags_and_case_are_cut_and_the_form_of_that_language_used() {
    let a = acme();
    let want = ok(
        "https://acme.example/es/auto?zip=20001",
        "DC",
        "direct",
        "es",
    );
    for lang in ["es", "ES", "es-MX", "es_mx", " Es-419 ", "es-"] {
        assert_eq!(
            resolve(&a, "20001", "auto", lang),
            want,
            "language {lang:?}"
        );
    }
}

#[test]
fn step5_without_a_form_in_that_language_the_default_language_is_used() {
    let a = acme();
    // fr exists for (home, agent) only; auto/direct in fr falls back to en, and says so.
    assert_eq!(
        resolve(&a, "20001", "auto", "fr"),
        ok(
            "https://acme.example/en/auto?zip=20001&s=DC&t=direct&b=acme",
            "DC",
            "direct",
            "en"
        )
    );
    assert_eq!(
        resolve(&a, "10201", "home", "fr"),
        ok("https://acme.example/home?zip=10201", "NY", "direct", "en")
    );
    assert_eq!(
        resolve(&a, "10001", "home", "FR_ca"),
        ok(
            "https://acme.example/fr/home-agent?zip=10001",
            "NY",
            "agent",
            "fr"
        )
    );
}

#[test]
fn step5_missing_or_empty_language_means_the_default() {
    let a = acme();
    let want = ok(
        "https://acme.example/en/auto?zip=20001&s=DC&t=direct&b=acme",
        "DC",
        "direct",
        "en",
    );
    assert_eq!(resolve(&a, "20001", "auto", ""), want);
    assert_eq!(resolve(&a, "20001", "auto", " \t"), want);
    assert_eq!(resolve(&a, "20001", "auto", "-MX"), want);
}

#[test]
fn fallback_language_is_the_asked_one_only_when_the_brand_has_a_form_in_it() {
    let a = acme();
    // fr: the brand has a form in fr (home/agent), so the fallback keeps fr even for auto.
    assert_eq!(
        resolve(&a, "abc", "auto", "fr-FR"),
        failed(
            Reason::InvalidZip,
            "https://acme.example/fb?zip=&p=auto&l=fr&b=acme"
        )
    );
    // de: no form in de at all: the default language.
    assert_eq!(
        resolve(&a, "abc", "auto", "de"),
        failed(
            Reason::InvalidZip,
            "https://acme.example/fb?zip=&p=auto&l=en&b=acme"
        )
    );
}

#[test]
fn step6_every_placeholder_is_filled() {
    assert_eq!(
        resolve(&acme(), "20001", "AUTO", "en-US"),
        ok(
            "https://acme.example/en/auto?zip=20001&s=DC&t=direct&b=acme",
            "DC",
            "direct",
            "en"
        )
    );
}

#[test]
fn a_zip_that_is_not_served_still_has_its_state() {
    // unknown_zip only for ZIPs outside zips.csv: 96799 (AS) is in every brand's FST.
    let a = acme();
    assert_eq!(
        resolve(&a, "96799", "home", ""),
        ok(
            "https://acme.example/home-agent?zip=96799",
            "AS",
            "agent",
            "en"
        )
    );
}
