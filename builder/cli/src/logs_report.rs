//! `formroute logs report`: marketing's report over the archived beacon events, from a folder or an `s3://` prefix.
//!
//! Reads every `*.ndjson.gz` / `*.ndjson` file under `--from`, one at a time, and streams its
//! lines into `formroute_core::report::Aggregator` (bounded memory: see that module). A reader
//! thread lists, downloads and gunzips while the main thread parses and counts, so both cores
//! work; the channel between them holds at most [`CHANNEL_CHUNKS`] chunks of [`CHUNK_BYTES`].
//! Archive objects whose partition path (`brand=B/dt=D/hour=H`) lies outside `--brand`,
//! `--since`, `--until` are skipped without being read. Data goes to stdout (or `--html FILE`),
//! progress to stderr: a bar on a terminal, a plain line per tenth otherwise.

use anyhow::{anyhow, bail, Context, Result};
use flate2::read::MultiGzDecoder;
use formroute_core::report::{self, Aggregator, Filter, Report};
use std::fmt::Write as _;
use std::io::{BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::time::{Duration, Instant};

/// Bytes of decompressed text per chunk sent from the reader thread.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks in flight between the reader and the aggregator.
const CHANNEL_CHUNKS: usize = 4;

/// `formroute logs ...`: the beacon logs.
#[derive(clap::Args, Debug)]
pub struct LogsArgs {
    #[command(subcommand)]
    pub command: LogsCommand,
}

/// Subcommands of `formroute logs`.
#[derive(clap::Subcommand, Debug)]
pub enum LogsCommand {
    /// Report on archived beacon events: resolves, fallbacks, unknown ZIPs, timings.
    Report(ReportArgs),
}

/// Output format of the report on stdout.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Tables for a terminal.
    Table,
    /// The whole report as one JSON document.
    Json,
    /// Long-format CSV (`table,brand,key,detail,value`) for spreadsheets and pivot tables.
    Csv,
}

/// `formroute logs report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Archive to read: a folder (searched recursively), one file, or `s3://BUCKET/PREFIX`.
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub from: String,
    /// Only events received at or after this time (UTC): YYYY-MM-DD, YYYY-MM-DDTHH:MMZ, YYYY-MM-DDTHH:MM:SSZ or epoch ms.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only events received before this time (UTC), same forms as --since.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only these brands (repeat the flag or separate with commas).
    #[arg(long, value_name = "BRAND", value_delimiter = ',')]
    pub brand: Vec<String>,
    /// Format of what goes to stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write a self-contained HTML report (charts, state map) to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Rows shown per long table on the terminal and in the HTML file.
    #[arg(long, default_value_t = 15)]
    pub top: usize,
    /// Rows kept per long table in JSON and CSV (unknown ZIPs, states, reasons, versions).
    #[arg(long, default_value_t = 1000)]
    pub limit: usize,
}

/// Runs `formroute logs SUBCOMMAND`.
pub fn run(args: LogsArgs) -> Result<()> {
    match args.command {
        LogsCommand::Report(a) => run_report(a),
    }
}

fn run_report(args: ReportArgs) -> Result<()> {
    let filter = Filter {
        since_ms: args
            .since
            .as_deref()
            .map(report::parse_time)
            .transpose()
            .context("--since")?,
        until_ms: args
            .until
            .as_deref()
            .map(report::parse_time)
            .transpose()
            .context("--until")?,
        brands: args.brand.clone(),
    };
    let source = Source::parse(&args.from)?;
    let report = aggregate(&source, filter, args.limit)?;

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Table => out.write_all(render_tables(&report, args.top).as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            out.write_all(b"\n")?;
        }
        Format::Csv => write_csv(&report, &mut out)?,
    }
    out.flush()?;
    if let Some(path) = &args.html {
        let html = crate::report_html::render(&report, args.top);
        write_atomically(path, html.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("logs report: wrote {}", path.display());
    }
    Ok(())
}

/// Where the archive is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local folder or file.
    Local(PathBuf),
    /// `s3://bucket/prefix`.
    S3 { bucket: String, prefix: String },
}

impl Source {
    /// Parses `--from`.
    pub fn parse(from: &str) -> Result<Source> {
        if from.starts_with("s3://") {
            let Some((bucket, prefix)) = crate::s3layout::parse_s3_url(from) else {
                bail!("--from {from}: no bucket name after s3://");
            };
            return Ok(Source::S3 { bucket, prefix });
        }
        let p = PathBuf::from(from);
        if !p.exists() {
            bail!("--from {from}: no such folder or file");
        }
        Ok(Source::Local(p))
    }
}

