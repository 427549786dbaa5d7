//! docs/ARCHITECTURE.md names real files: every `path/file.rs` or `.js` in it exists in the repository.

use std::path::Path;

#[test]
fn every_file_the_architecture_table_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc =
        std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).expect("docs/ARCHITECTURE.md");
    let named: Vec<&str> = doc
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.contains('/') && (s.ends_with(".rs") || s.ends_with(".js") || s.ends_with(".md"))
        })
        .collect();
    assert!(
        named.len() >= 30,
        "expected the SPEC rule -> Rust -> JS table, found {} file names",
        named.len()
    );
    let missing: Vec<&&str> = named.iter().filter(|f| !root.join(f).is_file()).collect();
    assert!(
        missing.is_empty(),
        "docs/ARCHITECTURE.md names files that do not exist: {missing:?}"
    );
}
