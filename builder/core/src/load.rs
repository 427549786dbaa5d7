//! Reads `data/*.csv` into a validated [`Database`] plus every [`Diagnostic`] found, in one pass.

//!
//! Every rule of SPEC "The rule database" and "What the builder refuses" is checked here except
//! one: "a (product, form type) reachable but with no default-language form" needs precedence and
//! is checked by the compiler. The loader never stops at the first problem: each bad value gives
//! one diagnostic (file, line, column, what is wrong, what to do), the row is left out of the
//! [`Database`], and reading goes on, so one run shows every error. Cross-file checks (a brand
//! missing from `brands.csv`, a product the brand has no form for) use every name that was itself
//! well formed, even on rows refused for another reason, so one mistake does not cascade.
//!
//! Choices where SPEC is silent, written down here:
//! - The header is the first row that is not empty or a `#` comment; its physical line is used.
//! - Origins may be separated by several spaces; an origin listed twice is a warning.
//! - Placeholders may appear anywhere after `https://` (in the host too), but the host is not empty.
//! - A brand's products are the `product` values of all its well-formed `forms.csv` rows.

pub(crate) mod check;
mod table;

use crate::diag::{Diagnostic, Severity};
use crate::model::{Brand, Database, Expect, Form, Override, RefusedForm, Rule, Zip};
use check::Problem;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use table::{Schema, Table};

/// The five files of the rule database, in the order SPEC lists them.
pub const FILES: [&str; 5] = [
    "zips.csv",
    "brands.csv",
    "forms.csv",
    "rules.csv",
    "zip_overrides.csv",
];

/// Optional files: read when present. `expect.csv` declares the states each brand and product is
/// meant to serve, so that the build warns only where reality differs (not in SPEC: a builder aid).
pub const OPTIONAL_FILES: [&str; 1] = ["expect.csv"];

/// The raw bytes of the rule database: file name (e.g. `rules.csv`) to its contents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// File name to bytes. A missing file is simply absent (reported as a diagnostic by [`load`]).
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Reading the data folder failed for a reason other than a missing file.
#[derive(thiserror::Error, Debug)]
pub enum LoadError {
    /// A file exists but could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file that exists but cannot be read.
        path: PathBuf,
        /// What reading it said (the `source()`, not in the message).
        #[source]
        source: std::io::Error,
    },
}

impl Sources {
    /// Reads the five SPEC files from `dir`. A missing file is left out (a diagnostic later).
    pub fn read_dir(dir: &Path) -> Result<Sources, LoadError> {
        let mut files = BTreeMap::new();
        for name in FILES.iter().chain(&OPTIONAL_FILES) {
            let path = dir.join(name);
            match std::fs::read(&path) {
                Ok(bytes) => {
                    files.insert(name.to_string(), bytes);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(LoadError::Io { path, source }),
            }
        }
        Ok(Sources { files })
    }
}

/// The outcome of [`load`]: the rows that passed, and everything found wrong or questionable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// Only the rows that passed every check.
    pub db: Database,
    /// Errors and warnings, sorted by (file, line, column).
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// Whether any diagnostic is an error (the build must then be refused).
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::diag::Severity::Error)
    }
}

/// Loads and validates the rule database. Never stops at the first problem.
pub fn load(sources: &Sources) -> Loaded {
    let mut d = Diags::default();
    let mut db = Database::default();
    let file = |name: &str| sources.files.get(name).map(Vec::as_slice);

    let zips = load_zips(file(ZIPS.file), &mut db, &mut d);
    let brands = load_brands(file(BRANDS.file), &mut db, &mut d);
    let products = load_forms(file(FORMS.file), &brands, &mut db, &mut d);
    let rules_read = load_rules(file(RULES.file), &brands, &products, &zips, &mut db, &mut d);
    let overrides_read = load_overrides(
        file(OVERRIDES.file),
        &brands,
        &products,
        &zips,
        &mut db,
        &mut d,
    );
    if let Some(bytes) = file(EXPECT.file) {
        load_expect(bytes, &brands, &products, &zips, &mut db, &mut d);
    }
    warn_about_brands(
        &db,
        products.is_some(),
        rules_read && overrides_read,
        &mut d,
    );

    let mut diagnostics = d.list;
    diagnostics.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    Loaded { db, diagnostics }
}

