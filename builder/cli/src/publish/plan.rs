//! The publish and rollback plans: which S3 objects to write, copy and delete, and which CDN paths to invalidate.
//!
//! Pure logic: the `formroute publish` and `formroute rollback` commands list the bucket
//! ([`super::executor::read_remote`]), hand what they found to [`plan_publish`] /
//! [`plan_rollback`], and carry out the steps in order ([`super::executor`]). The layout under
//! a prefix is [`formroute_core::layout`] (docs/PUBLISHING.md).
//!
//! Order is what keeps visitors safe: every hashed file is in place before a pointer names it,
//! pointers are server-side copies (atomic per object), the manifest comes last, and nothing is
//! deleted until the new pointers are live. A publish killed at any step leaves every brand on
//! either its old or its new artifact, both complete.

use super::history::History;
use formroute_core::layout::*;
use formroute_core::manifest::Manifest;
use std::collections::{BTreeMap, BTreeSet};

/// What is under the prefix now, as the command found it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Remote {
    /// Every key under `P/a/` and `P/builds/`.
    pub(crate) keys: BTreeSet<String>,
    /// Each existing pointer: brand to the hashed artifact file it copies (its metadata);
    /// an empty string when the pointer has no such metadata (then it is always rewritten).
    pub(crate) pointers: BTreeMap<String, String>,
    /// The live `manifest.json` bytes, if any.
    pub(crate) manifest: Option<Vec<u8>>,
    /// The history (empty if there is none yet).
    pub(crate) history: History,
    /// Records of the builds in the history that could be read, by build id.
    pub(crate) records: BTreeMap<String, Manifest>,
    /// The exact bytes of those records (a rollback of all brands restores them as they were).
    pub(crate) record_bytes: BTreeMap<String, Vec<u8>>,
}

/// One write or delete, in the order it must happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Upload a file of the local build folder.
    Upload {
        /// Destination key.
        key: String,
        /// File name inside the build folder.
        file: String,
        /// `Cache-Control`.
        cache_control: &'static str,
        /// `Content-Type`.
        content_type: &'static str,
        /// `Content-Encoding` to compress with, if any.
        content_encoding: Option<&'static str>,
    },
    /// Write these bytes.
    Put {
        /// Destination key.
        key: String,
        /// The body.
        body: Vec<u8>,
        /// `Cache-Control`.
        cache_control: &'static str,
        /// `Content-Type`.
        content_type: &'static str,
    },
    /// Server-side copy of a hashed artifact onto a brand's pointer.
    Point {
        /// The brand.
        brand: String,
        /// Source key (a hashed artifact).
        source: String,
        /// Its file name, stored in the pointer's metadata [`POINTER_META`].
        artifact: String,
        /// Destination key (the pointer).
        key: String,
    },
    /// Delete an object.
    Delete {
        /// The key.
        key: String,
    },
}

impl Step {
    /// The key this step writes or deletes.
    #[cfg(test)]
    fn key(&self) -> &str {
        match self {
            Step::Upload { key, .. }
            | Step::Put { key, .. }
            | Step::Point { key, .. }
            | Step::Delete { key } => key,
        }
    }

    /// One line for `--dry-run` and progress output.
    pub(crate) fn describe(&self) -> String {
        match self {
            Step::Upload {
                key,
                content_encoding,
                ..
            } => match content_encoding {
                Some(enc) => format!("upload   {key} ({enc})"),
                None => format!("upload   {key}"),
            },
            Step::Put { key, body, .. } => format!("write    {key} ({} bytes)", body.len()),
            Step::Point { source, key, .. } => format!("point    {key} -> {source}"),
            Step::Delete { key } => format!("delete   {key}"),
        }
    }
}

