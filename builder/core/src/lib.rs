//! formroute's rule domain: the rule database, its validation, the compiled artifact format and the reference resolver.
//!
//! This crate does no network I/O and knows nothing of command lines, AWS, publishing or logs:
//! the `formroute` CLI and `lambda-logger` are thin shells around it, and the beacon event
//! contract is the `formroute-events` crate. `docs/ARCHITECTURE.md` maps each SPEC rule to its
//! Rust file here and its JavaScript file in `client-js/src`.
//!
//! Flow: [`load`] reads `data/*.csv` into a validated [`model::Database`] plus [`diag::Diagnostic`]s,
//! [`compile`] turns it into per-brand artifacts ([`artifact`], described byte by byte in
//! `FORMAT.md`), [`build()`] does both with one sorted list of diagnostics, and [`resolve`]
//! answers queries from those artifacts alone. [`spec`] holds SPEC's small rules (trim, ZIP
//! shapes, slugs, ...) that every crate calls.

pub mod artifact;
pub mod artifact_v2;
pub mod build;
pub mod compile;
pub mod coverage;
pub mod crc32c;
pub mod diag;
pub mod diff;
pub mod explain;
mod fst_writer;
pub mod layout;
pub mod load;
pub mod manifest;
pub mod model;
pub mod precedence;
pub mod resolve;
pub mod spec;
pub mod template;
pub mod usps;
mod ziptable;

pub use build::build;
