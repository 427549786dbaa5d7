//! Carrying out publish and rollback plans on S3 and CloudFront: reading what is live under a prefix, then each step in order.

use super::history::History;
use super::plan::{Plan, Remote, Step};
use crate::aws::{get, invalidate, list_keys, Aws};
use crate::encoding::{brotli, gzip};
use anyhow::{bail, Context, Result};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::MetadataDirective;
use formroute_core::layout::{Layout, BROTLI_ENCODING, CACHE_POINTER, POINTER_META};
use formroute_core::manifest::Manifest;
use std::path::Path;

/// Reads everything the plans need under the layout's prefix.
pub(crate) async fn read_remote(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    layout: &Layout,
) -> Result<Remote> {
    let mut remote = Remote::default();
    for dir in [layout.hashed_dir(), layout.builds_dir()] {
        remote.keys.extend(list_keys(s3, bucket, &dir).await?);
    }
    // Pointers: the `<brand>.frt`, `<brand>.v2.frt(.br)` and client keys right under the prefix.
    let top = if layout.prefix().is_empty() {
        String::new()
    } else {
        format!("{}/", layout.prefix())
    };
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(&top)
        .delimiter("/")
        .into_paginator()
        .send();
    let mut pointer_keys = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.with_context(|| format!("cannot list s3://{bucket}/{top}"))?;
        for key in page.contents().iter().filter_map(|o| o.key()) {
            if layout.is_pointer(key) {
                pointer_keys.push(key.to_string());
            }
        }
    }
    for key in pointer_keys {
        let head = s3
            .head_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .with_context(|| format!("cannot read s3://{bucket}/{key}"))?;
        let artifact = head
            .metadata()
            .and_then(|m| m.get(POINTER_META))
            .cloned()
            .unwrap_or_default();
        remote.pointers.insert(key, artifact);
    }
    remote.manifest = get(s3, bucket, &layout.manifest()).await?;
    if let Some(bytes) = get(s3, bucket, &layout.history()).await? {
        remote.history = History::from_json(&bytes)
            .with_context(|| format!("s3://{bucket}/{} is not a history file", layout.history()))?;
    }
    for id in &remote.history.builds {
        if let Some(bytes) = get(s3, bucket, &layout.build_record(id)).await? {
            let text = String::from_utf8_lossy(&bytes);
            let m = Manifest::from_json(&text).with_context(|| {
                format!(
                    "s3://{bucket}/{} is not a manifest",
                    layout.build_record(id)
                )
            })?;
            remote.records.insert(id.clone(), m);
            remote.record_bytes.insert(id.clone(), bytes);
        }
    }
    Ok(remote)
}

/// Percent-encodes a `bucket/key` for `x-amz-copy-source` (keeps `/` and unreserved bytes).
fn copy_source(bucket: &str, key: &str) -> String {
    let mut out = String::new();
    for b in format!("{bucket}/{key}").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Carries out plan steps, counting writes.
///
/// Built with the cargo feature `fault-injection` (tests only, never in a release build), the
/// environment variable `FORMROUTE_PUBLISH_FAIL_AFTER=N` makes the process exit (status 75)
/// just before the write after the N-th: `tests/publish.rs` kills a publish midway at every
/// possible step that way.
pub(crate) struct Executor<'a> {
    s3: &'a aws_sdk_s3::Client,
    bucket: &'a str,
    dir: Option<&'a Path>,
    done: usize,
    #[cfg(feature = "fault-injection")]
    fail_after: Option<usize>,
}

impl<'a> Executor<'a> {
    /// An executor writing to `bucket`, reading uploads from the build folder `dir`.
    pub(crate) fn new(s3: &'a aws_sdk_s3::Client, bucket: &'a str, dir: Option<&'a Path>) -> Self {
        Executor {
            s3,
            bucket,
            dir,
            done: 0,
            #[cfg(feature = "fault-injection")]
            fail_after: std::env::var("FORMROUTE_PUBLISH_FAIL_AFTER")
                .ok()
                .and_then(|v| v.parse().ok()),
        }
    }

