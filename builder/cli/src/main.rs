//! The `formroute` command: a thin clap shell over `formroute-core`, one subcommand per file.

mod build;
mod coverage;
mod diff;
mod logs_report;
mod publish;
mod report_html;
mod resolve;
mod rollback;
mod s3layout;
mod serve;
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
    Build(build::Args),
    /// Resolve (brand, zip, product, language) queries from compiled artifacts, as NDJSON.
    Resolve(resolve::Args),
    /// Upload a build to S3 (immutable hashed files, then short-lived pointers) and invalidate CloudFront.
    Publish(publish::PublishArgs),
    /// Re-point one brand, or all, to an earlier published build.
    Rollback(rollback::RollbackArgs),
    /// Build data/ and serve artifacts, client snippet, demo page and beacon endpoint on one local port.
    Serve(serve::ServeArgs),
    /// Per brand and product, the form type of every state and what each ZIP override reaches (text, HTML map, JSON).
    Coverage(coverage::CoverageArgs),
    /// Compare two builds (folders or s3://bucket/prefix): per brand and product, the ZIPs whose form type or URL changes.
    Diff(diff::DiffArgs),
    /// The beacon logs: `logs report` summarises archived events for marketing and the data team.
    Logs(logs_report::LogsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => build::run(args),
        Command::Resolve(args) => resolve::run(args),
        Command::Publish(args) => publish::run(args).map(|()| ExitCode::SUCCESS),
        Command::Rollback(args) => rollback::run(args).map(|()| ExitCode::SUCCESS),
        Command::Serve(args) => serve::run(args).map(|()| ExitCode::SUCCESS),
        Command::Diff(args) => diff::run(args),
        Command::Coverage(args) => coverage::run(args).map(|()| ExitCode::SUCCESS),
        Command::Logs(args) => logs_report::run(args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("formroute: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
