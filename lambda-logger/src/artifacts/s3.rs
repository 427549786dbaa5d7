//! Reading a published build from S3 as `formroute publish` lays it out: `PREFIX/manifest.json` (with `If-None-Match`) and the content-addressed `PREFIX/a/<file>` objects.

use super::{Fetched, StoreError};
use crate::aws::{error_text, Calls};
use formroute_core::layout::Layout;
use std::io::Read;
use std::time::Duration;

/// The bucket and prefix of a publish location, with an S3 client.
pub struct S3Source {
    client: aws_sdk_s3::Client,
    bucket: String,
    layout: Layout,
}

impl S3Source {
    /// A client from the standard AWS configuration chain (`AWS_ENDPOINT_URL` included; an
    /// explicit endpoint gets path-style addresses). Timeouts are short: a request that finds the
    /// build due for a check waits for it, and an unreachable S3 must not hold it long.
    pub async fn connect(bucket: &str, prefix: &str) -> S3Source {
        let calls = Calls::Quick {
            attempts: 2,
            attempt_timeout: Duration::from_secs(2),
            operation_timeout: Duration::from_secs(3),
        };
        S3Source {
            client: crate::aws::s3_client(calls).await,
            bucket: bucket.to_owned(),
            layout: Layout::new(prefix),
        }
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    /// `s3://bucket/PREFIX/a`, where the content-addressed files are.
    pub fn hashed_dir_url(&self) -> String {
        self.url(self.layout.hashed_dir().trim_end_matches('/'))
    }

    /// The live manifest, unless its ETag is still `etag`.
    pub(crate) async fn manifest(&self, etag: Option<&str>) -> Result<Fetched, StoreError> {
        let key = self.layout.manifest();
        let mut req = self.client.get_object().bucket(&self.bucket).key(&key);
        if let Some(tag) = etag {
            req = req.if_none_match(tag);
        }
        match req.send().await {
            Ok(out) => {
                let tag = out.e_tag().unwrap_or_default().to_owned();
                let gzip = out.content_encoding() == Some("gzip");
                let bytes = body(out.body, gzip, || self.url(&key)).await?;
                // Without an ETag every check is a full read; the bytes' hash still tells changes.
                let tag = if tag.is_empty() {
                    formroute_core::compile::sha256_hex(&bytes)
                } else {
                    tag
                };
                if etag == Some(tag.as_str()) {
                    return Ok(Fetched::NotModified);
                }
                Ok(Fetched::Changed { bytes, tag })
            }
            Err(e) => {
                if e.raw_response().is_some_and(|r| r.status().as_u16() == 304) {
                    return Ok(Fetched::NotModified);
                }
                Err(StoreError::S3 {
                    url: self.url(&key),
                    reason: error_text(&e),
                })
            }
        }
    }

    /// A content-addressed file (`a/<name>`), decoded from gzip when it was stored so.
    pub(crate) async fn file(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        let key = self.layout.hashed(name);
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| StoreError::S3 {
                url: self.url(&key),
                reason: error_text(&e),
            })?;
        let gzip = out.content_encoding() == Some("gzip");
        body(out.body, gzip, || self.url(&key)).await
    }
}

async fn body(
    stream: aws_sdk_s3::primitives::ByteStream,
    gzip: bool,
    url: impl Fn() -> String,
) -> Result<Vec<u8>, StoreError> {
    let bytes = stream
        .collect()
        .await
        .map_err(|e| StoreError::S3 {
            url: url(),
            reason: e.to_string(),
        })?
        .into_bytes();
    if !gzip {
        return Ok(bytes.to_vec());
    }
    let mut plain = Vec::with_capacity(bytes.len() * 4);
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_end(&mut plain)
        .map_err(|e| StoreError::S3 {
            url: url(),
            reason: format!("not valid gzip: {e}"),
        })?;
    Ok(plain)
}
