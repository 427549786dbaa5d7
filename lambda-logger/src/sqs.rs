//! The SQS sink: accepted events as `SendMessageBatch` calls of at most 10 messages, with retries of server-side failures inside one time budget.
//!
//! Each message body is one [`LoggedEvent`] as ASCII JSON (the event `id` inside, so readers can
//! drop the duplicates at-least-once delivery brings); attributes `brand` and `type` let
//! subscribers filter without parsing. The sink succeeds only when every event is on the queue.
//!
//! Retries are ours alone (the SDK's own retries are off, so there is one policy to reason
//! about), and all of them fit in [`RetryPolicy::budget`], below the Lambda time-out:
//! - an entry that fails with `SenderFault=false`, or that the answer does not mention at all
//!   (neither successful nor failed), is sent again after a growing pause;
//! - a call the queue answers with a server error or throttling is sent again the same way;
//! - a call that gets no answer in time (time-out, connection lost after sending) is **not**
//!   sent again: SQS may have queued it, and a second send would queue every event twice. The
//!   request gets 503 and the log line says the events may be on the queue; the client's retry
//!   carries the same event ids, which the archiver and the report drop (docs/LOGS.md).

use crate::aws::Calls;
use crate::sink::SinkError;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use aws_sdk_sqs::Client;
use formroute_events::LoggedEvent;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Most entries SQS takes in one `SendMessageBatch`.
pub const MAX_BATCH_ENTRIES: usize = 10;
/// Most bytes SQS takes in one `SendMessageBatch` (all bodies and attributes), kept conservative.
pub const MAX_BATCH_BYTES: usize = 256 * 1024;

/// How failed entries are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Calls per entry in all, the first included.
    pub attempts: u32,
    /// Pause before the first retry; each next pause is four times longer, at most one second.
    pub first_pause: Duration,
    /// Longest time one request may spend queuing its events, retries included: the logger
    /// answers 503 when it is spent. Kept well below the function's time-out (10 s).
    pub budget: Duration,
    /// Longest wait for the answer to one call.
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            first_pause: Duration::from_millis(25),
            budget: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(2),
        }
    }
}

/// An SQS client and queue, made once at start-up.
#[derive(Debug, Clone)]
pub struct SqsSink {
    client: Client,
    queue_url: String,
    retry: RetryPolicy,
}

impl SqsSink {
    /// Builds the client from the standard AWS configuration chain (environment, profile,
    /// Lambda's role; `AWS_ENDPOINT_URL` included), with short time-outs so a queue that is
    /// down makes the logger answer 503 quickly instead of holding the visitor's request, and
    /// without the SDK's retries (see the module documentation).
    pub async fn from_env(queue_url: &str, retry: RetryPolicy) -> SqsSink {
        let calls = Calls::Once {
            attempt_timeout: retry.attempt_timeout,
        };
        SqsSink {
            client: crate::aws::sqs_client(queue_url, calls).await,
            queue_url: queue_url.to_owned(),
            retry,
        }
    }

