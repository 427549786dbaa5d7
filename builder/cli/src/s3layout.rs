//! S3 and CloudFront I/O shared by publish, rollback, diff and logs report: clients, reading what is under a prefix, carrying out plan steps.
//!
//! The plan itself (which keys, in which order) is pure logic in `formroute_core::publish_plan`;
//! this file only talks to AWS. Clients come from the standard AWS configuration chain
//! (`AWS_ENDPOINT_URL`, `AWS_REGION`, profiles, ...). When an endpoint URL is configured (an
//! S3-compatible server such as moto or MinIO), S3 requests use path-style addresses.

use anyhow::{bail, Context, Result};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::MetadataDirective;
use formroute_core::manifest::Manifest;
use formroute_core::publish_plan::{
    History, Layout, Plan, Remote, Step, CACHE_POINTER, POINTER_META, TYPE_BINARY,
};
use std::io::Write;
use std::path::Path;

/// The AWS clients, made once per command.
pub struct Aws {
    /// S3.
    pub s3: aws_sdk_s3::Client,
    /// CloudFront (only used with `--distribution`).
    pub cloudfront: aws_sdk_cloudfront::Client,
}

/// Makes the clients from the standard configuration chain.
pub async fn connect() -> Aws {
    let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    Aws {
        s3: s3_client_for(&conf),
        cloudfront: aws_sdk_cloudfront::Client::new(&conf),
    }
}

/// The S3 client alone, from the standard configuration chain (for commands that only read S3).
pub async fn s3_client() -> aws_sdk_s3::Client {
    let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    s3_client_for(&conf)
}

/// The S3 client for `conf`. An explicit endpoint (a local S3 server such as moto or MinIO, set by
/// `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3` or a profile) gets path-style addresses.
fn s3_client_for(conf: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let custom_endpoint = conf.endpoint_url().is_some()
        || std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let s3 = aws_sdk_s3::config::Builder::from(conf)
        .force_path_style(custom_endpoint)
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

/// Splits `s3://bucket/prefix` into bucket and prefix.
pub fn parse_s3_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_string(), prefix.to_string()))
}

/// Every key under `prefix` (recursively).
pub async fn list_keys(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Result<Vec<String>> {
    let objects = list_objects(s3, bucket, prefix).await?;
    Ok(objects.into_iter().map(|(key, _)| key).collect())
}

/// Every key under `prefix` (recursively) with its size in bytes, in S3's (key) order.
pub async fn list_objects(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<(String, u64)>> {
    let mut objects = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.with_context(|| format!("cannot list s3://{bucket}/{prefix}"))?;
        objects.extend(page.contents().iter().filter_map(|o| {
            let size = o.size().unwrap_or(0).max(0) as u64;
            o.key().map(|key| (key.to_string(), size))
        }));
    }
    Ok(objects)
}

/// The object's bytes, or `None` when there is no such key. Decodes gzip if it was stored so.
pub async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<Option<Vec<u8>>> {
    match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => {
            let gzip = out.content_encoding() == Some("gzip");
            let bytes = out
                .body
                .collect()
                .await
                .with_context(|| format!("cannot read s3://{bucket}/{key}"))?
                .into_bytes()
                .to_vec();
            if gzip {
                let mut plain = Vec::new();
                std::io::copy(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut plain)
                    .with_context(|| format!("s3://{bucket}/{key} is not valid gzip"))?;
                Ok(Some(plain))
            } else {
                Ok(Some(bytes))
            }
        }
        Err(e) => {
            let e = e.into_service_error();
            if e.is_no_such_key() {
                Ok(None)
            } else {
                Err(anyhow::Error::new(e).context(format!("cannot get s3://{bucket}/{key}")))
            }
        }
    }
}

/// Reads everything the plans need under the layout's prefix.
pub async fn read_remote(s3: &aws_sdk_s3::Client, bucket: &str, layout: &Layout) -> Result<Remote> {
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

/// Gzip with the best compression and no timestamp, so the same bytes give the same object.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    // Writing to and finishing a Vec<u8> cannot fail: it has no I/O errors.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
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

/// Carries out plan steps, counting writes. The environment variable
/// `FORMROUTE_PUBLISH_FAIL_AFTER=N` makes the process exit (status 75) just before the write
/// after the N-th: the tests use it to kill a publish midway at every possible step.
pub struct Executor<'a> {
    s3: &'a aws_sdk_s3::Client,
    bucket: &'a str,
    dir: Option<&'a Path>,
    done: usize,
    fail_after: Option<usize>,
}

impl<'a> Executor<'a> {
    /// An executor writing to `bucket`, reading uploads from the build folder `dir`.
    pub fn new(s3: &'a aws_sdk_s3::Client, bucket: &'a str, dir: Option<&'a Path>) -> Self {
        let fail_after = std::env::var("FORMROUTE_PUBLISH_FAIL_AFTER")
            .ok()
            .and_then(|v| v.parse().ok());
        Executor {
            s3,
            bucket,
            dir,
            done: 0,
            fail_after,
        }
    }

    /// Carries out one step.
    pub async fn run(&mut self, step: &Step) -> Result<()> {
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
                    .content_encoding(formroute_core::publish_plan::BINARY_ENCODING)
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
pub async fn carry_out(
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

/// Asks CloudFront to invalidate `paths`; returns the invalidation id.
pub async fn invalidate(
    cf: &aws_sdk_cloudfront::Client,
    distribution: &str,
    build: &str,
    paths: &[String],
) -> Result<String> {
    use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let quantity = i32::try_from(paths.len()).context("too many paths to invalidate")?;
    let batch = InvalidationBatch::builder()
        .paths(
            Paths::builder()
                .quantity(quantity)
                .set_items(Some(paths.to_vec()))
                .build()
                .context("invalidation paths")?,
        )
        .caller_reference(format!("formroute-{build}-{nanos}"))
        .build()
        .context("invalidation batch")?;
    let out = cf
        .create_invalidation()
        .distribution_id(distribution)
        .invalidation_batch(batch)
        .send()
        .await
        .with_context(|| {
            format!(
                "cannot invalidate {} paths on distribution {distribution}",
                paths.len()
            )
        })?;
    Ok(out
        .invalidation()
        .map(|i| i.id().to_string())
        .unwrap_or_default())
}

/// A tokio runtime for one command (the binary's `main` stays synchronous).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
