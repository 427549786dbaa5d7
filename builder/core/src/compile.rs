//! Compile a validated rule database into per-brand artifacts, explain files and the manifest.
//!
//! Per brand: [`crate::precedence::Grid`] decides every ZIP x product, the reachability check turns
//! decisions without a default-language form into errors at the deciding rows, route classes are
//! numbered by first appearance in ascending ZIP order (FORMAT.md says why), and the FST and
//! tables are assembled. Brands compile in parallel (rayon); the output is deterministic.

use crate::artifact::{self, Tables};
use crate::artifact_v2;
use crate::coverage::{
    plural, short_list, thousands, BrandCoverage, OverrideReach, ProductCoverage, StateCoverage,
};
use crate::diag::{Diagnostic, Severity};
use crate::explain::Explain;
use crate::manifest::{BrandEntry, Manifest, FORMAT_VERSION};
use crate::model::{Brand, Database, Expect, Override};
use crate::precedence::{Decider, Grid, ZipIndex};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The hash maps of the per-ZIP loops: foldhash's fixed-seed hasher (several times faster than
/// std's SipHash on these small integer keys; nothing here is keyed by untrusted input, and the
/// output never depends on iteration order, so neither DoS resistance nor a random seed is needed).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// Positions (1-based) of the `form_type` column in the files whose rows compile diagnostics point
/// at. Column order is free in the CSV files, so the CLI reads them from the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// `form_type` of `rules.csv`.
    pub rules_form_type: u32,
    /// `form_type` of `zip_overrides.csv`.
    pub overrides_form_type: u32,
    /// `form_type` of `forms.csv`.
    pub forms_form_type: u32,
    /// `state` of `rules.csv`.
    pub rules_state: u32,
    /// `zip_prefix` of `zip_overrides.csv`.
    pub overrides_zip_prefix: u32,
}

impl Default for Columns {
    /// The column order of SPEC's table.
    fn default() -> Self {
        Columns {
            rules_form_type: 4,
            overrides_form_type: 4,
            forms_form_type: 3,
            rules_state: 3,
            overrides_zip_prefix: 3,
        }
    }
}

impl Columns {
    /// Reads the `form_type` positions from the header rows of the CSV files (file name -> bytes);
    /// a file or column that cannot be found keeps SPEC's default position.
    pub fn from_files(files: &BTreeMap<String, Vec<u8>>) -> Columns {
        let d = Columns::default();
        let pos = |file: &str, column: &str, default: u32| {
            files
                .get(file)
                .and_then(|b| header_position(b, column))
                .unwrap_or(default)
        };
        Columns {
            rules_form_type: pos("rules.csv", "form_type", d.rules_form_type),
            overrides_form_type: pos("zip_overrides.csv", "form_type", d.overrides_form_type),
            forms_form_type: pos("forms.csv", "form_type", d.forms_form_type),
            rules_state: pos("rules.csv", "state", d.rules_state),
            overrides_zip_prefix: pos("zip_overrides.csv", "zip_prefix", d.overrides_zip_prefix),
        }
    }
}

/// 1-based position of `name` in the header row of CSV `bytes` (a UTF-8 BOM is skipped).
fn header_position(bytes: &[u8], name: &str) -> Option<u32> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let h = r.byte_headers().ok()?;
    h.iter()
        .position(|c| c == name.as_bytes())
        .map(|i| i as u32 + 1)
}

/// The files and manifest of a successful build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOutput {
    /// `manifest.json`.
    pub manifest: Manifest,
    /// Every other file of the output folder, `(name, bytes)`, sorted by name.
    pub files: Vec<(String, Vec<u8>)>,
    /// Coverage per brand, sorted by slug.
    pub coverage: Vec<BrandCoverage>,
}

impl BuildOutput {
    /// Adds the client files (the snippet and the ESM build the binary carries) to the output:
    /// both files, content-addressed, and their names and SRI values in the manifest.
    pub fn add_client(&mut self, snippet: &[u8], esm: &[u8]) {
        let entry = crate::manifest::ClientEntry::for_files(snippet, esm);
        self.files
            .retain(|(name, _)| name != &entry.snippet && name != &entry.esm);
        self.files.push((entry.snippet.clone(), snippet.to_vec()));
        self.files.push((entry.esm.clone(), esm.to_vec()));
        self.files.sort();
        self.manifest.client = Some(entry);
    }
}