/// Collects diagnostics.
#[derive(Default)]
pub(crate) struct Diags {
    list: Vec<Diagnostic>,
}

impl Diags {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        severity: Severity,
        file: &str,
        line: u32,
        column: u32,
        column_name: Option<&str>,
        message: String,
        help: String,
    ) {
        self.list.push(Diagnostic::new(
            severity,
            file,
            (line, column),
            column_name,
            message,
            help,
        ));
    }

    /// Marks the last finding as a consequence of the refused row at (`file`, `line`).
    pub(crate) fn caused_by(&mut self, file: &str, line: u32) {
        if let Some(last) = self.list.last_mut() {
            last.caused_by = Some((file.to_string(), line));
        }
    }

    /// Adds a note to the last finding.
    pub(crate) fn note(&mut self, text: String) {
        if let Some(last) = self.list.last_mut() {
            last.notes.push(text);
        }
    }

    /// Records an error.
    pub(crate) fn error(
        &mut self,
        file: &str,
        line: u32,
        column: u32,
        column_name: Option<&str>,
        message: String,
        help: String,
    ) {
        self.push(
            Severity::Error,
            file,
            line,
            column,
            column_name,
            message,
            help,
        );
    }

    /// Records a warning.
    pub(crate) fn warning(
        &mut self,
        file: &str,
        line: u32,
        column: u32,
        column_name: Option<&str>,
        message: String,
        help: String,
    ) {
        self.push(
            Severity::Warning,
            file,
            line,
            column,
            column_name,
            message,
            help,
        );
    }
}

static ZIPS: Schema = Schema {
    file: "zips.csv",
    columns: &["zip", "state"],
};
static BRANDS: Schema = Schema {
    file: "brands.csv",
    columns: &[
        "brand",
        "name",
        "default_language",
        "fallback_url",
        "origins",
    ],
};
static FORMS: Schema = Schema {
    file: "forms.csv",
    columns: &["brand", "product", "form_type", "language", "url"],
};
static RULES: Schema = Schema {
    file: "rules.csv",
    columns: &["brand", "product", "state", "form_type"],
};
static OVERRIDES: Schema = Schema {
    file: "zip_overrides.csv",
    columns: &["brand", "product", "zip_prefix", "form_type"],
};

static EXPECT: Schema = Schema {
    file: "expect.csv",
    columns: &["brand", "product", "served", "partly", "wide_overrides"],
};

/// What later files need to know of `zips.csv`: the sorted ZIPs and the states that have any.
/// `None` when the file could not be read (checks that need it are then skipped).
struct ZipIndex {
    zips: Vec<Zip>,
    states: BTreeSet<&'static str>,
}

/// The slugs `brands.csv` names (line of each), well formed even if the row was refused.
/// `None` when the file could not be read: brand names are then not checked elsewhere.
type BrandNames = Option<HashMap<String, u32>>;

/// Each brand's products (from `forms.csv`). `None` when `forms.csv` could not be read.
type Products = Option<HashMap<String, BTreeSet<String>>>;

