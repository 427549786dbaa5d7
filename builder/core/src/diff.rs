//! The difference between two builds, as visitors would feel it: per brand and product, how many ZIPs change form type or URL.
//!
//! Every ZIP x product x language is resolved through the reference resolver on both builds
//! (so the answer is what the browser client gives, not a comparison of CSV rows). The data
//! team reads this before a publish (`formroute diff OLD NEW`).

use crate::artifact::Artifact;
use crate::manifest::Manifest;
use crate::resolve::{resolve, Resolution};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How many examples are kept per brand and product.
pub const EXAMPLES: usize = 3;

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

/// One ZIP whose answer changes, for a given product, in the first language where it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    /// The five-digit ZIP.
    pub zip: String,
    /// The language asked.
    pub language: String,
    /// The old answer, short (`ok direct en https://...` or `not_served`).
    pub old: String,
    /// The new answer, short.
    pub new: String,
}

/// The changes of one product of one brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductDiff {
    /// The product.
    pub product: String,
    /// ZIPs where, in some language, the form type (or resolving at all) changes.
    pub zips_form_type_changed: u64,
    /// ZIPs where the form type stays but, in some language, the URL changes.
    pub zips_url_changed: u64,
    /// A few of those ZIPs.
    pub examples: Vec<Example>,
}

/// The changes of one brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrandDiff {
    /// The brand.
    pub brand: String,
    /// Whether its files change at all.
    pub files: FileChange,
    /// Its products where some ZIP changes (only for `changed` brands), sorted.
    pub products: Vec<ProductDiff>,
}

/// The whole difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
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

fn short(r: &Resolution) -> String {
    match r {
        Resolution::Ok {
            url,
            form_type,
            language,
            ..
        } => format!("{form_type} ({language}) {url}"),
        Resolution::Failed { error, .. } => error.as_str().to_string(),
    }
}

fn form_type(r: &Resolution) -> Option<&str> {
    match r {
        Resolution::Ok { form_type, .. } => Some(form_type),
        Resolution::Failed { .. } => None,
    }
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
        let products = match (
            files,
            old.artifacts.get(brand.as_str()),
            new.artifacts.get(brand.as_str()),
        ) {
            (FileChange::Changed, Some(a), Some(b)) => diff_brand(a, b),
            _ => Vec::new(),
        };
        brands.push(BrandDiff {
            brand: brand.clone(),
            files,
            products,
        });
    }
    Diff { brands }
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
            examples: Vec::new(),
        };
        for n in 0..100_000u32 {
            let zip = format!("{n:05}");
            if a.class_of(zip.as_bytes()).is_none() && b.class_of(zip.as_bytes()).is_none() {
                continue;
            }
            let mut type_changed = false;
            let mut url_changed = false;
            let mut example = None;
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
                example.get_or_insert_with(|| Example {
                    zip: zip.clone(),
                    language: language.clone(),
                    old: short(&ra),
                    new: short(&rb),
                });
            }
            if type_changed {
                d.zips_form_type_changed += 1;
            } else if url_changed {
                d.zips_url_changed += 1;
            }
            if let Some(e) = example {
                if d.examples.len() < EXAMPLES {
                    d.examples.push(e);
                }
            }
        }
        if d.zips_form_type_changed + d.zips_url_changed > 0 {
            out.push(d);
        }
    }
    out
}

impl Diff {
    /// Whether any brand's files change.
    pub fn is_empty(&self) -> bool {
        self.brands.iter().all(|b| b.files == FileChange::Unchanged)
    }

    /// Plain text tables: one line per brand, then one per changed product with examples.
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
        let changed: Vec<&BrandDiff> = self
            .brands
            .iter()
            .filter(|b| !b.products.is_empty())
            .collect();
        if changed.is_empty() {
            out.push_str("\nno ZIP changes form type or URL\n");
            return out;
        }
        out.push_str(&format!(
            "\n{:<24} {:<16} {:>18} {:>16}\n",
            "brand", "product", "ZIPs: form type", "ZIPs: URL only"
        ));
        for b in &changed {
            for p in &b.products {
                out.push_str(&format!(
                    "{:<24} {:<16} {:>18} {:>16}\n",
                    b.brand, p.product, p.zips_form_type_changed, p.zips_url_changed
                ));
                for e in &p.examples {
                    out.push_str(&format!(
                        "    {} [{}]: {} -> {}\n",
                        e.zip, e.language, e.old, e.new
                    ));
                }
            }
        }
        out
    }
}
