//! `formroute publish`: uploads a build folder to S3 under the immutable-files-then-pointers layout, and invalidates CloudFront.
//!
//! Order (docs/PUBLISHING.md): content-hashed files (format 2 gzip and brotli, format 1 while
//! `--keep-format 1`, explain, the client files), the build record, the pointers (server-side
//! copies: `<brand>.v2.frt`, `.v2.frt.br`, `<brand>.frt`, `formroute.min.js`), the live manifest,
//! the history; then one CloudFront invalidation of the pointer paths that changed; then the
//! deletes beyond `--keep`. The plan is computed by `crate::publish::plan`; a second publish of
//! the same build writes nothing. It ends with the snippet's SRI-pinned `<script>` tag on stderr.

use crate::aws;
use crate::publish::executor::Finish;
use crate::publish::plan::{plan_publish, KeepFormat};
use anyhow::{bail, Context, Result};
use formroute_core::compile::sha256_hex;
use formroute_core::layout::{Layout, DEFAULT_KEEP};
use formroute_core::manifest::{sri, ClientEntry, Manifest, FORMAT_VERSION, MANIFEST_FILE};
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
    /// Which older artifact format is still published beside format 2: `1` (the default: the v1
    /// snippets cached in browsers keep resolving from `<brand>.frt`) or `none` (format 2 only;
    /// the `<brand>.frt` pointers then stay frozen at the last build that kept format 1).
    #[arg(long, value_enum, default_value = "1")]
    pub(crate) keep_format: KeepFormat,
    /// The CDN base URL pages load from (the stack's `CdnBaseUrl`), for the `<script>` tag printed.
    #[arg(long, value_name = "URL")]
    pub(crate) cdn_base: Option<String>,
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
        let v2 = match (&e.artifact_v2, e.artifact_v2_bytes, &e.artifact_v2_sha256) {
            (Some(f), Some(n), Some(sha)) => Some((f, n, sha)),
            _ => None,
        };
        for (file, size, sha) in [
            (&e.artifact, e.artifact_bytes, &e.artifact_sha256),
            (&e.explain, e.explain_bytes, &e.explain_sha256),
        ]
        .into_iter()
        .chain(v2)
        {
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
    if let Some(c) = &manifest.client {
        for (file, integrity) in [
            (&c.snippet, &c.snippet_integrity),
            (&c.esm, &c.esm_integrity),
        ] {
            let p = dir.join(file);
            let data = std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?;
            if sri(&data) != *integrity || !file.contains(&sha256_hex(&data)[..16]) {
                bail!(
                    "{} does not match manifest.json (its SHA-384 or name differ): rebuild with `formroute build`",
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

/// The `<script>` tag of the build's snippet, pinned by its SRI value, for pages under `base`.
fn snippet_tag(base: &str, client: &ClientEntry) -> String {
    format!(
        r#"<script src="{base}a/{}" integrity="{}" crossorigin="anonymous" async data-base="{base}"></script>"#,
        client.snippet, client.snippet_integrity
    )
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
    let plan = plan_publish(
        &layout,
        &manifest,
        &bytes,
        &remote,
        args.keep,
        args.keep_format,
    );
    let base = match &args.cdn_base {
        Some(b) if b.ends_with('/') => b.clone(),
        Some(b) => format!("{b}/"),
        None => format!("https://CDN/{}", layout.key("")),
    };
    let snippet = manifest.client.as_ref().map(|c| {
        serde_json::json!({
            "file": format!("a/{}", c.snippet),
            "integrity": c.snippet_integrity,
            "esm": format!("a/{}", c.esm),
            "esm_integrity": c.esm_integrity,
            "tag": snippet_tag(&base, c),
        })
    });
    let done = Finish {
        verb: "publishing",
        dir: Some(&args.artifacts),
        bucket: &args.bucket,
        distribution: args.distribution.as_deref(),
        dry_run: args.dry_run,
    }
    .run(&aws, &plan, serde_json::json!({ "snippet": snippet }))
    .await?;
    if let (true, Some(c)) = (done, &manifest.client) {
        if args.cdn_base.is_none() {
            eprintln!("formroute: the snippet's tag (give --cdn-base URL for the CDN's address):");
        } else {
            eprintln!("formroute: the snippet's tag, pinned to this build:");
        }
        eprintln!("  {}", snippet_tag(&base, c));
    }
    Ok(())
}
