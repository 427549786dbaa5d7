//! Reads one CSV file of the rule database row by row: BOM, header, physical line numbers, strict quoting, field count, UTF-8.
//!
//! Parsing is done by the `csv` crate (RFC 4180, `#` comment lines, empty lines skipped). Its own
//! line counter does not count skipped comment lines and quoted line breaks the way SPEC wants, so
//! the physical line of a row is computed here from the byte offset where the row starts: one plus
//! the number of `\n` bytes before it. The `csv` crate is lenient about stray quotes (`ab"c`,
//! `"ab"c`, a quote never closed); SPEC says RFC 4180, so rows whose raw text holds a quote are
//! checked strictly here and refused with a precise message rather than read in a surprising way.

use super::check::{self, Problem};
use super::Diags;
use crate::diag::Severity;
use csv::ByteRecord;

/// A file's name and the columns SPEC gives it (in SPEC's order; the file may use any order).
pub(crate) struct Schema {
    pub file: &'static str,
    pub columns: &'static [&'static str],
}

/// A file being read: its header has been checked and every expected column found.
pub(crate) struct Table<'a> {
    schema: &'static Schema,
    bytes: &'a [u8],
    reader: csv::Reader<&'a [u8]>,
    record: ByteRecord,
    /// For each column of the schema, its 0-based position in the file's header.
    index: Vec<usize>,
    /// Number of fields in the header: every row must have as many.
    width: usize,
    /// Physical line counting state: `lines_before` lines end before byte `cursor`.
    cursor: usize,
    lines_before: usize,
    /// Set once a read error stopped the file (reported already).
    done: bool,
}

