//! One build of the rule database: load, compile, and the findings arranged for people ([`diag::arrange`]); used by both `formroute build` and `formroute serve`.

use crate::compile::{self, BuildOutput, Columns, CompileError};
use crate::diag::{self, Diagnostic};
use crate::load::{self, Sources};
use std::path::Path;

/// What one build gives: the findings to show, their counts, and the output when none is an error.
#[derive(Debug, Clone)]
pub struct Build {
    /// Loader and compiler findings as [`diag::arrange`] orders them (errors only when there
    /// are errors, knock-on findings folded in as notes).
    pub shown: Vec<Diagnostic>,
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings (counted, not shown, when there are errors).
    pub warnings: usize,
    /// The files to write; `None` when there is an error.
    pub output: Option<BuildOutput>,
}

impl Build {
    /// The shown findings with each file named under the data folder `data`, as they are printed.
    pub fn shown_in(&self, data: &Path) -> impl Iterator<Item = Diagnostic> + '_ {
        let data = data.to_path_buf();
        self.shown.iter().map(move |d| {
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
    let load_errors = loaded.has_errors();
    let arranged = diag::arrange(loaded.diagnostics.into_iter().chain(compiled.diagnostics));
    let ok = arranged.errors == 0 && !load_errors;
    Ok(Build {
        shown: arranged.shown,
        errors: arranged.errors,
        warnings: arranged.warnings,
        output: compiled.output.filter(|_| ok),
    })
}
