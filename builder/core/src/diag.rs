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
/// the shape compilers use, so editors and terminals can jump to the spot.
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
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, kind, self.message
        )?;
        if let Some(name) = &self.column_name {
            write!(f, " (column `{name}`)")?;
        }
        if !self.help.is_empty() {
            write!(f, "\n  help: {}", self.help)?;
        }
        Ok(())
    }
}
