//! `formroute resolve`: answer one query or a CSV batch from compiled artifacts, one NDJSON line each.

use anyhow::{bail, Context, Result};
use formroute_core::resolve::ArtifactSet;
use std::ffi::OsString;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `formroute resolve`.
#[derive(clap::Args)]
pub struct Args {
    /// A build output folder (with manifest.json).
    #[arg(long, value_name = "DIR")]
    artifacts: PathBuf,
    /// Brand slug, matched exactly.
    #[arg(
        long,
        allow_hyphen_values = true,
        required_unless_present = "batch",
        conflicts_with = "batch"
    )]
    brand: Option<OsString>,
    /// ZIP code as a visitor typed it.
    #[arg(
        long,
        allow_hyphen_values = true,
        required_unless_present = "batch",
        conflicts_with = "batch"
    )]
    zip: Option<OsString>,
    /// Product as asked.
    #[arg(
        long,
        allow_hyphen_values = true,
        required_unless_present = "batch",
        conflicts_with = "batch"
    )]
    product: Option<OsString>,
    /// Page language (e.g. `es-MX`); missing or empty means the brand's default.
    #[arg(long, allow_hyphen_values = true, conflicts_with = "batch")]
    language: Option<OsString>,
    /// CSV file with header brand,zip,product,language (any column order; language may be absent);
    /// `-` reads standard input. Fields are taken exactly as they stand.
    #[arg(long, value_name = "FILE")]
    batch: Option<PathBuf>,
    /// Append `"decided_by"` to each line: the override or rule row that decided (from the explain file).
    #[arg(long)]
    explain: bool,
    /// Answer from the artifacts of this format version (FORMAT.md); default: the newest built.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=2))]
    format: Option<u16>,
}

/// Arguments that are not UTF-8 are decoded lossily, like the batch file's bytes.
fn text(v: &Option<OsString>) -> String {
    v.as_ref()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn run(args: Args) -> Result<ExitCode> {
    let set = ArtifactSet::open_format(&args.artifacts, args.format)?;
    for (brand, problem) in set.problems() {
        eprintln!("formroute: warning: brand `{brand}` is unavailable (its queries answer `unavailable`): {problem}");
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut answer = Answerer {
        set: &set,
        explain: args.explain,
        out: &mut out,
    };

    let Some(batch) = &args.batch else {
        answer.line(
            &text(&args.brand),
            &text(&args.zip),
            &text(&args.product),
            &text(&args.language),
        )?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    };

    let bytes = if batch.as_os_str() == "-" {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut v)
            .context("reading standard input")?;
        v
    } else {
        std::fs::read(batch).with_context(|| format!("reading {}", batch.display()))?
    };
    // Fields exactly as they stand: no trimming, no comment lines; RFC 4180 quoting. Bytes that
    // are not UTF-8 are decoded lossily (U+FFFD), so every row still gets an answer.
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::None)
        .from_reader(bytes.as_slice());
    let header = rdr
        .byte_headers()
        .with_context(|| format!("{}: reading the header", batch.display()))?
        .clone();
    let col = |name: &str| header.iter().position(|h| h == name.as_bytes());
    let (Some(b), Some(z), Some(p)) = (col("brand"), col("zip"), col("product")) else {
        bail!("{}:1: the header must name the columns brand,zip,product,language (language may be left out)", batch.display());
    };
    let l = col("language");
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                bail!("{}:{line}: {e}", batch.display());
            }
        }
        let field = |i: usize| String::from_utf8_lossy(rec.get(i).unwrap_or_default()).into_owned();
        let language = l.map(field).unwrap_or_default();
        answer.line(&field(b), &field(z), &field(p), &language)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the NDJSON line of each query.
struct Answerer<'a, W: Write> {
    set: &'a ArtifactSet,
    explain: bool,
    out: &'a mut W,
}

impl<W: Write> Answerer<'_, W> {
    fn line(
        &mut self,
        brand: &str,
        zip: &str,
        product: &str,
        language: &str,
    ) -> std::io::Result<()> {
        let (res, why) = self.set.resolve_explained(brand, zip, product, language);
        let line = if self.explain {
            res.to_json_with(Some(why.as_deref()))
        } else {
            res.to_json()
        };
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")
    }
}
