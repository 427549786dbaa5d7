//! The build manifest (`manifest.json`): which brands were built, into which files, from which data.
//!
//! Its shape is part of the artifact contract (FORMAT.md). Readers ignore unknown keys, so later
//! versions may add some; the field order here is the order written.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The artifact format version this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// File name of the manifest inside a build output folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Artifact format version of every file listed.
    pub format_version: u32,
    /// Label of the ZIP data the build used (see `model::Database::zip_data_version`).
    pub zip_data_version: String,
    /// One entry per brand, by slug.
    pub brands: BTreeMap<String, BrandEntry>,
}

/// One brand of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrandEntry {
    /// Display name.
    pub name: String,
    /// Language used when the asked one has no form.
    pub default_language: String,
    /// URL template used when nothing resolves.
    pub fallback_url: String,
    /// `https://` origins whose beacons the logger accepts for this brand.
    pub origins: Vec<String>,
    /// File name of the artifact (`<brand>.<hash>.frt`).
    pub artifact: String,
    /// Its size in bytes.
    pub artifact_bytes: u64,
    /// Its SHA-256, lowercase hex.
    pub artifact_sha256: String,
    /// File name of the format-version-2 artifact (`<brand>.<hash>.v2.frt`), when built.
    /// Readers of version 1 ignore these three keys (FORMAT.md "manifest.json").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_v2: Option<String>,
    /// Its size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_v2_bytes: Option<u64>,
    /// Its SHA-256, lowercase hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_v2_sha256: Option<String>,
    /// File name of the explain file (`<brand>.<hash>.explain.msgpack`).
    pub explain: String,
    /// Its size in bytes.
    pub explain_bytes: u64,
    /// Its SHA-256, lowercase hex.
    pub explain_sha256: String,
    /// Number of route classes in the artifact.
    pub classes: u32,
    /// The brand's products, sorted.
    pub products: Vec<String>,
}

impl Manifest {
    /// Parses `manifest.json` text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Serialises as written to disk: pretty JSON with a final newline (deterministic).
    pub fn to_json(&self) -> String {
        // Serialising plain structs, strings and maps with string keys cannot fail.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The brand whose beacons may come from `origin`, i.e. all brands listing that origin.
    pub fn brand_allows_origin(&self, brand: &str, origin: &str) -> bool {
        self.brands
            .get(brand)
            .is_some_and(|b| b.origins.iter().any(|o| o == origin))
    }
}
