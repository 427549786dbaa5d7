//! Writes data/zips.csv (every US ZIP with its state) from the pinned zipcodes crate.
//!
//! Usage: `cargo run -p formroute-zipgen --release -- data/zips.csv` (or `-` for stdout).
//! The file is written to a temporary sibling and renamed, so a failure leaves the old one.

mod zips;

use anyhow::{bail, Context as _};
use std::io::Write as _;
use std::path::Path;

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("formroute-zipgen: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out] = args.as_slice() else {
        bail!("usage: formroute-zipgen OUT.csv   (OUT.csv may be - for stdout)");
    };
    let records = zipcodes::database().iter().map(|z| zips::Record {
        zip: &z.zip_code,
        state: &z.state,
        active: z.active,
    });
    let zips = match zips::collect(records) {
        Ok(zips) => zips,
        Err(problems) => {
            for p in &problems {
                eprintln!("formroute-zipgen: {p}");
            }
            bail!(
                "{} problem(s) in zipcodes {}; decide per row (drop or map) in data/zipgen/src/zips.rs and note it in data/README.md",
                problems.len(),
                zips::ZIPCODES_VERSION
            );
        }
    };
    let text = zips::render(&zips);
    if out == "-" {
        std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .context("writing to stdout")?;
    } else {
        write_atomically(Path::new(out), text.as_bytes())?;
    }
    eprintln!(
        "formroute-zipgen: {} ZIPs ({} inactive) from zipcodes {} -> {out}",
        zips.rows.len(),
        zips.inactive,
        zips::ZIPCODES_VERSION
    );
    Ok(())
}

/// Writes `bytes` to a temporary file next to `path`, then renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = Path::new(&tmp);
    std::fs::write(tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}
