//! The validated rule database: what `data/*.csv` says once every row has been checked.
//!
//! Every row keeps its physical line number so that later checks (reachability) and the
//! resolver's `--explain` can point back at it.

use std::collections::BTreeMap;

/// A five-digit ZIP code as ASCII bytes, leading zeros kept.
pub type Zip = [u8; 5];

/// The whole rule database after validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Database {
    /// Every ZIP of `zips.csv` with its USPS state code, sorted by ZIP, unique.
    pub zips: Vec<(Zip, String)>,
    /// A label for the ZIP data: the `# version: ...` comment of `zips.csv` if it has one,
    /// else `sha256:` and the first 16 hex digits of the file's SHA-256.
    pub zip_data_version: String,
    /// Brands by slug (sorted, so everything derived from them is deterministic).
    pub brands: BTreeMap<String, Brand>,
    /// `forms.csv` rows refused for a bad value, so that what they would have served is
    /// reported as a consequence of that error rather than as a missing form.
    pub refused_forms: Vec<RefusedForm>,
    /// `expect.csv`: the states each brand and product is meant to serve (empty when absent).
    pub expect: Vec<Expect>,
}

/// A `forms.csv` row refused for a bad value: its fields as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedForm {
    /// The row's brand, as written.
    pub brand: String,
    /// The row's product, as written.
    pub product: String,
    /// The row's form type, as written (the refused value may be this one).
    pub form_type: String,
    /// The row's language, as written (the refused value may be this one).
    pub language: String,
    /// Line in `forms.csv`.
    pub line: u32,
}

/// A row of the optional `expect.csv`: what a brand means to serve for a product (`None` = `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// The brand slug the expectation is for.
    pub brand: String,
    /// `None` for `*` (every product without its own row).
    pub product: Option<String>,
    /// States where every ZIP is meant to be served.
    pub served: std::collections::BTreeSet<String>,
    /// States where some ZIPs are meant to be served and some not.
    pub partly: std::collections::BTreeSet<String>,
    /// ZIP prefixes of `zip_overrides.csv` meant to reach several states or more ZIPs than a state.
    pub wide_overrides: std::collections::BTreeSet<String>,
    /// Line in `expect.csv`.
    pub line: u32,
}

/// One brand with every row of the other files that names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Brand {
    /// Slug, `[a-z0-9-]{1,32}`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Two lowercase letters.
    pub default_language: String,
    /// Absolute `https://` URL template; placeholders `{zip}`, `{product}`, `{language}`, `{brand}`.
    pub fallback_url: String,
    /// `https://` origins of the brand's websites, in file order.
    pub origins: Vec<String>,
    /// Line in `brands.csv`.
    pub line: u32,
    /// Rows of `forms.csv`, in file order.
    pub forms: Vec<Form>,
    /// Rows of `rules.csv`, in file order.
    pub rules: Vec<Rule>,
    /// Rows of `zip_overrides.csv`, in file order.
    pub overrides: Vec<Override>,
}

/// A row of `forms.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// The product this form serves.
    pub product: String,
    /// The form type it serves (a name `rules.csv` and overrides point at).
    pub form_type: String,
    /// Two lowercase letters.
    pub language: String,
    /// Absolute `https://` URL template.
    pub url: String,
    /// Line in `forms.csv`.
    pub line: u32,
}

/// A row of `rules.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `None` for `*` (every product of the brand).
    pub product: Option<String>,
    /// `None` for `*` (every state).
    pub state: Option<String>,
    /// `None` for `none` (not served).
    pub form_type: Option<String>,
    /// Line in `rules.csv`.
    pub line: u32,
}

/// A row of `zip_overrides.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// `None` for `*`.
    pub product: Option<String>,
    /// 1 to 5 ASCII digits.
    pub zip_prefix: String,
    /// `None` for `none`.
    pub form_type: Option<String>,
    /// Line in `zip_overrides.csv`.
    pub line: u32,
}

impl Brand {
    /// The brand's products: the distinct `product` values of its forms, sorted.
    pub fn products(&self) -> Vec<String> {
        let mut v: Vec<String> = self.forms.iter().map(|f| f.product.clone()).collect();
        v.sort();
        v.dedup();
        v
    }
}
