//! `formroute logs report`: marketing's report over the archived beacon events, from a folder or an `s3://` prefix.
//!
//! Reads every `*.ndjson.gz` / `*.ndjson` file under `--from` ([`crate::logs::read`]) into the
//! bounded-memory [`crate::logs::aggregate::Aggregator`], then renders the report as tables,
//! JSON or CSV on stdout and optionally HTML to a file. Progress and warnings go to stderr.

use crate::logs::aggregate::{parse_time, Aggregator, Filter, StateLookup, DEFAULT_TOP_K};
use crate::logs::read::{read_report, Source};
use crate::logs::{csv, html, text};
use anyhow::{Context, Result};
use formroute_core::resolve::ArtifactSet;
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
    /// Long-format CSV (`table,brand,day,key,detail,value`) for spreadsheets and pivot tables;
    /// text cells that a spreadsheet would run as a formula start with `'`.
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
    /// Count the events the logger flagged as robots, crawlers or scripts (left out by default).
    #[arg(long)]
    pub(crate) include_bots: bool,
    /// A build folder (`formroute build --out`): failed lookups are mapped to the state of
    /// their ZIP with its artifacts ("where demand goes unmet").
    #[arg(long, value_name = "DIR")]
    pub(crate) artifacts: Option<PathBuf>,
    /// Exit with status 2 when the report counts no event (a mistyped `--from`, a period
    /// without data), after printing it.
    #[arg(long)]
    pub(crate) strict: bool,
}

/// Exit status of `--strict` when the report is empty (1 stays for errors).
const EMPTY_REPORT: u8 = 2;

/// Runs `formroute logs SUBCOMMAND`.
pub(crate) fn run(args: LogsArgs) -> Result<ExitCode> {
    match args.command {
        LogsCommand::Report(a) => run_report(a),
    }
}

/// The state of each ZIP from the build at `dir`: the brand's own artifact, else any usable one
/// (every artifact of a build holds every ZIP of `zips.csv` with its state).
fn state_lookup(dir: &Path) -> Result<StateLookup> {
    let set = ArtifactSet::open(dir).with_context(|| {
        format!(
            "--artifacts {}: not a build folder (make one with `formroute build --out DIR`)",
            dir.display()
        )
    })?;
    for (brand, problem) in set.problems() {
        eprintln!("logs report: warning: --artifacts: brand `{brand}` is unusable ({problem}); its ZIPs are mapped with another brand's artifact");
    }
    let slugs: Vec<String> = set.manifest.brands.keys().cloned().collect();
    if !slugs.iter().any(|b| set.brand(b).is_some()) {
        anyhow::bail!(
            "--artifacts {}: no brand's artifact is usable (see the warnings above): rebuild it",
            dir.display()
        );
    }
    Ok(StateLookup(Box::new(move |brand, zip| {
        let own = set.brand(brand).and_then(|b| b.artifact.state_of(zip));
        let state = own.or_else(|| {
            slugs
                .iter()
                .filter_map(|b| set.brand(b))
                .find_map(|b| b.artifact.state_of(zip))
        })?;
        formroute_core::usps::code(state)
    })))
}

fn run_report(args: ReportArgs) -> Result<ExitCode> {
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
    let mut agg =
        Aggregator::new(filter, args.limit.max(DEFAULT_TOP_K)).include_bots(args.include_bots);
    if let Some(dir) = &args.artifacts {
        agg = agg.with_states(dir.display().to_string(), state_lookup(dir)?);
    }
    let report = read_report(&source, agg, args.limit)?;

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
    if report.input.events == 0 {
        let i = &report.input;
        // Say what was there, so a typo in the prefix and an empty period read differently.
        let why = if i.files == 0 && i.files_skipped > 0 {
            format!(
                "the {} under {} lie outside the period or brands asked for",
                formroute_core::coverage::plural(i.files_skipped, "archive file"),
                args.from
            )
        } else if i.files == 0 {
            format!("no archive file under {} (is the prefix right?)", args.from)
        } else if i.lines == 0 {
            format!(
                "{} read, all empty",
                formroute_core::coverage::plural(i.files, "file")
            )
        } else {
            format!(
                "{} read: {} outside the period or brands, {}, {}, {}",
                formroute_core::coverage::plural(i.lines, "line"),
                formroute_core::coverage::plural(i.filtered_out, "event"),
                formroute_core::coverage::plural(i.bots_excluded, "bot event"),
                formroute_core::coverage::plural(i.duplicates, "duplicate"),
                formroute_core::coverage::plural(i.malformed, "malformed line")
            )
        };
        eprintln!("logs report: warning: the report is empty: {why}");
        if args.strict {
            return Ok(ExitCode::from(EMPTY_REPORT));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to `path` through a temporary file and a rename, so no half file is left.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp-formroute");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
