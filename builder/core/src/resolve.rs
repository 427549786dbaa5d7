//! The reference resolver: SPEC's resolution steps 0-6 over compiled artifacts only, and its NDJSON line.
//!
//! [`resolve`] answers one query from one [`Artifact`]; [`ArtifactSet`] opens a build folder
//! through `manifest.json` and answers for any brand. [`Resolution::to_json`] writes the exact
//! line SPEC prescribes, which the JavaScript client must reproduce byte for byte.

use crate::artifact::{unsupported_version, Artifact, ArtifactError};
use crate::compile::sha256_hex;
use crate::explain::Explain;
use crate::manifest::{BrandEntry, Manifest, FORMAT_VERSION, MANIFEST_FILE};
use crate::model::{Override, Rule};
use crate::precedence::{self, Decider};
use crate::spec::{normalise_language_in, normalise_product_in, zip5, MAX_SLUG};
use crate::template::Values;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a query did not resolve (SPEC's reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Step 0: the brand has no artifact.
    UnknownBrand,
    /// Step 1: not one of the ZIP shapes SPEC accepts.
    InvalidZip,
    /// Step 2: the ZIP is not in `zips.csv`.
    UnknownZip,
    /// Step 3: not a product of the brand.
    UnknownProduct,
    /// Step 4: no override or rule matches, or the match says `none`.
    NotServed,
    /// The brand's artifact is missing or damaged.
    Unavailable,
}

impl Reason {
    /// The `error` value of the JSON line.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::UnknownBrand => "unknown_brand",
            Reason::InvalidZip => "invalid_zip",
            Reason::UnknownZip => "unknown_zip",
            Reason::UnknownProduct => "unknown_product",
            Reason::NotServed => "not_served",
            Reason::Unavailable => "unavailable",
        }
    }
}

/// The answer to one query. The resolver borrows `state`, `form_type` and `language` from the
/// artifact (`'a`), so an answer allocates its URL only; [`Resolution::into_owned`] detaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution<'a> {
    /// A form URL.
    Ok {
        /// The form's URL template, filled.
        url: String,
        /// The ZIP's USPS state.
        state: Cow<'a, str>,
        /// The form type step 4 chose.
        form_type: Cow<'a, str>,
        /// The language of the form answered (step 5).
        language: Cow<'a, str>,
    },
    /// A reason and the fallback URL (filled), `None` for `unknown_brand` and an unusable artifact.
    Failed {
        /// Why the query did not resolve.
        error: Reason,
        /// The brand's fallback URL template, filled.
        fallback_url: Option<String>,
    },
}

fn push_json_str(out: &mut String, s: &str) {
    // serde_json writes a &str as a JSON string: `"`, `\` and C0 controls escaped, the rest as
    // itself. Text with none of those (every answer of validated data) is copied as it stands;
    // anything else goes through serde_json, the one definition of the escapes.
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
    }
}

impl Resolution<'_> {
    /// The same answer owning its text, free of the artifact it was resolved from.
    pub fn into_owned(self) -> Resolution<'static> {
        match self {
            Resolution::Ok {
                url,
                state,
                form_type,
                language,
            } => Resolution::Ok {
                url,
                state: Cow::Owned(state.into_owned()),
                form_type: Cow::Owned(form_type.into_owned()),
                language: Cow::Owned(language.into_owned()),
            },
            Resolution::Failed {
                error,
                fallback_url,
            } => Resolution::Failed {
                error,
                fallback_url,
            },
        }
    }

    /// The NDJSON line without its newline: keys in SPEC's order, no spaces, non-ASCII as itself.
    pub fn to_json(&self) -> String {
        self.to_json_with(None)
    }

    /// The NDJSON line with `"decided_by":...` appended as the last key when `decided_by` is given
    /// (`Some(None)` writes `null`).
    pub fn to_json_with(&self, decided_by: Option<Option<&str>>) -> String {
        let mut out = String::with_capacity(160);
        match self {
            Resolution::Ok {
                url,
                state,
                form_type,
                language,
            } => {
                out.push_str("{\"ok\":true,\"url\":");
                push_json_str(&mut out, url);
                out.push_str(",\"state\":");
                push_json_str(&mut out, state);
                out.push_str(",\"form_type\":");
                push_json_str(&mut out, form_type);
                out.push_str(",\"language\":");
                push_json_str(&mut out, language);
            }
            Resolution::Failed {
                error,
                fallback_url,
            } => {
                let _ = write!(
                    out,
                    "{{\"ok\":false,\"error\":\"{}\",\"fallback_url\":",
                    error.as_str()
                );
                match fallback_url {
                    Some(u) => push_json_str(&mut out, u),
                    None => out.push_str("null"),
                }
            }
        }
        if let Some(d) = decided_by {
            out.push_str(",\"decided_by\":");
            match d {
                Some(s) => push_json_str(&mut out, s),
                None => out.push_str("null"),
            }
        }
        out.push('}');
        out
    }
}

