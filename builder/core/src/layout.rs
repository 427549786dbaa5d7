//! The published layout under a prefix `P`: where a build's files live, their cache headers and content types, and the build id.
//!
//! The contract between the publisher (`formroute publish`, `rollback`, `diff`) and the readers of
//! a published build (lambda-logger's lookup); the plans themselves are the CLI's `publish/`.
//!
//! ```text
//! P/a/<brand>.<hash>.v2.frt           format-2 artifact, content-addressed, immutable, gzip-encoded
//! P/a/<brand>.<hash>.v2.frt.br        the same bytes brotli-encoded (the CDN picks it for `br`)
//! P/a/<brand>.<hash>.frt              format-1 artifact, gzip-encoded (while `--keep-format 1`)
//! P/a/<brand>.<hash>.explain.msgpack  content-addressed explain file, immutable, gzip-encoded
//! P/a/formroute.<hash>.min.js         the client snippet of the build, immutable (SRI-pinned)
//! P/a/formroute.<hash>.esm.js         the client's ESM build, immutable
//! P/builds/<build-id>.json            a build's manifest, immutable (build id: 16 hex of its SHA-256)
//! P/builds/history.json               the published builds, oldest first (for --keep and rollback)
//! P/<brand>.v2.frt                    pointer: a copy of the brand's live format-2 artifact, short TTL
//! P/<brand>.v2.frt.br                 pointer: the same, brotli-encoded
//! P/<brand>.frt                       pointer: the live format-1 artifact, for the v1 snippets
//!                                     still cached in browsers (frozen at the last publish that
//!                                     kept format 1)
//! P/formroute.min.js, .esm.js         pointers: the live build's client files (tags without SRI)
//! P/manifest.json                     the live manifest, short TTL, written last
//! ```

use crate::compile::sha256_hex;
use crate::manifest::BrandEntry;
use crate::spec;

/// `Cache-Control` of content-addressed files: their bytes never change.
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of pointers and the live manifest: short, and served stale while revalidating.
pub const CACHE_POINTER: &str = "public, max-age=60, stale-while-revalidate=86400";
/// `Cache-Control` of the bookkeeping file `builds/history.json`: the publisher's own state, not
/// for visitors. `no-store` so that no cache (CDN, proxy, browser) keeps a copy even where it is
/// reachable; the deploy stack's bucket policy also keeps CloudFront away from `builds/`.
pub const CACHE_NONE: &str = "no-store";
/// `Content-Type` of artifacts and explain files.
pub const TYPE_BINARY: &str = "application/octet-stream";
/// `Content-Type` of manifests and the history.
pub const TYPE_JSON: &str = "application/json";
/// `Content-Type` of the client's JavaScript files.
pub const TYPE_JS: &str = "text/javascript; charset=utf-8";
/// `Content-Encoding` of the binary files as uploaded: precompressed with gzip, because CloudFront
/// does not compress `application/octet-stream` itself, and every browser decodes gzip.
pub const BINARY_ENCODING: &str = "gzip";
/// `Content-Encoding` of the brotli sibling ([`BROTLI_SUFFIX`]) of each format-2 artifact.
pub const BROTLI_ENCODING: &str = "br";
/// Suffix of the brotli-encoded sibling of a format-2 artifact or pointer: the CDN's viewer-request
/// function (`cdn/pick-brotli.js`) asks for `<key>.br` when the browser accepts `br`.
pub const BROTLI_SUFFIX: &str = ".br";
/// Name (under `P/`) of the evergreen pointer to the live build's snippet, for tags without SRI.
pub const SNIPPET_POINTER: &str = "formroute.min.js";
/// Name (under `P/`) of the evergreen pointer to the live build's ESM build.
pub const ESM_POINTER: &str = "formroute.esm.js";
/// User metadata key on a pointer naming the hashed artifact file it is a copy of.
pub const POINTER_META: &str = "formroute-artifact";
/// Default number of builds kept by `publish --keep`.
pub const DEFAULT_KEEP: usize = 5;

/// The build id of a manifest: the first 16 lowercase hex digits of the SHA-256 of its bytes.
pub fn build_id(manifest_bytes: &[u8]) -> String {
    sha256_hex(manifest_bytes)[..16].to_string()
}

/// The pointers of a brand: one per format version a client reads, and the brotli sibling of v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pointer {
    /// `<brand>.frt`: the format-1 artifact, for the v1 snippets already in browsers.
    V1,
    /// `<brand>.v2.frt`: the format-2 artifact, gzip-encoded.
    V2,
    /// `<brand>.v2.frt.br`: the format-2 artifact, brotli-encoded.
    V2Brotli,
}

impl Pointer {
    /// Every kind, in the order a publish writes them.
    pub const ALL: [Pointer; 3] = [Pointer::V2, Pointer::V2Brotli, Pointer::V1];

