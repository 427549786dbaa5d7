//! The client files compiled into the binary (`client-js/dist`), which `formroute build` writes into every build folder and `serve` falls back to.
//!
//! Choice: a build folder carries the snippet it was built with (`formroute.<hash>.min.js`,
//! `formroute.<hash>.esm.js`, listed with their SRI values in `manifest.json`), so `publish`
//! uploads one checked set (artifacts, snippet, manifest) and `serve` serves the same set. The
//! bytes come from the binary rather than from a `client-js/dist` folder next to the data, so a
//! build is the same wherever it runs, and a new client release is a new build id. cargo
//! recompiles the binary when `client-js/dist` changes.

/// `client-js/dist/formroute.min.js`, the snippet (IIFE).
pub(crate) const SNIPPET: &[u8] = include_bytes!("../../../client-js/dist/formroute.min.js");
/// `client-js/dist/formroute.esm.js`, the ESM build.
pub(crate) const ESM: &[u8] = include_bytes!("../../../client-js/dist/formroute.esm.js");

/// A client file of `client-js/dist` by name (`formroute.min.js`, `formroute.esm.js`).
pub(crate) fn embedded(file: &str) -> Option<&'static [u8]> {
    match file {
        "formroute.min.js" => Some(SNIPPET),
        "formroute.esm.js" => Some(ESM),
        _ => None,
    }
}