/// What step 4 needs, kept for `--explain`: the five-digit ZIP, its state, the normalised product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    /// The five-digit ZIP the query reached (step 1).
    pub zip: String,
    /// The USPS state of that ZIP (step 2).
    pub state: String,
    /// The product after step 3's normalisation.
    pub product: String,
}

/// Resolves one query against one brand's artifact (SPEC steps 1-6).
pub fn resolve<'a>(a: &'a Artifact, zip: &str, product: &str, language: &str) -> Resolution<'a> {
    resolve_inner(a, zip, product, language, false).0
}

/// [`resolve`], also returning the step-4 inputs when the query got that far.
pub fn resolve_traced<'a>(
    a: &'a Artifact,
    zip: &str,
    product: &str,
    language: &str,
) -> (Resolution<'a>, Option<Reached>) {
    resolve_inner(a, zip, product, language, true)
}

fn resolve_inner<'a>(
    a: &'a Artifact,
    zip: &str,
    product: &str,
    language: &str,
    traced: bool,
) -> (Resolution<'a>, Option<Reached>) {
    let t = &a.tables;
    // Lowercased on the stack: a query allocates nothing but its answer's URL.
    let mut product_buf = [0; MAX_SLUG];
    let mut language_buf = [0; MAX_SLUG];
    let product = normalise_product_in(product, &mut product_buf);
    let product = product.as_ref();
    let asked_language = normalise_language_in(language, &mut language_buf);
    // The asked language as the artifact spells it, when the brand has forms in it.
    let asked = a
        .language_index(&asked_language)
        .map(|l| (l as u32, t.languages[l].as_str()));
    let zip_str = zip5(zip);

    let fail = |error: Reason| {
        // Fallback filling: {zip} once step 1 passed (else empty); {product} as asked (trimmed,
        // lowercased); {language} the normalised asked one when the brand has a form in it, else
        // the default language; {brand} the brand.
        let lang = asked.map_or(t.default_language.as_str(), |(_, l)| l);
        let v = Values {
            zip: zip_str,
            product: Some(product),
            language: Some(lang),
            brand: Some(&t.brand),
            ..Values::default()
        };
        Resolution::Failed {
            error,
            fallback_url: Some(a.templates.fallback.fill(&v)),
        }
    };

    let Some(z) = zip_str else {
        return (fail(Reason::InvalidZip), None);
    };
    let Some(class) = a.class_of(z.as_bytes()) else {
        return (fail(Reason::UnknownZip), None);
    };
    // Artifact::from_bytes checked every index of every class.
    let state = t.states[class[0] as usize].as_str();
    let Some(p) = a.product_index(product) else {
        return (fail(Reason::UnknownProduct), None);
    };
    let reached = traced.then(|| Reached {
        zip: zip_str.unwrap_or_default().to_string(),
        state: state.to_string(),
        product: product.to_string(),
    });
    let k = class[1 + p];
    if k == 0 {
        return (fail(Reason::NotServed), reached);
    }
    let ft = k - 1;
    let p = p as u32;
    // SPEC step 5: the asked language's form if the brand has one for (product, form type), else the
    // default language's (which exists: the builder and Artifact::from_bytes guarantee it).
    let chosen = asked
        .and_then(|(l, name)| a.form_index(p, ft, l).map(|i| (i, name)))
        .or_else(|| {
            let l = a.templates.default_language?;
            a.form_index(p, ft, l)
                .map(|i| (i, t.default_language.as_str()))
        });
    let Some((form, language)) = chosen else {
        return (fail(Reason::NotServed), reached);
    };
    let form_type = t.form_types[ft as usize].as_str();
    let v = Values {
        zip: zip_str,
        state: Some(state),
        product: Some(product),
        language: Some(language),
        brand: Some(&t.brand),
        form_type: Some(form_type),
    };
    let res = Resolution::Ok {
        url: a.templates.forms[form].fill(&v),
        state: Cow::Borrowed(state),
        form_type: Cow::Borrowed(form_type),
        language: Cow::Borrowed(language),
    };
    (res, reached)
}