/// What a publish or rollback will do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The build being published, or rolled back to.
    pub(crate) build: String,
    /// Writes, in order. Deletes are in [`Plan::cleanup`], done after the invalidation.
    pub(crate) steps: Vec<Step>,
    /// Hashed files or records already present, not uploaded again.
    pub(crate) skipped: Vec<String>,
    /// CDN paths to invalidate once the writes are done (only what changed).
    pub(crate) invalidate: Vec<String>,
    /// Deletes of builds beyond `--keep` and of files no kept build names, done last.
    pub(crate) cleanup: Vec<Step>,
}

impl Plan {
    /// Number of uploads, writes and copies (what "zero uploads" counts).
    #[cfg(test)]
    fn writes(&self) -> usize {
        self.steps.len()
    }

    /// The plan as text, one step a line, for `--dry-run`.
    pub(crate) fn render(&self) -> String {
        let mut out = format!("build {}\n", self.build);
        for step in &self.steps {
            out.push_str(&step.describe());
            out.push('\n');
        }
        for key in &self.skipped {
            out.push_str(&format!("present  {key}\n"));
        }
        for path in &self.invalidate {
            out.push_str(&format!("invalidate {path}\n"));
        }
        for step in &self.cleanup {
            out.push_str(&step.describe());
            out.push('\n');
        }
        out.push_str(&format!(
            "{} writes, {} already present, {} paths to invalidate, {} deletes\n",
            self.steps.len(),
            self.skipped.len(),
            self.invalidate.len(),
            self.cleanup.len()
        ));
        out
    }
}

/// A plan could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum PlanError {
    /// `--to` names a build that is not kept under the prefix.
    #[error("build {0} is not among the kept builds under this prefix (see builds/history.json)")]
    UnknownBuild(String),
    /// A brand asked for is not in the build rolled back to.
    #[error("brand `{brand}` is not in build {build}")]
    BrandNotInBuild {
        /// The brand.
        brand: String,
        /// The build.
        build: String,
    },
    /// Nothing is published under the prefix yet.
    #[error("nothing is published under this prefix (no manifest.json)")]
    NothingPublished,
    /// There is no earlier build to go back to.
    #[error("no earlier kept build has other artifacts for {0}: name one with --to")]
    NoPreviousBuild(String),
}

/// The publish plan of the local build (`manifest` with its exact bytes `manifest_bytes`).
pub(crate) fn plan_publish(
    layout: &Layout,
    manifest: &Manifest,
    manifest_bytes: &[u8],
    remote: &Remote,
    keep: usize,
) -> Plan {
    let build = build_id(manifest_bytes);
    let mut plan = Plan {
        build: build.clone(),
        ..Plan::default()
    };

    // 1. Content-addressed files, skipped when present.
    for entry in manifest.brands.values() {
        for file in [&entry.artifact, &entry.explain] {
            let key = layout.hashed(file);
            if remote.keys.contains(&key) {
                plan.skipped.push(key);
            } else {
                plan.steps.push(Step::Upload {
                    key,
                    file: file.clone(),
                    cache_control: CACHE_IMMUTABLE,
                    content_type: TYPE_BINARY,
                    content_encoding: Some(BINARY_ENCODING),
                });
            }
        }
    }
    // 2. The build's record.
    let record = layout.build_record(&build);
    if remote.keys.contains(&record) {
        plan.skipped.push(record);
    } else {
        plan.steps.push(Step::Put {
            key: record,
            body: manifest_bytes.to_vec(),
            cache_control: CACHE_IMMUTABLE,
            content_type: TYPE_JSON,
        });
    }
    // 3. Pointers that change, then pointers of brands no longer built.
    let target: BTreeMap<String, String> = manifest
        .brands
        .iter()
        .map(|(b, e)| (b.clone(), e.artifact.clone()))
        .collect();
    repoint(layout, &remote.pointers, &target, &mut plan);
    // 4. The live manifest, last of what visitors see.
    if remote.manifest.as_deref() != Some(manifest_bytes) {
        let key = layout.manifest();
        plan.invalidate.push(Layout::cdn_path(&key));
        plan.steps.push(Step::Put {
            key,
            body: manifest_bytes.to_vec(),
            cache_control: CACHE_POINTER,
            content_type: TYPE_JSON,
        });
    }
    // 5. The history.
    let history = remote.history.with_published(&build);
    if history != remote.history {
        plan.steps.push(Step::Put {
            key: layout.history(),
            body: history.to_json(),
            cache_control: CACHE_NONE,
            content_type: TYPE_JSON,
        });
    }
    // 6. Clean-up beyond --keep.
    let mut records = remote.records.clone();
    records.insert(build, manifest.clone());
    plan.cleanup = cleanup(layout, &remote.keys, &history, &records, manifest, keep);
    plan
}

