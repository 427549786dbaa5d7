//! `formroute build --data DIR --out DIR`: validate and compile, then publish the folder atomically.

use anyhow::{bail, Context, Result};
use formroute_core::compile::BuildOutput;
use formroute_core::load::Sources;
use formroute_core::manifest::MANIFEST_FILE;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `formroute build`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The rule database folder (zips.csv, brands.csv, forms.csv, rules.csv, zip_overrides.csv).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// The output folder; replaced as a whole, only when the build succeeds.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Runs `formroute build`.
pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let sources = Sources::read_dir(&args.data)
        .with_context(|| format!("reading {}", args.data.display()))?;
    let build = formroute_core::build(&sources)?;
    let (errors, warnings) = (build.errors, build.warnings);
    // Buffered: a large database prints thousands of lines (stderr itself is unbuffered).
    let mut err = std::io::BufWriter::new(std::io::stderr().lock());
    for d in build.shown_in(&args.data) {
        writeln!(err, "{d}")?;
    }
    let mut output = match build.output {
        Some(o) => o,
        _ => {
            let held = if warnings > 0 {
                format!(" ({warnings} warning(s) not shown: fix the errors first, many warnings follow from them)")
            } else {
                String::new()
            };
            writeln!(
                err,
                "formroute: build refused: {errors} error(s){held}; nothing was written, {} is unchanged",
                args.out.display()
            )?;
            err.flush()?;
            return Ok(ExitCode::FAILURE);
        }
    };
    for c in &output.coverage {
        write!(err, "{c}")?;
    }
    err.flush()?;
    // The snippet this binary carries goes into the folder (crate::client says why).
    output.add_client(crate::client::SNIPPET, crate::client::ESM);

    let kept =
        publish(&args.out, &output).with_context(|| format!("writing {}", args.out.display()))?;
    let bytes: usize = output.files.iter().map(|(_, b)| b.len()).sum();
    let kept = match kept {
        0 => String::new(),
        n => format!("; {n} unchanged since the previous build"),
    };
    writeln!(
        err,
        "formroute: built {} brand(s) into {} ({} files, {bytes} bytes{kept}), {warnings} warning(s)",
        output.manifest.brands.len(),
        args.out.display(),
        output.files.len() + 1,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the build into a temporary folder beside `out`, then swaps it in by renames, so a failed
/// or interrupted build leaves the previous `out` as it was. Returns how many files were unchanged
/// since the previous build in `out` (see [`write_files`]).
///
/// SPEC asks for "nothing half-written". Linux has no portable atomic swap of two non-empty
/// folders, so the swap is two renames (old aside, new in); between them, a crash leaves the
/// complete previous build at `.NAME.old-PID` beside `out`, never a partial folder at `out`.
fn publish(out: &Path, output: &BuildOutput) -> Result<usize> {
    let name = out
        .file_name()
        .context("the output folder has no name")?
        .to_string_lossy()
        .into_owned();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut previous = None;
    if out.exists() {
        let is_build = out.join(MANIFEST_FILE).is_file();
        let is_empty = out
            .read_dir()
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !out.is_dir() || !(is_build || is_empty) {
            bail!(
                "{} exists and is not a formroute build folder (no {MANIFEST_FILE}): refusing to replace it; give --out a new or empty folder (e.g. `--out out`), or one an earlier build wrote",
                out.display()
            );
        }
        previous = is_build.then_some(out);
    }
    std::fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.tmp-{pid}"));
    let old = parent.join(format!(".{name}.old-{pid}"));
    let write_all = || -> Result<usize> {
        std::fs::create_dir(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let kept = write_files(&tmp, &output.files, previous)?;
        // The manifest last: a folder with a manifest lists only files that are complete.
        write_file(
            &tmp.join(MANIFEST_FILE),
            output.manifest.to_json().as_bytes(),
        )?;
        Ok(kept)
    };
    let kept = match write_all() {
        Ok(kept) => kept,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    if out.exists() {
        std::fs::rename(out, &old)
            .with_context(|| format!("moving the previous build aside to {}", old.display()))?;
        if let Err(e) = std::fs::rename(&tmp, out) {
            // Put the previous build back.
            let _ = std::fs::rename(&old, out);
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e).context("moving the new build into place");
        }
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("removing the previous build at {}", old.display()))?;
    } else {
        std::fs::rename(&tmp, out).context("moving the new build into place")?;
    }
    Ok(kept)
}

/// Writes every file of `files` into `dir` and syncs them; returns how many were kept from
/// `previous`, the build folder being replaced.
///
/// A file whose name and bytes are those of a file of the previous build (every artifact's name
/// holds its content hash, so a brand whose rules did not change has the same files) is not written
/// again: it is hard-linked from there, after its bytes are compared. The previous folder's files
/// are never written to, so a failed build still leaves it as it was, and removing it then frees
/// only the files that changed. A rebuild after a one-brand edit writes that brand's files, not
/// every brand's: on ext4 most of a 200-brand build's time was creating, syncing and then deleting
/// files. Where a link fails (a file system without them), the file is written.
///
/// On Linux, one `syncfs` of the folder's file system after all are written: one journal commit
/// for the whole build, where a sync per file waits for one each (200 brands, 603 files: most of
/// the build's time). Since Linux 5.8 `syncfs` reports a write-back error of any file, so a failure
/// names the folder, not the file. Elsewhere, each written file is synced in turn.
fn write_files(dir: &Path, files: &[(String, Vec<u8>)], previous: Option<&Path>) -> Result<usize> {
    let mut kept = 0;
    for (file, bytes) in files {
        let path = dir.join(file);
        if previous.is_some_and(|p| link_if_same(&p.join(file), &path, bytes)) {
            kept += 1;
        } else if cfg!(target_os = "linux") {
            create_file(&path, bytes)?;
        } else {
            write_file(&path, bytes)?;
        }
    }
    #[cfg(target_os = "linux")]
    {
        let folder =
            std::fs::File::open(dir).with_context(|| format!("opening {}", dir.display()))?;
        rustix::fs::syncfs(&folder)
            .map_err(std::io::Error::from)
            .with_context(|| format!("syncing {}", dir.display()))?;
    }
    Ok(kept)
}

/// Hard-links `old` to `new` if `old` holds exactly `bytes`; false (nothing done) otherwise, or if
/// anything fails: the caller then writes the file.
fn link_if_same(old: &Path, new: &Path, bytes: &[u8]) -> bool {
    let same = std::fs::metadata(old).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && std::fs::read(old).is_ok_and(|b| b == bytes);
    same && std::fs::hard_link(old, new).is_ok()
}

/// Creates `path` with `bytes` (not yet synced).
fn create_file(path: &Path, bytes: &[u8]) -> Result<std::fs::File> {
    let mut f =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(f)
}

/// Creates `path` with `bytes` and syncs it.
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    create_file(path, bytes)?
        .sync_all()
        .with_context(|| format!("syncing {}", path.display()))?;
    Ok(())
}