/// Says which row decided, from the explain rows: `zip_overrides.csv:7 (product=*,zip_prefix=100,form_type=agent)`.
pub fn describe_decider(overrides: &[Override], rules: &[Rule], reached: &Reached) -> String {
    let d = precedence::decide(
        overrides,
        rules,
        &reached.zip,
        &reached.state,
        &reached.product,
    );
    let any = |v: &Option<String>, s: &'static str| v.clone().unwrap_or_else(|| s.to_string());
    match d.decider {
        Decider::NoMatch => "no override or rule matches".to_string(),
        Decider::Override(i) => {
            let o = &overrides[i];
            format!(
                "zip_overrides.csv:{} (product={},zip_prefix={},form_type={})",
                o.line,
                any(&o.product, "*"),
                o.zip_prefix,
                any(&o.form_type, "none")
            )
        }
        Decider::Rule(i) => {
            let r = &rules[i];
            format!(
                "rules.csv:{} (product={},state={},form_type={})",
                r.line,
                any(&r.product, "*"),
                any(&r.state, "*"),
                any(&r.form_type, "none")
            )
        }
    }
}

/// A build folder that cannot be opened at all.
///
/// Each message is complete, its cause included; the cause is not also returned as
/// `source()`, so a chain printed with `{:#}` names it once.
#[derive(Debug, Error)]
pub enum SetError {
    /// `manifest.json` cannot be read.
    #[error("cannot read {path}: {error}")]
    Io {
        /// The manifest's path.
        path: PathBuf,
        /// What reading it said.
        error: std::io::Error,
    },
    /// `manifest.json` is not a manifest.
    #[error("{path} is not a valid manifest: {error}")]
    Manifest {
        /// The manifest's path.
        path: PathBuf,
        /// What parsing it said.
        error: serde_json::Error,
    },
    /// The manifest's `format_version` is not the one this crate reads.
    #[error("{path}: {}", unsupported_version(.version, &format!("version {FORMAT_VERSION}")))]
    Version {
        /// The manifest's path.
        path: PathBuf,
        /// The version it names.
        version: u32,
    },
}

/// Why one brand of a build folder is unusable.
///
/// Each message is complete, its cause included (no `source()`, see [`SetError`]).
#[derive(Debug, Error)]
pub enum BrandError {
    /// The artifact file cannot be read.
    #[error("cannot read {path}: {error}")]
    Io {
        /// The artifact's path.
        path: PathBuf,
        /// What reading it said.
        error: std::io::Error,
    },
    /// The file is not the one the manifest lists.
    #[error("{path}: SHA-256 does not match manifest.json: the file changed after the build")]
    Sha {
        /// The artifact's path.
        path: PathBuf,
    },
    /// The manifest lists no artifact of the format version asked for.
    #[error("the build has no format-version-{0} artifact for this brand: rebuild with a builder that writes it")]
    NoFormat(u16),
    /// The file's container version is not the one the manifest says.
    #[error("{path}: the manifest names it as a format-version-{expected} artifact, but it is version {got}")]
    WrongVersion {
        /// The artifact's path.
        path: PathBuf,
        /// The version the manifest lists it under.
        expected: u16,
        /// The version in its header.
        got: u16,
    },
    /// The file fails FORMAT.md's checks.
    #[error("{path}: {error}")]
    Artifact {
        /// The artifact's path.
        path: PathBuf,
        /// The check that failed.
        error: ArtifactError,
    },
}

