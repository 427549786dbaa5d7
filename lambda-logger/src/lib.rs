//! lambda-logger: the beacon endpoint (SPEC "Beacon events") and the HTTP lookup as one axum `Router`, the build store they answer from, and the sinks they write to.
//!
//! The same [`router`] runs on AWS Lambda (through [`lambda::service`] and `lambda_http::run`),
//! locally (`lambda-logger serve`, `axum::serve`) and inside `formroute serve`, which mounts it.
//! The event schema and its validation live in `formroute_core::beacon`; this crate adds HTTP,
//! CORS, enrichment and delivery.

pub mod archive;
pub mod artifacts;
pub mod handler;
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