/// Pointer steps from the live `current` (brand to artifact file) to `target`, plus invalidations.
fn repoint(
    layout: &Layout,
    current: &BTreeMap<String, String>,
    target: &BTreeMap<String, String>,
    plan: &mut Plan,
) {
    for (brand, artifact) in target {
        if current.get(brand) != Some(artifact) {
            let key = layout.pointer(brand);
            plan.invalidate.push(Layout::cdn_path(&key));
            plan.steps.push(Step::Point {
                brand: brand.clone(),
                source: layout.hashed(artifact),
                artifact: artifact.clone(),
                key,
            });
        }
    }
    for brand in current.keys() {
        if !target.contains_key(brand) {
            let key = layout.pointer(brand);
            plan.invalidate.push(Layout::cdn_path(&key));
            plan.steps.push(Step::Delete { key });
        }
    }
}

/// Deletes of records of builds beyond the last `keep` of `history`, and of hashed files that
/// neither a kept build nor the `live` manifest names. Orphans of a killed publish go too.
pub(crate) fn cleanup(
    layout: &Layout,
    keys: &BTreeSet<String>,
    history: &History,
    records: &BTreeMap<String, Manifest>,
    live: &Manifest,
    keep: usize,
) -> Vec<Step> {
    let kept: BTreeSet<&str> = history.kept(keep).iter().map(String::as_str).collect();
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let files = |m: &Manifest| -> Vec<String> {
        m.brands
            .values()
            .flat_map(|e| [layout.hashed(&e.artifact), layout.hashed(&e.explain)])
            .collect()
    };
    wanted.extend(files(live));
    for id in &kept {
        wanted.insert(layout.build_record(id));
        if let Some(m) = records.get(*id) {
            wanted.extend(files(m));
        }
    }
    wanted.insert(layout.history());
    let hashed_dir = layout.hashed_dir();
    let builds_dir = layout.builds_dir();
    keys.iter()
        .filter(|k| k.starts_with(&hashed_dir) || k.starts_with(&builds_dir))
        .filter(|k| !wanted.contains(*k))
        .map(|k| Step::Delete { key: k.clone() })
        .collect()
}

/// Which brands a rollback re-points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selection {
    /// Every brand: the live state becomes exactly the target build.
    All,
    /// These brands only; the others stay as they are.
    Brands(Vec<String>),
}

