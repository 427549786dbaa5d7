//! `formroute publish`: uploads a build folder to S3 under the immutable-files-then-pointers layout, and invalidates CloudFront.
//!
//! Order (docs/PUBLISHING.md): content-hashed files, the build record, the per-brand pointers
//! (server-side copies), the live manifest, the history; then one CloudFront invalidation of the
//! pointer paths that changed; then the deletes beyond `--keep`. The plan is computed by
//! `crate::publish::plan`; a second publish of the same build writes nothing.

use crate::aws;
use crate::publish::plan::plan_publish;
use anyhow::{bail, Context, Result};
use formroute_core::compile::sha256_hex;
use formroute_core::layout::{Layout, DEFAULT_KEEP};
use formroute_core::manifest::{Manifest, FORMAT_VERSION, MANIFEST_FILE};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `formroute publish`.
#[derive(Debug, clap::Args)]
pub(crate) struct PublishArgs {
    /// Build output folder (written by `formroute build`).
    #[arg(long)]
    pub(crate) artifacts: PathBuf,
    /// S3 bucket.
    #[arg(long)]
    pub(crate) bucket: String,
    /// Key prefix inside the bucket (the CDN base path of the artifacts).
    #[arg(long, default_value = "")]
    pub(crate) prefix: String,
    /// CloudFront distribution whose cache is invalidated for the pointers that change.
    #[arg(long)]
    pub(crate) distribution: Option<String>,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// How many published builds to keep (for rollback); older ones are deleted.
    #[arg(long, default_value_t = DEFAULT_KEEP, value_parser = parse_keep)]
    pub(crate) keep: usize,
}

/// `--keep`: a whole number of at least 1.
fn parse_keep(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("expected a whole number of builds, at least 1".into()),
    }
}

/// Reads and checks a build folder: the manifest and every file it names, byte for byte.
pub(crate) fn read_build(dir: &Path) -> Result<(Manifest, Vec<u8>)> {
    let path = dir.join(MANIFEST_FILE);
    let bytes = std::fs::read(&path).with_context(|| {
        format!(
            "cannot read {} (is {} a `formroute build` output folder?)",
            path.display(),
            dir.display()
        )
    })?;
    let manifest = Manifest::from_json(&String::from_utf8_lossy(&bytes))
        .with_context(|| format!("{} is not a formroute manifest", path.display()))?;
    if manifest.format_version != FORMAT_VERSION {
        bail!(
            "{} has artifact format version {}, this formroute publishes version {FORMAT_VERSION}: rebuild with a matching builder",
            path.display(),
            manifest.format_version
        );
    }
    for (brand, e) in &manifest.brands {
        for (file, size, sha) in [
            (&e.artifact, e.artifact_bytes, &e.artifact_sha256),
            (&e.explain, e.explain_bytes, &e.explain_sha256),
        ] {
            let p = dir.join(file);
            let data = std::fs::read(&p)
                .with_context(|| format!("brand {brand}: cannot read {}", p.display()))?;
            let digest = sha256_hex(&data);
            if data.len() as u64 != size || digest != *sha || !file.contains(&digest[..16]) {
                bail!(
                    "brand {brand}: {} does not match manifest.json (size or SHA-256 differ): rebuild with `formroute build`",
                    p.display()
                );
            }
        }
    }
    Ok((manifest, bytes))
}

/// Runs `formroute publish`.
pub(crate) fn run(args: PublishArgs) -> Result<ExitCode> {
    aws::runtime()?
        .block_on(publish(args))
        .map(|()| ExitCode::SUCCESS)
}

async fn publish(args: PublishArgs) -> Result<()> {
    let (manifest, bytes) = read_build(&args.artifacts)?;
    let layout = Layout::new(&args.prefix);
    let aws = aws::connect().await;
    eprintln!(
        "formroute: reading s3://{}/{}",
        args.bucket,
        layout.prefix()
    );
    let remote = crate::publish::executor::read_remote(&aws.s3, &args.bucket, &layout).await?;
    let plan = plan_publish(&layout, &manifest, &bytes, &remote, args.keep);
    if args.dry_run {
        let text = plan.render();
        if args.distribution.is_some() || plan.invalidate.is_empty() {
            print!("{text}");
        } else {
            // Without a distribution nothing is invalidated: say so instead of listing it as done.
            for line in text.lines() {
                match line.strip_prefix("invalidate ") {
                    Some(path) => {
                        println!("no-cdn   {path} (would be invalidated with --distribution)")
                    }
                    None => println!("{line}"),
                }
            }
        }
        return Ok(());
    }
    eprintln!(
        "formroute: publishing build {} ({} writes, {} already present)",
        plan.build,
        plan.steps.len(),
        plan.skipped.len()
    );
    let invalidation = crate::publish::executor::carry_out(
        &aws,
        &args.bucket,
        Some(&args.artifacts),
        &plan,
        args.distribution.as_deref(),
    )
    .await?;
    let summary = serde_json::json!({
        "build": plan.build,
        "writes": plan.steps.len(),
        "present": plan.skipped.len(),
        "invalidated": plan.invalidate,
        "invalidation": invalidation,
        "deleted": plan.cleanup.len(),
    });
    println!("{summary}");
    Ok(())
}
