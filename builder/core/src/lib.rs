//! formroute's domain model: the rule database, its validation, the compiled artifact format and the reference resolver.
//!
//! This crate does no network I/O and knows nothing of command lines or AWS: the `formroute`
//! builder and the `lambda-logger` are thin shells around it. `client-js/src` mirrors its files.
//!
//! Flow: [`load`] reads `data/*.csv` into a validated [`model::Database`] plus [`diag::Diagnostic`]s,
//! [`compile`] turns it into per-brand artifacts ([`artifact`], described byte by byte in
//! `FORMAT.md`), and [`resolve`] answers queries from those artifacts alone.

pub mod artifact;
pub mod artifact_v2;
pub mod beacon;
pub mod compile;
pub mod coverage;
pub mod crc32c;
pub mod diag;
pub mod diff;
pub mod explain;
pub mod load;
pub mod manifest;
pub mod model;
pub mod precedence;
pub mod publish_plan;
pub mod report;
pub mod resolve;
pub mod template;
pub mod usps;
