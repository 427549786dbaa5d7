//! The lambda-logger binary: runs as an AWS Lambda when `AWS_LAMBDA_RUNTIME_API` is set, else as a local command (`serve`).

mod on_lambda;
mod serve;

use clap::{Parser, Subcommand};

/// The formroute beacon endpoint (POST /v1/events).
#[derive(Parser)]
#[command(name = "lambda-logger", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the endpoint locally over HTTP.
    Serve(serve::Args),
}

fn main() -> std::process::ExitCode {
    let result = if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        on_lambda::run()
    } else {
        match Cli::parse().command {
            Command::Serve(args) => serve::run(args),
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lambda-logger: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
