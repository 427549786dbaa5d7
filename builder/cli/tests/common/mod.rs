//! Helpers shared by the `formroute` CLI tests: the binary, the repository's sample data, scratch folders, a build.
#![allow(dead_code)]

pub(crate) mod once;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The `formroute` binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_formroute");

/// The repository root (the sample data is in `data/`, the built client in `client-js/dist`).
pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh, empty folder under the system temp dir, unique to this process and call.
pub(crate) fn scratch(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "formroute-test-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes the five files of the repository's sample data and its `expect.csv` into `to`
/// (created), each file's text passed through `edit(file name, text)`.
pub(crate) fn write_sample_data(to: &Path, edit: impl Fn(&str, String) -> String) {
    std::fs::create_dir_all(to).unwrap();
    let files = formroute_core::load::FILES
        .iter()
        .chain(&formroute_core::load::OPTIONAL_FILES);
    for f in files {
        let text = std::fs::read_to_string(repo().join("data").join(f)).unwrap();
        std::fs::write(to.join(f), edit(f, text)).unwrap();
    }
}

/// `formroute build --data DATA --out OUT`: (exit code, stderr).
pub(crate) fn try_build(data: &Path, out: &Path) -> (Option<i32>, String) {
    let o = Command::new(BIN)
        .args(["build", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `formroute build --data DATA --out OUT`, which must succeed.
pub(crate) fn build(data: &Path, out: &Path) {
    let st = Command::new(BIN)
        .args(["build", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}

/// The moto server's URL; its absence fails the test with the command that starts it.
pub(crate) fn moto() -> String {
    match std::env::var("FORMROUTE_MOTO_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "FORMROUTE_MOTO_URL is not set: run `bash tests/run-all.sh`, or start \
             `target/test-venv/bin/moto_server -H 127.0.0.1 -p 5101` and export \
             FORMROUTE_MOTO_URL=http://127.0.0.1:5101"
        ),
    }
}
