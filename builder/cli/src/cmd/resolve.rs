//! `formroute resolve`: answer one query or a CSV batch from compiled artifacts, one NDJSON line each.

use anyhow::{bail, Context, Result};
use formroute_core::resolve::{ArtifactSet, Resolution};
use std::ffi::OsString;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `formroute resolve`.
#[derive(clap::Args)]
pub(crate) struct Args {
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
    artifact_format: Option<u16>,
    /// `ndjson` (SPEC's lines, the default) or `csv`: one row per query with the query echoed
    /// (brand, zip, product, language), the answer's fields, and the expectation check.
    #[arg(long, value_enum, default_value = "ndjson")]
    format: Format,
}

/// Output format of `formroute resolve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// One JSON object per query (SPEC).
    Ndjson,
    /// A CSV table with the query echoed in each row.
    Csv,
}

/// The columns of `--format csv` (then `decided_by` with `--explain`, then the expectation
/// columns and `check` when the batch file has `expected_form_type` or `expected_url`).
const CSV_COLUMNS: [&str; 11] = [
    "brand",
    "zip",
    "product",
    "language",
    "ok",
    "url",
    "state",
    "form_type",
    "language_used",
    "error",
    "fallback_url",
];

/// Arguments that are not UTF-8 are decoded lossily, like the batch file's bytes.
fn text(v: &Option<OsString>) -> String {
    v.as_ref()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let set = ArtifactSet::open_format(&args.artifacts, args.artifact_format)?;
    for (brand, problem) in set.problems() {
        eprintln!("formroute: warning: brand `{brand}` is unavailable (its queries answer `unavailable`): {problem}");
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut answer = Answerer {
        set: &set,
        explain: args.explain,
        csv: (args.format == Format::Csv).then(|| csv::Writer::from_writer(Vec::new())),
        expectations: false,
        out: &mut out,
    };

    let Some(batch) = &args.batch else {
        answer.header()?;
        answer.line(
            &Query {
                brand: text(&args.brand),
                zip: text(&args.zip),
                product: text(&args.product),
                language: text(&args.language),
            },
            None,
        )?;
        answer.flush()?;
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
        bail!("{}:1: the header must name the columns brand,zip,product,language (language may be left out; expected_form_type and expected_url are optional checks)", batch.display());
    };
    let l = col("language");
    let (ef, eu) = (col("expected_form_type"), col("expected_url"));
    answer.expectations = ef.is_some() || eu.is_some();
    answer.header()?;
    let mut rec = csv::ByteRecord::new();
    let (mut checked, mut mismatches) = (0u64, 0u64);
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
        let query = Query {
            brand: field(b),
            zip: field(z),
            product: field(p),
            language: l.map(field).unwrap_or_default(),
        };
        let expected = Expected {
            form_type: ef.map(field).unwrap_or_default(),
            url: eu.map(field).unwrap_or_default(),
        };
        let line = rec.position().map_or(0, |p| p.line());
        // A row with both expectation cells empty is not checked.
        let has_expectation = !expected.form_type.is_empty() || !expected.url.is_empty();
        if let Some(problems) = answer.line(&query, has_expectation.then_some(&expected))? {
            checked += 1;
            if !problems.is_empty() {
                mismatches += 1;
                eprintln!(
                    "{}:{line}: {} {} {} {}: {}",
                    batch.display(),
                    query.brand,
                    query.zip,
                    query.product,
                    query.language,
                    problems.join("; ")
                );
            }
        }
    }
    answer.flush()?;
    if mismatches > 0 {
        eprintln!(
            "formroute: resolve: {mismatches} of {checked} checked queries differ from expected_form_type / expected_url"
        );
        return Ok(ExitCode::FAILURE);
    }
    if checked > 0 {
        eprintln!("formroute: resolve: all {checked} checked queries answer as expected");
    }
    Ok(ExitCode::SUCCESS)
}

