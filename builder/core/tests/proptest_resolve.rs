//! Property: for random small rule databases, resolving through the compiled artifact equals a naive
//! reading of the rows, and the build is refused exactly when a reached form lacks a default-language form.

use formroute_core::artifact::Artifact;
use formroute_core::compile::{compile, Columns};
use formroute_core::model::{Brand, Database, Form, Override, Rule, Zip};
use formroute_core::resolve::{resolve, Reason, Resolution};
use formroute_core::template::{fill, Values};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// ZIPs sharing prefixes, so overrides of every length overlap.
const ZIP_POOL: [&str; 10] = [
    "00000", "00001", "00010", "00100", "01000", "01011", "10000", "10010", "11011", "11111",
];
const STATES: [&str; 3] = ["CA", "DC", "NY"];
const PRODUCTS: [&str; 3] = ["a", "b", "c"];
const FORM_TYPES: [&str; 3] = ["f", "g", "h"];
const LANGS: [&str; 2] = ["en", "es"];

fn opt(v: &str, any: &str) -> Option<String> {
    (v != any).then(|| v.to_string())
}

fn brand_strategy(slug: &'static str) -> impl Strategy<Value = Brand> {
    let forms = prop::collection::btree_set((0..3usize, 0..3usize, 0..2usize), 1..10);
    let rules = prop::collection::btree_map((0..4usize, 0..4usize), 0..4usize, 0..7);
    let overrides =
        prop::collection::btree_map((0..4usize, 0..10usize, 1..6usize), 0..4usize, 0..6);
    // `complete`: most brands have a default-language form for every (product, form type), so most
    // databases compile; the others exercise the refusal.
    (forms, rules, overrides, 0..2usize, 0..4usize).prop_map(move |(mut forms, rules, overrides, default, complete)| {
        if complete > 0 {
                let products: Vec<usize> = forms.iter().map(|&(p, _, _)| p).collect();
                forms.extend(products.into_iter().flat_map(|p| (0..3).map(move |f| (p, f, default))));
            }
        let any_or = |list: &[&str], i: usize, any: &str| list.get(i).map_or(any.to_string(), |s| s.to_string());
        let mut line = 1;
        let mut next = || {
            line += 1;
            line
        };
        Brand {
            slug: slug.into(),
            name: slug.to_uppercase(),
            default_language: LANGS[default].into(),
            fallback_url: "https://fb.example/{brand}?z={zip}&p={product}&l={language}".into(),
            origins: vec![],
            line: 2,
            forms: forms
                .into_iter()
                .map(|(p, f, l)| Form {
                    product: PRODUCTS[p].into(),
                    form_type: FORM_TYPES[f].into(),
                    language: LANGS[l].into(),
                    url: format!("https://{slug}.example/{{product}}/{{form_type}}/{}?z={{zip}}&s={{state}}&l={{language}}", LANGS[l]),
                    line: next(),
                })
                .collect(),
            rules: rules
                .into_iter()
                .map(|((p, s), f)| Rule {
                    product: opt(&any_or(&PRODUCTS, p, "*"), "*"),
                    state: opt(&any_or(&STATES, s, "*"), "*"),
                    form_type: opt(&any_or(&FORM_TYPES, f, "none"), "none"),
                    line: next(),
                })
                .collect(),
            overrides: overrides
                .into_iter()
                .map(|((p, z, len), f)| Override {
                    product: opt(&any_or(&PRODUCTS, p, "*"), "*"),
                    zip_prefix: ZIP_POOL[z][..len].into(),
                    form_type: opt(&any_or(&FORM_TYPES, f, "none"), "none"),
                    line: next(),
                })
                .collect(),
        }
    })
}

