//! Diagnostics: errors and warnings about the rule database, each pointing at file, line and column.

use std::fmt;

/// How serious a diagnostic is: errors refuse the build, warnings are reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The build is refused.
    Error,
    /// Questionable but legal data: reported, not refused.
    Warning,
}

/// One finding about the rule database.
///
/// Rendered as `FILE:LINE:COL: error: MESSAGE (column `NAME`)` followed by a `  help: HINT` line,
/// the shape compilers use, so editors and terminals can jump to the spot. A finding about a whole
/// row is rendered `FILE:LINE: ...` and one about a whole file `FILE: ...` (no `0` positions).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// File name as given to the loader, e.g. `rules.csv` (the CLI prefixes the data folder).
    pub file: String,
    /// Physical line, 1-based; the header is line 1. 0 when the finding is about the whole file.
    pub line: u32,
    /// Column position, 1-based, in the header's order. 0 when it is about the whole row or file.
    pub column: u32,
    /// Column name, e.g. `form_type`, when the finding is about one column.
    pub column_name: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
    /// Further facts, printed as `  note: ...` lines: typically the knock-on effects of this error.
    pub notes: Vec<String>,
    /// When this finding is only a consequence of a refused row: that row's (file, line).
    /// [`arrange`] folds it into a note on the error found there.
    pub caused_by: Option<(String, u32)>,
}

impl Diagnostic {
    /// A diagnostic without notes or cause.
    pub fn new(
        severity: Severity,
        file: impl Into<String>,
        (line, column): (u32, u32),
        column_name: Option<&str>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            file: file.into(),
            line,
            column,
            column_name: column_name.map(str::to_string),
            message: message.into(),
            help: help.into(),
            notes: Vec::new(),
            caused_by: None,
        }
    }

    /// `file:line:col`, leaving out a 0 line or column (whole file, whole row).
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (0, _) => self.file.clone(),
            (l, 0) => format!("{}:{l}", self.file),
            (l, c) => format!("{}:{l}:{c}", self.file),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {}: {}", self.location(), kind, self.message)?;
        if let Some(name) = &self.column_name {
            write!(f, " (column `{name}`)")?;
        }
        if !self.help.is_empty() {
            write!(f, "\n  help: {}", self.help)?;
        }
        for n in &self.notes {
            write!(f, "\n  note: {n}")?;
        }
        Ok(())
    }
}

/// What a build prints: the diagnostics to show, in order, and how many warnings were held back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Arranged {
    /// Errors (with their knock-on findings folded in as notes), or, with no error, the warnings.
    pub shown: Vec<Diagnostic>,
    /// Errors among `shown`.
    pub errors: usize,
    /// Warnings found; when there are errors they are not shown (only counted here).
    pub warnings: usize,
}

/// Orders a build's findings for people.
///
/// A finding with [`Diagnostic::caused_by`] pointing at a row that has an error becomes a note on
/// that error (the first at that row), so one typo is reported once. When errors remain, only
/// errors are shown and warnings are just counted: warnings then are mostly consequences of the
/// refused rows (a header typo leaves a whole file unread), and would bury the cause. Errors are
/// sorted by file, line and column; warnings likewise.
pub fn arrange(all: impl IntoIterator<Item = Diagnostic>) -> Arranged {
    let mut rest: Vec<Diagnostic> = Vec::new();
    let mut knock_on: Vec<Diagnostic> = Vec::new();
    let list: Vec<Diagnostic> = all.into_iter().collect();
    let error_rows: std::collections::HashSet<(&str, u32)> = list
        .iter()
        .filter(|d| d.severity == Severity::Error && d.caused_by.is_none())
        .map(|d| (d.file.as_str(), d.line))
        .collect();
    let (folded, kept): (Vec<&Diagnostic>, Vec<&Diagnostic>) = list.iter().partition(|d| {
        d.caused_by
            .as_ref()
            .is_some_and(|(f, l)| error_rows.contains(&(f.as_str(), *l)))
    });
    rest.extend(kept.into_iter().cloned());
    knock_on.extend(folded.into_iter().cloned());
    let order = |a: &Diagnostic, b: &Diagnostic| {
        (&a.file, a.line, a.column, &a.message).cmp(&(&b.file, b.line, b.column, &b.message))
    };
    rest.sort_by(order);
    knock_on.sort_by(order);
    for d in knock_on {
        let Some((file, line)) = &d.caused_by else {
            continue;
        };
        if let Some(e) = rest
            .iter_mut()
            .find(|e| e.severity == Severity::Error && (&e.file, e.line) == (file, *line))
        {
            e.notes
                .push(format!("because of this, {}: {}", d.location(), d.message));
        }
    }
    let errors = rest
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = rest.len() - errors;
    let shown = if errors > 0 {
        rest.into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect()
    } else {
        rest
    };
    Arranged {
        shown,
        errors,
        warnings,
    }
}
