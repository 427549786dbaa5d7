//! `lambda-archiver drain`: the archiver run locally, reading a queue itself (receive, write, then delete what was written).

use super::store::Store;
use super::{plan_after, Message, Plan, Seen};
use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How to drain.
#[derive(Debug, Clone)]
pub struct DrainOptions {
    /// URL of the queue to receive from.
    pub queue_url: String,
    /// Most messages gathered into one batch (one object per partition per batch).
    pub batch_messages: usize,
    /// Longest time spent gathering one batch.
    pub batch_time: Duration,
    /// Visibility timeout asked for on receive, seconds: a batch must be written and deleted
    /// within it, else its messages come back (and are dropped as already archived, or
    /// archived again, harmlessly: the report drops duplicate ids within a brand's day).
    pub visibility_timeout: i32,
    /// Long-poll wait of each receive, seconds (0 to 20).
    pub wait_seconds: i32,
    /// Keep polling after the queue is empty (else stop at the first empty receive).
    pub follow: bool,
}

/// What a drain did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainStats {
    /// Batches gathered and written.
    pub batches: u64,
    /// Queue messages (or spool lines) read.
    pub messages: u64,
    /// Events written into archive objects.
    pub events: u64,
    /// Events dropped as copies of an id already archived.
    pub duplicates: u64,
    /// Messages that are not logged events (left for the dead-letter queue).
    pub poison: u64,
    /// Archive objects written.
    pub objects: u64,
    /// Archive objects that could not be written (their messages stay on the queue).
    pub failed_objects: u64,
    /// Messages deleted from the queue once their events were written.
    pub deleted: u64,
}

impl DrainStats {
    /// Counts one batch of `messages` messages, planned as `plan`, whose objects were written
    /// where `written` says so (as [`Store::put_all`] returns).
    fn add_batch(&mut self, messages: usize, plan: &Plan, written: &[bool]) {
        self.batches += 1;
        self.messages += messages as u64;
        self.duplicates += plan.duplicates as u64;
        self.poison += plan.poison.len() as u64;
        for (o, ok) in plan.objects.iter().zip(written) {
            if *ok {
                self.objects += 1;
                self.events += o.events as u64;
            } else {
                self.failed_objects += 1;
            }
        }
    }
}

/// A queue that cannot be read or cleaned.
#[derive(Debug, thiserror::Error)]
pub enum DrainError {
    /// `ReceiveMessage` failed.
    #[error("receiving from {queue}: {reason}")]
    Receive {
        /// The queue URL.
        queue: String,
        /// The SDK's error with its causes.
        reason: String,
    },
    /// `DeleteMessageBatch` failed: the messages come back after their visibility timeout.
    #[error("deleting from {queue}: {reason}")]
    Delete {
        /// The queue URL.
        queue: String,
        /// The SDK's error with its causes.
        reason: String,
    },
}

/// The SQS client from the standard AWS chain, with the SDK's own retries (no visitor waits
/// on the archiver); a queue URL that is not an AWS host (a local moto server, say) is also the
/// endpoint unless the environment names one.
pub async fn sqs_client(queue_url: &str) -> Client {
    crate::aws::sqs_client(queue_url, crate::aws::Calls::Patient).await
}

/// Receives batches until the queue is empty (or forever with `follow`), writes each batch's
/// objects, and deletes exactly the messages whose events were written. Poison messages and
/// those of unwritten objects are left on the queue: they return after the visibility timeout
/// and the redrive policy dead-letters the poison ones.
pub async fn drain(
    sqs: &Client,
    store: &Store,
    opts: &DrainOptions,
) -> Result<DrainStats, DrainError> {
    let mut stats = DrainStats::default();
    let mut seen = Seen::default();
    loop {
        let started = Instant::now();
        let mut messages = Vec::new();
        let mut handles: HashMap<String, String> = HashMap::new();
        let mut empty = false;
        while messages.len() < opts.batch_messages && started.elapsed() < opts.batch_time {
            let want = (opts.batch_messages - messages.len()).min(10) as i32;
            let got = sqs
                .receive_message()
                .queue_url(&opts.queue_url)
                .max_number_of_messages(want)
                .visibility_timeout(opts.visibility_timeout)
                .wait_time_seconds(opts.wait_seconds)
                .send()
                .await
                .map_err(|e| DrainError::Receive {
                    queue: opts.queue_url.clone(),
                    reason: crate::aws::error_text(&e),
                })?;
            let batch = got.messages();
            if batch.is_empty() {
                empty = true;
                break;
            }
            for m in batch {
                let (Some(id), Some(rh)) = (m.message_id(), m.receipt_handle()) else {
                    continue;
                };
                handles.insert(id.to_owned(), rh.to_owned());
                messages.push(Message {
                    id: id.to_owned(),
                    body: m.body().unwrap_or_default().to_owned(),
                });
            }
        }
        if !messages.is_empty() {
            let plan = plan_after(&messages, &seen);
            for (id, why) in &plan.poison {
                eprintln!("archiver: message {id} is poison ({why}); left on the queue for its dead-letter queue");
            }
            let written = store.put_all(&plan).await;
            seen.record(&plan, &written);
            let failed: std::collections::HashSet<String> =
                plan.failed_messages(&written).into_iter().collect();
            let done: Vec<&Message> = messages
                .iter()
                .filter(|m| !failed.contains(&m.id))
                .collect();
            stats.deleted += delete(sqs, &opts.queue_url, &done, &handles).await?;
            stats.add_batch(messages.len(), &plan, &written);
            eprintln!(
                "archiver: batch {}: {} messages, {} objects written to {}, {} failed",
                stats.batches,
                messages.len(),
                written.iter().filter(|w| **w).count(),
                store.describe(),
                written.iter().filter(|w| !**w).count()
            );
        }
        if empty && messages.is_empty() && !opts.follow {
            return Ok(stats);
        }
    }
}