fn db_strategy() -> impl Strategy<Value = Database> {
    let zips = prop::collection::btree_map(0..10usize, 0..3usize, 1..10);
    (zips, brand_strategy("one"), brand_strategy("two")).prop_map(|(zips, one, two)| {
        let zips: Vec<(Zip, String)> = zips
            .into_iter()
            .map(|(z, s)| {
                let mut b = [0u8; 5];
                b.copy_from_slice(ZIP_POOL[z].as_bytes());
                (b, STATES[s].to_string())
            })
            .collect();
        let mut brands = BTreeMap::new();
        for mut b in [one, two] {
            // Rows naming a product the brand has no form for are refused by the loader: drop them.
            let products = b.products();
            let known = |p: &Option<String>| p.as_ref().is_none_or(|p| products.contains(p));
            b.rules.retain(|r| known(&r.product));
            b.overrides.retain(|o| known(&o.product));
            // (product, zip_prefix) is the key of zip_overrides.csv: the loader refuses duplicates.
            let mut keys = std::collections::BTreeSet::new();
            b.overrides
                .retain(|o| keys.insert((o.product.clone(), o.zip_prefix.clone())));
            brands.insert(b.slug.clone(), b);
        }
        Database {
            zips,
            zip_data_version: "test".into(),
            brands,
            ..Database::default()
        }
    })
}

/// SPEC step 4 read literally from the rows.
fn naive_form_type<'a>(b: &'a Brand, zip: &str, state: &str, product: &str) -> Option<&'a str> {
    let mut best: Option<&Override> = None;
    for o in &b.overrides {
        let applies =
            o.product.as_deref().is_none_or(|p| p == product) && zip.starts_with(&o.zip_prefix);
        if !applies {
            continue;
        }
        let better = match best {
            None => true,
            Some(cur) => {
                o.zip_prefix.len() > cur.zip_prefix.len()
                    || (o.zip_prefix.len() == cur.zip_prefix.len()
                        && o.product.is_some()
                        && cur.product.is_none())
            }
        };
        if better {
            best = Some(o);
        }
    }
    if let Some(o) = best {
        return o.form_type.as_deref();
    }
    for (p, s) in [
        (Some(product), Some(state)),
        (Some(product), None),
        (None, Some(state)),
        (None, None),
    ] {
        if let Some(r) = b
            .rules
            .iter()
            .find(|r| r.product.as_deref() == p && r.state.as_deref() == s)
        {
            return r.form_type.as_deref();
        }
    }
    None
}

fn naive_url<'a>(b: &'a Brand, product: &str, ft: &str, lang: &str) -> Option<&'a str> {
    b.forms
        .iter()
        .find(|f| f.product == product && f.form_type == ft && f.language == lang)
        .map(|f| f.url.as_str())
}

// The oracle's own normalisation, written from SPEC's words and sharing no code with
// `formroute_core::spec`, so a bug there cannot hide in both sides.

/// SPEC: "Trim" removes ASCII white space (space, tab, LF, FF, CR) at both ends.
fn spec_trim(s: &str) -> &str {
    const WS: [char; 5] = [' ', '\t', '\n', '\u{0C}', '\r'];
    s.trim_start_matches(WS).trim_end_matches(WS)
}

/// SPEC: "lowercase" maps `A-Z` to `a-z` (and nothing else).
#[allow(clippy::manual_is_ascii_check)] // spelled the way SPEC says it, not with std's helpers
fn spec_lowercase(s: &str) -> String {
    s.chars()
        .map(|c| {
            if ('A'..='Z').contains(&c) {
                char::from(c as u8 + 32)
            } else {
                c
            }
        })
        .collect()
}

#[allow(clippy::manual_is_ascii_check)] // spelled the way SPEC says it, not with std's helpers
/// SPEC step 1: trim; accept `DDDDD`, `DDDDD-DDDD` and `DDDDDDDDD` (D an ASCII digit); keep the first five.
fn spec_zip(zip: &str) -> Option<String> {
    let z: Vec<char> = spec_trim(zip).chars().collect();
    let d = |c: &char| ('0'..='9').contains(c);
    let shape_ok = match z.len() {
        5 | 9 => z.iter().all(d),
        10 => z[..5].iter().all(d) && z[5] == '-' && z[6..].iter().all(d),
        _ => false,
    };
    shape_ok.then(|| z[..5].iter().collect())
}