/// A brand that has no error diagnostic could still not be compiled: a bug, never bad data.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The FST library refused to build or finish one of the brand's ZIP indexes.
    #[error("brand {brand}: building its ZIP index failed (a formroute bug: please report it)")]
    Fst {
        /// The brand slug.
        brand: String,
        /// What the FST library said.
        #[source]
        source: fst::Error,
    },
}

/// The result of [`compile`]: diagnostics always, output only when no diagnostic is an error.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The artifacts and manifest; `None` when a diagnostic is an error.
    pub output: Option<BuildOutput>,
    /// Errors and warnings found while compiling, sorted by file, line, column.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    /// Whether some diagnostic refuses the build.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// What one brand compiles to.
struct BrandBuild {
    diagnostics: Vec<Diagnostic>,
    coverage: BrandCoverage,
    /// The files when the brand has no error.
    files: Option<BrandFiles>,
}

/// The files of one brand.
struct BrandFiles {
    /// Format version 1.
    frt: Named,
    /// Format version 2.
    frt_v2: Named,
    explain: Named,
    classes: u32,
}

/// Compiles every brand of `db`. Bad data gives diagnostics (and no output); the error is for a
/// brand without diagnostics that still could not be compiled, so no brand is ever dropped silently.
pub fn compile(db: &Database, columns: &Columns) -> Result<Compiled, CompileError> {
    let index = ZipIndex::new(&db.zips);
    // Version 2's presence bitmap is the same for every brand: made once.
    let zips: Vec<[u8; 5]> = index.zips.iter().map(|z| **z).collect();
    let presence = artifact_v2::presence(&zips);
    let shared = Shared {
        index: &index,
        zips: &zips,
        presence: &presence,
    };
    let brands: Vec<&Brand> = db.brands.values().collect();
    let built: Vec<BrandBuild> = brands
        .par_iter()
        .map(|b| compile_brand(db, &shared, b, columns))
        .collect::<Result<_, _>>()?;

    // The brands' results are moved out (files, findings and coverage), never copied.
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut coverage = Vec::with_capacity(built.len());
    let mut brand_files = Vec::with_capacity(built.len());
    for b in built {
        diagnostics.extend(b.diagnostics);
        coverage.push(b.coverage);
        brand_files.push(b.files);
    }
    diagnostics.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.message).cmp(&(&b.file, b.line, b.column, &b.message))
    });
    let has_errors = diagnostics.iter().any(|d| d.severity == Severity::Error);

    let output = (!has_errors).then(|| {
        let mut files = Vec::with_capacity(3 * brands.len());
        let mut entries = BTreeMap::new();
        for (brand, b) in brands.iter().zip(brand_files) {
            let Some(BrandFiles {
                frt,
                frt_v2,
                explain,
                classes,
            }) = b
            else {
                continue;
            };
            entries.insert(
                brand.slug.clone(),
                BrandEntry {
                    name: brand.name.clone(),
                    default_language: brand.default_language.clone(),
                    fallback_url: brand.fallback_url.clone(),
                    origins: brand.origins.clone(),
                    artifact: frt.name.clone(),
                    artifact_bytes: frt.bytes.len() as u64,
                    artifact_sha256: frt.sha256,
                    artifact_v2: Some(frt_v2.name.clone()),
                    artifact_v2_bytes: Some(frt_v2.bytes.len() as u64),
                    artifact_v2_sha256: Some(frt_v2.sha256),
                    explain: explain.name.clone(),
                    explain_bytes: explain.bytes.len() as u64,
                    explain_sha256: explain.sha256,
                    classes,
                    products: brand.products(),
                },
            );
            files.push((frt.name, frt.bytes));
            files.push((frt_v2.name, frt_v2.bytes));
            files.push((explain.name, explain.bytes));
        }
        files.sort();
        BuildOutput {
            manifest: Manifest {
                format_version: FORMAT_VERSION,
                zip_data_version: db.zip_data_version.clone(),
                brands: entries,
                client: None,
            },
            files,
            coverage,
        }
    });
    Ok(Compiled {
        output,
        diagnostics,
    })
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One output file named by its content.
struct Named {
    /// `<brand>.<first 16 hex of sha256>.<ext>`.
    name: String,
    /// The full hex digest.
    sha256: String,
    bytes: Vec<u8>,
}