async fn delete(
    sqs: &Client,
    queue: &str,
    done: &[&Message],
    handles: &HashMap<String, String>,
) -> Result<u64, DrainError> {
    let mut deleted = 0;
    for chunk in done.chunks(10) {
        let mut req = sqs.delete_message_batch().queue_url(queue);
        for (i, m) in chunk.iter().enumerate() {
            let Some(rh) = handles.get(&m.id) else {
                continue;
            };
            let entry = DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(rh)
                .build()
                .map_err(|e| DrainError::Delete {
                    queue: queue.to_owned(),
                    reason: e.to_string(),
                })?;
            req = req.entries(entry);
        }
        let out = req.send().await.map_err(|e| DrainError::Delete {
            queue: queue.to_owned(),
            reason: crate::aws::error_text(&e),
        })?;
        for f in out.failed() {
            // Not fatal: the message comes back and is archived again, as a duplicate.
            eprintln!(
                "archiver: could not delete a written message ({}): it will be archived again",
                f.code()
            );
        }
        deleted += out.successful().len() as u64;
    }
    Ok(deleted)
}

/// A spool file that cannot be archived.
#[derive(Debug, thiserror::Error)]
pub enum SpoolDrainError {
    /// The spool file cannot be read.
    #[error("reading {path}: {error}")]
    Read {
        /// The spool file.
        path: String,
        /// What reading it said (in the message, not also a `source()`).
        error: std::io::Error,
    },
    /// Some objects could not be written; running again writes the same keys.
    #[error("{failed} archive object(s) could not be written to {to}; the spool file is unchanged, run again")]
    Write {
        /// Objects not written.
        failed: u64,
        /// Where they were to go.
        to: String,
    },
}

/// `lambda-archiver drain --from-spool FILE`: archives the NDJSON spool of `lambda-logger serve`
/// (or `formroute serve`) with the same batching and keys as the queue path, no SQS needed.
///
/// Each line is one message (its id is `line N`); `batch` lines make one batch, so the objects
/// are the ones the queue path would write for the same batches. Lines that are not logged
/// events are reported (by line number) and skipped. The spool file is only read: running
/// again writes the same keys (idempotent).
pub async fn drain_spool(
    path: &std::path::Path,
    store: &Store,
    batch: usize,
) -> Result<DrainStats, SpoolDrainError> {
    let text = std::fs::read(path).map_err(|error| SpoolDrainError::Read {
        path: path.display().to_string(),
        error,
    })?;
    let text = String::from_utf8_lossy(&text);
    let messages: Vec<Message> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Message {
            id: format!("line {}", i + 1),
            body: l.to_string(),
        })
        .collect();
    let mut stats = DrainStats::default();
    let mut seen = Seen::default();
    for chunk in messages.chunks(batch.max(1)) {
        let plan = plan_after(chunk, &seen);
        for (id, why) in &plan.poison {
            eprintln!("lambda-archiver: {}: {id}: skipped: {why}", path.display());
        }
        let written = store.put_all(&plan).await;
        seen.record(&plan, &written);
        stats.add_batch(chunk.len(), &plan, &written);
    }
    if stats.failed_objects > 0 {
        return Err(SpoolDrainError::Write {
            failed: stats.failed_objects,
            to: store.describe(),
        });
    }
    Ok(stats)
}