/// Whether a file or object name is an event archive this command reads.
fn is_archive_name(name: &str) -> bool {
    [".ndjson.gz", ".ndjson", ".jsonl", ".jsonl.gz"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// One input file: where it is, its size, and its dedupe window (its brand and day).
struct Item {
    name: String,
    bytes: u64,
    window: Option<String>,
}

/// Lists the inputs, skipping partitions the filter excludes, sorted by name.
fn keep_item(filter: &Filter, name: String, bytes: u64) -> Option<Item> {
    let window = match report::parse_partition(&name) {
        Some((brand, hour)) => {
            if !filter.may_keep_partition(brand, hour) {
                return None;
            }
            // One window per brand and day, across its hours: a page's retry after a 503 is
            // received later, maybe in the next hour's partition, with the same event ids.
            let (day, _) = report::partition_of(hour);
            Some(format!("brand={brand}/dt={day}"))
        }
        None => None,
    };
    Some(Item {
        name,
        bytes,
        window,
    })
}

fn list_local(root: &Path, filter: &Filter) -> Result<Vec<Item>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = std::fs::metadata(&p).with_context(|| format!("reading {}", p.display()))?;
        if meta.is_dir() {
            for e in std::fs::read_dir(&p).with_context(|| format!("listing {}", p.display()))? {
                stack.push(e?.path());
            }
        } else if p == root || is_archive_name(&p.to_string_lossy()) {
            let name = p.to_string_lossy().into_owned();
            out.extend(keep_item(filter, name, meta.len()));
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Messages from the reader thread.
enum Msg {
    /// File number `index` starts.
    File {
        index: usize,
        window: Option<String>,
    },
    /// Whole lines of text (the last one may lack its newline at the end of a file).
    Lines(Vec<u8>),
    /// The current file could not be read to its end: a warning, the rest goes on.
    Unreadable(String),
    /// Listing or connecting failed: the report cannot be made.
    Fatal(anyhow::Error),
}

fn aggregate(source: &Source, filter: Filter, limit: usize) -> Result<Report> {
    let started = Instant::now();
    let (list_tx, list_rx) = sync_channel::<(usize, u64)>(1);
    let (tx, rx) = sync_channel::<Msg>(CHANNEL_CHUNKS);
    let source = source.clone();
    let reader_filter = filter.clone();
    let reader = std::thread::Builder::new()
        .name("logs-reader".into())
        .spawn(move || read_all(&source, &reader_filter, &list_tx, &tx))
        .context("starting the reader thread")?;

    let mut agg = Aggregator::new(filter, limit.max(report::DEFAULT_TOP_K));
    let (files, total_bytes) = list_rx.recv().unwrap_or((0, 0));
    let mut progress = Progress::new(files, total_bytes);
    let mut unreadable = 0u64;
    let mut fatal = None;
    for msg in rx {
        match msg {
            Msg::File { index, window } => {
                agg.start_window(window.as_deref());
                progress.file(index);
            }
            Msg::Lines(buf) => {
                for line in buf.split(|b| *b == b'\n') {
                    agg.add_line(line);
                }
                progress.lines(&agg);
            }
            Msg::Unreadable(why) => {
                unreadable += 1;
                progress.clear();
                eprintln!("logs report: warning: {why}; the lines read before are counted");
            }
            Msg::Fatal(e) => fatal = Some(e),
        }
    }
    progress.clear();
    if reader.join().is_err() {
        bail!("the reader thread stopped unexpectedly");
    }
    if let Some(e) = fatal {
        return Err(e);
    }
    let report = agg.finish(limit);
    eprintln!(
        "logs report: {} files ({} skipped by partition, {} unreadable), {} lines, {} events, {} duplicates, {} malformed in {:.2} s",
        report.input.files,
        files.saturating_sub(report.input.files as usize),
        unreadable,
        report.input.lines,
        report.input.events,
        report.input.duplicates,
        report.input.malformed,
        started.elapsed().as_secs_f64()
    );
    Ok(report)
}

/// The reader thread: list, then for each file send its partition and its text in chunks.
fn read_all(
    source: &Source,
    filter: &Filter,
    list_tx: &SyncSender<(usize, u64)>,
    tx: &SyncSender<Msg>,
) {
    let fail = |e: anyhow::Error| {
        let _ = list_tx.send((0, 0));
        let _ = tx.send(Msg::Fatal(e));
    };
    match source {
        Source::Local(root) => {
            let items = match list_local(root, filter) {
                Ok(i) => i,
                Err(e) => return fail(e),
            };
            let _ = list_tx.send((items.len(), items.iter().map(|i| i.bytes).sum()));
            for (index, item) in items.into_iter().enumerate() {
                let name = item.name.clone();
                let file = match std::fs::File::open(&item.name) {
                    Ok(f) => f,
                    Err(e) => {
                        let _ = tx.send(Msg::Unreadable(format!("{name}: {e}")));
                        continue;
                    }
                };
                if !send_file(tx, index, item, BufReader::with_capacity(1 << 16, file)) {
                    return;
                }
            }
        }
        Source::S3 { bucket, prefix } => {
            // One worker: the next object downloads while this thread gunzips the current one.
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return fail(e.into()),
            };
            let client = rt.block_on(crate::s3layout::s3_client());
            let items = match rt.block_on(list_s3(&client, bucket, prefix, filter)) {
                Ok(i) => i,
                Err(e) => return fail(e),
            };
            let _ = list_tx.send((items.len(), items.iter().map(|i| i.bytes).sum()));
            let names: Vec<String> = items.iter().map(|i| i.name.clone()).collect();
            let mut next = names.first().map(|n| spawn_get(&rt, &client, bucket, n));
            for (index, item) in items.into_iter().enumerate() {
                let Some(handle) = next.take() else { break };
                // At most one object is held ahead of the one being read.
                next = names
                    .get(index + 1)
                    .map(|n| spawn_get(&rt, &client, bucket, n));
                let bytes = match rt.block_on(handle) {
                    Ok(Ok(b)) => b,
                    Ok(Err(e)) => {
                        let why = format!("s3://{bucket}/{}: {e:#}", item.name);
                        let _ = tx.send(Msg::Unreadable(why));
                        continue;
                    }
                    Err(e) => {
                        let why = format!("s3://{bucket}/{}: {e}", item.name);
                        let _ = tx.send(Msg::Unreadable(why));
                        continue;
                    }
                };
                if !send_file(tx, index, item, std::io::Cursor::new(bytes)) {
                    return;
                }
            }
        }
    }
}

/// Streams one file's text (gunzipped when its name says so) as chunks of whole lines.
/// Returns false when the receiver is gone.
fn send_file(tx: &SyncSender<Msg>, index: usize, item: Item, raw: impl Read) -> bool {
    if tx
        .send(Msg::File {
            index,
            window: item.window.clone(),
        })
        .is_err()
    {
        return false;
    }
    let mut reader: Box<dyn Read> = if item.name.ends_with(".gz") {
        Box::new(MultiGzDecoder::new(BufReader::with_capacity(1 << 16, raw)))
    } else {
        Box::new(raw)
    };
    let mut buf = Vec::with_capacity(CHUNK_BYTES + (1 << 16));
    loop {
        let start = buf.len();
        buf.resize(start + (1 << 16), 0);
        let n = match reader.read(&mut buf[start..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                buf.truncate(start);
                continue;
            }
            Err(e) => {
                buf.truncate(start);
                let _ = tx.send(Msg::Lines(std::mem::take(&mut buf)));
                return tx
                    .send(Msg::Unreadable(format!("{}: {e}", item.name)))
                    .is_ok();
            }
        };
        buf.truncate(start + n);
        if n == 0 {
            return buf.is_empty() || tx.send(Msg::Lines(buf)).is_ok();
        }
        if buf.len() >= CHUNK_BYTES {
            // Send the whole lines, keep the unfinished one for the next chunk.
            let cut = buf.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            if cut > 0 {
                let rest = buf.split_off(cut);
                let full = std::mem::replace(&mut buf, rest);
                buf.reserve(CHUNK_BYTES);
                if tx.send(Msg::Lines(full)).is_err() {
                    return false;
                }
            }
        }
    }
}

async fn list_s3(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    filter: &Filter,
) -> Result<Vec<Item>> {
    let mut items: Vec<Item> = crate::s3layout::list_objects(client, bucket, prefix)
        .await?
        .into_iter()
        .filter(|(key, _)| is_archive_name(key))
        .filter_map(|(key, size)| keep_item(filter, key, size))
        .collect();
    items.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(items)
}

fn spawn_get(
    rt: &tokio::runtime::Runtime,
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> tokio::task::JoinHandle<Result<Vec<u8>>> {
    let client = client.clone();
    let bucket = bucket.to_string();
    let key = key.to_string();
    rt.spawn(async move {
        let obj = client
            .get_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| anyhow!(aws_sdk_s3::error::DisplayErrorContext(e).to_string()))?;
        let body = obj
            .body
            .collect()
            .await
            .context("reading the object body")?;
        Ok(body.into_bytes().to_vec())
    })
}

/// Progress on stderr: a redrawn bar on a terminal, a plain line per tenth of the files otherwise.
struct Progress {
    files: usize,
    bytes: u64,
    done: usize,
    tty: bool,
    last_draw: Instant,
    last_tenth: usize,
    drawn: bool,
    events: u64,
}

impl Progress {
    fn new(files: usize, bytes: u64) -> Self {
        let tty = std::io::stderr().is_terminal();
        eprintln!(
            "logs report: reading {files} files ({:.1} MB)",
            bytes as f64 / 1e6
        );
        Progress {
            files,
            bytes,
            done: 0,
            tty,
            last_draw: Instant::now(),
            last_tenth: 0,
            drawn: false,
            events: 0,
        }
    }

    fn file(&mut self, index: usize) {
        self.done = index + 1;
        if self.tty {
            self.draw(false);
        } else if self.files >= 10 {
            let tenth = self.done * 10 / self.files;
            if tenth > self.last_tenth {
                self.last_tenth = tenth;
                eprintln!(
                    "logs report: {}% ({}/{} files, {} lines)",
                    tenth * 10,
                    self.done,
                    self.files,
                    self.events
                );
            }
        }
    }

    fn lines(&mut self, agg: &Aggregator) {
        self.events = agg.lines_read();
        if self.tty {
            self.draw(false);
        }
    }

    fn draw(&mut self, force: bool) {
        if !force && self.last_draw.elapsed() < Duration::from_millis(100) {
            return;
        }
        self.last_draw = Instant::now();
        let width = 30;
        let filled = (self.done * width)
            .checked_div(self.files)
            .unwrap_or(width)
            .min(width);
        let mut line = String::new();
        let _ = write!(
            line,
            "\r[{}{}] {}/{} files of {:.1} MB, {} lines",
            "#".repeat(filled),
            "-".repeat(width - filled),
            self.done,
            self.files,
            self.bytes as f64 / 1e6,
            self.events
        );
        eprint!("{line}");
        self.drawn = true;
    }

    fn clear(&mut self) {
        if self.drawn {
            eprint!("\r{}\r", " ".repeat(72));
            self.drawn = false;
        }
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, so no half file is left.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp-formroute");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

// ---- terminal tables ------------------------------------------------------------------------

/// A plain text table: first column left-aligned, the others right-aligned.
fn table(out: &mut String, title: &str, head: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "\n{title}");
    if rows.is_empty() {
        let _ = writeln!(out, "  (none)");
        return;
    }
    let mut w: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            let pad = w[i] - c.chars().count();
            // Left-align text columns (all but trailing numeric ones): the leading ones up to the first number.
            if i < cells.len() && !looks_numeric(c) {
                let _ = write!(s, " {c}{}", " ".repeat(pad));
            } else {
                let _ = write!(s, " {}{c}", " ".repeat(pad));
            }
        }
        s.trim_end().to_string()
    };
    let head: Vec<String> = head.iter().map(|h| h.to_string()).collect();
    let _ = writeln!(out, "{}", line(&head));
    let _ = writeln!(
        out,
        "  {}",
        w.iter()
            .map(|n| "-".repeat(*n))
            .collect::<Vec<_>>()
            .join(" ")
    );
    for r in rows {
        let _ = writeln!(out, "{}", line(r));
    }
}

fn looks_numeric(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'%' | b',' | b'-'))
        && s.bytes().any(|b| b.is_ascii_digit())
}

