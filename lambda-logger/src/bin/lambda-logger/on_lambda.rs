//! Running as an AWS Lambda function: configuration from the environment, then `lambda_http::run`.
//!
//! `FORMROUTE_MANIFEST`: the build's manifest.json (default `manifest.json` in the function's
//! folder, `LAMBDA_TASK_ROOT`); `FORMROUTE_QUEUE_URL`: the SQS queue, or `FORMROUTE_SPOOL`: a
//! file (for the runtime emulator). `FORMROUTE_TRUST_CLOUDFRONT=1` takes the visitor's address from
//! `CloudFront-Viewer-Address` when the function sits behind CloudFront.

use anyhow::{anyhow, Context, Result};
use lambda_logger::sqs::{RetryPolicy, SqsSink};
use lambda_logger::{lambda, router, spool::SpoolSink, Logger, Origins, Sink};
use std::path::PathBuf;
use std::sync::Arc;

pub fn run() -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let manifest = match std::env::var_os("FORMROUTE_MANIFEST") {
            Some(p) => PathBuf::from(p),
            None => {
                PathBuf::from(std::env::var_os("LAMBDA_TASK_ROOT").unwrap_or_else(|| ".".into()))
                    .join("manifest.json")
            }
        };
        let origins = Origins::load(&manifest).context("cannot read the brand origins")?;
        let sink = if let Ok(url) = std::env::var("FORMROUTE_QUEUE_URL") {
            Sink::Sqs(SqsSink::from_env(&url, RetryPolicy::default()).await)
        } else if let Some(path) = std::env::var_os("FORMROUTE_SPOOL") {
            let path = PathBuf::from(path);
            Sink::Spool(
                SpoolSink::open(&path)
                    .with_context(|| format!("cannot open {}", path.display()))?,
            )
        } else {
            anyhow::bail!(
                "set FORMROUTE_QUEUE_URL (or FORMROUTE_SPOOL) in the function's environment"
            )
        };
        let trust = std::env::var("FORMROUTE_TRUST_CLOUDFRONT").is_ok_and(|v| v == "1");
        let app = router(Arc::new(Logger::new(origins, sink, trust)));
        lambda_http::run(lambda::service(app))
            .await
            .map_err(|e| anyhow!("Lambda runtime failed: {e}"))
    })
}
