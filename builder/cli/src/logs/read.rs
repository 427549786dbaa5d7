//! Reading the archive for `formroute logs report`: list a folder or an `s3://` prefix, skip partitions the filter excludes, and stream every file's lines into the aggregator.
//!
//! A reader thread lists, downloads and gunzips while the calling thread parses and counts, so
//! both cores work; the channel between them holds at most [`CHANNEL_CHUNKS`] chunks of
//! [`CHUNK_BYTES`]. Archive objects whose partition path (`brand=B/dt=D/hour=H`) lies outside
//! `--brand`, `--since`, `--until` are skipped without being read. Progress goes to stderr: a
//! bar on a terminal, a plain line per tenth otherwise.

use super::aggregate::{Aggregator, Filter};
use super::report::Report;
use anyhow::{bail, Context, Result};
use flate2::read::MultiGzDecoder;
use formroute_core::coverage::plural;
use formroute_events::archive::Partition;
use std::fmt::Write as _;
use std::io::{BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::time::{Duration, Instant};

/// Bytes of decompressed text per chunk sent from the reader thread.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks in flight between the reader and the aggregator.
const CHANNEL_CHUNKS: usize = 4;

/// Where the archive is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A local folder or file.
    Local(PathBuf),
    /// `s3://bucket/prefix`.
    S3 { bucket: String, prefix: String },
}

impl Source {
    /// Parses `--from`.
    pub(crate) fn parse(from: &str) -> Result<Source> {
        if from.starts_with("s3://") {
            let Some((bucket, prefix)) = crate::aws::parse_s3_url(from) else {
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
    let window = match Partition::parse(&name) {
        Some(p) => {
            if !filter.may_keep_partition(p.brand, p.hour_start_ms) {
                return None;
            }
            // One window per brand and day, across its hours: a page's retry after a 503 is
            // received later, maybe in the next hour's partition, with the same event ids.
            Some(p.day_folder())
        }
        None => None,
    };
    Some(Item {
        name,
        bytes,
        window,
    })
}

/// The listed inputs the filter keeps, and how many archive files it skipped.
type Listing = (Vec<Item>, u64);

fn list_local(root: &Path, filter: &Filter) -> Result<Listing> {
    let mut out = Vec::new();
    let mut skipped = 0u64;
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = std::fs::metadata(&p).with_context(|| format!("reading {}", p.display()))?;
        if meta.is_dir() {
            for e in std::fs::read_dir(&p).with_context(|| format!("listing {}", p.display()))? {
                stack.push(e?.path());
            }
        } else if p == root || is_archive_name(&p.to_string_lossy()) {
            let name = p.to_string_lossy().into_owned();
            match keep_item(filter, name, meta.len()) {
                Some(item) => out.push(item),
                None => skipped += 1,
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((out, skipped))
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

/// Reads the whole archive at `source` through `agg` into a report whose long tables keep
/// `limit` rows (see the module documentation).
pub(crate) fn read_report(source: &Source, mut agg: Aggregator, limit: usize) -> Result<Report> {
    let started = Instant::now();
    let (list_tx, list_rx) = sync_channel::<(usize, u64, u64)>(1);
    let (tx, rx) = sync_channel::<Msg>(CHANNEL_CHUNKS);
    let source = source.clone();
    let reader_filter = agg.filter().clone();
    let reader = std::thread::Builder::new()
        .name("logs-reader".into())
        .spawn(move || read_all(&source, &reader_filter, &list_tx, &tx))
        .context("starting the reader thread")?;

    let (files, total_bytes, skipped) = list_rx.recv().unwrap_or((0, 0, 0));
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
    let mut report = agg.finish(limit);
    report.input.files_skipped = skipped;
    let i = &report.input;
    eprintln!(
        "logs report: {} ({} skipped by partition, {} unreadable), {}, {}, {}, {}, {} left out in {:.2} s",
        plural(i.files, "file"),
        i.files_skipped,
        unreadable,
        plural(i.lines, "line"),
        plural(i.events, "event"),
        plural(i.duplicates, "duplicate"),
        plural(i.malformed, "malformed line"),
        plural(i.bots_excluded, "bot event"),
        started.elapsed().as_secs_f64()
    );
    Ok(report)
}

/// The reader thread: list, then for each file send its partition and its text in chunks.
fn read_all(
    source: &Source,
    filter: &Filter,
    list_tx: &SyncSender<(usize, u64, u64)>,
    tx: &SyncSender<Msg>,
) {
    let fail = |e: anyhow::Error| {
        let _ = list_tx.send((0, 0, 0));
        let _ = tx.send(Msg::Fatal(e));
    };
    match source {
        Source::Local(root) => {
            let (items, skipped) = match list_local(root, filter) {
                Ok(i) => i,
                Err(e) => return fail(e),
            };
            let _ = list_tx.send((items.len(), items.iter().map(|i| i.bytes).sum(), skipped));
            for (index, item) in items.into_iter().enumerate() {
                let name = item.name.clone();
                let file = match std::fs::File::open(&item.name) {
                    Ok(f) => f,
                    Err(e) => {
                        let _ = tx.send(Msg::Unreadable(format!("{name}: {e}")));
                        continue;
                    }
                };
                let gz = item.name.ends_with(".gz");
                if !send_file(tx, index, item, BufReader::with_capacity(1 << 16, file), gz) {
                    return;
                }
            }
        }
        Source::S3 { bucket, prefix } => {
            // The next object downloads while this thread gunzips the current one.
            let rt = match crate::aws::runtime() {
                Ok(rt) => rt,
                Err(e) => return fail(e),
            };
            let client = rt.block_on(crate::aws::s3_client());
            let (items, skipped) = match rt.block_on(list_s3(&client, bucket, prefix, filter)) {
                Ok(i) => i,
                Err(e) => return fail(e),
            };
            let _ = list_tx.send((items.len(), items.iter().map(|i| i.bytes).sum(), skipped));
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
                // `aws::get` already decoded an object stored with `Content-Encoding: gzip`;
                // the archiver's objects are gzip by name only.
                let gz = item.name.ends_with(".gz") && bytes.starts_with(&[0x1f, 0x8b]);
                if !send_file(tx, index, item, std::io::Cursor::new(bytes), gz) {
                    return;
                }
            }
        }
    }
}

/// Streams one file's text (gunzipped when `gz`) as chunks of whole lines.
/// Returns false when the receiver is gone.
fn send_file(tx: &SyncSender<Msg>, index: usize, item: Item, raw: impl Read, gz: bool) -> bool {
    if tx
        .send(Msg::File {
            index,
            window: item.window.clone(),
        })
        .is_err()
    {
        return false;
    }
    let mut reader: Box<dyn Read> = if gz {
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
) -> Result<Listing> {
    let mut items = Vec::new();
    let mut skipped = 0u64;
    for (key, size) in crate::aws::list_objects(client, bucket, prefix).await? {
        if !is_archive_name(&key) {
            continue;
        }
        match keep_item(filter, key, size) {
            Some(item) => items.push(item),
            None => skipped += 1,
        }
    }
    items.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((items, skipped))
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
        crate::aws::get(&client, &bucket, &key)
            .await?
            .context("the object is gone since it was listed")
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
            "logs report: reading {} ({:.1} MB)",
            plural(files as u64, "file"),
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