/// One usable brand.
#[derive(Debug)]
pub struct LoadedBrand {
    /// The brand's decoded and checked artifact.
    pub artifact: Artifact,
    /// Explain rows, when the explain file was readable.
    pub explain: Option<(Vec<Override>, Vec<Rule>)>,
}

/// Every brand of a build folder, opened through `manifest.json`.
#[derive(Debug)]
pub struct ArtifactSet {
    /// The build's `manifest.json`, as read.
    pub manifest: Manifest,
    brands: BTreeMap<String, Result<LoadedBrand, BrandError>>,
}

/// Which artifact of a manifest entry is read for format `format` (`None`: the newest listed):
/// its format version, file name and SHA-256; `None` when the entry has no such artifact.
pub fn chosen_artifact(entry: &BrandEntry, format: Option<u16>) -> Option<(u16, &str, &str)> {
    let v2 = entry
        .artifact_v2
        .as_ref()
        .zip(entry.artifact_v2_sha256.as_ref());
    match (format, v2) {
        (Some(1), _) | (None, None) => Some((1, &entry.artifact, &entry.artifact_sha256)),
        (Some(2) | None, Some((f, sha))) => Some((2, f, sha)),
        (Some(_), _) => None,
    }
}

impl ArtifactSet {
    /// Opens `dir/manifest.json` and checks every brand's artifact (SHA-256 and every FORMAT.md check),
    /// the newest format version the manifest lists for it (2 when built, else 1).
    /// A brand whose artifact is unusable stays listed; its queries answer `unavailable`.
    pub fn open(dir: &Path) -> Result<ArtifactSet, SetError> {
        ArtifactSet::open_format(dir, None)
    }

