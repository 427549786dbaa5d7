//! One build of the rule database: load, compile, and every diagnostic in one sorted list; used by both `formroute build` and `formroute serve`.

use crate::compile::{self, BuildOutput, Columns, CompileError};
use crate::diag::{Diagnostic, Severity};
use crate::load::{self, Sources};
use std::path::Path;

/// What one build gives: every diagnostic, and the output when none of them is an error.
#[derive(Debug, Clone)]
pub struct Build {
    /// Loader and compiler findings together, sorted by file, line and column (stable: findings
    /// at the same place keep loader-then-compiler order).
    pub diagnostics: Vec<Diagnostic>,
    /// The files to write; `None` when a diagnostic is an error.
    pub output: Option<BuildOutput>,
}

impl Build {
    /// Number of error diagnostics.
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// Number of warning diagnostics.
    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    /// The diagnostics with each file named under the data folder `data`, as they are printed.
    pub fn diagnostics_in(&self, data: &Path) -> impl Iterator<Item = Diagnostic> + '_ {
        let data = data.to_path_buf();
        self.diagnostics.iter().map(move |d| {
            let mut d = d.clone();
            d.file = data.join(&d.file).display().to_string();
            d
        })
    }
}

/// Loads and compiles `sources`. The compiler runs even when loading found errors: its
/// reachability errors are then reported in the same run (over the rows that passed), so the
/// data team sees every error at once.
pub fn build(sources: &Sources) -> Result<Build, CompileError> {
    let loaded = load::load(sources);
    let compiled = compile::compile(&loaded.db, &Columns::from_files(&sources.files))?;
    let mut diagnostics: Vec<Diagnostic> = loaded
        .diagnostics
        .into_iter()
        .chain(compiled.diagnostics)
        .collect();
    diagnostics.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    let errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    Ok(Build {
        output: compiled.output.filter(|_| !errors),
        diagnostics,
    })
}