/// The rollback plan: re-point the selected brands to build `to`, or by default to the newest
/// kept build, older than the live one, whose artifacts for the selected brands differ from the
/// live pointers. The manifest becomes the target build's (all) or the live one with the
/// selected brands' entries taken from the target.
pub(crate) fn plan_rollback(
    layout: &Layout,
    remote: &Remote,
    selection: &Selection,
    to: Option<&str>,
) -> Result<(Plan, Vec<u8>), PlanError> {
    let live_bytes = remote
        .manifest
        .as_deref()
        .ok_or(PlanError::NothingPublished)?;
    let live = Manifest::from_json(&String::from_utf8_lossy(live_bytes))
        .map_err(|_| PlanError::NothingPublished)?;
    let brands: Vec<String> = match selection {
        Selection::All => live.brands.keys().cloned().collect(),
        Selection::Brands(b) => b.clone(),
    };
    let label = match selection {
        Selection::All => "all brands".to_string(),
        Selection::Brands(b) => b.join(", "),
    };
    // What the selected brands point to now.
    let now: Vec<Option<&String>> = brands.iter().map(|b| remote.pointers.get(b)).collect();
    let artifacts_of = |m: &Manifest| -> Vec<Option<String>> {
        brands
            .iter()
            .map(|b| m.brands.get(b).map(|e| e.artifact.clone()))
            .collect()
    };
    let same_as_live = |m: &Manifest| -> bool {
        artifacts_of(m)
            .iter()
            .zip(&now)
            .all(|(a, n)| a.as_ref() == *n)
    };

    let target = match to {
        Some(id) => {
            if !remote.history.builds.iter().any(|b| b == id) || !remote.records.contains_key(id) {
                return Err(PlanError::UnknownBuild(id.to_string()));
            }
            id.to_string()
        }
        None => {
            let builds = &remote.history.builds;
            let live_at = builds
                .iter()
                .rposition(|b| remote.records.get(b).is_some_and(same_as_live))
                .ok_or_else(|| PlanError::NoPreviousBuild(label.clone()))?;
            builds[..live_at]
                .iter()
                .rev()
                .find(|b| remote.records.get(*b).is_some_and(|m| !same_as_live(m)))
                .cloned()
                .ok_or_else(|| PlanError::NoPreviousBuild(label.clone()))?
        }
    };
    let record = remote
        .records
        .get(&target)
        .ok_or_else(|| PlanError::UnknownBuild(target.clone()))?;

    // The manifest after the rollback.
    let new_manifest = match selection {
        Selection::All => record.clone(),
        Selection::Brands(list) => {
            let mut m = live.clone();
            for b in list {
                let entry = record
                    .brands
                    .get(b)
                    .ok_or_else(|| PlanError::BrandNotInBuild {
                        brand: b.clone(),
                        build: target.clone(),
                    })?;
                m.brands.insert(b.clone(), entry.clone());
            }
            m
        }
    };
    let new_bytes = match (selection, remote.record_bytes.get(&target)) {
        // The build's own bytes, so the live manifest is again byte-identical to the record.
        (Selection::All, Some(bytes)) => bytes.clone(),
        _ => new_manifest.to_json().into_bytes(),
    };

    let mut plan = Plan {
        build: target,
        ..Plan::default()
    };
    let current: BTreeMap<String, String> = match selection {
        Selection::All => remote.pointers.clone(),
        Selection::Brands(list) => remote
            .pointers
            .iter()
            .filter(|(b, _)| list.contains(b))
            .map(|(b, a)| (b.clone(), a.clone()))
            .collect(),
    };
    let wanted: BTreeMap<String, String> = new_manifest
        .brands
        .iter()
        .filter(|(b, _)| match selection {
            Selection::All => true,
            Selection::Brands(list) => list.contains(b),
        })
        .map(|(b, e)| (b.clone(), e.artifact.clone()))
        .collect();
    for (brand, artifact) in &wanted {
        let key = layout.hashed(artifact);
        if !remote.keys.contains(&key) {
            return Err(PlanError::UnknownBuild(format!(
                "{} (its file {artifact} of brand {brand} is gone)",
                plan.build
            )));
        }
    }
    repoint(layout, &current, &wanted, &mut plan);
    if remote.manifest.as_deref() != Some(new_bytes.as_slice()) {
        let key = layout.manifest();
        plan.invalidate.push(Layout::cdn_path(&key));
        plan.steps.push(Step::Put {
            key,
            body: new_bytes.clone(),
            cache_control: CACHE_POINTER,
            content_type: TYPE_JSON,
        });
    }
    Ok((plan, new_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use formroute_core::manifest::BrandEntry;

    fn entry(brand: &str, v: &str) -> BrandEntry {
        BrandEntry {
            name: brand.to_uppercase(),
            default_language: "en".into(),
            fallback_url: format!("https://{brand}.example/"),
            origins: vec![format!("https://www.{brand}.example")],
            artifact: format!("{brand}.{v:0>16}.frt"),
            artifact_bytes: 10,
            artifact_sha256: "0".repeat(64),
            artifact_v2: None,
            artifact_v2_bytes: None,
            artifact_v2_sha256: None,
            explain: format!("{brand}.{v:0>16}.explain.msgpack"),
            explain_bytes: 5,
            explain_sha256: "0".repeat(64),
            classes: 1,
            products: vec!["auto".into()],
        }
    }

    fn manifest(brands: &[(&str, &str)]) -> (Manifest, Vec<u8>) {
        let m = Manifest {
            format_version: 1,
            zip_data_version: "test".into(),
            brands: brands
                .iter()
                .map(|(b, v)| (b.to_string(), entry(b, v)))
                .collect(),
        };
        let bytes = m.to_json().into_bytes();
        (m, bytes)
    }

    /// Applies a plan to a remote state the way the command does (files and pointers only).
    fn apply(layout: &Layout, remote: &mut Remote, plan: &Plan, m: &Manifest) {
        for step in plan.steps.iter().chain(&plan.cleanup) {
            match step {
                Step::Upload { key, .. } => {
                    remote.keys.insert(key.clone());
                }
                Step::Put { key, body, .. } => {
                    if *key == layout.manifest() {
                        remote.manifest = Some(body.clone());
                    } else if *key == layout.history() {
                        remote.history = History::from_json(body).unwrap();
                        remote.keys.insert(key.clone());
                    } else {
                        remote.keys.insert(key.clone());
                        remote.records.insert(plan.build.clone(), m.clone());
                        remote.record_bytes.insert(plan.build.clone(), body.clone());
                    }
                }
                Step::Point {
                    brand, artifact, ..
                } => {
                    remote.pointers.insert(brand.clone(), artifact.clone());
                }
                Step::Delete { key } => {
                    remote.keys.remove(key);
                    if let Some(b) = layout.pointer_brand(key) {
                        remote.pointers.remove(b);
                    }
                }
            }
        }
    }

    #[test]
    fn keys_follow_the_layout_with_and_without_prefix() {
        let l = Layout::new("/cdn/routes/");
        assert_eq!(l.hashed("acme.1.frt"), "cdn/routes/a/acme.1.frt");
        assert_eq!(l.pointer("acme"), "cdn/routes/acme.frt");
        assert_eq!(l.manifest(), "cdn/routes/manifest.json");
        assert_eq!(l.build_record("ab"), "cdn/routes/builds/ab.json");
        assert_eq!(l.pointer_brand("cdn/routes/acme.frt"), Some("acme"));
        assert_eq!(l.pointer_brand("cdn/routes/a/acme.1.frt"), None);
        let root = Layout::new("");
        assert_eq!(root.pointer("acme"), "acme.frt");
        assert_eq!(Layout::cdn_path(&root.pointer("acme")), "/acme.frt");
        assert_eq!(root.pointer_brand("acme.frt"), Some("acme"));
    }

    #[test]
    fn build_id_is_16_hex_of_the_manifest_sha256() {
        // SHA-256("") = e3b0c442 98fc1c14 ...
        assert_eq!(build_id(b""), "e3b0c44298fc1c14");
    }

    #[test]
    fn first_publish_uploads_files_before_pointers_and_manifest_last_but_history() {
        let l = Layout::new("p");
        let (m, bytes) = manifest(&[("acme", "1"), ("beta", "1")]);
        let plan = plan_publish(&l, &m, &bytes, &Remote::default(), 5);
        let kinds: Vec<&str> = plan
            .steps
            .iter()
            .map(|s| s.describe().split_whitespace().next().unwrap().to_string())
            .map(|s| match s.as_str() {
                "upload" => "upload",
                "write" => "write",
                "point" => "point",
                _ => "delete",
            })
            .collect();
        assert_eq!(
            kinds,
            ["upload", "upload", "upload", "upload", "write", "point", "point", "write", "write"]
        );
        assert_eq!(plan.steps[7].key(), "p/manifest.json");
        assert_eq!(plan.steps[8].key(), "p/builds/history.json");
        assert_eq!(
            plan.invalidate,
            ["/p/acme.frt", "/p/beta.frt", "/p/manifest.json"]
        );
        assert!(plan.cleanup.is_empty());
    }

    #[test]
    fn publishing_the_same_build_again_writes_nothing() {
        let l = Layout::new("p");
        let (m, bytes) = manifest(&[("acme", "1"), ("beta", "1")]);
        let mut remote = Remote::default();
        let first = plan_publish(&l, &m, &bytes, &remote, 5);
        apply(&l, &mut remote, &first, &m);
        let again = plan_publish(&l, &m, &bytes, &remote, 5);
        assert_eq!(again.writes(), 0, "{}", again.render());
        assert!(again.invalidate.is_empty());
        assert!(again.cleanup.is_empty());
        assert_eq!(again.skipped.len(), 5);
    }

    #[test]
    fn a_changed_brand_uploads_and_invalidates_only_its_own_files() {
        let l = Layout::new("");
        let (m1, b1) = manifest(&[("acme", "1"), ("beta", "1")]);
        let mut remote = Remote::default();
        let p1 = plan_publish(&l, &m1, &b1, &remote, 5);
        apply(&l, &mut remote, &p1, &m1);
        let (m2, b2) = manifest(&[("acme", "2"), ("beta", "1")]);
        let p2 = plan_publish(&l, &m2, &b2, &remote, 5);
        let uploads: Vec<&str> = p2
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Upload { .. }))
            .map(Step::key)
            .collect();
        assert_eq!(
            uploads,
            [
                "a/acme.0000000000000002.frt",
                "a/acme.0000000000000002.explain.msgpack"
            ]
        );
        assert_eq!(p2.invalidate, ["/acme.frt", "/manifest.json"]);
    }

    #[test]
    fn a_brand_removed_from_the_build_loses_its_pointer() {
        let l = Layout::new("");
        let (m1, b1) = manifest(&[("acme", "1"), ("beta", "1")]);
        let mut remote = Remote::default();
        let p1 = plan_publish(&l, &m1, &b1, &remote, 5);
        apply(&l, &mut remote, &p1, &m1);
        let (m2, b2) = manifest(&[("acme", "1")]);
        let p2 = plan_publish(&l, &m2, &b2, &remote, 5);
        assert!(p2.steps.contains(&Step::Delete {
            key: "beta.frt".into()
        }));
        assert_eq!(p2.invalidate, ["/beta.frt", "/manifest.json"]);
    }

    #[test]
    fn only_the_last_keep_builds_and_their_files_survive() {
        let l = Layout::new("p");
        let mut remote = Remote::default();
        let mut ids = vec![];
        for v in 1..=4 {
            let (m, b) = manifest(&[("acme", &v.to_string()), ("beta", "1")]);
            let plan = plan_publish(&l, &m, &b, &remote, 2);
            ids.push(plan.build.clone());
            apply(&l, &mut remote, &plan, &m);
        }
        assert_eq!(remote.history.kept(2), &ids[2..]);
        let acme: Vec<&String> = remote
            .keys
            .iter()
            .filter(|k| k.starts_with("p/a/acme.") && k.ends_with(".frt"))
            .collect();
        assert_eq!(
            acme,
            [
                "p/a/acme.0000000000000003.frt",
                "p/a/acme.0000000000000004.frt"
            ]
        );
        // beta's file is shared by every build and stays.
        assert!(remote.keys.contains("p/a/beta.0000000000000001.frt"));
        assert!(!remote.keys.contains(&l.build_record(&ids[0])));
        assert!(remote.keys.contains(&l.build_record(&ids[3])));
    }

    #[test]
    fn orphans_of_a_killed_publish_are_cleaned_but_live_files_never() {
        let l = Layout::new("");
        let (m, b) = manifest(&[("acme", "1")]);
        let mut remote = Remote::default();
        let p1 = plan_publish(&l, &m, &b, &remote, 1);
        apply(&l, &mut remote, &p1, &m);
        remote.keys.insert("a/acme.00000000000000ff.frt".into());
        let plan = plan_publish(&l, &m, &b, &remote, 1);
        assert_eq!(
            plan.cleanup,
            [Step::Delete {
                key: "a/acme.00000000000000ff.frt".into()
            }]
        );
    }

    fn three_builds() -> (Layout, Remote, Vec<String>) {
        let l = Layout::new("");
        let mut remote = Remote::default();
        let mut ids = vec![];
        for (a, b) in [("1", "1"), ("2", "1"), ("2", "2")] {
            let (m, bytes) = manifest(&[("acme", a), ("beta", b)]);
            let plan = plan_publish(&l, &m, &bytes, &remote, 5);
            ids.push(plan.build.clone());
            apply(&l, &mut remote, &plan, &m);
        }
        (l, remote, ids)
    }

    #[test]
    fn rollback_of_a_brand_goes_to_its_previous_distinct_artifact() {
        let (l, remote, _) = three_builds();
        let (plan, bytes) =
            plan_rollback(&l, &remote, &Selection::Brands(vec!["acme".into()]), None).unwrap();
        // Build 2 has the same acme as build 3, so the previous acme is build 1's.
        assert_eq!(
            plan.steps[0],
            Step::Point {
                brand: "acme".into(),
                source: "a/acme.0000000000000001.frt".into(),
                artifact: "acme.0000000000000001.frt".into(),
                key: "acme.frt".into(),
            }
        );
        assert_eq!(plan.invalidate, ["/acme.frt", "/manifest.json"]);
        let m = Manifest::from_json(std::str::from_utf8(&bytes).unwrap()).unwrap();
        assert_eq!(m.brands["acme"].artifact, "acme.0000000000000001.frt");
        assert_eq!(m.brands["beta"].artifact, "beta.0000000000000002.frt");
    }

    #[test]
    fn rollback_all_goes_to_the_previous_build_and_again_further_back() {
        let (l, mut remote, ids) = three_builds();
        let (plan, bytes) = plan_rollback(&l, &remote, &Selection::All, None).unwrap();
        assert_eq!(plan.build, ids[1]);
        assert_eq!(plan.invalidate, ["/beta.frt", "/manifest.json"]);
        let m = Manifest::from_json(std::str::from_utf8(&bytes).unwrap()).unwrap();
        apply(&l, &mut remote, &plan, &m);
        let (plan, _) = plan_rollback(&l, &remote, &Selection::All, None).unwrap();
        assert_eq!(plan.build, ids[0]);
        assert_eq!(plan.invalidate, ["/acme.frt", "/manifest.json"]);
    }

    #[test]
    fn rollback_to_an_unknown_build_or_missing_brand_is_refused() {
        let (l, remote, ids) = three_builds();
        assert_eq!(
            plan_rollback(&l, &remote, &Selection::All, Some("ffffffffffffffff")).unwrap_err(),
            PlanError::UnknownBuild("ffffffffffffffff".into())
        );
        assert!(matches!(
            plan_rollback(
                &l,
                &remote,
                &Selection::Brands(vec!["zeta".into()]),
                Some(&ids[0])
            ),
            Err(PlanError::BrandNotInBuild { .. })
        ));
        assert_eq!(
            plan_rollback(&l, &Remote::default(), &Selection::All, None).unwrap_err(),
            PlanError::NothingPublished
        );
    }

    #[test]
    fn rolling_back_to_the_live_build_changes_nothing() {
        let (l, remote, ids) = three_builds();
        let (plan, _) = plan_rollback(&l, &remote, &Selection::All, Some(&ids[2])).unwrap();
        assert!(plan.steps.is_empty(), "{}", plan.render());
        assert!(plan.invalidate.is_empty());
    }
}
