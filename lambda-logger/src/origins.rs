//! Which website origins may send beacons for which brand, from the build's `manifest.json`.

use formroute_core::manifest::{Manifest, MANIFEST_FILE};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Brand origins (SPEC: the `origins` column of `brands.csv`, carried by the manifest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins {
    by_brand: HashMap<String, HashSet<String>>,
    any: HashSet<String>,
}

/// Why the origins could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OriginsError {
    /// The manifest file could not be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The manifest's path.
        path: PathBuf,
        /// What reading it said (in the message, not also a `source()`).
        error: std::io::Error,
    },
    /// The manifest is not valid.
    #[error("{path} is not a formroute manifest: {error}")]
    Parse {
        /// The manifest's path.
        path: PathBuf,
        /// What parsing it said (in the message, not also a `source()`).
        error: serde_json::Error,
    },
    /// An `--allow-origin` value that is no origin.
    #[error("--allow-origin {0}: not an origin: give scheme://host[:port] without a path, e.g. https://staging.acme.example")]
    NotAnOrigin(String),
}

/// Origins whose beacons are accepted for every brand besides the manifest's (`--allow-origin`:
/// staging and local copies of brands' sites), kept when a new build is loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraOrigins(BTreeSet<String>);

impl ExtraOrigins {
    /// The origins of `urls`, as browsers send them in `Origin`: `http` or `https`, host and port
    /// lowercased, a trailing `/` dropped. Anything else (a path, a query, another scheme, no
    /// host) is refused, since no browser would ever send it and the flag would silently do nothing.
    pub fn parse<S: AsRef<str>>(urls: &[S]) -> Result<ExtraOrigins, OriginsError> {
        let mut out = BTreeSet::new();
        for url in urls {
            let url = url.as_ref();
            let bad = || OriginsError::NotAnOrigin(url.to_owned());
            let lower = url.trim().to_ascii_lowercase();
            let origin = lower.strip_suffix('/').unwrap_or(&lower);
            let host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .ok_or_else(bad)?;
            let ok = !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
            if !ok {
                return Err(bad());
            }
            out.insert(origin.to_owned());
        }
        Ok(ExtraOrigins(out))
    }

    /// True when `origin` is one of them.
    pub fn contains(&self, origin: &str) -> bool {
        self.0.contains(origin)
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// What a server says on stderr at start when there are some: which origins it also accepts.
    pub fn describe(&self) -> Option<String> {
        (!self.is_empty()).then(|| {
            let list: Vec<&str> = self.iter().collect();
            format!(
                "also accepting beacons for every brand from {} (--allow-origin)",
                list.join(", ")
            )
        })
    }

    /// The origins, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl Origins {
    /// Origins of every brand of a manifest.
    pub fn from_manifest(manifest: &Manifest) -> Origins {
        let mut out = Origins::default();
        for (brand, entry) in &manifest.brands {
            let set: HashSet<String> = entry.origins.iter().cloned().collect();
            out.any.extend(set.iter().cloned());
            out.by_brand.insert(brand.clone(), set);
        }
        out
    }

    /// Reads `manifest.json` from a build output folder, or the file itself if `path` is one.
    pub fn load(path: &Path) -> Result<Origins, OriginsError> {
        let file = if path.is_dir() {
            path.join(MANIFEST_FILE)
        } else {
            path.to_owned()
        };
        let text = std::fs::read_to_string(&file).map_err(|error| OriginsError::Read {
            path: file.clone(),
            error,
        })?;
        let manifest = Manifest::from_json(&text)
            .map_err(|error| OriginsError::Parse { path: file, error })?;
        Ok(Origins::from_manifest(&manifest))
    }

    /// True when `origin` is an origin of at least one brand.
    pub fn is_brand_origin(&self, origin: &str) -> bool {
        self.any.contains(origin)
    }

    /// True when `brand` exists and lists `origin`.
    pub fn allows(&self, brand: &str, origin: &str) -> bool {
        self.by_brand
            .get(brand)
            .is_some_and(|set| set.contains(origin))
    }

    /// True when `origin` may send beacons at all: a brand's, or one of `extra`.
    pub fn is_allowed_origin(&self, origin: &str, extra: &ExtraOrigins) -> bool {
        self.is_brand_origin(origin) || extra.contains(origin)
    }

    /// True when `brand` exists and `origin` may send its beacons: the brand lists it, or it is
    /// one of `extra` (allowed for every brand of the build).
    pub fn allows_with(&self, brand: &str, origin: &str, extra: &ExtraOrigins) -> bool {
        self.by_brand
            .get(brand)
            .is_some_and(|set| set.contains(origin) || extra.contains(origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_origin_values_become_the_origins_browsers_send() {
        let extra =
            ExtraOrigins::parse(&["https://Staging.Acme.example/", "http://localhost:5173"])
                .unwrap();
        assert_eq!(
            extra.iter().collect::<Vec<_>>(),
            ["http://localhost:5173", "https://staging.acme.example"]
        );
    }

    #[test]
    fn allow_origin_values_that_no_browser_sends_are_refused_with_what_to_give() {
        for bad in [
            "staging.acme.example",
            "https://staging.acme.example/quote",
            "https://a.example?x=1",
            "ftp://a.example",
            "https://",
        ] {
            let e = ExtraOrigins::parse(&[bad]).unwrap_err().to_string();
            assert!(e.contains("give scheme://host[:port]"), "{bad}: {e}");
        }
    }

    #[test]
    fn extra_origins_count_for_every_existing_brand_only() {
        let mut o = Origins::default();
        o.by_brand.insert("acme".into(), HashSet::new());
        let extra = ExtraOrigins::parse(&["https://staging.acme.example"]).unwrap();
        assert!(o.allows_with("acme", "https://staging.acme.example", &extra));
        assert!(!o.allows_with("nobrand", "https://staging.acme.example", &extra));
        assert!(!o.allows("acme", "https://staging.acme.example"));
        assert!(o.is_allowed_origin("https://staging.acme.example", &extra));
        assert!(!o.is_allowed_origin("https://staging.acme.example", &ExtraOrigins::default()));
    }
}