/// `bytes` named `<brand>.<first 16 hex of sha256>.<ext>`.
fn content_name(brand: &str, ext: &str, bytes: Vec<u8>) -> Named {
    let sha256 = sha256_hex(&bytes);
    Named {
        name: format!("{brand}.{}.{ext}", &sha256[..16]),
        sha256,
        bytes,
    }
}

fn sorted_unique<'a>(it: impl Iterator<Item = &'a str>) -> Vec<String> {
    it.collect::<BTreeSet<_>>()
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// What every brand's compilation shares: the ZIPs and version 2's presence bitmap.
struct Shared<'a> {
    index: &'a ZipIndex<'a>,
    /// The ZIPs, ascending.
    zips: &'a [[u8; 5]],
    presence: &'a [u8],
}

/// `brand does not serve product in N ZIPs of M states: ...` (no expect.csv row for it).
fn not_served_warning(brand: &Brand, product: &str, pc: &ProductCoverage) -> Diagnostic {
    let mut states: Vec<String> = pc.states_not_served.clone();
    states.extend(
        pc.states_partly_served
            .iter()
            .map(|s| format!("{s} (partly)")),
    );
    states.sort();
    let shown = states
        .iter()
        .take(12)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let more = if states.len() > 12 {
        format!(" and {} more", states.len() - 12)
    } else {
        String::new()
    };
    // About the brand as a whole: pointed at its brands.csv row.
    Diagnostic::new(
        Severity::Warning,
        "brands.csv",
        (brand.line, 0),
        None,
        format!(
            "brand `{}` does not serve product `{product}` in {} ZIPs of {}: {shown}{more}",
            brand.slug,
            pc.zips_not_served,
            plural(states.len() as u64, "state"),
        ),
        "if that is not intended, add a rule for those states (or a `*` rule); if it is, declare the served states in expect.csv; visitors there get the fallback URL",
    )
}

/// The states where coverage differs from the `expect.csv` row `e`, as one warning at that row.
fn differs_from_expected(
    brand: &Brand,
    product: &str,
    e: &Expect,
    pc: &ProductCoverage,
) -> Option<Diagnostic> {
    let mut diffs = Vec::new();
    for s in &pc.states {
        let expected = if e.partly.contains(&s.state) {
            "partly"
        } else if e.served.contains(&s.state) {
            "served"
        } else {
            "not served"
        };
        let actual = s.status();
        if expected != actual {
            diffs.push(format!(
                "{} expected {expected}, is {actual} ({} of {} ZIPs served)",
                s.state,
                thousands(u64::from(s.served())),
                thousands(u64::from(s.zips))
            ));
        }
    }
    if diffs.is_empty() {
        return None;
    }
    let n = diffs.len();
    let mut shown = diffs
        .iter()
        .take(12)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if n > 12 {
        shown.push_str(&format!("; and {} more", n - 12));
    }
    Some(Diagnostic::new(
        Severity::Warning,
        "expect.csv",
        (e.line, 0),
        None,
        format!(
            "brand `{}` product `{product}` differs from what this row expects in {n} state{}: {shown}",
            brand.slug,
            if n == 1 { "" } else { "s" },
        ),
        "if the change is intended, update this row of expect.csv; otherwise fix rules.csv or zip_overrides.csv",
    ))
}

