//! The HTTP encodings formroute makes itself, deterministically: gzip for every binary file it publishes or serves, brotli for the format-2 artifacts (FORMAT.md "Wire encodings").

use std::io::Write;

/// Gzip with the best compression and no timestamp, so the same bytes give the same object.
pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    // Writing to and finishing a Vec<u8> cannot fail: it has no I/O errors.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// Brotli at quality 11, window 22: deterministic, the smallest a browser decodes.
pub(crate) fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = ::brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    // Compressing from a slice into a Vec has no I/O errors.
    let _ = ::brotli::BrotliCompress(&mut &bytes[..], &mut out, &params);
    out
}
