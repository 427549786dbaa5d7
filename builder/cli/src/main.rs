//! The `formroute` command: a thin clap shell over `formroute-core`, one subcommand per file in `cmd/`.
//!
//! `cmd/` holds the subcommands, `publish/` the S3 layout, history, plans and their executor,
//! `logs/` the beacon report (read, aggregate, text, csv, html), and `aws.rs` the AWS plumbing.

mod aws;
mod client;
mod cmd;
mod encoding;
mod logs;
mod publish;
mod tilemap;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// formroute: compile the rule database into artifacts and resolve queries against them.
#[derive(Parser)]
#[command(name = "formroute", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate data/*.csv and compile it into per-brand artifacts and a manifest.
    Build(cmd::build::Args),
    /// Resolve (brand, zip, product, language) queries from compiled artifacts, as NDJSON.
    Resolve(cmd::resolve::Args),
    /// Upload a build to S3 (immutable hashed files, then short-lived pointers) and invalidate CloudFront.
    Publish(cmd::publish::PublishArgs),
    /// Re-point one brand, or all, to an earlier published build.
    Rollback(cmd::rollback::RollbackArgs),
    /// Build data/ and serve artifacts, client snippet, demo page and beacon endpoint on one local port.
    #[cfg(feature = "serve")]
    Serve(cmd::serve::ServeArgs),
    /// Per brand and product, the form type of every state and what each ZIP override reaches (text, HTML map, JSON).
    Coverage(cmd::coverage::CoverageArgs),
    /// Compare two builds (folders or s3://bucket/prefix): per brand and product, the ZIPs whose form type or URL changes.
    Diff(cmd::diff::DiffArgs),
    /// The beacon logs: `logs report` summarises archived events for marketing and the data team.
    Logs(cmd::logs::LogsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => cmd::build::run(args),
        Command::Resolve(args) => cmd::resolve::run(args),
        Command::Publish(args) => cmd::publish::run(args),
        Command::Rollback(args) => cmd::rollback::run(args),
        #[cfg(feature = "serve")]
        Command::Serve(args) => cmd::serve::run(args),
        Command::Diff(args) => cmd::diff::run(args),
        Command::Coverage(args) => cmd::coverage::run(args),
        Command::Logs(args) => cmd::logs::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("formroute: error: {}", chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, `: `-separated like `{:#}`, a cause left out when its
/// text is the one just written: the AWS SDK's modeled errors (`NoSuchBucket`, ...) repeat
/// their inner error's text as their own.
fn chain(e: &anyhow::Error) -> String {
    let mut text = String::new();
    let mut last = None;
    for cause in e.chain() {
        let this = cause.to_string();
        if last.as_ref() != Some(&this) {
            if last.is_some() {
                text.push_str(": ");
            }
            text.push_str(&this);
        }
        last = Some(this);
    }
    text
}