/// A share (0..=1) as a percentage with one decimal.
pub(crate) fn pct(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

/// The cells of one brand's row, in the order the terminal and HTML reports both show them:
/// brand, resolves, ok, fallbacks, fallback rate, resolve p50 and p95, loads, load errors.
/// `count` and `ms` format numbers for the medium.
pub(crate) fn brand_cells(
    b: &report::BrandRow,
    count: fn(u64) -> String,
    ms: fn(Option<f64>) -> String,
) -> Vec<String> {
    vec![
        b.brand.clone(),
        count(b.resolves),
        count(b.ok),
        count(b.fallbacks),
        pct(b.fallback_rate),
        ms(b.resolve_ms.p50),
        ms(b.resolve_ms.p95),
        count(b.loads),
        count(b.load_errors),
    ]
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.1}"))
}

/// Shows a visitor-typed value on one terminal line: control characters escaped, at most 40 chars.
fn shown(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(40)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    if out.is_empty() {
        out.push_str("(empty)");
    }
    out
}

/// The terminal report.
pub fn render_tables(r: &Report, top: usize) -> String {
    let mut o = String::new();
    let t = &r.totals;
    let _ = writeln!(
        o,
        "formroute beacon report: {} events from {} to {}{}",
        r.input.events,
        r.first_event.as_deref().unwrap_or("-"),
        r.last_event.as_deref().unwrap_or("-"),
        if r.filter.brands.is_empty() {
            String::new()
        } else {
            format!(" (brands: {})", r.filter.brands.join(", "))
        }
    );
    let _ = writeln!(
        o,
        "resolves {}  ok {}  fallbacks {} ({})  loads {}  load errors {}  bot events {}",
        t.resolves,
        t.ok,
        t.fallbacks,
        pct(t.fallback_rate),
        t.loads,
        t.load_errors,
        t.bot_events
    );
    let _ = writeln!(
        o,
        "time to resolve p50 {} ms  p95 {} ms   artifact load p50 {} ms  p95 {} ms",
        ms(t.resolve_ms.p50),
        ms(t.resolve_ms.p95),
        ms(t.load_ms.p50),
        ms(t.load_ms.p95)
    );
    if r.approximate {
        let _ = writeln!(
            o,
            "note: rare keys were dropped from some long tables; counts there may be low by up to {}",
            r.count_error_bound
        );
    }

    let rows: Vec<Vec<String>> = r
        .brands
        .iter()
        .map(|b| brand_cells(b, |n| n.to_string(), ms))
        .collect();
    table(
        &mut o,
        "Brands",
        &[
            "brand",
            "resolves",
            "ok",
            "fallbacks",
            "rate",
            "p50 ms",
            "p95 ms",
            "loads",
            "load err",
        ],
        &rows,
    );

    let rows: Vec<Vec<String>> = r
        .resolves
        .iter()
        .map(|x| {
            vec![
                x.brand.clone(),
                shown(&x.product),
                x.outcome.clone(),
                x.count.to_string(),
            ]
        })
        .take(top.max(1) * 4)
        .collect();
    table(
        &mut o,
        "Resolves by brand, product and outcome",
        &["brand", "product", "outcome", "count"],
        &rows,
    );

    let rows: Vec<Vec<String>> = r
        .form_types
        .iter()
        .map(|x| {
            vec![
                x.brand.clone(),
                x.form_type.clone(),
                x.count.to_string(),
                pct(x.share),
            ]
        })
        .collect();
    table(
        &mut o,
        "Form types (successful resolves)",
        &["brand", "form type", "count", "share"],
        &rows,
    );

    let rows: Vec<Vec<String>> = r
        .states
        .iter()
        .take(top)
        .map(|x| vec![x.state.clone(), x.count.to_string(), pct(x.share)])
        .collect();
    table(
        &mut o,
        &format!("Top states (of {})", r.states.len()),
        &["state", "resolves", "share"],
        &rows,
    );

    let rows: Vec<Vec<String>> = r
        .fallback_reasons
        .iter()
        .map(|x| {
            vec![
                x.brand.clone(),
                shown(&x.reason),
                x.count.to_string(),
                pct(x.share),
            ]
        })
        .collect();
    table(
        &mut o,
        "Fallback reasons (share of the brand's resolves)",
        &["brand", "reason", "count", "share"],
        &rows,
    );

    let rows: Vec<Vec<String>> = r
        .unknown_zips
        .iter()
        .take(top)
        .map(|x| vec![x.zip.clone(), x.brand.clone(), x.count.to_string()])
        .collect();
    table(
        &mut o,
        &format!(
            "Unknown ZIPs visitors typed: the data team's to-do list (top {} of {})",
            rows.len(),
            r.unknown_zips.len()
        ),
        &["zip", "brand", "count"],
        &rows,
    );

    let rows: Vec<Vec<String>> = r
        .artifact_versions
        .iter()
        .map(|x| vec![x.brand.clone(), shown(&x.version), x.count.to_string()])
        .collect();
    table(
        &mut o,
        "Artifact versions in use (events carrying `av`)",
        &["brand", "version", "events"],
        &rows,
    );
    let _ = writeln!(
        o,
        "\nread {} files, {} lines: {} duplicates dropped, {} malformed, {} outside the filters",
        r.input.files, r.input.lines, r.input.duplicates, r.input.malformed, r.input.filtered_out
    );
    o
}

