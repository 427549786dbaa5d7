//! Running as an AWS Lambda function: configuration from the environment, then `lambda_http::run`.
//!
//! `FORMROUTE_ARTIFACTS`: the published build, `s3://BUCKET/PREFIX` (as `formroute publish`
//! writes it) or a folder; `FORMROUTE_REFRESH_SECS`: how often at most it is revalidated
//! (default 30); `FORMROUTE_FALLBACK_URL`: where `/v1/go` sends visitors while no build could be
//! loaded; `FORMROUTE_QUEUE_URL`: the SQS queue, or `FORMROUTE_SPOOL`: a file (for the runtime
//! emulator); `FORMROUTE_TRUST_CLOUDFRONT=1` with `FORMROUTE_ORIGIN_SECRET` takes the visitor's
//! address and country from `CloudFront-Viewer-Address` / `-Country` on requests whose
//! `X-Formroute-Origin-Verify` header carries that secret (those CloudFront sent).
//! `FORMROUTE_RATE_LIMIT` (events per second per network, default 200, 0 = off) and
//! `FORMROUTE_RATE_BURST` (default 2000) set the instance's rate limit. `FORMROUTE_MANIFEST`
//! (a manifest.json path or its folder) is a deprecated alias of `FORMROUTE_ARTIFACTS`.

use anyhow::{anyhow, bail, Context, Result};
use lambda_logger::artifacts::{Location, Store, DEFAULT_REFRESH_SECS};
use lambda_logger::sqs::{RetryPolicy, SqsSink};
use lambda_logger::{lambda, router, spool::SpoolSink, Logger, RateLimit, Sink};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where the build is: `FORMROUTE_ARTIFACTS`, else the deprecated `FORMROUTE_MANIFEST`.
fn location() -> Result<Location> {
    if let Ok(a) = std::env::var("FORMROUTE_ARTIFACTS") {
        return Ok(Location::parse(&a)?);
    }
    if let Ok(m) = std::env::var("FORMROUTE_MANIFEST") {
        eprintln!("lambda-logger: FORMROUTE_MANIFEST is deprecated: set FORMROUTE_ARTIFACTS (s3://BUCKET/PREFIX or a folder)");
        return Ok(Location::parse(&m)?);
    }
    bail!("set FORMROUTE_ARTIFACTS (s3://BUCKET/PREFIX, where `formroute publish` puts the build) in the function's environment")
}

/// `FORMROUTE_REFRESH_SECS`, a whole number of seconds (default 30).
pub(crate) fn refresh_secs(value: Option<&str>) -> Result<Duration> {
    match value {
        None | Some("") => Ok(Duration::from_secs(DEFAULT_REFRESH_SECS)),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| {
                anyhow!("FORMROUTE_REFRESH_SECS must be a whole number of seconds, not {v:?}")
            }),
    }
}

/// `FORMROUTE_FALLBACK_URL`: an absolute http(s) URL.
pub(crate) fn fallback_url(value: Option<String>) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) if v.starts_with("https://") || v.starts_with("http://") => Ok(Some(v)),
        Some(_) => bail!("FORMROUTE_FALLBACK_URL must be an absolute https:// URL"),
    }
}

/// `FORMROUTE_RATE_LIMIT` and `FORMROUTE_RATE_BURST`: numbers, defaults from [`RateLimit::default`].
pub(crate) fn rate_limit(per_sec: Option<&str>, burst: Option<&str>) -> Result<Option<RateLimit>> {
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

pub(crate) fn run() -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let location = location()?;
        let refresh = refresh_secs(std::env::var("FORMROUTE_REFRESH_SECS").ok().as_deref())?;
        let fallback = fallback_url(std::env::var("FORMROUTE_FALLBACK_URL").ok())?;
        let sink = if let Ok(url) = std::env::var("FORMROUTE_QUEUE_URL") {
            Sink::Sqs(SqsSink::from_env(&url, RetryPolicy::default()).await)
        } else if let Some(path) = std::env::var_os("FORMROUTE_SPOOL") {
            let path = PathBuf::from(path);
            Sink::Spool(
                SpoolSink::open(&path)
                    .with_context(|| format!("cannot open {}", path.display()))?,
            )
        } else {
            bail!("set FORMROUTE_QUEUE_URL (or FORMROUTE_SPOOL) in the function's environment")
        };
        // A first load that fails is logged by the store, which starts empty and keeps trying:
        // the function still starts, so visitors get 503 / the fallback, never a Lambda error.
        let store = Arc::new(Store::open(&location, refresh).await);
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
        let logger = Logger::with_store(store, sink, trust)
            .with_fallback_url(fallback)
            .with_origin_secret(secret)
            .with_rate_limit(limit);
        let app = router(Arc::new(logger));
        lambda_http::run(lambda::service(app))
            .await
            .map_err(|e| anyhow!("Lambda runtime failed: {e}"))
    })
}