/// SPEC step 5: trim, lowercase, keep what stands before the first `-` or `_`.
fn spec_language(language: &str) -> String {
    let l = spec_lowercase(spec_trim(language));
    l.split(['-', '_']).next().unwrap_or("").to_string()
}

/// SPEC steps 1-6 read literally from the rows.
fn naive_resolve(
    db: &Database,
    b: &Brand,
    zip: &str,
    product: &str,
    language: &str,
) -> Resolution<'static> {
    let product = spec_lowercase(spec_trim(product));
    let lang = spec_language(language);
    let zip5 = spec_zip(zip);
    let fail = |error| {
        let l = if b.forms.iter().any(|f| f.language == lang) {
            lang.as_str()
        } else {
            b.default_language.as_str()
        };
        let v = Values {
            zip: zip5.as_deref(),
            product: Some(&product),
            language: Some(l),
            brand: Some(&b.slug),
            ..Values::default()
        };
        Resolution::Failed {
            error,
            fallback_url: Some(fill(&b.fallback_url, &v)),
        }
    };
    let Some(z) = zip5.as_deref() else {
        return fail(Reason::InvalidZip);
    };
    let Some((_, state)) = db.zips.iter().find(|(k, _)| k == z.as_bytes()) else {
        return fail(Reason::UnknownZip);
    };
    if !b.products().contains(&product) {
        return fail(Reason::UnknownProduct);
    }
    let Some(ft) = naive_form_type(b, z, state, &product) else {
        return fail(Reason::NotServed);
    };
    let (url, used) = match naive_url(b, &product, ft, &lang) {
        Some(u) => (u, lang.as_str()),
        None => (
            naive_url(b, &product, ft, &b.default_language).expect("checked by the build"),
            b.default_language.as_str(),
        ),
    };
    let v = Values {
        zip: Some(z),
        state: Some(state),
        product: Some(&product),
        language: Some(used),
        brand: Some(&b.slug),
        form_type: Some(ft),
    };
    Resolution::Ok {
        url: fill(url, &v),
        state: state.clone().into(),
        form_type: ft.to_string().into(),
        language: used.to_string().into(),
    }
}

/// Whether some ZIP reaches a (product, form type) with no default-language form.
fn naive_refuses(db: &Database) -> bool {
    db.brands.values().any(|b| {
        db.zips.iter().any(|(z, s)| {
            let z = std::str::from_utf8(z).expect("ascii");
            b.products().iter().any(|p| {
                naive_form_type(b, z, s, p)
                    .is_some_and(|ft| naive_url(b, p, ft, &b.default_language).is_none())
            })
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn artifacts_resolve_like_the_rows(db in db_strategy()) {
        let compiled = compile(&db, &Columns::default()).expect("no internal compile error");
        prop_assert_eq!(compiled.has_errors(), naive_refuses(&db), "{:#?}", compiled.diagnostics);
        let Some(out) = compiled.output else { return Ok(()) };
        let zips: Vec<String> = ZIP_POOL.iter().map(|z| z.to_string())
            .chain(["10000-1234".into(), " 111119999".into(), "1111".into(), "".into()])
            .collect();
        let products = ["a", "b", "c", " B ", "A", "d", ""];
        let languages = ["", "en", "ES-mx", "es_US", "fr"];
        for b in db.brands.values() {
            let name = &out.manifest.brands[&b.slug].artifact;
            let (_, bytes) = out.files.iter().find(|(n, _)| n == name).expect("artifact");
            let a = Artifact::from_bytes(bytes).expect("the builder writes valid artifacts");
            for z in &zips {
                for p in products {
                    for l in languages {
                        prop_assert_eq!(resolve(&a, z, p, l), naive_resolve(&db, b, z, p, l), "brand {} zip {:?} product {:?} language {:?}", b.slug, z, p, l);
                    }
                }
            }
        }
    }
}
