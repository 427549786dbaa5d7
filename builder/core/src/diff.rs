//! The difference between two builds, as visitors would feel it: per brand and product, which ZIPs change form type or URL, grouped by state and old -> new.
//!
//! Every ZIP x product x language is resolved through the reference resolver on both builds
//! (so the answer is what the browser client gives, not a comparison of CSV rows). Changes are
//! grouped by (state, old answer, new answer), an answer being the form type, the language used
//! and the URL template (or the failure reason and the fallback template), with a ZIP count and
//! one example each; form-type changes come first. A brand only in one build shows its
//! coverage. The data team reads this before a publish (`formroute diff OLD NEW`).

use crate::artifact::Artifact;
use crate::coverage::{short_list, thousands};
use crate::manifest::Manifest;
use crate::resolve::{resolve, Resolution};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Groups printed per product in the text output (JSON has them all).
pub const TEXT_GROUPS: usize = 12;

/// What happened to a brand's files between the two builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileChange {
    /// Only in the new build.
    Added,
    /// Only in the old build.
    Removed,
    /// Same artifact bytes (same SHA-256).
    Unchanged,
    /// Different artifact bytes.
    Changed,
}

/// One side of a change: what a visitor gets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Answer {
    /// The form type; `None` when the query does not resolve (then `error` says why).
    pub form_type: Option<String>,
    /// The language of the form used; `None` when it does not resolve.
    pub language: Option<String>,
    /// The URL template (placeholders not filled): the form's, or the brand's fallback.
    pub url_template: Option<String>,
    /// The failure reason (`not_served`, ...), when it does not resolve.
    pub error: Option<String>,
}

/// One ZIP of a group, with the URLs a visitor gets before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    /// The five-digit ZIP.
    pub zip: String,
    /// The language asked.
    pub language: String,
    /// The old URL (form or fallback), filled in.
    pub old_url: Option<String>,
    /// The new URL, filled in.
    pub new_url: Option<String>,
}

/// ZIPs of one state whose answer goes from `old` to `new`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// USPS code of the ZIPs.
    pub state: String,
    /// Whether the form type changes (or resolving at all), not only the language or URL.
    pub form_type_changed: bool,
    /// Distinct ZIPs in the group (a ZIP may be in two groups, for two asked languages).
    pub zips: u64,
    /// What the old build answers.
    pub old: Answer,
    /// What the new build answers.
    pub new: Answer,
    /// The lowest ZIP of the group.
    pub example: Example,
}

/// The changes of one product of one brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductDiff {
    /// The product, as the builds' artifacts name it.
    pub product: String,
    /// ZIPs where, in some language, the form type (or resolving at all) changes.
    pub zips_form_type_changed: u64,
    /// ZIPs where the form type stays but, in some language, the URL changes.
    pub zips_url_changed: u64,
    /// Form-type changes first, then by ZIPs (most first), state and answers.
    pub groups: Vec<Group>,
}

/// Coverage of one product of a brand that is only in one build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductReach {
    /// The product, as that build's artifact names it.
    pub product: String,
    /// ZIPs where the product resolves.
    pub zips_served: u64,
    /// ZIPs where it does not.
    pub zips_not_served: u64,
    /// Per form type: the states where it has ZIPs.
    pub form_types: BTreeMap<String, Vec<String>>,
}

/// The changes of one brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrandDiff {
    /// The brand slug, in either build.
    pub brand: String,
    /// Whether its files change at all.
    pub files: FileChange,
    /// Its products where some ZIP changes (only for `changed` brands), sorted.
    pub products: Vec<ProductDiff>,
    /// For an `added` brand its new coverage, for a `removed` one its old coverage.
    pub coverage: Vec<ProductReach>,
}

/// The whole difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// Whether a visitor would see any change (a brand added or removed, or a ZIP's answer).
    pub changed: bool,
    /// Every brand of either build, sorted.
    pub brands: Vec<BrandDiff>,
}

/// One side of a diff: the manifest and each usable brand's artifact.
pub struct Side<'a> {
    /// The build's manifest.
    pub manifest: &'a Manifest,
    /// Each brand's artifact (a brand missing here is treated as absent).
    pub artifacts: BTreeMap<&'a str, &'a Artifact>,
}

/// The answer of `r` for `product` on artifact `a`, with its URL template.
fn answer(a: &Artifact, product: &str, r: &Resolution<'_>) -> Answer {
    match r {
        Resolution::Ok {
            form_type,
            language,
            ..
        } => {
            let t = &a.tables;
            let template = (|| {
                let p = a.product_index(product)? as u32;
                let f = t.form_types.iter().position(|x| x == form_type)? as u32;
                let l = a.language_index(language)? as u32;
                a.form(p, f, l).map(str::to_string)
            })();
            Answer {
                form_type: Some(form_type.to_string()),
                language: Some(language.to_string()),
                url_template: template,
                error: None,
            }
        }
        Resolution::Failed { error, .. } => Answer {
            form_type: None,
            language: None,
            url_template: Some(a.tables.fallback_url.clone()),
            error: Some(error.as_str().to_string()),
        },
    }
}

