//! Running as an AWS Lambda function: configuration from the environment, then `lambda_http::run`.
//!
//! `FORMROUTE_MANIFEST`: the build's manifest.json (default `manifest.json` in the function's
//! folder, `LAMBDA_TASK_ROOT`); `FORMROUTE_QUEUE_URL`: the SQS queue, or `FORMROUTE_SPOOL`: a
//! file (for the runtime emulator). `FORMROUTE_TRUST_CLOUDFRONT=1` with `FORMROUTE_ORIGIN_SECRET`
//! takes the visitor's address and country from `CloudFront-Viewer-Address` / `-Country` on requests
//! whose `X-Formroute-Origin-Verify` header carries that secret (those CloudFront sent).
//! `FORMROUTE_RATE_LIMIT` (events per second per network, default 200, 0 = off) and
//! `FORMROUTE_RATE_BURST` (default 2000) set the instance's rate limit.

use anyhow::{anyhow, Context, Result};
use lambda_logger::sqs::{RetryPolicy, SqsSink};
use lambda_logger::{lambda, router, spool::SpoolSink, Logger, Origins, RateLimit, Sink};
use std::path::PathBuf;
use std::sync::Arc;

/// `FORMROUTE_RATE_LIMIT` and `FORMROUTE_RATE_BURST`: numbers, defaults from [`RateLimit::default`].
pub fn rate_limit(per_sec: Option<&str>, burst: Option<&str>) -> Result<Option<RateLimit>> {
    let number = |name: &str, v: Option<&str>, default: f64| -> Result<f64> {
        match v.map(str::trim) {
            None | Some("") => Ok(default),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| anyhow!("{name} must be a number of events, not {v:?}")),
        }
    };
    let d = RateLimit::default();
    let limit = RateLimit {
        events_per_sec: number("FORMROUTE_RATE_LIMIT", per_sec, d.events_per_sec)?,
        burst: number("FORMROUTE_RATE_BURST", burst, d.burst)?,
    };
    Ok((limit.events_per_sec > 0.0).then_some(limit))
}

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
        let secret = std::env::var("FORMROUTE_ORIGIN_SECRET")
            .ok()
            .filter(|s| !s.is_empty());
        if trust && secret.is_none() {
            eprintln!("lambda-logger: FORMROUTE_TRUST_CLOUDFRONT=1 without FORMROUTE_ORIGIN_SECRET: CloudFront's viewer headers are not believed (no proof a request came through CloudFront)");
        }
        let limit = rate_limit(
            std::env::var("FORMROUTE_RATE_LIMIT").ok().as_deref(),
            std::env::var("FORMROUTE_RATE_BURST").ok().as_deref(),
        )?;
        let logger = Logger::new(origins, sink, trust)
            .with_origin_secret(secret)
            .with_rate_limit(limit);
        let app = router(Arc::new(logger));
        lambda_http::run(lambda::service(app))
            .await
            .map_err(|e| anyhow!("Lambda runtime failed: {e}"))
    })
}