/// An override reaching several states, or more ZIPs than a whole state: say how far it reaches,
/// and offer the prefix with the leading zeros a spreadsheet may have dropped.
#[allow(clippy::too_many_arguments)]
fn wide_override_warning(
    index: &ZipIndex<'_>,
    brand: &Brand,
    o: &Override,
    reach: &OverrideReach,
    spans: usize,
    (largest, largest_name): (u32, &str),
    columns: &Columns,
    span_of: &dyn Fn(&BTreeMap<usize, u32>, u32) -> usize,
) -> Diagnostic {
    let nj = index.states.iter().position(|s| *s == "NJ");
    let mut why = Vec::new();
    if spans > 1 {
        why.push(format!("{spans} states"));
    }
    if reach.zips > largest {
        why.push(format!(
            "more ZIPs than any whole state ({largest_name}, the largest, has {})",
            thousands(u64::from(largest))
        ));
    }
    let mut hint = String::new();
    for zeros in ["0", "00"] {
        let candidate = format!("{zeros}{}", o.zip_prefix);
        if candidate.len() > 5 {
            break;
        }
        let range = index.prefix_range(candidate.as_bytes());
        if range.is_empty() {
            continue;
        }
        let mut states: BTreeMap<usize, u32> = BTreeMap::new();
        let mut military = 0;
        for z in range.clone() {
            let s = index.state_of[z] as usize;
            *states.entry(s).or_default() += 1;
            military += u32::from(Some(s) == nj && index.zips[z].starts_with(b"09"));
        }
        if span_of(&states, military) == 1 {
            let names: Vec<&str> = states.keys().map(|&s| index.states[s]).collect();
            hint = format!(
                "leading zeros? A spreadsheet turns `{candidate}` into `{}`: `{candidate}` would reach {} ZIPs in {}. Format the column as text and write `{candidate}`; ",
                o.zip_prefix,
                thousands(range.len() as u64),
                names.join(" ")
            );
            break;
        }
    }
    Diagnostic::new(
        Severity::Warning,
        "zip_overrides.csv",
        (o.line, columns.overrides_zip_prefix),
        Some("zip_prefix"),
        format!(
            "override `{}` (brand `{}`, product `{}`, -> `{}`) reaches {} in {}: {}",
            o.zip_prefix,
            brand.slug,
            o.product.as_deref().unwrap_or("*"),
            o.form_type.as_deref().unwrap_or("none"),
            plural(u64::from(reach.zips), "ZIP"),
            why.join(" and "),
            reach.states_text(8)
        ),
        format!(
            "{hint}an override is meant for part of a state; if this reach is intended, list `{}` in the `wide_overrides` column of the brand's expect.csv row",
            o.zip_prefix
        ),
    )
}