// ---- CSV ------------------------------------------------------------------------------------

/// One CSV row writer: table, brand, key, detail, value.
type RowFn<'a> = dyn FnMut(&str, &str, &str, &str, String) -> csv::Result<()> + 'a;

/// Long-format CSV: one number per row, `table,brand,key,detail,value`; `brand` is `*` for totals.
pub fn write_csv(r: &Report, out: &mut impl Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["table", "brand", "key", "detail", "value"])?;
    let mut row =
        |t: &str, b: &str, k: &str, d: &str, v: String| w.write_record([t, b, k, d, v.as_str()]);
    let timing =
        |row: &mut RowFn<'_>, brand: &str, key: &str, t: &report::Timing| -> csv::Result<()> {
            row("timing", brand, key, "count", t.count.to_string())?;
            for (d, v) in [("p50", t.p50), ("p95", t.p95), ("max", t.max)] {
                if let Some(v) = v {
                    row("timing", brand, key, d, v.to_string())?;
                }
            }
            Ok(())
        };
    let t = &r.totals;
    for (k, v) in [
        ("resolves", t.resolves),
        ("ok", t.ok),
        ("fallbacks", t.fallbacks),
        ("loads", t.loads),
        ("load_errors", t.load_errors),
        ("bot_events", t.bot_events),
        ("duplicates", r.input.duplicates),
        ("malformed", r.input.malformed),
    ] {
        row("totals", "*", k, "", v.to_string())?;
    }
    row(
        "totals",
        "*",
        "fallback_rate",
        "",
        t.fallback_rate.to_string(),
    )?;
    timing(&mut row, "*", "resolve_ms", &t.resolve_ms)?;
    timing(&mut row, "*", "load_ms", &t.load_ms)?;
    for b in &r.brands {
        for (k, v) in [
            ("resolves", b.resolves),
            ("ok", b.ok),
            ("fallbacks", b.fallbacks),
            ("loads", b.loads),
            ("load_errors", b.load_errors),
            ("bot_events", b.bot_events),
        ] {
            row("brands", &b.brand, k, "", v.to_string())?;
        }
        row(
            "brands",
            &b.brand,
            "fallback_rate",
            "",
            b.fallback_rate.to_string(),
        )?;
        timing(&mut row, &b.brand, "resolve_ms", &b.resolve_ms)?;
        timing(&mut row, &b.brand, "load_ms", &b.load_ms)?;
    }
    for x in &r.resolves {
        row(
            "resolves",
            &x.brand,
            &x.product,
            &x.outcome,
            x.count.to_string(),
        )?;
    }
    for x in &r.form_types {
        row(
            "form_types",
            &x.brand,
            &x.form_type,
            "",
            x.count.to_string(),
        )?;
    }
    for x in &r.brand_states {
        row("states", &x.brand, &x.state, "", x.count.to_string())?;
    }
    for x in &r.fallback_reasons {
        row(
            "fallback_reasons",
            &x.brand,
            &x.reason,
            "",
            x.count.to_string(),
        )?;
    }
    for x in &r.unknown_zips {
        row("unknown_zips", &x.brand, &x.zip, "", x.count.to_string())?;
    }
    for x in &r.artifact_versions {
        row(
            "artifact_versions",
            &x.brand,
            &x.version,
            "",
            x.count.to_string(),
        )?;
    }
    for d in &r.days {
        row("days", "*", &d.day, "resolves", d.resolves.to_string())?;
        row("days", "*", &d.day, "fallbacks", d.fallbacks.to_string())?;
        row("days", "*", &d.day, "loads", d.loads.to_string())?;
    }
    w.flush()?;
    Ok(())
}