/// One row that has the right number of fields and well-formed quoting.
pub(crate) struct Row<'r> {
    pub schema: &'static Schema,
    pub line: u32,
    record: &'r ByteRecord,
    index: &'r [usize],
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The file's bytes without a leading UTF-8 byte order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// `Some("UTF-16 ...")` when `bytes` look like UTF-16: a UTF-16 byte order mark, or the NUL
/// bytes every other position that ASCII text has in UTF-16 (what "Unicode Text" exports).
fn utf16(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\xFF\xFE") {
        return Some("UTF-16 (little-endian, with a byte order mark)");
    }
    if bytes.starts_with(b"\xFE\xFF") {
        return Some("UTF-16 (big-endian, with a byte order mark)");
    }
    let head = &bytes[..bytes.len().min(64)];
    if head.len() >= 4 {
        let nul_at = |parity: usize| {
            head.iter()
                .enumerate()
                .filter(|(i, _)| i % 2 == parity)
                .all(|(_, &b)| b == 0)
        };
        if nul_at(1) {
            return Some("UTF-16 (little-endian)");
        }
        if nul_at(0) {
            return Some("UTF-16 (big-endian)");
        }
    }
    None
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<'a> Table<'a> {
    /// Opens `bytes` (already read) as a `schema` file and checks its header.
    ///
    /// Returns `None`, with diagnostics, when the file is missing, has no header, or lacks a
    /// column: its rows cannot be read then. Unknown or repeated columns are reported but the
    /// rows are still checked, so one run shows as many errors as possible.
    pub(super) fn open(
        schema: &'static Schema,
        bytes: Option<&'a [u8]>,
        d: &mut Diags,
    ) -> Option<Self> {
        let expected = schema.columns.join(",");
        let Some(bytes) = bytes else {
            d.error(
                schema.file,
                0,
                0,
                None,
                "file is missing".to_string(),
                format!("create {} with the header `{expected}`", schema.file),
            );
            return None;
        };
        if let Some(what) = utf16(bytes) {
            d.error(
                schema.file,
                0,
                0,
                None,
                format!("file is {what}, not UTF-8"),
                format!("save it as UTF-8 (in a spreadsheet: \"CSV UTF-8 (comma delimited)\"; not \"Unicode Text\"); {} needs the header `{expected}`", schema.file),
            );
            return None;
        }
        let bytes = strip_bom(bytes);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .comment(Some(b'#'))
            .from_reader(bytes);
        let mut table = Table {
            schema,
            bytes,
            reader,
            record: ByteRecord::new(),
            index: Vec::new(),
            width: 0,
            cursor: 0,
            lines_before: 0,
            done: false,
        };
        let first = loop {
            let next = table.read_next(d);
            if let Some(Some(_)) = next {
                if table.is_spreadsheet_blank() {
                    continue;
                }
            }
            break next;
        };
        let Some(line) = first else {
            d.error(
                schema.file,
                1,
                0,
                None,
                "file has no header row".to_string(),
                format!("start the file with the header `{expected}`"),
            );
            return None;
        };
        let Some(line) = line else {
            // The header row itself is malformed (reported already).
            return None;
        };
        table.check_header(line, d).then_some(table)
    }

    /// Checks the header in `self.record`; fills `index` and `width`. False if a column is missing.
    fn check_header(&mut self, line: u32, d: &mut Diags) -> bool {
        let schema = self.schema;
        let file = schema.file;
        let expected = schema.columns.join(", ");
        if self.record.len() == 1 {
            let raw = self.record.get(0).unwrap_or_default();
            let known = raw
                .split(|&b| b == b'\t' || b == b';')
                .filter(|c| schema.columns.iter().any(|n| n.as_bytes() == *c))
                .count();
            if known > 0 {
                let (what, sep) = if raw.contains(&b'\t') {
                    ("tab-separated (TSV)", "tabs")
                } else {
                    ("semicolon-separated", "semicolons")
                };
                d.error(
                    file,
                    line,
                    0,
                    None,
                    format!("file is {what}, not comma-separated"),
                    format!("save it as CSV (comma delimited) UTF-8: the columns are separated by {sep} here; {file} needs the header `{}`", schema.columns.join(",")),
                );
                return false;
            }
        }
        // Excel pads rows to the widest row with empty fields (`a,b,c,,`): trailing empty
        // column names are not columns (rows may then carry as many empty fields).
        let named = self
            .record
            .iter()
            .rposition(|c| !c.is_empty())
            .map_or(0, |p| p + 1);
        let mut found: Vec<Option<usize>> = vec![None; schema.columns.len()];
        for (pos, raw) in self.record.iter().take(named).enumerate() {
            let column = to_u32(pos + 1);
            let Ok(name) = std::str::from_utf8(raw) else {
                d.error(
                    file,
                    line,
                    column,
                    None,
                    "column name is not valid UTF-8".to_string(),
                    format!("save the file as UTF-8; the expected columns are: {expected}"),
                );
                continue;
            };
            match schema.columns.iter().position(|c| *c == name) {
                Some(k) => match found[k] {
                    Some(first) => d.error(
                        file,
                        line,
                        column,
                        Some(schema.columns[k]),
                        format!(
                            "column `{name}` appears twice (first at column {})",
                            first + 1
                        ),
                        "remove one of the two columns".to_string(),
                    ),
                    None => found[k] = Some(pos),
                },
                None => {
                    let shown = check::show(name);
                    let (message, help) = if name.is_empty() {
                        (
                            "empty column name".to_string(),
                            format!("name every column (check for a trailing comma); expected columns: {expected}"),
                        )
                    } else if schema.columns.contains(&name.trim()) {
                        (
                            format!("column name {shown} has white space around it"),
                            format!("write it as `{}`: column names are exact", name.trim()),
                        )
                    } else if let Some(close) = check::closest(name, schema.columns.iter().copied())
                    {
                        (
                            format!("unknown column {shown}"),
                            format!(
                                "did you mean `{close}`? Expected columns (any order): {expected}"
                            ),
                        )
                    } else {
                        (
                            format!("unknown column {shown}"),
                            format!(
                                "remove it or rename it; expected columns (any order): {expected}"
                            ),
                        )
                    };
                    d.error(file, line, column, None, message, help);
                }
            }
        }
        let mut complete = true;
        for (k, pos) in found.iter().enumerate() {
            match pos {
                Some(p) => self.index.push(*p),
                None => {
                    complete = false;
                    d.error(
                        file,
                        line,
                        0,
                        Some(schema.columns[k]),
                        format!("missing column `{}`", schema.columns[k]),
                        format!("add it to the header; {file} needs the columns: {expected} (any order)"),
                    );
                }
            }
        }
        if !complete {
            d.note(format!(
                "no row of {file} is read until its header is fixed: checks that need its rows wait for the next run"
            ));
        }
        self.width = named;
        complete
    }

    /// Reads the next record into `self.record`.
    ///
    /// `None` at the end of the file; `Some(None)` for a record whose quoting is malformed
    /// (reported); `Some(Some(line))` for a good one, with its physical start line.
    fn read_next(&mut self, d: &mut Diags) -> Option<Option<u32>> {
        if self.done {
            return None;
        }
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                // Reading from a byte slice with `flexible` cannot fail in practice; if it
                // ever does, say so at the current spot rather than panic.
                self.done = true;
                let line = to_u32(self.lines_before + 1);
                d.error(
                    self.schema.file,
                    line,
                    0,
                    None,
                    format!("cannot read the CSV here: {e}"),
                    "check the file's quoting and encoding".to_string(),
                );
                return None;
            }
        }
        let span_start = self
            .record
            .position()
            .map_or(self.cursor, |p| {
                usize::try_from(p.byte()).unwrap_or(usize::MAX)
            })
            .clamp(self.cursor, self.bytes.len());
        let span_end = usize::try_from(self.reader.position().byte())
            .unwrap_or(usize::MAX)
            .clamp(span_start, self.bytes.len());
        let start = skip_ignored(self.bytes, span_start);
        self.lines_before += count_newlines(&self.bytes[self.cursor..start]);
        self.cursor = start;
        let line = to_u32(self.lines_before + 1);
        let raw = &self.bytes[start..span_end.max(start)];
        if raw.contains(&b'"') {
            if let Err((field, problem)) = check_quoting(raw) {
                let name = self.index_name(field);
                d.error(
                    self.schema.file,
                    line,
                    to_u32(field + 1),
                    name,
                    problem.message,
                    problem.help,
                );
                return Some(None);
            }
        }
        Some(Some(line))
    }

    /// Whether the record just read is what a spreadsheet makes of an ignored line: an empty
    /// row (`,,,`) or a comment line it quoted and padded (`"# a, b",,,`).
    fn is_spreadsheet_blank(&self) -> bool {
        let first = self.record.get(0).unwrap_or_default();
        (first.is_empty() || first.starts_with(b"#"))
            && self.record.iter().skip(1).all(<[u8]>::is_empty)
    }

    /// The schema column name at header position `pos`, if it is one.
    fn index_name(&self, pos: usize) -> Option<&'static str> {
        self.index
            .iter()
            .position(|p| *p == pos)
            .map(|k| self.schema.columns[k])
    }

    /// Header position (1-based) of schema column `k`.
    pub(super) fn header_column(&self, k: usize) -> u32 {
        to_u32(self.index[k] + 1)
    }

    /// The next data row with the header's number of fields; malformed rows are reported and skipped.
    pub(super) fn next_row(&mut self, d: &mut Diags) -> Option<Row<'_>> {
        loop {
            let Some(line) = self.read_next(d)? else {
                continue;
            };
            if self.is_spreadsheet_blank() {
                continue;
            }
            // Trailing empty fields beyond the header are Excel's padding.
            let n = self
                .record
                .iter()
                .rposition(|c| !c.is_empty())
                .map_or(0, |p| p + 1)
                .max(self.width.min(self.record.len()));
            if n != self.width {
                d.error(
                    self.schema.file,
                    line,
                    0,
                    None,
                    format!(
                        "row has {n} field{}, the header has {}",
                        if n == 1 { "" } else { "s" },
                        self.width
                    ),
                    "check for a missing or extra comma; a value that contains a comma must be in double quotes".to_string(),
                );
                continue;
            }
            return Some(Row {
                schema: self.schema,
                line,
                record: &self.record,
                index: &self.index,
            });
        }
    }
}

