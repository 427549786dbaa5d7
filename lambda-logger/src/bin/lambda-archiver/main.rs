//! The lambda-archiver binary: archives queued beacon events to S3, as an SQS-triggered AWS Lambda or locally with `drain`.
//!
//! On Lambda (when `AWS_LAMBDA_RUNTIME_API` is set) it reads `FORMROUTE_ARCHIVE_TO`
//! (`s3://BUCKET/PREFIX`) and answers each SQS batch with its partial failures.
//! Locally: `lambda-archiver drain --queue-url URL --to DIR|s3://BUCKET/PREFIX`, or with no queue at
//! all `lambda-archiver drain --from-spool FILE --to DIR` (the spool of `lambda-logger serve`).

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use lambda_logger::archive::drain::{drain, drain_spool, sqs_client, DrainOptions};
use lambda_logger::archive::store::Store;
use std::process::ExitCode;
use std::time::Duration;

/// lambda-archiver: archives queued beacon events as gzipped NDJSON partitions (events/brand=B/dt=D/hour=H/), on AWS Lambda (SQS-triggered) or locally with `drain`.
#[derive(Parser)]
#[command(name = "lambda-archiver", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read the queue until it is empty: receive, write, then delete what was written
    /// (or archive a local spool file with `--from-spool`, no SQS needed).
    Drain {
        /// The SQS queue URL.
        #[arg(
            long,
            required_unless_present = "from_spool",
            conflicts_with = "from_spool"
        )]
        queue_url: Option<String>,
        /// Archive this spool file (NDJSON of `lambda-logger serve --spool` or `formroute serve`)
        /// instead of a queue; the file is only read.
        #[arg(long, value_name = "FILE")]
        from_spool: Option<std::path::PathBuf>,
        /// A local folder or s3://BUCKET/PREFIX.
        #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
        to: String,
        /// Most messages per batch (one object per partition per batch).
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// Longest time spent gathering one batch, seconds.
        #[arg(long, default_value_t = 10)]
        batch_seconds: u64,
        /// Visibility timeout asked for on receive, seconds.
        #[arg(long, default_value_t = 60)]
        visibility_timeout: i32,
        /// Long-poll wait of each receive, seconds (0 to 20).
        #[arg(long, default_value_t = 1)]
        wait: i32,
        /// Keep polling after the queue is empty.
        #[arg(long)]
        follow: bool,
    },
}

fn main() -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lambda-archiver: error: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        rt.block_on(on_lambda())
    } else {
        rt.block_on(run(Cli::parse()))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lambda-archiver: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn on_lambda() -> Result<()> {
    let target = std::env::var("FORMROUTE_ARCHIVE_TO")
        .context("FORMROUTE_ARCHIVE_TO (s3://BUCKET/PREFIX) is not set")?;
    let store = Store::from_target(&target).await?;
    let store = &store;
    // What this warm instance archived, so later copies of those events are dropped.
    let seen = &std::sync::Mutex::new(lambda_logger::archive::Seen::default());
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| async move {
            Ok::<_, lambda_runtime::Error>(lambda_logger::archive::lambda::handle(store, seen, event.payload).await)
        },
    ))
    .await
    .map_err(|e| anyhow::anyhow!("Lambda runtime: {e}"))
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Drain {
            queue_url,
            to,
            batch,
            batch_seconds,
            visibility_timeout,
            wait,
            follow,
            from_spool,
        } => {
            let store = Store::from_target(&to).await?;
            let Some(queue_url) = queue_url else {
                // clap requires one of the two.
                let spool = from_spool.context("--queue-url or --from-spool is required")?;
                let s = drain_spool(&spool, &store, batch).await?;
                eprintln!(
                    "lambda-archiver: archived {} lines of {} in {} batches: {} events in {} objects under {}, {} duplicates dropped, {} lines skipped",
                    s.messages, spool.display(), s.batches, s.events, s.objects, store.describe(), s.duplicates, s.poison
                );
                println!(
                    "{}",
                    serde_json::json!({
                        "lines": s.messages, "batches": s.batches, "events": s.events, "objects": s.objects,
                        "duplicates": s.duplicates, "skipped": s.poison
                    })
                );
                return Ok(());
            };
            let sqs = sqs_client(&queue_url).await;
            let opts = DrainOptions {
                queue_url,
                batch_messages: batch.max(1),
                batch_time: Duration::from_secs(batch_seconds.max(1)),
                visibility_timeout,
                wait_seconds: wait.clamp(0, 20),
                follow,
            };
            let s = drain(&sqs, &store, &opts).await?;
            eprintln!(
                "lambda-archiver: drained {} messages in {} batches: {} events in {} objects, {} duplicates dropped, {} poison left for the dead-letter queue, {} objects failed",
                s.messages, s.batches, s.events, s.objects, s.duplicates, s.poison, s.failed_objects
            );
            println!(
                "{}",
                serde_json::json!({
                    "messages": s.messages, "batches": s.batches, "events": s.events, "objects": s.objects,
                    "duplicates": s.duplicates, "poison": s.poison, "failed_objects": s.failed_objects, "deleted": s.deleted
                })
            );
            Ok(())
        }
    }
}
