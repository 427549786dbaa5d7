//! `formroute logs report`: marketing's report over the archived beacon events, from a folder or an `s3://` prefix.
//!
//! Reads every `*.ndjson.gz` / `*.ndjson` file under `--from` ([`crate::logs::read`]) into the
//! bounded-memory [`crate::logs::aggregate::Aggregator`], then renders the report as tables,
//! JSON or CSV on stdout and optionally HTML to a file. Progress goes to stderr.

use crate::logs::aggregate::{parse_time, Filter};
use crate::logs::read::{read_report, Source};
use crate::logs::{csv, html, text};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `formroute logs ...`: the beacon logs.
#[derive(clap::Args, Debug)]
pub(crate) struct LogsArgs {
    #[command(subcommand)]
    pub(crate) command: LogsCommand,
}

/// Subcommands of `formroute logs`.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum LogsCommand {
    /// Report on archived beacon events: resolves, fallbacks, unknown ZIPs, timings.
    Report(ReportArgs),
}

/// Output format of the report on stdout.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Tables for a terminal.
    Table,
    /// The whole report as one JSON document.
    Json,
    /// Long-format CSV (`table,brand,key,detail,value`) for spreadsheets and pivot tables.
    Csv,
}

/// `formroute logs report`.
#[derive(clap::Args, Debug)]
pub(crate) struct ReportArgs {
    /// Archive to read: a folder (searched recursively), one file, or `s3://BUCKET/PREFIX`.
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub(crate) from: String,
    /// Only events received at or after this time (UTC): YYYY-MM-DD, YYYY-MM-DDTHH:MMZ, YYYY-MM-DDTHH:MM:SSZ or epoch ms.
    #[arg(long, value_name = "TIME")]
    pub(crate) since: Option<String>,
    /// Only events received before this time (UTC), same forms as --since.
    #[arg(long, value_name = "TIME")]
    pub(crate) until: Option<String>,
    /// Only these brands (repeat the flag or separate with commas).
    #[arg(long, value_name = "BRAND", value_delimiter = ',')]
    pub(crate) brand: Vec<String>,
    /// Format of what goes to stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Also write a self-contained HTML report (charts, state map) to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
    /// Rows shown per long table on the terminal and in the HTML file.
    #[arg(long, default_value_t = 15)]
    pub(crate) top: usize,
    /// Rows kept per long table in JSON and CSV (unknown ZIPs, states, reasons, versions).
    #[arg(long, default_value_t = 1000)]
    pub(crate) limit: usize,
}

/// Runs `formroute logs SUBCOMMAND`.
pub(crate) fn run(args: LogsArgs) -> Result<ExitCode> {
    match args.command {
        LogsCommand::Report(a) => run_report(a).map(|()| ExitCode::SUCCESS),
    }
}

fn run_report(args: ReportArgs) -> Result<()> {
    let filter = Filter {
        since_ms: args
            .since
            .as_deref()
            .map(parse_time)
            .transpose()
            .context("--since")?,
        until_ms: args
            .until
            .as_deref()
            .map(parse_time)
            .transpose()
            .context("--until")?,
        brands: args.brand.clone(),
    };
    let source = Source::parse(&args.from)?;
    let report = read_report(&source, filter, args.limit)?;

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Table => out.write_all(text::render_tables(&report, args.top).as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            out.write_all(b"\n")?;
        }
        Format::Csv => csv::write_csv(&report, &mut out)?,
    }
    out.flush()?;
    if let Some(path) = &args.html {
        let html = html::render(&report, args.top);
        write_atomically(path, html.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("logs report: wrote {}", path.display());
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file and a rename, so no half file is left.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp-formroute");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
