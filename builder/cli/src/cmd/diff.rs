//! `formroute diff OLD NEW`: what would change for visitors between two builds (folders, or `s3://bucket/prefix` for what is published).
//!
//! An `s3://` side is the live state under that prefix: its `manifest.json` and the hashed
//! files it names, downloaded into a temporary folder. The comparison itself is
//! `formroute_core::diff`, through the reference resolver.

use crate::aws;
use anyhow::{bail, Context, Result};
use formroute_core::diff::{diff, Side};
use formroute_core::layout::Layout;
use formroute_core::manifest::MANIFEST_FILE;
use formroute_core::resolve::ArtifactSet;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output format of `formroute diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Plain text tables.
    Text,
    /// One JSON document.
    Json,
}

/// Arguments of `formroute diff`.
#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    /// The old build: a build output folder, or `s3://bucket/prefix` (what is published there).
    pub(crate) old: String,
    /// The new build: a build output folder, or `s3://bucket/prefix`.
    pub(crate) new: String,
    /// Output format (`json`: one document, for review bots).
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: Format,
    /// Exit with status 1 when a visitor would see any change (like `git diff --exit-code`);
    /// without it the status is 0 whatever changes. Errors also exit non-zero, with a message.
    #[arg(long)]
    pub(crate) fail_on_change: bool,
}

/// Downloads the live manifest and the files it names under `s3://bucket/prefix` into `dir`.
async fn download(url: &str, dir: &Path) -> Result<()> {
    let Some((bucket, prefix)) = aws::parse_s3_url(url) else {
        bail!("{url}: expected s3://BUCKET/PREFIX");
    };
    let layout = Layout::new(&prefix);
    let aws = aws::connect().await;
    let manifest = aws::get(&aws.s3, &bucket, &layout.manifest())
        .await?
        .with_context(|| format!("nothing is published at {url} (no manifest.json)"))?;
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(MANIFEST_FILE), &manifest)?;
    let parsed = formroute_core::manifest::Manifest::from_json(&String::from_utf8_lossy(&manifest))
        .with_context(|| format!("{url}/manifest.json is not a formroute manifest"))?;
    for e in parsed.brands.values() {
        // The artifact `formroute diff` reads (the newest format listed), as publish uploads it.
        let artifact = formroute_core::resolve::chosen_artifact(e, None)
            .map_or(e.artifact.as_str(), |(_, file, _)| file);
        for file in [artifact, e.explain.as_str()] {
            let bytes = aws::get(&aws.s3, &bucket, &layout.hashed(file))
                .await?
                .with_context(|| format!("{url}: {file} is missing"))?;
            std::fs::write(dir.join(file), bytes)?;
        }
    }
    Ok(())
}

/// A local folder for one side (downloading an `s3://` side into `scratch`).
fn folder(side: &str, scratch: &Path) -> Result<PathBuf> {
    if side.starts_with("s3://") {
        aws::runtime()?.block_on(download(side, scratch))?;
        Ok(scratch.to_path_buf())
    } else {
        Ok(PathBuf::from(side))
    }
}

fn open(dir: &Path) -> Result<ArtifactSet> {
    let set =
        ArtifactSet::open(dir).with_context(|| format!("cannot open build {}", dir.display()))?;
    if let Some((brand, e)) = set.problems().next() {
        bail!("{}: brand {brand} is unusable: {e}", dir.display());
    }
    Ok(set)
}

/// The diff side of an opened build: its manifest and every usable brand's artifact.
fn side_of(set: &ArtifactSet) -> Side<'_> {
    let artifacts = set
        .manifest
        .brands
        .keys()
        .filter_map(|b| set.brand(b).map(|l| (b.as_str(), &l.artifact)))
        .collect::<BTreeMap<_, _>>();
    Side {
        manifest: &set.manifest,
        artifacts,
    }
}

/// Runs `formroute diff`.
pub(crate) fn run(args: DiffArgs) -> Result<ExitCode> {
    let scratch = std::env::temp_dir().join(format!("formroute-diff-{}", std::process::id()));
    let result = compare(&args, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    let changed = result?;
    if changed && args.fail_on_change {
        eprintln!("formroute: diff: visitors would see changes (--fail-on-change)");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the diff; returns whether a visitor would see a change.
fn compare(args: &DiffArgs, scratch: &Path) -> Result<bool> {
    let old = open(&folder(&args.old, &scratch.join("old"))?)?;
    let new = open(&folder(&args.new, &scratch.join("new"))?)?;
    let d = diff(&side_of(&old), &side_of(&new));
    match args.format {
        Format::Text => print!("{}", d.to_text()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&d)?),
    }
    Ok(d.changed)
}
