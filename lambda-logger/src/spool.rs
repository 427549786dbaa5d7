//! The spool sink: accepted events appended to a local file, one ASCII JSON object per line (NDJSON).

use crate::sink::SinkError;
use formroute_events::LoggedEvent;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

/// An NDJSON file opened once for appending.
#[derive(Debug)]
pub struct SpoolSink {
    file: Mutex<File>,
}

impl SpoolSink {
    /// Opens (creating if needed) `path` for appending.
    pub fn open(path: &Path) -> std::io::Result<SpoolSink> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(SpoolSink {
            file: Mutex::new(file),
        })
    }

    /// Appends the events as one write, so lines of concurrent requests never interleave.
    pub fn put(&self, events: &[LoggedEvent]) -> Result<(), SinkError> {
        let mut buf = Vec::with_capacity(events.len() * 512);
        for e in events {
            e.write_json(&mut buf);
            buf.push(b'\n');
        }
        // A poisoned lock only means another writer panicked mid-call; the file is still usable.
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&buf)?;
        Ok(())
    }
}