fn url_of(r: &Resolution<'_>) -> Option<String> {
    match r {
        Resolution::Ok { url, .. } => Some(url.clone()),
        Resolution::Failed { fallback_url, .. } => fallback_url.clone(),
    }
}

fn form_type<'r>(r: &'r Resolution<'_>) -> Option<&'r str> {
    match r {
        Resolution::Ok { form_type, .. } => Some(form_type),
        Resolution::Failed { .. } => None,
    }
}

/// The state of a ZIP in artifact `a`, if the ZIP is in it.
fn state_in(a: &Artifact, zip: &[u8]) -> Option<String> {
    a.state_of(zip).map(str::to_string)
}

/// Compares two builds brand by brand.
pub fn diff(old: &Side<'_>, new: &Side<'_>) -> Diff {
    let names: BTreeSet<&String> = old
        .manifest
        .brands
        .keys()
        .chain(new.manifest.brands.keys())
        .collect();
    let mut brands = Vec::new();
    for brand in names {
        let (o, n) = (
            old.manifest.brands.get(brand),
            new.manifest.brands.get(brand),
        );
        let files = match (o, n) {
            (None, _) => FileChange::Added,
            (_, None) => FileChange::Removed,
            (Some(o), Some(n)) if o.artifact_sha256 == n.artifact_sha256 => FileChange::Unchanged,
            _ => FileChange::Changed,
        };
        let (a, b) = (
            old.artifacts.get(brand.as_str()),
            new.artifacts.get(brand.as_str()),
        );
        let products = match (files, a, b) {
            (FileChange::Changed, Some(a), Some(b)) => diff_brand(a, b),
            _ => Vec::new(),
        };
        let coverage = match (files, a, b) {
            (FileChange::Added, _, Some(b)) => reach(b),
            (FileChange::Removed, Some(a), _) => reach(a),
            _ => Vec::new(),
        };
        brands.push(BrandDiff {
            brand: brand.clone(),
            files,
            products,
            coverage,
        });
    }
    let changed = brands.iter().any(|b| {
        matches!(b.files, FileChange::Added | FileChange::Removed) || !b.products.is_empty()
    });
    Diff { changed, brands }
}

/// Per product of `a`: served ZIPs, and the states of each form type (read from the classes).
fn reach(a: &Artifact) -> Vec<ProductReach> {
    let t = &a.tables;
    let mut out: Vec<ProductReach> = t
        .products
        .iter()
        .map(|p| ProductReach {
            product: p.clone(),
            zips_served: 0,
            zips_not_served: 0,
            form_types: BTreeMap::new(),
        })
        .collect();
    let mut states: Vec<BTreeMap<String, BTreeSet<String>>> = vec![BTreeMap::new(); out.len()];
    for n in 0..100_000u32 {
        let zip = format!("{n:05}");
        let Some(class) = a.class_of(zip.as_bytes()) else {
            continue;
        };
        let state = class
            .first()
            .and_then(|s| t.states.get(*s as usize))
            .cloned()
            .unwrap_or_default();
        for (p, r) in out.iter_mut().enumerate() {
            match class.get(1 + p).copied().unwrap_or(0) {
                0 => r.zips_not_served += 1,
                k => {
                    r.zips_served += 1;
                    if let Some(ft) = t.form_types.get(k as usize - 1) {
                        states[p]
                            .entry(ft.clone())
                            .or_default()
                            .insert(state.clone());
                    }
                }
            }
        }
    }
    for (r, s) in out.iter_mut().zip(states) {
        r.form_types = s
            .into_iter()
            .map(|(ft, st)| (ft, st.into_iter().collect()))
            .collect();
    }
    out
}

