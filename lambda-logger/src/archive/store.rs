//! Where the archiver writes its objects: a local folder (written atomically) or an S3 bucket and prefix.

use aws_sdk_s3::primitives::ByteStream;
use std::path::PathBuf;

/// A failed write or an unusable target.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `s3://` without a bucket.
    #[error("`{0}` names no bucket: use s3://BUCKET/PREFIX")]
    NoBucket(String),
    /// A local file could not be written.
    #[error("writing {path}: {error}")]
    Io {
        /// The archive file that cannot be written.
        path: String,
        /// What writing it said (in the message, not also a `source()`).
        error: std::io::Error,
    },
    /// S3 refused or could not be reached.
    #[error("putting s3://{bucket}/{key}: {reason}")]
    S3 {
        /// The archive's bucket.
        bucket: String,
        /// The object's key.
        key: String,
        /// The SDK's error with its causes.
        reason: String,
    },
}

/// The archive's home.
#[derive(Debug, Clone)]
pub enum Store {
    /// A local folder; keys become relative paths.
    Dir(PathBuf),
    /// `s3://bucket/prefix`.
    S3 {
        /// The client, from the standard AWS configuration chain.
        client: aws_sdk_s3::Client,
        /// The archive's bucket.
        bucket: String,
        /// Empty, or ending with `/`.
        prefix: String,
    },
}

impl Store {
    /// `s3://BUCKET/PREFIX` (client from the standard AWS configuration chain, `AWS_ENDPOINT_URL`
    /// included; an explicit endpoint gets path-style addressing) or a local folder.
    pub async fn from_target(target: &str) -> Result<Store, StoreError> {
        if !target.starts_with("s3://") {
            return Ok(Store::Dir(PathBuf::from(target)));
        }
        let Some((bucket, prefix)) = formroute_core::layout::parse_s3_url(target) else {
            return Err(StoreError::NoBucket(target.to_owned()));
        };
        let mut prefix = prefix.trim_matches('/').to_owned();
        if !prefix.is_empty() {
            prefix.push('/');
        }
        Ok(Store::S3 {
            client: crate::aws::s3_client(crate::aws::Calls::Patient).await,
            bucket: bucket.to_owned(),
            prefix,
        })
    }

    /// Where objects go, for log lines.
    pub fn describe(&self) -> String {
        match self {
            Store::Dir(d) => d.display().to_string(),
            Store::S3 { bucket, prefix, .. } => format!("s3://{bucket}/{prefix}"),
        }
    }

    /// Writes one object under `key` (relative to the folder or prefix). A local object is
    /// written to a temporary name and renamed, so a reader never sees half of it.
    pub async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), StoreError> {
        match self {
            Store::Dir(dir) => {
                let path = dir.join(key);
                let io = |error| StoreError::Io {
                    path: path.display().to_string(),
                    error,
                };
                if let Some(parent) = path.parent() {
                    tokio::fs::create_dir_all(parent).await.map_err(io)?;
                }
                let tmp = path.with_extension("gz.partial");
                tokio::fs::write(&tmp, body).await.map_err(io)?;
                tokio::fs::rename(&tmp, &path).await.map_err(io)
            }
            Store::S3 {
                client,
                bucket,
                prefix,
            } => {
                let full = format!("{prefix}{key}");
                client
                    .put_object()
                    .bucket(bucket)
                    .key(&full)
                    .content_type("application/gzip")
                    .body(ByteStream::from(body))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| StoreError::S3 {
                        bucket: bucket.clone(),
                        key: full,
                        reason: crate::aws::error_text(&e),
                    })
            }
        }
    }

    /// Writes every object of a plan, all at once; `result[i]` says whether object `i` was
    /// written (a failure is printed on stderr with its reason).
    pub async fn put_all(&self, plan: &super::Plan) -> Vec<bool> {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, o) in plan.objects.iter().enumerate() {
            let store = self.clone();
            let (key, gz) = (o.key.clone(), o.gz.clone());
            tasks.spawn(async move { (i, store.put(&key, gz).await) });
        }
        let mut written = vec![false; plan.objects.len()];
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok((i, Ok(()))) => written[i] = true,
                Ok((_, Err(e))) => eprintln!("archiver: {e}"),
                Err(e) => eprintln!("archiver: a write task failed: {e}"),
            }
        }
        written
    }
}
