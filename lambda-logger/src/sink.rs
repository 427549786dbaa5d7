//! Where accepted events go: the NDJSON spool file (local default) or an SQS queue.

use crate::{spool::SpoolSink, sqs::SqsSink};
use formroute_events::LoggedEvent;

/// A destination for accepted events. Made once at start-up and shared by every request.
#[derive(Debug)]
pub enum Sink {
    /// Append one JSON line per event to a file.
    Spool(SpoolSink),
    /// `SendMessageBatch` to an SQS queue.
    Sqs(SqsSink),
}

/// Why some accepted events could not be stored (the logger answers 503).
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Writing the spool file failed (the I/O error is in the message, not also a `source()`).
    #[error("spool write failed: {0}")]
    Spool(std::io::Error),
    /// Some events are not on the queue.
    #[error("{failed} of {total} events could not be queued: {reason}")]
    Sqs {
        /// Events not (known to be) on the queue.
        failed: usize,
        /// Events of the request.
        total: usize,
        /// What the queue answered last.
        reason: String,
    },
}

// Not `#[from]`: that would also make the I/O error the `source()`, printed twice with `{:#}`.
impl From<std::io::Error> for SinkError {
    fn from(e: std::io::Error) -> SinkError {
        SinkError::Spool(e)
    }
}

impl Sink {
    /// Stores every event, or says that not all of them are stored.
    pub async fn put(&self, events: &[LoggedEvent]) -> Result<(), SinkError> {
        match self {
            Sink::Spool(s) => s.put(events),
            Sink::Sqs(s) => s.put(events).await,
        }
    }
}