/// From `pos`, skips what the CSV reader skipped before a record: line ends left over from the
/// previous record, empty lines and `#` comment lines. Returns where the record really starts.
fn skip_ignored(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(&b) = bytes.get(pos) {
        match b {
            b'\n' | b'\r' => pos += 1,
            b'#' => {
                pos = match bytes[pos..].iter().position(|&c| c == b'\n') {
                    Some(nl) => pos + nl + 1,
                    None => bytes.len(),
                }
            }
            _ => break,
        }
    }
    pos
}

fn count_newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Checks RFC 4180 quoting of one record's raw text (which contains a `"`).
/// On failure returns the 0-based field position and what is wrong.
fn check_quoting(raw: &[u8]) -> Result<(), (usize, Problem)> {
    let mut field = 0;
    let mut i = 0;
    let n = raw.len();
    loop {
        // At the start of a field.
        if raw.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match raw.get(i) {
                    None => {
                        return Err((
                            field,
                            Problem::new(
                                "a double quote opened here is never closed",
                                "close the quoted value with `\"`; write a quote inside a quoted value as `\"\"`",
                            ),
                        ))
                    }
                    Some(b'"') if raw.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            match raw.get(i) {
                None | Some(b'\r') | Some(b'\n') => return Ok(()),
                Some(b',') => {
                    i += 1;
                    field += 1;
                }
                Some(_) => {
                    return Err((
                        field,
                        Problem::new(
                            "text after the closing double quote of a quoted value",
                            "quote the whole value, e.g. `\"a \"\"b\"\" c\"`, or remove the quotes",
                        ),
                    ))
                }
            }
        } else {
            while i < n && !matches!(raw[i], b',' | b'\r' | b'\n') {
                if raw[i] == b'"' {
                    return Err((
                        field,
                        Problem::new(
                            "a double quote inside a value that is not quoted",
                            "put the whole value in double quotes and double the quote inside: `\"a \"\"b\"\"\"`",
                        ),
                    ));
                }
                i += 1;
            }
            match raw.get(i) {
                Some(b',') => {
                    i += 1;
                    field += 1;
                }
                _ => return Ok(()),
            }
        }
    }
}