    /// [`ArtifactSet::open`], reading the artifacts of format version `format` (`None`: the newest
    /// listed). A brand without an artifact of that version is unusable.
    pub fn open_format(dir: &Path, format: Option<u16>) -> Result<ArtifactSet, SetError> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|error| SetError::Io {
            path: path.clone(),
            error,
        })?;
        ArtifactSet::from_files(&text, dir, format, |file| std::fs::read(dir.join(file)))
    }

    /// A set from manifest text and a reader of the files it names (a build folder, or copies held
    /// in memory by a server that fetched them). `base` only names the files in messages (a folder,
    /// or `s3://bucket/prefix/a`); `format` is as for [`ArtifactSet::open_format`]. Each artifact
    /// is checked as [`ArtifactSet::open`] does; an explain file that `read` cannot give (say,
    /// `NotFound`) is simply left out.
    pub fn from_files(
        manifest_text: &str,
        base: &Path,
        format: Option<u16>,
        mut read: impl FnMut(&str) -> std::io::Result<Vec<u8>>,
    ) -> Result<ArtifactSet, SetError> {
        let path = base.join(MANIFEST_FILE);
        let manifest = Manifest::from_json(manifest_text).map_err(|error| SetError::Manifest {
            path: path.clone(),
            error,
        })?;
        if manifest.format_version != FORMAT_VERSION {
            return Err(SetError::Version {
                path,
                version: manifest.format_version,
            });
        }
        let mut brands = BTreeMap::new();
        for (slug, entry) in &manifest.brands {
            let mut load = || -> Result<LoadedBrand, BrandError> {
                let Some((version, file, sha)) = chosen_artifact(entry, format) else {
                    return Err(BrandError::NoFormat(format.unwrap_or(1)));
                };
                let path = base.join(file);
                let bytes = read(file).map_err(|error| BrandError::Io {
                    path: path.clone(),
                    error,
                })?;
                if sha256_hex(&bytes) != sha {
                    return Err(BrandError::Sha { path });
                }
                let artifact =
                    Artifact::from_bytes(&bytes).map_err(|error| BrandError::Artifact {
                        path: path.clone(),
                        error,
                    })?;
                if artifact.version != version {
                    return Err(BrandError::WrongVersion {
                        path,
                        expected: version,
                        got: artifact.version,
                    });
                }
                let explain = read(&entry.explain)
                    .ok()
                    .and_then(|b| Explain::from_bytes(&b).ok())
                    .map(|e| e.rows());
                Ok(LoadedBrand { artifact, explain })
            };
            brands.insert(slug.clone(), load());
        }
        Ok(ArtifactSet { manifest, brands })
    }

    /// The brands whose artifact is unusable, with why.
    pub fn problems(&self) -> impl Iterator<Item = (&str, &BrandError)> {
        self.brands
            .iter()
            .filter_map(|(k, v)| v.as_ref().err().map(|e| (k.as_str(), e)))
    }

    /// A usable brand.
    pub fn brand(&self, slug: &str) -> Option<&LoadedBrand> {
        self.brands.get(slug).and_then(|b| b.as_ref().ok())
    }

    /// Resolves one query. The brand is matched exactly as given (SPEC does not trim or lowercase it).
    pub fn resolve(&self, brand: &str, zip: &str, product: &str, language: &str) -> Resolution<'_> {
        self.resolve_explained(brand, zip, product, language).0
    }

    /// [`ArtifactSet::resolve`] plus the `decided_by` text (`None` when step 4 was not reached).
    pub fn resolve_explained(
        &self,
        brand: &str,
        zip: &str,
        product: &str,
        language: &str,
    ) -> (Resolution<'_>, Option<String>) {
        match self.brands.get(brand) {
            None => (
                Resolution::Failed {
                    error: Reason::UnknownBrand,
                    fallback_url: None,
                },
                None,
            ),
            // An unusable artifact: SPEC's `unavailable`, with the page's fallback, which a command
            // line does not have: null.
            Some(Err(_)) => (
                Resolution::Failed {
                    error: Reason::Unavailable,
                    fallback_url: None,
                },
                None,
            ),
            Some(Ok(b)) => {
                let (res, reached) = resolve_traced(&b.artifact, zip, product, language);
                let why = reached.map(|r| match &b.explain {
                    Some((o, rules)) => describe_decider(o, rules, &r),
                    None => "explain file missing or unreadable".to_string(),
                });
                (res, why)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_have_keys_in_spec_order_no_spaces_and_raw_non_ascii() {
        let ok = Resolution::Ok {
            url: "https://x.example/é?a=\"b\"".into(),
            state: "NY".into(),
            form_type: "agent".into(),
            language: "en".into(),
        };
        assert_eq!(
            ok.to_json(),
            r#"{"ok":true,"url":"https://x.example/é?a=\"b\"","state":"NY","form_type":"agent","language":"en"}"#
        );
        let fail = Resolution::Failed {
            error: Reason::UnknownBrand,
            fallback_url: None,
        };
        assert_eq!(
            fail.to_json(),
            r#"{"ok":false,"error":"unknown_brand","fallback_url":null}"#
        );
        let fail = Resolution::Failed {
            error: Reason::NotServed,
            fallback_url: Some("https://a.example/\u{1}".into()),
        };
        assert_eq!(
            fail.to_json_with(Some(Some("rules.csv:3"))),
            r#"{"ok":false,"error":"not_served","fallback_url":"https://a.example/\u0001","decided_by":"rules.csv:3"}"#
        );
        assert_eq!(
            fail.to_json_with(Some(None)),
            r#"{"ok":false,"error":"not_served","fallback_url":"https://a.example/\u0001","decided_by":null}"#
        );
    }
}