/// One query as asked.
struct Query {
    brand: String,
    zip: String,
    product: String,
    language: String,
}

/// The optional expectation columns of a batch row (empty: not checked).
struct Expected {
    form_type: String,
    url: String,
}

/// Writes the NDJSON line or CSV row of each query.
struct Answerer<'a, W: Write> {
    set: &'a ArtifactSet,
    explain: bool,
    /// `Some` for `--format csv`: rows are buffered here and flushed at the end.
    csv: Option<csv::Writer<Vec<u8>>>,
    /// Whether the batch has expectation columns (CSV then has them and `check`).
    expectations: bool,
    out: &'a mut W,
}

impl<W: Write> Answerer<'_, W> {
    fn header(&mut self) -> Result<()> {
        let Some(w) = &mut self.csv else {
            return Ok(());
        };
        let mut row: Vec<&str> = CSV_COLUMNS.to_vec();
        if self.explain {
            row.push("decided_by");
        }
        if self.expectations {
            row.extend(["expected_form_type", "expected_url", "check"]);
        }
        w.write_record(&row)?;
        Ok(())
    }

    /// Answers one query; with an expectation, returns what differs (empty: as expected).
    fn line(&mut self, q: &Query, expected: Option<&Expected>) -> Result<Option<Vec<String>>> {
        let (res, why) = self
            .set
            .resolve_explained(&q.brand, &q.zip, &q.product, &q.language);
        let (ok, url, state, form_type, language_used, error, fallback) = match &res {
            Resolution::Ok {
                url,
                state,
                form_type,
                language,
            } => (
                true,
                url.as_str(),
                state.as_ref(),
                form_type.as_ref(),
                language.as_ref(),
                "",
                "",
            ),
            Resolution::Failed {
                error,
                fallback_url,
            } => (
                false,
                "",
                "",
                "",
                "",
                error.as_str(),
                fallback_url.as_deref().unwrap_or(""),
            ),
        };
        // The expectation: `expected_form_type` is the form type, or the reason when the
        // query is meant to fail (`not_served`); `expected_url` the URL or fallback URL.
        let problems = expected.map(|e| {
            let mut p = Vec::new();
            let got_type = if ok { form_type } else { error };
            if !e.form_type.is_empty() && e.form_type != got_type {
                p.push(format!(
                    "expected form type `{}`, got `{got_type}`",
                    e.form_type
                ));
            }
            let got_url = if ok { url } else { fallback };
            if !e.url.is_empty() && e.url != got_url {
                p.push(format!("expected URL `{}`, got `{got_url}`", e.url));
            }
            p
        });
        match &mut self.csv {
            None => {
                let line = if self.explain {
                    res.to_json_with(Some(why.as_deref()))
                } else {
                    res.to_json()
                };
                self.out.write_all(line.as_bytes())?;
                self.out.write_all(b"\n")?;
            }
            Some(w) => {
                let mut row: Vec<&str> = vec![
                    &q.brand,
                    &q.zip,
                    &q.product,
                    &q.language,
                    if ok { "true" } else { "false" },
                    url,
                    state,
                    form_type,
                    language_used,
                    error,
                    fallback,
                ];
                if self.explain {
                    row.push(why.as_deref().unwrap_or(""));
                }
                let check = match &problems {
                    Some(p) if p.is_empty() => "ok",
                    Some(_) => "mismatch",
                    None => "",
                };
                if self.expectations {
                    let e = expected;
                    row.push(e.map_or("", |e| e.form_type.as_str()));
                    row.push(e.map_or("", |e| e.url.as_str()));
                    row.push(check);
                }
                w.write_record(&row)?;
            }
        }
        Ok(problems)
    }

    fn flush(&mut self) -> Result<()> {
        if let Some(w) = self.csv.take() {
            let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
            self.out.write_all(&bytes)?;
        }
        self.out.flush()?;
        Ok(())
    }
}