fn compile_brand(
    db: &Database,
    shared: &Shared<'_>,
    brand: &Brand,
    columns: &Columns,
) -> Result<BrandBuild, CompileError> {
    let index = shared.index;
    let products = brand.products();
    let np = products.len();
    let grid = Grid::build(index, &products, &brand.rules, &brand.overrides);
    let n_codes = 1 + brand.rules.len() + brand.overrides.len();
    let code_form_type = |code: u32| -> Option<&str> {
        match grid.decider(code) {
            Decider::NoMatch => None,
            Decider::Rule(i) => brand.rules[i].form_type.as_deref(),
            Decider::Override(i) => brand.overrides[i].form_type.as_deref(),
        }
    };

    // One pass over the ZIPs: which (code, product) pairs some ZIP reaches, ZIPs per (state,
    // product, code), and what each override decides. ZIPs no override touches count through
    // their state's row.
    let ns = index.states.len();
    let nj = index.states.iter().position(|s| *s == "NJ");
    let mut reached = vec![false; n_codes * np];
    let mut plain_in_state = vec![0u32; ns];
    let mut zips_in_state = vec![0u32; ns];
    let mut by_code: FastMap<(usize, usize, u32), u32> = FastMap::default();
    let no = brand.overrides.len();
    let mut ov_zips = vec![0u32; no];
    let mut ov_changed = vec![0u32; no];
    let mut ov_military = vec![0u32; no];
    let mut ov_states: Vec<BTreeMap<usize, u32>> = vec![BTreeMap::new(); no];
    // Rules that serve the military post offices labelled NJ (09xxx): rule -> (products, ZIPs).
    let mut military: BTreeMap<usize, (BTreeSet<usize>, BTreeSet<usize>)> = BTreeMap::new();
    let mut hits: Vec<(usize, bool)> = Vec::new();
    let is_military_nj = |z: usize, s: usize| Some(s) == nj && index.zips[z].starts_with(b"09");
    let nz = index.zips.len();
    let mut z = 0;
    while z < nz {
        let s = index.state_of[z] as usize;
        let military_nj = is_military_nj(z, s);
        let overridden = grid.is_overridden(z);
        if !overridden {
            zips_in_state[s] += 1;
            plain_in_state[s] += 1;
            z += 1;
            if !military_nj {
                continue;
            }
        }
        // Overridden ZIPs come in runs with one row (an override covers a ZIP range): a run of
        // the same state and row is counted once, `n` times. The military ZIPs, listed one by
        // one below, stay runs of one.
        let start = if overridden { z } else { z - 1 };
        let row = grid.row(start, s);
        let mut end = start + 1;
        if overridden && !military_nj {
            while end < nz
                && index.state_of[end] as usize == s
                && grid.is_overridden(end)
                && grid.row(end, s) == row
                && !is_military_nj(end, s)
            {
                end += 1;
            }
        }
        if overridden {
            zips_in_state[s] += (end - start) as u32;
            z = end;
        }
        let n = (end - start) as u32;
        let base = grid.row_base(s);
        hits.clear();
        for (p, &code) in row.iter().enumerate() {
            if overridden {
                reached[code as usize * np + p] = true;
                *by_code.entry((s, p, code)).or_default() += n;
            }
            match grid.decider(code) {
                Decider::Override(i) => {
                    let changed = code_form_type(code) != code_form_type(base[p]);
                    match hits.iter_mut().find(|h| h.0 == i) {
                        Some(h) => h.1 |= changed,
                        None => hits.push((i, changed)),
                    }
                }
                Decider::Rule(r) if military_nj && code_form_type(code).is_some() => {
                    let e = military.entry(r).or_default();
                    e.0.insert(p);
                    e.1.insert(start);
                }
                _ => {}
            }
        }
        for &(i, changed) in &hits {
            ov_zips[i] += n;
            ov_changed[i] += n * u32::from(changed);
            ov_military[i] += n * u32::from(military_nj);
            *ov_states[i].entry(s).or_default() += n;
        }
    }
    for (s, &plain) in plain_in_state.iter().enumerate() {
        if plain == 0 {
            continue;
        }
        for (p, &code) in grid.row_base(s).iter().enumerate() {
            reached[code as usize * np + p] = true;
            *by_code.entry((s, p, code)).or_default() += plain;
        }
    }
    // ZIP counts per (state, product, code), sorted: the coverage below reads each (state,
    // product)'s codes as one slice instead of probing every code.
    let mut by_code: Vec<((usize, usize, u32), u32)> = by_code.into_iter().collect();
    by_code.sort_unstable();
    let codes_of = |s: usize, p: usize| {
        let lo = by_code.partition_point(|&((s2, p2, _), _)| (s2, p2) < (s, p));
        let hi = by_code.partition_point(|&((s2, p2, _), _)| (s2, p2) <= (s, p));
        by_code[lo..hi].iter().map(|&((_, _, code), n)| (code, n))
    };
    let mut served = vec![0u32; ns * np];
    for &((s, p, code), n) in &by_code {
        if code_form_type(code).is_some() {
            served[s * np + p] += n;
        }
    }

    // Reachability: a reached form type needs a form in the default language.
    let forms: HashSet<(&str, &str, &str)> = brand
        .forms
        .iter()
        .map(|f| {
            (
                f.product.as_str(),
                f.form_type.as_str(),
                f.language.as_str(),
            )
        })
        .collect();
    let brand_types = sorted_unique(brand.forms.iter().map(|f| f.form_type.as_str()));
    let mut diagnostics = Vec::new();
    for code in 0..n_codes as u32 {
        let Some(ft) = code_form_type(code) else {
            continue;
        };
        let missing: Vec<&str> = (0..np)
            .filter(|&p| reached[code as usize * np + p])
            .filter(|&p| {
                !forms.contains(&(products[p].as_str(), ft, brand.default_language.as_str()))
            })
            .map(|p| products[p].as_str())
            .collect();
        if missing.is_empty() {
            continue;
        }
        let (file, line, column) = match grid.decider(code) {
            Decider::Rule(i) => ("rules.csv", brand.rules[i].line, columns.rules_form_type),
            Decider::Override(i) => (
                "zip_overrides.csv",
                brand.overrides[i].line,
                columns.overrides_form_type,
            ),
            Decider::NoMatch => continue,
        };
        let list = missing
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut d = if brand_types.iter().any(|t| t == ft) {
            Diagnostic::new(
                Severity::Error,
                file,
                (line, column),
                Some("form_type"),
                format!(
                    "ZIPs reach form type `{ft}` of brand `{}` through this row for product {list}, but forms.csv has no such form in the brand's default language `{}`",
                    brand.slug, brand.default_language
                ),
                format!(
                    "add a row `{},{},{ft},{},https://...` to forms.csv (one per product listed), or change this row's form_type",
                    brand.slug, missing[0], brand.default_language
                ),
            )
        } else {
            // Not a form type of the brand at all: most likely a typo.
            let hint = crate::load::check::closest(ft, brand_types.iter().map(String::as_str))
                .map(|c| format!("did you mean `{c}`? "))
                .unwrap_or_default();
            Diagnostic::new(
                Severity::Error,
                file,
                (line, column),
                Some("form_type"),
                format!(
                    "brand `{}` has no form type `{ft}` in forms.csv (ZIPs reach it through this row for product {list})",
                    brand.slug
                ),
                format!(
                    "{hint}the form types of `{}` are: {}; or add `{ft}` forms to forms.csv",
                    brand.slug,
                    if brand_types.is_empty() { "(none)".to_string() } else { brand_types.join(", ") }
                ),
            )
        };
        // A forms.csv row for it was refused: this follows from that error.
        if let Some(r) = db.refused_forms.iter().find(|r| {
            r.brand == brand.slug
                && missing.contains(&r.product.as_str())
                && r.form_type.trim().eq_ignore_ascii_case(ft)
        }) {
            d.caused_by = Some(("forms.csv".into(), r.line));
        }
        diagnostics.push(d);
    }

    // Coverage and warnings.
    let expect_for = |product: Option<&str>| -> Option<&Expect> {
        let of_brand = || db.expect.iter().filter(|e| e.brand == brand.slug);
        of_brand()
            .find(|e| product.is_some() && e.product.as_deref() == product)
            .or_else(|| of_brand().find(|e| e.product.is_none()))
    };
    let mut coverage = BrandCoverage {
        brand: brand.slug.clone(),
        classes: 0,
        products: Vec::new(),
        overrides: Vec::new(),
    };
    for (p, product) in products.iter().enumerate() {
        let mut pc = ProductCoverage {
            product: product.clone(),
            zips_served: 0,
            zips_not_served: 0,
            states_served: Vec::new(),
            states_partly_served: Vec::new(),
            states_not_served: Vec::new(),
            unreached_form_types: Vec::new(),
            states: Vec::new(),
        };
        for s in 0..ns {
            let (yes, all) = (served[s * np + p], zips_in_state[s]);
            pc.zips_served += yes;
            pc.zips_not_served += all - yes;
            let list = match yes {
                0 => &mut pc.states_not_served,
                y if y == all => &mut pc.states_served,
                _ => &mut pc.states_partly_served,
            };
            list.push(index.states[s].to_string());
            let mut types: BTreeMap<Option<&str>, u32> = BTreeMap::new();
            let mut cut_in: Vec<(u32, String)> = Vec::new();
            for (code, n) in codes_of(s, p) {
                *types.entry(code_form_type(code)).or_default() += n;
                if let Decider::Override(i) = grid.decider(code) {
                    let o = &brand.overrides[i];
                    cut_in.push((o.line, o.zip_prefix.clone()));
                }
            }
            cut_in.sort();
            let mut form_types: Vec<(Option<String>, u32)> = types
                .into_iter()
                .map(|(t, n)| (t.map(str::to_string), n))
                .collect();
            form_types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            pc.states.push(StateCoverage {
                state: index.states[s].to_string(),
                zips: all,
                form_types,
                overrides: cut_in,
            });
        }
        let reached_types: HashSet<&str> = (0..n_codes as u32)
            .filter(|&c| reached[c as usize * np + p])
            .filter_map(code_form_type)
            .collect();
        let mut warned = HashSet::new();
        for f in brand.forms.iter().filter(|f| &f.product == product) {
            if reached_types.contains(f.form_type.as_str()) {
                continue;
            }
            if warned.insert(f.form_type.as_str()) {
                pc.unreached_form_types.push(f.form_type.clone());
            }
            diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "forms.csv",
                (f.line, columns.forms_form_type),
                Some("form_type"),
                format!(
                    "no ZIP reaches form type `{}` of product `{product}` (brand `{}`): this form is never used",
                    f.form_type, brand.slug
                ),
                "add a rule or override that sends visitors to it, or delete the row",
            ));
        }
        pc.unreached_form_types.sort();
        match expect_for(Some(product)) {
            Some(e) => {
                if let Some(d) = differs_from_expected(brand, product, e, &pc) {
                    diagnostics.push(d);
                }
            }
            None if pc.zips_not_served > 0 => {
                diagnostics.push(not_served_warning(brand, product, &pc));
            }
            None => {}
        }
        coverage.products.push(pc);
    }

    // Rules that serve the military post offices labelled NJ, unless the brand declares AE served.
    for (r, (prods, zips)) in &military {
        let unexpected: Vec<&str> = prods
            .iter()
            .map(|&p| products[p].as_str())
            .filter(|p| {
                !expect_for(Some(p))
                    .is_some_and(|e| e.served.contains("AE") || e.partly.contains("AE"))
            })
            .collect();
        if unexpected.is_empty() {
            continue;
        }
        let shown: Vec<String> = zips
            .iter()
            .map(|&z| String::from_utf8_lossy(index.zips[z]).into_owned())
            .collect();
        let list = unexpected
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ");
        diagnostics.push(Diagnostic::new(
            Severity::Warning,
            "rules.csv",
            (brand.rules[*r].line, columns.rules_state),
            Some("state"),
            format!(
                "this rule serves product {list} of brand `{}` at {} military post offices that zips.csv labels NJ ({}): they are APO/DPO addresses abroad (AE), not New Jersey",
                brand.slug,
                zips.len(),
                short_list(&shown, 8)
            ),
            format!(
                "if `{}` does not serve the military abroad, add `{},*,09,none` to zip_overrides.csv; if it does, declare `AE` served for the product in expect.csv",
                brand.slug, brand.slug
            ),
        ));
    }

    // What each override reaches; wide ones are warned about (a dropped leading zero widens a
    // prefix tenfold). The NJ-labelled military ZIPs count as AE for "several states".
    let largest_state = zips_in_state.iter().copied().max().unwrap_or(0);
    let largest_name = zips_in_state
        .iter()
        .position(|&n| n == largest_state)
        .map_or("", |s| index.states[s]);
    let ae = index.states.iter().position(|s| *s == "AE");
    let span = |states: &BTreeMap<usize, u32>, military: u32| -> BTreeSet<usize> {
        let mut out: BTreeSet<usize> = BTreeSet::new();
        for (&s, &n) in states {
            if Some(s) == nj && n == military {
                continue;
            }
            out.insert(s);
        }
        if military > 0 {
            if let Some(ae) = ae {
                out.insert(ae);
            }
        }
        out
    };
    for (i, o) in brand.overrides.iter().enumerate() {
        let mut states: Vec<(String, u32)> = ov_states[i]
            .iter()
            .map(|(&s, &n)| (index.states[s].to_string(), n))
            .collect();
        states.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let reach = OverrideReach {
            line: o.line,
            product: o.product.clone(),
            zip_prefix: o.zip_prefix.clone(),
            form_type: o.form_type.clone(),
            zips: ov_zips[i],
            zips_changed: ov_changed[i],
            states,
        };
        let spans = span(&ov_states[i], ov_military[i]).len();
        let wide = spans > 1 || ov_zips[i] > largest_state;
        let acknowledged = db.expect.iter().any(|e| {
            e.brand == brand.slug
                && (e.product.is_none() || e.product == o.product)
                && e.wide_overrides.contains(&o.zip_prefix)
        });
        if wide && !acknowledged {
            diagnostics.push(wide_override_warning(
                index,
                brand,
                o,
                &reach,
                spans,
                (largest_state, largest_name),
                columns,
                &|m: &BTreeMap<usize, u32>, mil: u32| span(m, mil).len(),
            ));
        }
        coverage.overrides.push(reach);
    }

    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return Ok(BrandBuild {
            diagnostics,
            coverage,
            files: None,
        });
    }

    // Tables.
    let form_types = sorted_unique(brand.forms.iter().map(|f| f.form_type.as_str()));
    let languages = sorted_unique(brand.forms.iter().map(|f| f.language.as_str()));
    let idx = |list: &[String], v: &str| {
        list.binary_search_by(|x| x.as_str().cmp(v))
            .map_or(0, |i| i as u32)
    };
    // Class value of each code: 0 = not served, k = form_types[k-1]. A reached form type is in
    // forms.csv (checked above); unreached codes never appear in a class.
    let code_value: Vec<u32> = (0..n_codes as u32)
        .map(|c| {
            code_form_type(c)
                .and_then(|ft| form_types.binary_search_by(|x| x.as_str().cmp(ft)).ok())
                .map_or(0, |i| i as u32 + 1)
        })
        .collect();

    // Route classes by first appearance in ascending ZIP order.
    let mut classes: Vec<Vec<u32>> = Vec::new();
    let mut class_of: FastMap<Vec<u32>, u32> = FastMap::default();
    let mut state_class: Vec<Option<u32>> = vec![None; ns];
    let fst_error = |source| CompileError::Fst {
        brand: brand.slug.clone(),
        source,
    };
    let mut fst = crate::fst_writer::FstWriter::new(artifact::FST_TYPE, 64 * 1024);
    let mut key = Vec::with_capacity(1 + np);
    let mut zip_class = Vec::with_capacity(index.zips.len());
    // The class of the overridden ZIP before, when it is the previous ZIP: the same state and row
    // give the same class without building its key.
    let mut previous: Option<(usize, u32)> = None;
    for z in 0..index.zips.len() {
        let s = index.state_of[z] as usize;
        let plain = !grid.is_overridden(z);
        let same_as_previous = previous
            .filter(|&(pz, _)| {
                !plain
                    && pz + 1 == z
                    && index.state_of[pz] as usize == s
                    && grid.row(pz, s) == grid.row(z, s)
            })
            .map(|(_, c)| c);
        let class = match (plain, state_class[s], same_as_previous) {
            (true, Some(c), _) => c,
            (false, _, Some(c)) => c,
            _ => {
                key.clear();
                key.push(s as u32);
                key.extend(grid.row(z, s).iter().map(|&c| code_value[c as usize]));
                let c = match class_of.get(&key) {
                    Some(&c) => c,
                    None => {
                        let c = classes.len() as u32;
                        classes.push(key.clone());
                        class_of.insert(key.clone(), c);
                        c
                    }
                };
                if plain {
                    state_class[s] = Some(c);
                }
                c
            }
        };
        if !plain {
            previous = Some((z, class));
        }
        zip_class.push(class);
        // ZIPs are sorted and unique (model::Database), so insertion order is valid.
        fst.insert(index.zips[z], u64::from(class))
            .map_err(fst_error)?;
    }
    let fst_bytes = fst.finish();
    coverage.classes = classes.len() as u32;

    let mut form_rows: Vec<(u32, u32, u32, String)> = brand
        .forms
        .iter()
        .map(|f| {
            (
                idx(&products, &f.product),
                idx(&form_types, &f.form_type),
                idx(&languages, &f.language),
                f.url.clone(),
            )
        })
        .collect();
    form_rows.sort();
    form_rows.dedup_by(|a, b| (a.0, a.1, a.2) == (b.0, b.1, b.2));

    let tables = Tables {
        brand: brand.slug.clone(),
        name: brand.name.clone(),
        default_language: brand.default_language.clone(),
        fallback_url: brand.fallback_url.clone(),
        products,
        form_types,
        languages,
        states: index.states.iter().map(|s| s.to_string()).collect(),
        classes,
        forms: form_rows,
    };
    let n_classes = tables.classes.len() as u32;
    let frt = artifact::encode(&fst_bytes, &tables);
    // Version 2: the same tables, the ZIPs by presence bitmap and the fewest prefix keys.
    let keys = artifact_v2::prefix_keys(shared.zips, &zip_class);
    let v2_fst = artifact_v2::fst_bytes(&keys).map_err(fst_error)?;
    let frt_v2 = artifact_v2::encode(shared.presence, &v2_fst, &tables);
    let explain = Explain::of(brand).to_bytes();
    Ok(BrandBuild {
        diagnostics,
        coverage,
        // Named here, so the hashing runs on the brands' threads.
        files: Some(BrandFiles {
            frt: content_name(&brand.slug, "frt", frt),
            frt_v2: content_name(&brand.slug, "v2.frt", frt_v2),
            explain: content_name(&brand.slug, "explain.msgpack", explain),
            classes: n_classes,
        }),
    })
}
