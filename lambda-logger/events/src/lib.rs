//! formroute-events: the beacon event contract shared by the logger, the archiver and `formroute logs report`.
//!
//! - [`event`]: the event schema (SPEC "Beacon events") and its validation;
//! - [`batch`]: a request body, read event by event;
//! - [`stored`]: the logged form (event + what the logger added), one ASCII JSON line;
//! - [`archive`]: the archive's partition layout and object names, and the calendar they need.
//!
//! Serde only, no I/O. The small predicates (slug, event id, language) come from
//! `formroute_core::spec`, their one home, re-exported as [`spec`].

pub mod archive;
pub mod batch;
pub mod event;
pub mod stored;

pub use batch::{parse_batch, Batch, BatchError};
pub use event::{Event, EventError, EventType, LoadSource};
pub use formroute_core::spec;
pub use stored::{Enrichment, LoggedEvent};
