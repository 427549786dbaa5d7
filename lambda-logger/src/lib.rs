//! lambda-logger: the beacon endpoint (SPEC "Beacon events") and the HTTP lookup as one axum `Router`, the build store they answer from, the sinks they write to, and the archiver that moves queued events to S3.
//!
//! This crate builds two binaries: `lambda-logger` (the endpoint and lookup) and
//! `lambda-archiver` (SQS to gzipped NDJSON partitions on S3, see [`archive`]). The same
//! [`router`] runs on AWS Lambda (through `lambda::service` and `lambda_http::run`, feature
//! `lambda`, on by default), locally (`lambda-logger serve`, `axum::serve`) and inside
//! `formroute serve`, which mounts it with `default-features = false` so the CLI never compiles
//! the Lambda runtime.
//!
//! The event contract (schema, batch, stored form, archive layout) lives in `formroute_events`;
//! this crate adds HTTP, CORS, [`enrich`]ment and delivery.
//! Every AWS client it makes (SQS for the sink and the archiver, S3 for the archive and
//! the published build) comes from one module, `aws.rs`, which also words the SDK's errors.

pub mod archive;
pub mod artifacts;
mod aws;
pub mod enrich;
pub mod handler;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod lookup;
pub mod origins;
pub mod ratelimit;
pub mod sink;
pub mod spool;
pub mod sqs;

pub use artifacts::{Build, Location, Store};
pub use handler::{router, Logger, RequestFacts, ROUTE};
pub use origins::Origins;
pub use ratelimit::RateLimit;
pub use sink::{Sink, SinkError};
