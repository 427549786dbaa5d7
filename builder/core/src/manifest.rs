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
    /// The client files of the build (`formroute build` writes them beside the artifacts, and
    /// `formroute publish` uploads them); absent in a manifest from an older builder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientEntry>,
}

/// The client files of a build: content-addressed, each with its Subresource Integrity value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientEntry {
    /// File name of the snippet (IIFE), `formroute.<hash>.min.js`.
    pub snippet: String,
    /// Its SRI value, `sha384-<base64>`, for the tag's `integrity` attribute.
    pub snippet_integrity: String,
    /// File name of the ESM build, `formroute.<hash>.esm.js`.
    pub esm: String,
    /// Its SRI value.
    pub esm_integrity: String,
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

impl ClientEntry {
    /// The entry of a snippet and an ESM build: names `formroute.<hash>.min.js` /
    /// `formroute.<hash>.esm.js` (`<hash>` = first 16 hex of the SHA-256, as the artifacts) and
    /// SRI values over the exact bytes.
    pub fn for_files(snippet: &[u8], esm: &[u8]) -> ClientEntry {
        let name = |bytes: &[u8], ext: &str| {
            format!(
                "formroute.{}.{ext}",
                &crate::compile::sha256_hex(bytes)[..16]
            )
        };
        ClientEntry {
            snippet: name(snippet, "min.js"),
            snippet_integrity: sri(snippet),
            esm: name(esm, "esm.js"),
            esm_integrity: sri(esm),
        }
    }
}

/// The Subresource Integrity value of `bytes`: `sha384-` and the base64 of the SHA-384 digest.
pub fn sri(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha384};
    format!("sha384-{}", base64(&Sha384::digest(bytes)))
}

/// Standard base64 (RFC 4648, with `=` padding), as SRI wants it.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sri_is_sha384_in_padded_base64() {
        // `printf abc | openssl dgst -sha384 -binary | openssl base64 -A`
        assert_eq!(
            sri(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
    }

    #[test]
    fn client_files_are_content_addressed() {
        let a = ClientEntry::for_files(b"snippet", b"esm");
        assert!(a.snippet.starts_with("formroute.") && a.snippet.ends_with(".min.js"));
        assert_eq!(a.snippet.len(), "formroute..min.js".len() + 16);
        assert!(a.esm.ends_with(".esm.js"));
        assert_ne!(
            ClientEntry::for_files(b"snippet2", b"esm").snippet,
            a.snippet
        );
    }
}