/// Resolves every ZIP x product x language on both artifacts of one brand.
fn diff_brand(a: &Artifact, b: &Artifact) -> Vec<ProductDiff> {
    let union = |x: &[String], y: &[String]| -> Vec<String> {
        x.iter()
            .chain(y)
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let products = union(&a.tables.products, &b.tables.products);
    let languages = union(&a.tables.languages, &b.tables.languages);
    let mut out = Vec::new();
    for product in &products {
        let mut d = ProductDiff {
            product: product.clone(),
            zips_form_type_changed: 0,
            zips_url_changed: 0,
            groups: Vec::new(),
        };
        // (state, old, new) -> (ZIPs, last ZIP counted, example).
        let mut groups: HashMap<(String, Answer, Answer), (u64, u32, Example)> = HashMap::new();
        for n in 0..100_000u32 {
            let zip = format!("{n:05}");
            let Some(state) = state_in(b, zip.as_bytes()).or_else(|| state_in(a, zip.as_bytes()))
            else {
                continue;
            };
            let mut type_changed = false;
            let mut url_changed = false;
            for language in &languages {
                let (ra, rb) = (
                    resolve(a, &zip, product, language),
                    resolve(b, &zip, product, language),
                );
                if ra == rb {
                    continue;
                }
                if form_type(&ra) != form_type(&rb) {
                    type_changed = true;
                } else {
                    url_changed = true;
                }
                let key = (
                    state.clone(),
                    answer(a, product, &ra),
                    answer(b, product, &rb),
                );
                let g = groups.entry(key).or_insert_with(|| {
                    (
                        0,
                        u32::MAX,
                        Example {
                            zip: zip.clone(),
                            language: language.clone(),
                            old_url: url_of(&ra),
                            new_url: url_of(&rb),
                        },
                    )
                });
                if g.1 != n {
                    g.0 += 1;
                    g.1 = n;
                }
            }
            if type_changed {
                d.zips_form_type_changed += 1;
            } else if url_changed {
                d.zips_url_changed += 1;
            }
        }
        d.groups = groups
            .into_iter()
            .map(|((state, old, new), (zips, _, example))| Group {
                form_type_changed: old.form_type != new.form_type,
                state,
                zips,
                old,
                new,
                example,
            })
            .collect();
        d.groups.sort_by(|x, y| {
            (
                !x.form_type_changed,
                std::cmp::Reverse(x.zips),
                &x.state,
                &x.old,
                &x.new,
            )
                .cmp(&(
                    !y.form_type_changed,
                    std::cmp::Reverse(y.zips),
                    &y.state,
                    &y.old,
                    &y.new,
                ))
        });
        if d.zips_form_type_changed + d.zips_url_changed > 0 {
            out.push(d);
        }
    }
    out
}

/// `callback (en)` or `not_served`.
fn short(a: &Answer) -> String {
    match (&a.form_type, &a.language, &a.error) {
        (Some(t), Some(l), _) => format!("{t} ({l})"),
        (_, _, Some(e)) => e.clone(),
        _ => "?".into(),
    }
}

impl Diff {
    /// Whether any brand's files change.
    pub fn is_empty(&self) -> bool {
        self.brands.iter().all(|b| b.files == FileChange::Unchanged)
    }

    /// Plain text: one line per brand; per changed product its groups (form-type changes
    /// first) with old -> new and one example; an added or removed brand's coverage.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("{:<24} {:<10}\n", "brand", "files"));
        for b in &self.brands {
            let files = match b.files {
                FileChange::Added => "added",
                FileChange::Removed => "removed",
                FileChange::Unchanged => "unchanged",
                FileChange::Changed => "changed",
            };
            out.push_str(&format!("{:<24} {:<10}\n", b.brand, files));
        }
        for b in &self.brands {
            if b.coverage.is_empty() {
                continue;
            }
            let what = if b.files == FileChange::Added {
                "new brand, it will serve"
            } else {
                "removed brand, it served"
            };
            out.push_str(&format!("\n{} ({what}):\n", b.brand));
            for p in &b.coverage {
                out.push_str(&format!(
                    "  {:<16} {} ZIPs served, {} not served\n",
                    p.product,
                    thousands(p.zips_served),
                    thousands(p.zips_not_served)
                ));
                for (ft, states) in &p.form_types {
                    out.push_str(&format!(
                        "    {:<12} {:>2} state{}: {}\n",
                        ft,
                        states.len(),
                        if states.len() == 1 { " " } else { "s" },
                        short_list(states, 16)
                    ));
                }
            }
        }
        let changed: Vec<&BrandDiff> = self
            .brands
            .iter()
            .filter(|b| !b.products.is_empty())
            .collect();
        if changed.is_empty() {
            out.push_str("\nno ZIP changes form type or URL\n");
            return out;
        }
        for b in &changed {
            for p in &b.products {
                out.push_str(&format!(
                    "\n{} {}: {} ZIPs change form type, {} only the URL\n",
                    b.brand,
                    p.product,
                    thousands(p.zips_form_type_changed),
                    thousands(p.zips_url_changed)
                ));
                for g in p.groups.iter().take(TEXT_GROUPS) {
                    out.push_str(&format!(
                        "  {:<3} {:>7} ZIPs  {} -> {}{}\n",
                        g.state,
                        thousands(g.zips),
                        short(&g.old),
                        short(&g.new),
                        if g.form_type_changed { "" } else { "  (URL)" }
                    ));
                    if g.old.url_template != g.new.url_template {
                        out.push_str(&format!(
                            "               {}\n            -> {}\n",
                            g.old.url_template.as_deref().unwrap_or("-"),
                            g.new.url_template.as_deref().unwrap_or("-")
                        ));
                    }
                    out.push_str(&format!(
                        "               e.g. {} [{}]: {} -> {}\n",
                        g.example.zip,
                        g.example.language,
                        g.example.old_url.as_deref().unwrap_or("null"),
                        g.example.new_url.as_deref().unwrap_or("null")
                    ));
                }
                if p.groups.len() > TEXT_GROUPS {
                    out.push_str(&format!(
                        "  and {} more groups (all in `--format json`)\n",
                        p.groups.len() - TEXT_GROUPS
                    ));
                }
            }
        }
        out
    }
}
