//! Carrying out publish and rollback plans on S3 and CloudFront: reading what is live under a prefix, then each step in order.

use super::history::History;
use super::plan::{Plan, Remote, Step};
use crate::aws::{get, gzip, invalidate, list_keys, Aws};
use anyhow::{bail, Context, Result};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::MetadataDirective;
use formroute_core::layout::{Layout, BINARY_ENCODING, CACHE_POINTER, POINTER_META, TYPE_BINARY};
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
    // Pointers: the `<brand>.frt` keys right under the prefix.
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
            if let Some(brand) = layout.pointer_brand(key) {
                pointer_keys.push((brand.to_string(), key.to_string()));
            }
        }
    }
    for (brand, key) in pointer_keys {
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
        remote.pointers.insert(brand, artifact);
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
                let body = match content_encoding {
                    Some(enc) => {
                        req = req.content_encoding(*enc);
                        gzip(&bytes)
                    }
                    None => bytes,
                };
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
                ..
            } => {
                s3.copy_object()
                    .bucket(bucket)
                    .key(key)
                    .copy_source(copy_source(bucket, source))
                    .metadata_directive(MetadataDirective::Replace)
                    .cache_control(CACHE_POINTER)
                    .content_type(TYPE_BINARY)
                    .content_encoding(BINARY_ENCODING)
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