impl<'r> Row<'r> {
    /// Header position (1-based) of schema column `k`.
    pub(super) fn column(&self, k: usize) -> u32 {
        to_u32(self.index[k] + 1)
    }

    /// Reports `p` as an error about column `k` of this row.
    pub(super) fn error(&self, k: usize, d: &mut Diags, p: Problem) {
        self.report(Severity::Error, k, d, p);
    }

    /// Reports `p` as a warning about column `k` of this row.
    pub(super) fn warning(&self, k: usize, d: &mut Diags, p: Problem) {
        self.report(Severity::Warning, k, d, p);
    }

    /// Reports `p` with `severity` about column `k` of this row.
    fn report(&self, severity: Severity, k: usize, d: &mut Diags, p: Problem) {
        d.push(
            severity,
            self.schema.file,
            self.line,
            self.column(k),
            Some(self.schema.columns[k]),
            p.message,
            p.help,
        );
    }

    /// The raw text of column `k` (lossily decoded), for matching refused rows to their effects.
    pub(super) fn raw(&self, k: usize) -> String {
        String::from_utf8_lossy(self.record.get(self.index[k]).unwrap_or_default()).into_owned()
    }

    /// The text of column `k` if it is UTF-8, not empty and has no white space around it.
    pub(super) fn text(&self, k: usize, d: &mut Diags) -> Option<&'r str> {
        let raw = self.record.get(self.index[k]).unwrap_or_default();
        let checked = std::str::from_utf8(raw)
            .map_err(|_| {
                Problem::new(
                    "value is not valid UTF-8",
                    "save the file as UTF-8 (spreadsheets: \"CSV UTF-8\")",
                )
            })
            .and_then(|v| check::common(v).map(|()| v));
        match checked {
            Ok(v) => Some(v),
            Err(p) => {
                self.error(k, d, p);
                None
            }
        }
    }

    /// Column `k` read by [`Row::text`] then checked by `check`; reports the first problem.
    pub(super) fn value<T>(
        &self,
        k: usize,
        d: &mut Diags,
        check: impl FnOnce(&'r str) -> Result<T, Problem>,
    ) -> Option<T> {
        let v = self.text(k, d)?;
        match check(v) {
            Ok(t) => Some(t),
            Err(p) => {
                self.error(k, d, p);
                None
            }
        }
    }
}
