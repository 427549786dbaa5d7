//! The CLI's AWS plumbing, in one place: client setup, the `s3://` parser, listing, the one GET (gzip-aware), CloudFront invalidation and the tokio runtime.
//!
//! Used by publish, rollback, diff and logs report. Clients come from the standard AWS
//! configuration chain (`AWS_ENDPOINT_URL`, `AWS_REGION`, profiles, ...). When an endpoint URL
//! is configured (an S3-compatible server such as moto or MinIO), S3 requests use path-style
//! addresses.

use anyhow::{Context, Result};

/// The AWS clients, made once per command.
pub(crate) struct Aws {
    /// S3.
    pub(crate) s3: aws_sdk_s3::Client,
    /// CloudFront (only used with `--distribution`).
    pub(crate) cloudfront: aws_sdk_cloudfront::Client,
}

/// Makes the clients from the standard configuration chain.
pub(crate) async fn connect() -> Aws {
    let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    Aws {
        s3: s3_client_for(&conf),
        cloudfront: aws_sdk_cloudfront::Client::new(&conf),
    }
}

/// The S3 client alone, from the standard configuration chain (for commands that only read S3).
pub(crate) async fn s3_client() -> aws_sdk_s3::Client {
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

/// Splits `s3://bucket/prefix` into bucket and prefix (`formroute_core::layout::parse_s3_url`, owned).
pub(crate) fn parse_s3_url(url: &str) -> Option<(String, String)> {
    formroute_core::layout::parse_s3_url(url).map(|(b, p)| (b.to_owned(), p.to_owned()))
}

/// Every key under `prefix` (recursively).
pub(crate) async fn list_keys(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<String>> {
    let objects = list_objects(s3, bucket, prefix).await?;
    Ok(objects.into_iter().map(|(key, _)| key).collect())
}

/// Every key under `prefix` (recursively) with its size in bytes, in S3's (key) order.
pub(crate) async fn list_objects(
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
pub(crate) async fn get(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Option<Vec<u8>>> {
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

/// Asks CloudFront to invalidate `paths`; returns the invalidation id.
pub(crate) async fn invalidate(
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

/// The tokio runtime, the only one the CLI makes: one per command that talks to AWS or serves
/// (the binary's `main` stays synchronous).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