    /// What follows the brand in the pointer's name.
    pub fn suffix(self) -> &'static str {
        match self {
            Pointer::V1 => ".frt",
            Pointer::V2 => ".v2.frt",
            Pointer::V2Brotli => ".v2.frt.br",
        }
    }

    /// The artifact format version the pointer copies.
    pub fn format(self) -> u16 {
        match self {
            Pointer::V1 => 1,
            Pointer::V2 | Pointer::V2Brotli => 2,
        }
    }

    /// `Content-Encoding` of the pointer, the same as the hashed file it copies.
    pub fn encoding(self) -> &'static str {
        match self {
            Pointer::V1 | Pointer::V2 => BINARY_ENCODING,
            Pointer::V2Brotli => BROTLI_ENCODING,
        }
    }

    /// The hashed file of a manifest entry this pointer copies (`None`: the build has no such
    /// format). The brotli sibling's name is the v2 file's with [`BROTLI_SUFFIX`].
    pub fn file(self, entry: &BrandEntry) -> Option<String> {
        match self {
            Pointer::V1 => Some(entry.artifact.clone()),
            Pointer::V2 => entry.artifact_v2.clone(),
            Pointer::V2Brotli => entry
                .artifact_v2
                .as_ref()
                .map(|f| format!("{f}{BROTLI_SUFFIX}")),
        }
    }
}

/// Object keys under one prefix of a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The prefix without leading or trailing `/`; empty for the bucket root.
    prefix: String,
}

impl Layout {
    /// A layout under `prefix` (slashes at either end are ignored; empty means the bucket root).
    pub fn new(prefix: &str) -> Layout {
        Layout {
            prefix: prefix.trim_matches('/').to_string(),
        }
    }

    /// The prefix as given, normalised (no slashes at either end).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `P/<rest>`.
    pub fn key(&self, rest: &str) -> String {
        if self.prefix.is_empty() {
            rest.to_string()
        } else {
            format!("{}/{}", self.prefix, rest)
        }
    }

    /// Key of a content-addressed file (`<brand>.<hash>.frt` or `.explain.msgpack`).
    pub fn hashed(&self, file: &str) -> String {
        self.key(&format!("a/{file}"))
    }

    /// Folder of the content-addressed files, with a final `/` (for listing).
    pub fn hashed_dir(&self) -> String {
        self.key("a/")
    }

    /// Key of a build's record.
    pub fn build_record(&self, build: &str) -> String {
        self.key(&format!("builds/{build}.json"))
    }

    /// Folder of the build records, with a final `/` (for listing).
    pub fn builds_dir(&self) -> String {
        self.key("builds/")
    }

    /// Key of the history of published builds.
    pub fn history(&self) -> String {
        self.key("builds/history.json")
    }

    /// Key of a brand's pointer of one kind, the file a browser client fetches.
    pub fn pointer(&self, brand: &str, kind: Pointer) -> String {
        self.key(&format!("{brand}{}", kind.suffix()))
    }

    /// The brand and kind of a pointer key, if `key` is one (`P/<brand>.frt`, `P/<brand>.v2.frt`
    /// or `P/<brand>.v2.frt.br` with a slug brand).
    pub fn pointer_brand<'a>(&self, key: &'a str) -> Option<(&'a str, Pointer)> {
        let rest = if self.prefix.is_empty() {
            key
        } else {
            key.strip_prefix(self.prefix.as_str())?.strip_prefix('/')?
        };
        // Longest suffix first: `acme.v2.frt` is not the v1 pointer of a brand `acme.v2`
        // (a slug has no dot anyway).
        [Pointer::V2Brotli, Pointer::V2, Pointer::V1]
            .into_iter()
            .find_map(|kind| {
                let brand = rest.strip_suffix(kind.suffix())?;
                spec::is_slug(brand).then_some((brand, kind))
            })
    }

    /// Whether `key` is a pointer: a brand's ([`Layout::pointer_brand`]) or a client pointer
    /// ([`SNIPPET_POINTER`], [`ESM_POINTER`]).
    pub fn is_pointer(&self, key: &str) -> bool {
        self.pointer_brand(key).is_some()
            || key == self.key(SNIPPET_POINTER)
            || key == self.key(ESM_POINTER)
    }

    /// Key of the live manifest.
    pub fn manifest(&self) -> String {
        self.key("manifest.json")
    }

    /// The CloudFront invalidation path of a key (the distribution's origin is the bucket root).
    pub fn cdn_path(key: &str) -> String {
        format!("/{key}")
    }
}

/// Splits a publish or archive location `s3://BUCKET/PREFIX` into its bucket and its prefix as
/// written (slashes kept: each reader normalises it, as [`Layout::new`] does); `None` when it
/// is not an `s3://` URL or names no bucket. The one `s3://` parser of every crate.
pub fn parse_s3_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then_some((bucket, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_split_into_bucket_and_prefix_as_written() {
        assert_eq!(parse_s3_url("s3://b/cdn/v1/"), Some(("b", "cdn/v1/")));
        assert_eq!(parse_s3_url("s3://b"), Some(("b", "")));
        assert_eq!(parse_s3_url("s3:///p"), None);
        assert_eq!(parse_s3_url("out/build"), None);
    }
}