    /// Queues every event: one `SendMessageBatch` per 10 events (fewer only when 10 would
    /// pass [`MAX_BATCH_BYTES`]), the calls of one request in parallel.
    pub async fn put(&self, events: &[LoggedEvent]) -> Result<(), SinkError> {
        let total = events.len();
        let mut chunks: Vec<Vec<SendMessageBatchRequestEntry>> = Vec::new();
        let mut bytes = 0;
        for event in events {
            let body = event.to_json();
            let size = body.len() + 64;
            if chunks
                .last()
                .is_none_or(|c| c.len() == MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES)
            {
                chunks.push(Vec::with_capacity(MAX_BATCH_ENTRIES));
                bytes = 0;
            }
            bytes += size;
            if let Some(chunk) = chunks.last_mut() {
                // Entry ids only need to be unique within their call: their index there.
                let e = entry(event, body, chunk.len()).map_err(|e| SinkError::Sqs {
                    failed: total,
                    total,
                    reason: format!("cannot build an SQS entry: {e}"),
                })?;
                chunk.push(e);
            }
        }
        let deadline = Instant::now() + self.retry.budget;
        let mut calls = JoinSet::new();
        for chunk in chunks {
            let sink = self.clone();
            calls.spawn(async move { sink.send_chunk(chunk, deadline).await });
        }
        let mut failed = 0;
        let mut reason = String::new();
        while let Some(done) = calls.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err((n, why))) => {
                    failed += n;
                    reason = why;
                }
                Err(join) => {
                    failed += MAX_BATCH_ENTRIES.min(total);
                    reason = format!("send task failed: {join}");
                }
            }
        }
        if failed == 0 {
            Ok(())
        } else {
            Err(SinkError::Sqs {
                failed: failed.min(total),
                total,
                reason,
            })
        }
    }

    /// One call, then retries of what the queue did not take, until `deadline`. Returns how
    /// many entries are not (known to be) on the queue, and why, on failure.
    async fn send_chunk(
        &self,
        mut entries: Vec<SendMessageBatchRequestEntry>,
        deadline: Instant,
    ) -> Result<(), (usize, String)> {
        let attempts = self.retry.attempts.max(1);
        let mut pause = self.retry.first_pause;
        let mut attempt = 1;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let call = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries.clone()))
                .send();
            let unknown = |what: &str| {
                (
                    entries.len(),
                    format!(
                        "SendMessageBatch {what}: outcome unknown, these events may be on the queue \
                         (not sent again, which would queue them twice; the client's retry has the \
                         same event ids, which the archiver and the report drop)"
                    ),
                )
            };
            let retry_call = match tokio::time::timeout(left.min(self.retry.attempt_timeout), call)
                .await
            {
                Err(_) => return Err(unknown("got no answer in time")),
                Ok(Err(e)) => match &e {
                    SdkError::ServiceError(se)
                        if retryable_status(se.raw().status().as_u16())
                            || se.err().code().is_some_and(|c| c.contains("Throttl")) =>
                    {
                        format!("SendMessageBatch failed: {}", crate::aws::error_text(&e))
                    }
                    SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
                        return Err(unknown("got no answer in time"))
                    }
                    _ => {
                        return Err((
                            entries.len(),
                            format!("SendMessageBatch failed: {}", crate::aws::error_text(&e)),
                        ))
                    }
                },
                Ok(Ok(out)) => {
                    if let Some(f) = out.failed().iter().find(|f| f.sender_fault()) {
                        return Err((
                            out.failed().len(),
                            format!(
                                "SQS refused an entry ({}): {}",
                                f.code(),
                                f.message().unwrap_or("")
                            ),
                        ));
                    }
                    // What the answer does not list as successful is not on the queue: failed
                    // entries and, treated the same, entries it does not mention at all.
                    let done: Vec<&str> = out.successful().iter().map(|s| s.id()).collect();
                    let missing = entries
                        .iter()
                        .filter(|e| !done.contains(&e.id()))
                        .filter(|e| !out.failed().iter().any(|f| f.id() == e.id()))
                        .count();
                    entries.retain(|e| !done.contains(&e.id()));
                    if entries.is_empty() {
                        return Ok(());
                    }
                    let code = out.failed().first().map_or("", |f| f.code());
                    format!(
                        "SQS did not take {} entries ({} failed{}, {missing} missing from its answer)",
                        entries.len(),
                        out.failed().len(),
                        if code.is_empty() { String::new() } else { format!(" with {code}") },
                    )
                }
            };
            // Another try only when it and its pause fit in what is left of the budget.
            let left = deadline.saturating_duration_since(Instant::now());
            if attempt >= attempts || left < pause + MIN_ATTEMPT_TIME {
                return Err((
                    entries.len(),
                    format!("{retry_call}; gave up after {attempt} calls"),
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 4).min(Duration::from_secs(1));
            attempt += 1;
        }
    }
}

/// Shortest time left worth another call.
const MIN_ATTEMPT_TIME: Duration = Duration::from_millis(200);

/// Answers that say the queue did not take the call and may take it again: throttling and server errors.
fn retryable_status(status: u16) -> bool {
    status == 429 || status >= 500
}

type BuildError = aws_sdk_sqs::error::BuildError;

fn attribute(value: &str) -> Result<MessageAttributeValue, BuildError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
}

fn entry(
    event: &LoggedEvent,
    body: String,
    index: usize,
) -> Result<SendMessageBatchRequestEntry, BuildError> {
    SendMessageBatchRequestEntry::builder()
        .id(index.to_string())
        .message_body(body)
        .message_attributes("brand", attribute(&event.event.brand)?)
        .message_attributes("type", attribute(event.event.kind.as_str())?)
        .build()
}
