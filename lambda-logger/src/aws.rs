//! lambda-logger's AWS client setup, in one place: the standard configuration chain, the endpoint of a local server (moto), the default region and each caller's retries and time-outs.
//!
//! Every client comes from the standard chain (environment, profile, Lambda's role;
//! `AWS_ENDPOINT_URL` included). What differs between callers is only [`Calls`]: how the SDK
//! retries and how long one call may take. The `s3://BUCKET/PREFIX` parser is
//! `formroute_core::layout::parse_s3_url`, shared with the CLI.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use std::time::Duration;

/// The region used when the configuration chain names none (a local run against moto).
const DEFAULT_REGION: &str = "us-east-1";

/// How long connecting to AWS may take before a call fails, for the callers a visitor waits on.
const QUICK_CONNECT: Duration = Duration::from_millis(500);

/// How a client retries and how long its calls may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Calls {
    /// The SDK's defaults: the archiver, whose batches no visitor waits for.
    Patient,
    /// At most `attempts` tries by the SDK, each within `attempt_timeout`, all within
    /// `operation_timeout`: the lookup's build checks, which a visitor's request may wait on.
    Quick {
        /// Tries in all, the first included.
        attempts: u32,
        /// Longest wait for one try.
        attempt_timeout: Duration,
        /// Longest wait for all tries of one call.
        operation_timeout: Duration,
    },
    /// No SDK retries at all, one try within `attempt_timeout`: the SQS sink, which retries on
    /// its own inside one time budget (see `crate::sqs`).
    Once {
        /// Longest wait for the call.
        attempt_timeout: Duration,
    },
}

/// The shared configuration for `calls`, with `endpoint` as the endpoint when given.
async fn config(calls: Calls, endpoint: Option<String>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    match calls {
        Calls::Patient => {}
        Calls::Quick {
            attempts,
            attempt_timeout,
            operation_timeout,
        } => {
            loader = loader
                .retry_config(RetryConfig::standard().with_max_attempts(attempts))
                .timeout_config(
                    TimeoutConfig::builder()
                        .connect_timeout(QUICK_CONNECT)
                        .operation_attempt_timeout(attempt_timeout)
                        .operation_timeout(operation_timeout)
                        .build(),
                );
        }
        Calls::Once { attempt_timeout } => {
            loader = loader.retry_config(RetryConfig::disabled()).timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(QUICK_CONNECT)
                    .operation_attempt_timeout(attempt_timeout)
                    .operation_timeout(attempt_timeout)
                    .build(),
            );
        }
    }
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

/// Whether the environment names an endpoint for `service` (`AWS_ENDPOINT_URL` or
/// `AWS_ENDPOINT_URL_<SERVICE>`).
fn env_names_endpoint(service: &str) -> bool {
    std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os(format!("AWS_ENDPOINT_URL_{service}")).is_some()
}

/// An S3 client. An explicit endpoint (a local S3 server such as moto or MinIO, set by
/// `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3` or a profile) gets path-style addresses.
pub(crate) async fn s3_client(calls: Calls) -> aws_sdk_s3::Client {
    let shared = config(calls, None).await;
    let custom_endpoint = shared.endpoint_url().is_some() || env_names_endpoint("S3");
    let mut conf = aws_sdk_s3::config::Builder::from(&shared).force_path_style(custom_endpoint);
    if shared.region().is_none() {
        conf = conf.region(aws_sdk_s3::config::Region::new(DEFAULT_REGION));
    }
    aws_sdk_s3::Client::from_conf(conf.build())
}

/// An SQS client for `queue_url`. When the environment names no endpoint, a queue URL that is
/// not an AWS host is also the endpoint (so `--queue-url http://127.0.0.1:5101/123456789012/q`
/// just works with moto).
pub(crate) async fn sqs_client(queue_url: &str, calls: Calls) -> aws_sdk_sqs::Client {
    let endpoint = if env_names_endpoint("SQS") {
        None
    } else {
        endpoint_from_queue_url(queue_url)
    };
    let shared = config(calls, endpoint).await;
    let mut conf = aws_sdk_sqs::config::Builder::from(&shared);
    if shared.region().is_none() {
        conf = conf.region(aws_sdk_sqs::config::Region::new(DEFAULT_REGION));
    }
    aws_sdk_sqs::Client::from_conf(conf.build())
}

/// The queue URL's own origin, unless it is an AWS host.
fn endpoint_from_queue_url(queue_url: &str) -> Option<String> {
    let (scheme, rest) = queue_url.split_once("://")?;
    let authority = rest.split('/').next()?;
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    if host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn") {
        None
    } else {
        Some(format!("{scheme}://{authority}"))
    }
}

/// An SDK error as one line for log lines and messages: the service's own code and message
/// when it answered (`NoSuchBucket: The specified bucket does not exist`), else the error and
/// its causes, each once. (The SDK's `DisplayErrorContext` appends a debug dump of the whole
/// response, and its modeled errors repeat their text in their `source()`.)
pub(crate) fn error_text<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if let SdkError::ServiceError(se) = e {
        let err = se.err();
        if let Some(code) = err.code() {
            return match err.message() {
                Some(message) => format!("{code}: {message}"),
                None => code.to_owned(),
            };
        }
    }
    chain_text(e)
}

/// An error and its causes, `: `-separated, a cause left out when its text is the one just
/// written.
pub(crate) fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut last = text.clone();
    let mut cause = e.source();
    while let Some(c) = cause {
        let this = c.to_string();
        if this != last {
            text.push_str(": ");
            text.push_str(&this);
        }
        last = this;
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_that_repeats_the_text_before_it_is_written_once() {
        #[derive(Debug)]
        struct E(&'static str, Option<Box<E>>);
        impl std::fmt::Display for E {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for E {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|e| e as _)
            }
        }
        let e = E(
            "service error",
            Some(Box::new(E(
                "NoSuchBucket: gone",
                Some(Box::new(E("NoSuchBucket: gone", None))),
            ))),
        );
        assert_eq!(chain_text(&e), "service error: NoSuchBucket: gone");
    }

    #[test]
    fn local_queue_urls_give_their_own_endpoint_and_aws_ones_none() {
        assert_eq!(
            endpoint_from_queue_url("http://127.0.0.1:5101/123456789012/q").as_deref(),
            Some("http://127.0.0.1:5101")
        );
        assert_eq!(
            endpoint_from_queue_url("https://sqs.eu-west-1.amazonaws.com/123456789012/q"),
            None
        );
        assert_eq!(
            endpoint_from_queue_url("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q"),
            None
        );
    }
}