fn load_zips(bytes: Option<&[u8]>, db: &mut Database, d: &mut Diags) -> Option<ZipIndex> {
    const ZIP: usize = 0;
    const STATE: usize = 1;
    if let Some(bytes) = bytes {
        db.zip_data_version = zip_data_version(bytes);
    }
    let mut table = Table::open(&ZIPS, bytes, d)?;
    let zip_column = table.header_column(ZIP);
    // (zip, line, state): sorted afterwards so that duplicates sit side by side, first line first.
    let mut rows: Vec<(Zip, u32, &'static str)> = Vec::with_capacity(48_000);
    while let Some(row) = table.next_row(d) {
        let zip = row.value(ZIP, d, check::zip);
        let state = row.value(STATE, d, check::state);
        if let (Some(zip), Some(state)) = (zip, state) {
            rows.push((zip, row.line, state));
        }
    }
    rows.sort_unstable();
    let mut index = ZipIndex {
        zips: Vec::with_capacity(rows.len()),
        states: BTreeSet::new(),
    };
    db.zips.reserve(rows.len());
    let mut first: Option<(Zip, u32)> = None;
    for (zip, line, state) in rows {
        if let Some((z, first_line)) = first {
            if z == zip {
                d.error(
                    ZIPS.file,
                    line,
                    zip_column,
                    Some(ZIPS.columns[ZIP]),
                    format!(
                        "duplicate ZIP `{}`: line {first_line} already has it",
                        String::from_utf8_lossy(&zip)
                    ),
                    "keep one row per ZIP: remove this one or the other".to_string(),
                );
                continue;
            }
        }
        first = Some((zip, line));
        index.zips.push(zip);
        index.states.insert(state);
        db.zips.push((zip, state.to_string()));
    }
    Some(index)
}

/// `# version: X` from a comment line of `zips.csv`, else `sha256:` and 16 hex digits of the file.
fn zip_data_version(bytes: &[u8]) -> String {
    let text = table::strip_bom(bytes);
    for line in text.split(|&b| b == b'\n') {
        let Some(rest) = line.strip_prefix(b"#") else {
            continue;
        };
        let Ok(rest) = std::str::from_utf8(rest) else {
            continue;
        };
        if let Some(v) = rest.trim().strip_prefix("version:") {
            let v = v.trim();
            if !v.is_empty() {
                return v.to_string();
            }
        }
    }
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn load_brands(bytes: Option<&[u8]>, db: &mut Database, d: &mut Diags) -> BrandNames {
    const BRAND: usize = 0;
    const NAME: usize = 1;
    const LANGUAGE: usize = 2;
    const FALLBACK: usize = 3;
    const ORIGINS: usize = 4;
    let mut table = Table::open(&BRANDS, bytes, d)?;
    let mut names: HashMap<String, u32> = HashMap::new();
    while let Some(row) = table.next_row(d) {
        let mut fresh = false;
        let slug = row.value(BRAND, d, check::slug);
        if let Some(slug) = slug {
            if let Some(first) = names.get(slug) {
                row.error(
                    BRAND,
                    d,
                    Problem::new(
                        format!("duplicate brand `{slug}`: line {first} already has it"),
                        "keep one row per brand: remove or rename this one",
                    ),
                );
            } else {
                fresh = true;
                names.insert(slug.to_string(), row.line);
            }
        }
        let name = row.value(NAME, d, check::name);
        let language = row.value(LANGUAGE, d, check::language);
        let fallback = row.value(FALLBACK, d, |v| {
            check::url_template(v, check::FALLBACK_PLACEHOLDERS, "fallback_url")
        });
        let origins = row.value(ORIGINS, d, check::origins);
        let mut unique: Vec<String> = Vec::new();
        for o in origins.iter().flatten() {
            if unique.iter().any(|u| u == o) {
                row.warning(
                    ORIGINS,
                    d,
                    Problem::new(
                        format!("origin `{o}` is listed twice"),
                        "list each origin once",
                    ),
                );
            } else {
                unique.push((*o).to_string());
            }
        }
        if let (true, Some(slug), Some(name), Some(language), Some(fallback), Some(_)) =
            (fresh, slug, name, language, fallback, origins)
        {
            db.brands.insert(
                slug.to_string(),
                Brand {
                    slug: slug.to_string(),
                    name: name.to_string(),
                    default_language: language.to_string(),
                    fallback_url: fallback.to_string(),
                    origins: unique,
                    line: row.line,
                    ..Brand::default()
                },
            );
        }
    }
    Some(names)
}

/// Checks that a well-formed brand slug is in `brands.csv`; reports it at column `k` if not.
fn check_brand_known(
    row: &table::Row<'_>,
    k: usize,
    slug: &str,
    brands: &BrandNames,
    d: &mut Diags,
) {
    let Some(names) = brands else {
        return;
    };
    if names.contains_key(slug) {
        return;
    }
    let hint = check::closest(slug, names.keys().map(String::as_str))
        .map(|c| format!("did you mean `{c}`? Otherwise "))
        .unwrap_or_default();
    row.error(
        k,
        d,
        Problem::new(
            format!("brand `{slug}` is not in brands.csv"),
            format!("{hint}add a row for `{slug}` to brands.csv, or fix the name"),
        ),
    );
}

/// Returns each brand's products (the `product` of its well-formed `forms.csv` rows).
fn load_forms(
    bytes: Option<&[u8]>,
    brands: &BrandNames,
    db: &mut Database,
    d: &mut Diags,
) -> Products {
    const BRAND: usize = 0;
    const PRODUCT: usize = 1;
    const FORM_TYPE: usize = 2;
    const LANGUAGE: usize = 3;
    const URL: usize = 4;
    let mut table = Table::open(&FORMS, bytes, d)?;
    let mut products: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut keys = Keys::default();
    while let Some(row) = table.next_row(d) {
        let brand = row.value(BRAND, d, check::slug);
        if let Some(brand) = brand {
            check_brand_known(&row, BRAND, brand, brands, d);
        }
        let product = row.value(PRODUCT, d, check::slug);
        let form_type = row.value(FORM_TYPE, d, check::form_type_of_form);
        let language = row.value(LANGUAGE, d, check::language);
        let url = row.value(URL, d, |v| {
            check::url_template(v, check::FORM_PLACEHOLDERS, "url")
        });
        if let (Some(brand), Some(product)) = (brand, product) {
            if !products.get(brand).is_some_and(|p| p.contains(product)) {
                products
                    .entry(brand.to_string())
                    .or_default()
                    .insert(product.to_string());
            }
        }
        let refused = RefusedForm {
            brand: row.raw(BRAND),
            product: row.raw(PRODUCT),
            form_type: row.raw(FORM_TYPE),
            language: row.raw(LANGUAGE),
            line: row.line,
        };
        let (Some(brand), Some(product), Some(form_type), Some(language), Some(url)) =
            (brand, product, form_type, language, url)
        else {
            db.refused_forms.push(refused);
            continue;
        };
        if let Some(first) = keys.first_line(&[brand, product, form_type, language], row.line) {
            row.error(
                BRAND,
                d,
                Problem::new(
                    format!(
                        "duplicate form (brand `{brand}`, product `{product}`, form_type `{form_type}`, language `{language}`): line {first} already has it"
                    ),
                    "keep one form per brand, product, form type and language: remove this row or the other",
                ),
            );
            continue;
        }
        if let Some(b) = db.brands.get_mut(brand) {
            b.forms.push(Form {
                product: product.to_string(),
                form_type: form_type.to_string(),
                language: language.to_string(),
                url: url.to_string(),
                line: row.line,
            });
        }
    }
    Some(products)
}

/// Checks that a named product (not `*`) is a product of the brand; reports it at column `k`.
/// Returns false when it is not.
fn check_product_known(
    row: &table::Row<'_>,
    k: usize,
    brand: &str,
    product: &str,
    products: &Products,
    d: &mut Diags,
) -> bool {
    let Some(products) = products else {
        return true;
    };
    let Some(list) = products.get(brand) else {
        row.error(
            k,
            d,
            Problem::new(
                format!("product `{product}` is not a product of brand `{brand}`: the brand has no forms"),
                format!("add the forms of `{brand}` to forms.csv (a brand's products are the products of its forms)"),
            ),
        );
        return false;
    };
    if list.contains(product) {
        return true;
    }
    let hint = match check::closest(product, list.iter().map(String::as_str)) {
        Some(c) => format!("did you mean `{c}`? "),
        None => String::new(),
    };
    let known = list
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    row.error(
        k,
        d,
        Problem::new(
            format!("product `{product}` is not a product of brand `{brand}`"),
            format!("{hint}`{brand}` has forms for: {known}; add forms for `{product}` to forms.csv, or fix the name"),
        ),
    );
    false
}

/// Columns 0 (`brand`) and 1 (`product` or `*`) of a `rules.csv` or `zip_overrides.csv` row,
/// each checked against `brands.csv` and `forms.csv`. The product is `Some(None)` for `*`, and
/// `None` when it is malformed or not a product of the brand.
fn brand_and_product<'r>(
    row: &table::Row<'r>,
    brands: &BrandNames,
    products: &Products,
    d: &mut Diags,
) -> (Option<&'r str>, Option<Option<&'r str>>) {
    const BRAND: usize = 0;
    const PRODUCT: usize = 1;
    let brand = row.value(BRAND, d, check::slug);
    if let Some(brand) = brand {
        check_brand_known(row, BRAND, brand, brands, d);
    }
    let mut product = row.value(PRODUCT, d, check::slug_or_star);
    if let (Some(brand), Some(Some(p))) = (brand, product) {
        if !check_product_known(row, PRODUCT, brand, p, products, d) {
            product = None;
        }
    }
    (brand, product)
}

/// Returns whether the file could be read.
fn load_rules(
    bytes: Option<&[u8]>,
    brands: &BrandNames,
    products: &Products,
    zips: &Option<ZipIndex>,
    db: &mut Database,
    d: &mut Diags,
) -> bool {
    const STATE: usize = 2;
    const FORM_TYPE: usize = 3;
    let Some(mut table) = Table::open(&RULES, bytes, d) else {
        return false;
    };
    let mut keys = Keys::default();
    while let Some(row) = table.next_row(d) {
        let (brand, product) = brand_and_product(&row, brands, products, d);
        let state = row.value(STATE, d, check::state_or_star);
        if let (Some(Some(state)), Some(zips)) = (state, zips) {
            if !zips.states.contains(state) {
                row.warning(
                    STATE,
                    d,
                    Problem::new(
                        format!(
                            "no ZIP of zips.csv lies in state `{state}`: this rule never applies"
                        ),
                        "check the state code, or remove the rule",
                    ),
                );
            }
        }
        let form_type = row.value(FORM_TYPE, d, check::form_type_or_none);
        let (Some(brand), Some(product), Some(state)) = (brand, product, state) else {
            continue;
        };
        let key = [brand, product.unwrap_or("*"), state.unwrap_or("*")];
        if keys.is_duplicate(&row, &key, ("rule", "state", "state"), d) {
            continue;
        }
        if let (Some(form_type), Some(b)) = (form_type, db.brands.get_mut(brand)) {
            b.rules.push(Rule {
                product: product.map(str::to_string),
                state: state.map(str::to_string),
                form_type: form_type.map(str::to_string),
                line: row.line,
            });
        }
    }
    true
}

/// Returns whether the file could be read.
fn load_overrides(
    bytes: Option<&[u8]>,
    brands: &BrandNames,
    products: &Products,
    zips: &Option<ZipIndex>,
    db: &mut Database,
    d: &mut Diags,
) -> bool {
    const PREFIX: usize = 2;
    const FORM_TYPE: usize = 3;
    let Some(mut table) = Table::open(&OVERRIDES, bytes, d) else {
        return false;
    };
    let mut keys = Keys::default();
    while let Some(row) = table.next_row(d) {
        let (brand, product) = brand_and_product(&row, brands, products, d);
        let prefix = row.value(PREFIX, d, |v| check::zip_prefix(v).map(|()| v));
        if let (Some(prefix), Some(zips)) = (prefix, zips) {
            if !zips.any_starts_with(prefix.as_bytes()) {
                row.warning(
                    PREFIX,
                    d,
                    Problem::new(
                        format!("no ZIP of zips.csv starts with `{prefix}`: this override never applies"),
                        "check the prefix, or remove the row",
                    ),
                );
            }
        }
        let form_type = row.value(FORM_TYPE, d, check::form_type_or_none);
        let (Some(brand), Some(product), Some(prefix)) = (brand, product, prefix) else {
            continue;
        };
        let key = [brand, product.unwrap_or("*"), prefix];
        if keys.is_duplicate(&row, &key, ("override", "zip_prefix", "prefix"), d) {
            continue;
        }
        if let (Some(form_type), Some(b)) = (form_type, db.brands.get_mut(brand)) {
            b.overrides.push(Override {
                product: product.map(str::to_string),
                zip_prefix: prefix.to_string(),
                form_type: form_type.map(str::to_string),
                line: row.line,
            });
        }
    }
    true
}

/// The keys seen so far in one file, each with the line that first had it.
#[derive(Default)]
struct Keys {
    lines: HashMap<String, u32>,
    /// Reused buffer: the key's parts joined by NUL (no value can hold one).
    buf: String,
}

impl Keys {
    /// The line that already had `parts`, or `None` after recording `line` as its first.
    fn first_line(&mut self, parts: &[&str], line: u32) -> Option<u32> {
        self.buf.clear();
        for p in parts {
            self.buf.push_str(p);
            self.buf.push('\0');
        }
        if let Some(first) = self.lines.get(self.buf.as_str()) {
            return Some(*first);
        }
        self.lines.insert(self.buf.clone(), line);
        None
    }

    /// Whether the row's `[brand, product, third]` key was seen before; if so reports it on the
    /// brand column. `names` is (what a row is, the third column's name, its noun in the help).
    fn is_duplicate(
        &mut self,
        row: &table::Row<'_>,
        key: &[&str; 3],
        (what, column, noun): (&str, &str, &str),
        d: &mut Diags,
    ) -> bool {
        const BRAND: usize = 0;
        let Some(first) = self.first_line(key, row.line) else {
            return false;
        };
        row.error(
            BRAND,
            d,
            Problem::new(
                format!(
                    "duplicate {what} (brand `{}`, product `{}`, {column} `{}`): line {first} already has it",
                    key[0], key[1], key[2]
                ),
                format!("keep one {what} per brand, product and {noun}: remove this row or the other"),
            ),
        );
        true
    }
}

impl ZipIndex {
    /// Whether some ZIP starts with `prefix` (binary search on the sorted ZIPs).
    fn any_starts_with(&self, prefix: &[u8]) -> bool {
        let i = self.zips.partition_point(|z| z.as_slice() < prefix);
        self.zips.get(i).is_some_and(|z| z.starts_with(prefix))
    }
}

/// Warnings about whole brands: no forms, or no rule at all (every query is `not_served`).
fn warn_about_brands(db: &Database, forms_read: bool, rules_read: bool, d: &mut Diags) {
    for brand in db.brands.values() {
        if forms_read && brand.forms.is_empty() {
            d.warning(
                BRANDS.file,
                brand.line,
                0,
                None,
                format!(
                    "brand `{}` has no forms in forms.csv: every query gets its fallback URL",
                    brand.slug
                ),
                "add its forms to forms.csv, or remove the brand".to_string(),
            );
            // Its forms rows were all refused: a consequence of that error, not news.
            if let Some(r) = db.refused_forms.iter().find(|r| r.brand == brand.slug) {
                d.caused_by(FORMS.file, r.line);
            }
        } else if rules_read && brand.rules.is_empty() && brand.overrides.is_empty() {
            d.warning(
                BRANDS.file,
                brand.line,
                0,
                None,
                format!(
                    "brand `{}` has no row in rules.csv or zip_overrides.csv: every query is `not_served`",
                    brand.slug
                ),
                "add rules for it to rules.csv (e.g. product `*`, state `*`)".to_string(),
            );
        }
    }
}

/// Reads the optional `expect.csv`: per brand and product (or `*`), the states meant to be served
/// fully (`served`: codes, or `*` for every state with ZIPs, then `-XX` to leave states out, or
/// `none`), partly (`partly`: codes, may be empty; a state listed here is partly served even if
/// `served` includes it), and the override prefixes meant to reach wide (`wide_overrides`, may
/// be empty). Only its own columns may be empty.
fn load_expect(
    bytes: &[u8],
    brands: &BrandNames,
    products: &Products,
    zips: &Option<ZipIndex>,
    db: &mut Database,
    d: &mut Diags,
) {
    const SERVED: usize = 2;
    const PARTLY: usize = 3;
    const WIDE: usize = 4;
    let Some(mut table) = Table::open(&EXPECT, Some(bytes), d) else {
        return;
    };
    let every: BTreeSet<String> = zips
        .as_ref()
        .map(|z| z.states.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    let mut keys = Keys::default();
    while let Some(row) = table.next_row(d) {
        let (brand, product) = brand_and_product(&row, brands, products, d);
        let states = |k: usize, d: &mut Diags, star: bool| -> Option<BTreeSet<String>> {
            let raw = row.raw(k);
            let mut set = BTreeSet::new();
            for (n, token) in raw.split_whitespace().enumerate() {
                let (minus, code) = match token.strip_prefix('-') {
                    Some(c) if star => (true, c),
                    _ => (false, token),
                };
                if star && token == "*" && n == 0 {
                    set.extend(every.iter().cloned());
                    continue;
                }
                if star && token == "none" && n == 0 {
                    continue;
                }
                match check::state(code) {
                    Ok(c) if minus => {
                        set.remove(c);
                    }
                    Ok(c) => {
                        set.insert(c.to_string());
                    }
                    Err(p) => {
                        row.error(
                            k,
                            d,
                            Problem::new(
                                format!("{} in this list: {}", p.message, p.help),
                                if star {
                                    "write space-separated USPS codes, or `*` first for every state and then `-XX` to leave states out (`* -AE -VI`), or `none`"
                                } else {
                                    "write space-separated USPS codes, or leave it empty"
                                },
                            ),
                        );
                        return None;
                    }
                }
            }
            if star && raw.trim().is_empty() {
                row.error(
                    k,
                    d,
                    Problem::new(
                        "empty value",
                        "list the states served in full (`*`, `* -AE`, `MN WI`), or write `none`",
                    ),
                );
                return None;
            }
            Some(set)
        };
        let served = states(SERVED, d, true);
        let partly = states(PARTLY, d, false);
        let raw_wide = row.raw(WIDE);
        let mut wide = BTreeSet::new();
        let mut wide_ok = true;
        for p in raw_wide.split_whitespace() {
            if let Err(problem) = check::zip_prefix(p) {
                row.error(WIDE, d, problem);
                wide_ok = false;
                break;
            }
            wide.insert(p.to_string());
        }
        let (Some(brand), Some(product), Some(served), Some(partly), true) =
            (brand, product, served, partly, wide_ok)
        else {
            continue;
        };
        let shown = product.unwrap_or("*");
        if let Some(first) = keys.first_line(&[brand, shown], row.line) {
            row.error(
                0,
                d,
                Problem::new(
                    format!("duplicate expectation (brand `{brand}`, product `{shown}`): line {first} already has it"),
                    "keep one row per brand and product: remove this row or the other",
                ),
            );
            continue;
        }
        db.expect.push(Expect {
            brand: brand.to_string(),
            product: product.map(str::to_string),
            served: served.difference(&partly).cloned().collect(),
            partly,
            wide_overrides: wide,
            line: row.line,
        });
    }
}
