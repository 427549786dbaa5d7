//! Which website origins may send beacons for which brand, from the build's `manifest.json`.

use formroute_core::manifest::{Manifest, MANIFEST_FILE};
use std::collections::{HashMap, HashSet};
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
}