    /// Carries out one step.
    pub(crate) async fn run(&mut self, step: &Step) -> Result<()> {
        #[cfg(feature = "fault-injection")]
        if self.fail_after == Some(self.done) {
            eprintln!(
                "formroute: FORMROUTE_PUBLISH_FAIL_AFTER={}: stopping before `{}`",
                self.done,
                step.describe()
            );
            std::process::exit(75);
        }
        eprintln!("  {}", step.describe());
        let (s3, bucket) = (self.s3, self.bucket);
        match step {
            Step::Upload {
                key,
                file,
                cache_control,
                content_type,
                content_encoding,
            } => {
                let Some(dir) = self.dir else {
                    bail!("internal: an upload step without a build folder");
                };
                let path = dir.join(file);
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let mut req = s3
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .cache_control(*cache_control)
                    .content_type(*content_type);
                let body = match *content_encoding {
                    Some(BROTLI_ENCODING) => brotli(&bytes),
                    Some(_) => gzip(&bytes),
                    None => bytes,
                };
                if let Some(enc) = content_encoding {
                    req = req.content_encoding(*enc);
                }
                req.body(ByteStream::from(body))
                    .send()
                    .await
                    .with_context(|| format!("cannot upload s3://{bucket}/{key}"))?;
            }
            Step::Put {
                key,
                body,
                cache_control,
                content_type,
            } => {
                s3.put_object()
                    .bucket(bucket)
                    .key(key)
                    .cache_control(*cache_control)
                    .content_type(*content_type)
                    .body(ByteStream::from(body.clone()))
                    .send()
                    .await
                    .with_context(|| format!("cannot write s3://{bucket}/{key}"))?;
            }
            Step::Point {
                source,
                artifact,
                key,
                content_type,
                content_encoding,
            } => {
                s3.copy_object()
                    .bucket(bucket)
                    .key(key)
                    .copy_source(copy_source(bucket, source))
                    .metadata_directive(MetadataDirective::Replace)
                    .cache_control(CACHE_POINTER)
                    .content_type(*content_type)
                    .set_content_encoding(content_encoding.map(str::to_string))
                    .metadata(POINTER_META, artifact)
                    .send()
                    .await
                    .with_context(|| format!("cannot copy s3://{bucket}/{source} to {key}"))?;
            }
            Step::Delete { key } => {
                s3.delete_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .with_context(|| format!("cannot delete s3://{bucket}/{key}"))?;
            }
        }
        self.done += 1;
        Ok(())
    }
}

/// Carries out `plan` (publish or rollback): its writes in order, then one CloudFront
/// invalidation of what changed (with a distribution, when anything did), then its deletes.
/// `dir` is the build folder uploads are read from. Returns the invalidation id.
pub(crate) async fn carry_out(
    aws: &Aws,
    bucket: &str,
    dir: Option<&Path>,
    plan: &Plan,
    distribution: Option<&str>,
) -> Result<Option<String>> {
    let mut exec = Executor::new(&aws.s3, bucket, dir);
    for step in &plan.steps {
        exec.run(step).await?;
    }
    let invalidation = match distribution {
        Some(dist) if !plan.invalidate.is_empty() => {
            let id = invalidate(&aws.cloudfront, dist, &plan.build, &plan.invalidate).await?;
            eprintln!(
                "formroute: invalidation {id}: {}",
                plan.invalidate.join(" ")
            );
            Some(id)
        }
        _ => None,
    };
    for step in &plan.cleanup {
        exec.run(step).await?;
    }
    Ok(invalidation)
}

/// The end of `publish` and `rollback`, shared: the dry run's plan on stdout, or the plan carried
/// out and its summary line on stdout.
pub(crate) struct Finish<'a> {
    /// `publishing` or `rolling back to`, for the progress line.
    pub(crate) verb: &'a str,
    /// The build folder uploads are read from (none for a rollback).
    pub(crate) dir: Option<&'a Path>,
    /// The bucket.
    pub(crate) bucket: &'a str,
    /// `--distribution`.
    pub(crate) distribution: Option<&'a str>,
    /// `--dry-run`.
    pub(crate) dry_run: bool,
}

impl Finish<'_> {
    /// Prints or carries out `plan`; `extra`'s keys are added to the summary line. Returns
    /// whether the plan was carried out (`false` for a dry run).
    pub(crate) async fn run(
        &self,
        aws: &Aws,
        plan: &Plan,
        extra: serde_json::Value,
    ) -> Result<bool> {
        if self.dry_run {
            let text = plan.render();
            if self.distribution.is_some() || plan.invalidate.is_empty() {
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
            return Ok(false);
        }
        for note in &plan.notes {
            eprintln!("formroute: {note}");
        }
        eprintln!(
            "formroute: {} build {} ({} writes, {} already present)",
            self.verb,
            plan.build,
            plan.steps.len(),
            plan.skipped.len()
        );
        let invalidation = carry_out(aws, self.bucket, self.dir, plan, self.distribution).await?;
        let mut summary = serde_json::json!({
            "build": plan.build,
            "writes": plan.steps.len(),
            "present": plan.skipped.len(),
            "invalidated": plan.invalidate,
            "invalidation": invalidation,
            "deleted": plan.cleanup.len(),
        });
        if let (Some(map), serde_json::Value::Object(more)) = (summary.as_object_mut(), extra) {
            map.extend(more);
        }
        println!("{summary}");
        Ok(true)
    }
}
