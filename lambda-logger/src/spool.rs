//! The spool sink: accepted events appended to a local file, one ASCII JSON object per line (NDJSON), each request's batch whole or not at all.
//!
//! - **Whole or nothing.** A batch is one `write` at the end of the file. When it fails (disk
//!   full, file-size limit, I/O error), the file is truncated back to its length before the
//!   batch, so no torn line stays for the next acknowledged batch to be glued onto; the request
//!   gets 503. Should that truncation fail too, the sink remembers the length and refuses every
//!   batch (503) until it can restore it.
//! - **Rotation.** Before each batch the path is checked: when it no longer names the open
//!   file (renamed away by `logrotate`, deleted, replaced), the spool is reopened at the path, so
//!   `mv events.ndjson events.1 && sleep 1` is a rotation with no signal to send (`SIGHUP` is not
//!   needed). `copytruncate` also works: appends go to the new end.
//! - **`fsync` policy: none per batch.** A 202 means the batch is in the kernel's page cache: it
//!   survives the logger process dying (`kill -9`), not a power loss or kernel crash of the
//!   host. Spools are for local runs and tests; on AWS the queue is the durable sink.
//! - One process writes a spool: two loggers appending to the same file could truncate each
//!   other's batches.

use crate::sink::SinkError;
use formroute_events::LoggedEvent;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// An NDJSON file opened for appending, reopened when the path is rotated.
#[derive(Debug)]
pub struct SpoolSink {
    path: PathBuf,
    file: Mutex<Open>,
}

#[derive(Debug)]
struct Open {
    file: File,
    identity: Option<(u64, u64)>,
    /// Length to restore before the next write (a failed batch whose truncation failed too).
    restore: Option<u64>,
}

/// The (device, inode) pair that says which file a path or handle is.
#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

fn open(path: &Path) -> std::io::Result<Open> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    let identity = identity(&file.metadata()?);
    Ok(Open {
        file,
        identity,
        restore: None,
    })
}

impl SpoolSink {
    /// Opens (creating if needed) `path` for appending.
    pub fn open(path: &Path) -> std::io::Result<SpoolSink> {
        Ok(SpoolSink {
            path: path.to_owned(),
            file: Mutex::new(open(path)?),
        })
    }

    /// Appends the events as one write, so lines of concurrent requests never interleave, and
    /// leaves the file as it was when that write fails (see the module documentation).
    pub fn put(&self, events: &[LoggedEvent]) -> Result<(), SinkError> {
        let mut buf = Vec::with_capacity(events.len() * 512);
        for e in events {
            e.write_json(&mut buf);
            buf.push(b'\n');
        }
        // A poisoned lock only means another writer panicked mid-call; the state is still usable
        // (a batch is only acknowledged after its write and, on failure, its truncation).
        let mut open = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(len) = open.restore {
            open.file.set_len(len)?;
            open.restore = None;
        }
        self.reopen_if_rotated(&mut open)?;
        let before = open.file.metadata()?.len();
        if let Err(e) = open.file.write_all(&buf) {
            if let Err(t) = open.file.set_len(before) {
                eprintln!(
                    "lambda-logger: cannot truncate {} back to {before} bytes after a failed write ({t}); refusing batches until it can",
                    self.path.display()
                );
                open.restore = Some(before);
            }
            return Err(SinkError::Spool(e));
        }
        Ok(())
    }

    /// Opens the path anew when it names another file than the open one (or none).
    fn reopen_if_rotated(&self, open: &mut Open) -> std::io::Result<()> {
        let current = std::fs::metadata(&self.path)
            .ok()
            .and_then(|m| identity(&m));
        if open.identity.is_some() && current != open.identity {
            *open = self::open(&self.path)?;
        }
        Ok(())
    }
}
