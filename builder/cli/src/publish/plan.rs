//! The publish and rollback plans: which S3 objects to write, copy and delete, and which CDN paths to invalidate.
//!
//! Pure logic: the `formroute publish` and `formroute rollback` commands list the bucket
//! ([`super::executor::read_remote`]), hand what they found to [`plan_publish`] /
//! [`plan_rollback`], and carry out the steps in order ([`super::executor`]). The layout under
//! a prefix is [`formroute_core::layout`] (docs/PUBLISHING.md).
//!
//! Order is what keeps visitors safe: every hashed file (both artifact formats, their
//! encodings, the client files) is in place before a pointer names it, pointers are server-side
//! copies (atomic per object), the manifest comes last, and nothing is deleted until the new
//! pointers are live. A publish killed at any step leaves every pointer (each format) on either
//! its old or its new artifact, both complete.

use super::history::History;
use formroute_core::layout::*;
use formroute_core::manifest::{BrandEntry, Manifest};
use std::collections::{BTreeMap, BTreeSet};

/// What is under the prefix now, as the command found it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Remote {
    /// Every key under `P/a/` and `P/builds/`.
    pub(crate) keys: BTreeSet<String>,
    /// Each existing pointer (`P/<brand>.frt`, `.v2.frt`, `.v2.frt.br`, `P/formroute.min.js`,
    /// `P/formroute.esm.js`), by key, to the hashed file it copies (its metadata); an empty
    /// string when the pointer has no such metadata (then it is always rewritten).
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

/// `--keep-format`: whether format-1 files and `<brand>.frt` pointers are still published.
///
/// Choice (issue 15, "old clients keep working"): the default is [`KeepFormat::V1`], because
/// v1 snippets stay cached in visitors' browsers (and pasted in pages) long after a client
/// release, and a publish must not send them to the fallback. With [`KeepFormat::None`] the
/// `<brand>.frt` pointers are neither rewritten nor deleted: they stay frozen at the last build
/// that kept format 1, so old snippets keep resolving, from older data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum KeepFormat {
    /// Publish format 1 beside format 2 (the default).
    #[default]
    #[value(name = "1")]
    V1,
    /// Publish format 2 only; leave the format-1 pointers as they are.
    #[value(name = "none")]
    None,
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
        /// `Content-Encoding` to compress with (`gzip` or `br`), if any.
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
    /// Server-side copy of a hashed file onto a pointer.
    Point {
        /// Source key (a hashed file).
        source: String,
        /// Its file name, stored in the pointer's metadata [`POINTER_META`].
        artifact: String,
        /// Destination key (the pointer).
        key: String,
        /// `Content-Type` of the copy (the same as the source's).
        content_type: &'static str,
        /// `Content-Encoding` of the copy (the same as the source's).
        content_encoding: Option<&'static str>,
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
    /// What the user should know about this plan (printed on stderr, and by `--dry-run`).
    pub(crate) notes: Vec<String>,
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
        for note in &self.notes {
            out.push_str(&format!("note     {note}\n"));
        }
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
    /// The build rolled back to has no format-2 files in the bucket: the v2 clients would lose it.
    #[error("build {build} has no published format-2 artifact for brand {brand} (it was published by an older formroute): publish that build folder again with this formroute, or pick another build with --to")]
    NoFormat2 {
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

/// A hashed file of a build: its key name under `a/`, the local file it is made from, and its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hashed {
    /// Name under `P/a/` (the local name, plus [`BROTLI_SUFFIX`] for a brotli sibling).
    name: String,
    /// File name inside the build folder.
    file: String,
    content_type: &'static str,
    content_encoding: Option<&'static str>,
}

impl Hashed {
    fn binary(file: &str, encoding: &'static str) -> Hashed {
        let name = match encoding {
            BROTLI_ENCODING => format!("{file}{BROTLI_SUFFIX}"),
            _ => file.to_string(),
        };
        Hashed {
            name,
            file: file.to_string(),
            content_type: TYPE_BINARY,
            content_encoding: Some(encoding),
        }
    }

    /// JavaScript is stored as is: CloudFront compresses `text/javascript` itself.
    fn js(file: &str) -> Hashed {
        Hashed {
            name: file.to_string(),
            file: file.to_string(),
            content_type: TYPE_JS,
            content_encoding: None,
        }
    }
}

/// Whether a brand's format-1 artifact is published: while `--keep-format 1`, and always for a
/// build from an older builder that has no format 2.
fn publishes_v1(entry: &BrandEntry, keep: KeepFormat) -> bool {
    keep == KeepFormat::V1 || entry.artifact_v2.is_none()
}

/// Every hashed file of a build, in upload order: per brand format 2 (gzip, brotli), format 1
/// (when published), the explain file; then the client files.
fn hashed_files(manifest: &Manifest, keep: KeepFormat) -> Vec<Hashed> {
    let mut out = Vec::new();
    for entry in manifest.brands.values() {
        if let Some(v2) = &entry.artifact_v2 {
            out.push(Hashed::binary(v2, BINARY_ENCODING));
            out.push(Hashed::binary(v2, BROTLI_ENCODING));
        }
        if publishes_v1(entry, keep) {
            out.push(Hashed::binary(&entry.artifact, BINARY_ENCODING));
        }
        out.push(Hashed::binary(&entry.explain, BINARY_ENCODING));
    }
    if let Some(c) = &manifest.client {
        out.push(Hashed::js(&c.snippet));
        out.push(Hashed::js(&c.esm));
    }
    out
}

/// Names of every file of a build that may be under `a/` (for the clean-up: what a kept build needs).
fn all_file_names(m: &Manifest) -> Vec<String> {
    hashed_files(m, KeepFormat::V1)
        .into_iter()
        .map(|h| h.name)
        .collect()
}

/// What a pointer should copy: the hashed file name, and the copy's headers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    file: String,
    content_type: &'static str,
    content_encoding: Option<&'static str>,
}

/// The pointers of one brand entry, by key: format 2 (both encodings) when built, format 1 when `v1`.
fn brand_pointers(
    layout: &Layout,
    brand: &str,
    entry: &BrandEntry,
    v1: bool,
) -> Vec<(String, Target)> {
    Pointer::ALL
        .into_iter()
        .filter(|kind| *kind != Pointer::V1 || v1)
        .filter_map(|kind| {
            let file = kind.file(entry)?;
            Some((
                layout.pointer(brand, kind),
                Target {
                    file,
                    content_type: TYPE_BINARY,
                    content_encoding: Some(kind.encoding()),
                },
            ))
        })
        .collect()
}

/// The evergreen client pointers `P/formroute.min.js` and `P/formroute.esm.js` of a build's client.
fn client_pointers(layout: &Layout, manifest: &Manifest) -> Vec<(String, Target)> {
    let Some(c) = &manifest.client else {
        return Vec::new();
    };
    [(SNIPPET_POINTER, &c.snippet), (ESM_POINTER, &c.esm)]
        .into_iter()
        .map(|(name, file)| {
            (
                layout.key(name),
                Target {
                    file: file.clone(),
                    content_type: TYPE_JS,
                    content_encoding: None,
                },
            )
        })
        .collect()
}

/// The publish plan of the local build (`manifest` with its exact bytes `manifest_bytes`).
pub(crate) fn plan_publish(
    layout: &Layout,
    manifest: &Manifest,
    manifest_bytes: &[u8],
    remote: &Remote,
    keep: usize,
    keep_format: KeepFormat,
) -> Plan {
    let build = build_id(manifest_bytes);
    let mut plan = Plan {
        build: build.clone(),
        ..Plan::default()
    };

    // 1. Content-addressed files, skipped when present.
    for h in hashed_files(manifest, keep_format) {
        let key = layout.hashed(&h.name);
        if remote.keys.contains(&key) {
            plan.skipped.push(key);
        } else {
            plan.steps.push(Step::Upload {
                key,
                file: h.file,
                cache_control: CACHE_IMMUTABLE,
                content_type: h.content_type,
                content_encoding: h.content_encoding,
            });
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
    // 3. Pointers that change, then pointers of brands no longer built. The format-1 pointers
    // are left alone (frozen) when format 1 is not kept.
    let mut target: BTreeMap<String, Target> = BTreeMap::new();
    for (brand, e) in &manifest.brands {
        target.extend(brand_pointers(
            layout,
            brand,
            e,
            publishes_v1(e, keep_format),
        ));
    }
    target.extend(client_pointers(layout, manifest));
    let frozen = |key: &str| {
        keep_format == KeepFormat::None
            && layout.pointer_brand(key).is_some_and(|(b, kind)| {
                let published = manifest
                    .brands
                    .get(b)
                    .is_some_and(|e| publishes_v1(e, keep_format));
                kind == Pointer::V1 && !published
            })
    };
    let managed: BTreeMap<String, String> = remote
        .pointers
        .iter()
        .filter(|(k, _)| !frozen(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    repoint(layout, &managed, &target, &mut plan);
    if keep_format == KeepFormat::None {
        let n = remote.pointers.keys().filter(|k| frozen(k)).count();
        plan.notes.push(format!(
            "--keep-format none: format 1 is not published; {n} <brand>.frt pointer(s) of the v1 snippets stay frozen at the last build that kept it"
        ));
    } else {
        plan.notes.push(
            "format 1 kept for the v1 snippets in browsers: <brand>.frt pointers follow this build (--keep-format none stops it)".to_string(),
        );
    }
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

/// Pointer steps from the live `current` (pointer key to hashed file) to `target`, plus
/// invalidations; a pointer in `current` that `target` does not have is deleted.
fn repoint(
    layout: &Layout,
    current: &BTreeMap<String, String>,
    target: &BTreeMap<String, Target>,
    plan: &mut Plan,
) {
    for (key, t) in target {
        if current.get(key) != Some(&t.file) {
            plan.invalidate.push(Layout::cdn_path(key));
            plan.steps.push(Step::Point {
                source: layout.hashed(&t.file),
                artifact: t.file.clone(),
                key: key.clone(),
                content_type: t.content_type,
                content_encoding: t.content_encoding,
            });
        }
    }
    for key in current.keys() {
        if !target.contains_key(key) {
            plan.invalidate.push(Layout::cdn_path(key));
            plan.steps.push(Step::Delete { key: key.clone() });
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
        all_file_names(m).iter().map(|f| layout.hashed(f)).collect()
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

impl Selection {
    fn has(&self, brand: &str) -> bool {
        match self {
            Selection::All => true,
            Selection::Brands(list) => list.iter().any(|b| b == brand),
        }
    }
}

/// The rollback plan: re-point the selected brands to build `to`, or by default to the newest
/// kept build, older than the live one, whose artifacts for the selected brands differ from the
/// live pointers. The manifest becomes the target build's (all) or the live one with the
/// selected brands' entries taken from the target.
///
/// Both formats: the format-2 pointers go to the target's format-2 files (refused when they were
/// never published, [`PlanError::NoFormat2`]); the format-1 pointer goes to the target's format-1
/// file when it is in the bucket, else it stays as it is (a note says so). `--all` also puts the
/// client pointers on the target's client files when they are there.
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
    // What the selected brands point to now (the newest format's pointer names the build).
    let live_file = |b: &str| -> Option<&String> {
        remote
            .pointers
            .get(&layout.pointer(b, Pointer::V2))
            .or_else(|| remote.pointers.get(&layout.pointer(b, Pointer::V1)))
    };
    let now: Vec<Option<&String>> = brands.iter().map(|b| live_file(b)).collect();
    let file_of =
        |e: &BrandEntry| -> String { e.artifact_v2.clone().unwrap_or(e.artifact.clone()) };
    let same_as_live = |m: &Manifest| -> bool {
        brands
            .iter()
            .zip(&now)
            .all(|(b, n)| m.brands.get(b).map(file_of).as_ref() == *n)
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
    let present = |file: &str| remote.keys.contains(&layout.hashed(file));
    // --all also moves the client pointers, when the target's client files are there.
    let client = match selection {
        Selection::All => client_pointers(layout, record),
        Selection::Brands(_) => Vec::new(),
    };
    let client: Vec<(String, Target)> = if client.iter().all(|(_, t)| present(&t.file)) {
        client
    } else {
        Vec::new()
    };
    // The pointers that change hands: the selected brands' (all brands' for --all), and the
    // client pointers when they move.
    let current: BTreeMap<String, String> = remote
        .pointers
        .iter()
        .filter(|(k, _)| match layout.pointer_brand(k) {
            Some((b, _)) => selection.has(b),
            None => client.iter().any(|(c, _)| c == *k),
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut wanted: BTreeMap<String, Target> = client.into_iter().collect();
    for (brand, e) in new_manifest.brands.iter().filter(|(b, _)| selection.has(b)) {
        let no_v2 = || PlanError::NoFormat2 {
            brand: brand.clone(),
            build: plan.build.clone(),
        };
        if e.artifact_v2.is_none() {
            return Err(no_v2());
        }
        let v1 = present(&e.artifact);
        let pointers = brand_pointers(layout, brand, e, v1);
        // Only format-2 files can be missing here: format 1 is pointed to only when present.
        if pointers.iter().any(|(_, t)| !present(&t.file)) {
            return Err(no_v2());
        }
        wanted.extend(pointers);
        let key = layout.pointer(brand, Pointer::V1);
        if let (false, Some(file)) = (v1, current.get(&key)) {
            // Not in the bucket (published with --keep-format none, or cleaned up): frozen.
            wanted.insert(
                key.clone(),
                Target {
                    file: file.clone(),
                    content_type: TYPE_BINARY,
                    content_encoding: Some(BINARY_ENCODING),
                },
            );
            plan.notes.push(format!(
                "{key} stays as it is: build {} has no format-1 file of {brand} in the bucket",
                plan.build
            ));
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
            artifact_v2: Some(format!("{brand}.{v:0>16}.v2.frt")),
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
            client: None,
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
                Step::Point { key, artifact, .. } => {
                    remote.pointers.insert(key.clone(), artifact.clone());
                }
                Step::Delete { key } => {
                    remote.keys.remove(key);
                    remote.pointers.remove(key);
                }
            }
        }
    }

    /// Publishes a build of `brands` onto `remote` (plan, then applied); returns the plan.
    fn published(
        layout: &Layout,
        remote: &mut Remote,
        brands: &[(&str, &str)],
        keep_format: KeepFormat,
    ) -> Plan {
        let (m, bytes) = manifest(brands);
        let plan = plan_publish(layout, &m, &bytes, remote, 5, keep_format);
        apply(layout, remote, &plan, &m);
        plan
    }

    #[test]
    fn keys_follow_the_layout_with_and_without_prefix() {
        let l = Layout::new("/cdn/routes/");
        assert_eq!(l.hashed("acme.1.frt"), "cdn/routes/a/acme.1.frt");
        assert_eq!(l.pointer("acme", Pointer::V1), "cdn/routes/acme.frt");
        assert_eq!(l.pointer("acme", Pointer::V2), "cdn/routes/acme.v2.frt");
        assert_eq!(
            l.pointer("acme", Pointer::V2Brotli),
            "cdn/routes/acme.v2.frt.br"
        );
        assert_eq!(l.manifest(), "cdn/routes/manifest.json");
        assert_eq!(l.build_record("ab"), "cdn/routes/builds/ab.json");
        assert_eq!(
            l.pointer_brand("cdn/routes/acme.frt"),
            Some(("acme", Pointer::V1))
        );
        assert_eq!(
            l.pointer_brand("cdn/routes/acme.v2.frt"),
            Some(("acme", Pointer::V2))
        );
        assert_eq!(
            l.pointer_brand("cdn/routes/acme.v2.frt.br"),
            Some(("acme", Pointer::V2Brotli))
        );
        assert_eq!(l.pointer_brand("cdn/routes/a/acme.1.frt"), None);
        assert!(l.is_pointer("cdn/routes/formroute.min.js"));
        assert!(!l.is_pointer("cdn/routes/manifest.json"));
        let root = Layout::new("");
        assert_eq!(root.pointer("acme", Pointer::V1), "acme.frt");
        assert_eq!(
            Layout::cdn_path(&root.pointer("acme", Pointer::V1)),
            "/acme.frt"
        );
        assert_eq!(root.pointer_brand("acme.frt"), Some(("acme", Pointer::V1)));
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
        let plan = plan_publish(&l, &m, &bytes, &Remote::default(), 5, KeepFormat::V1);
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
        let mut want = vec!["upload"; 8];
        want.push("write");
        want.extend(["point"; 6]);
        want.extend(["write", "write"]);
        assert_eq!(kinds, want);
        // Per brand: format 2 gzip, format 2 brotli, format 1, explain.
        let uploads: Vec<String> = plan.steps[..4].iter().map(Step::describe).collect();
        assert_eq!(
            uploads,
            [
                "upload   p/a/acme.0000000000000001.v2.frt (gzip)",
                "upload   p/a/acme.0000000000000001.v2.frt.br (br)",
                "upload   p/a/acme.0000000000000001.frt (gzip)",
                "upload   p/a/acme.0000000000000001.explain.msgpack (gzip)",
            ]
        );
        assert_eq!(plan.steps[15].key(), "p/manifest.json");
        assert_eq!(plan.steps[16].key(), "p/builds/history.json");
        assert_eq!(
            plan.invalidate,
            [
                "/p/acme.frt",
                "/p/acme.v2.frt",
                "/p/acme.v2.frt.br",
                "/p/beta.frt",
                "/p/beta.v2.frt",
                "/p/beta.v2.frt.br",
                "/p/manifest.json"
            ]
        );
        assert!(plan.cleanup.is_empty());
    }

    #[test]
    fn publishing_the_same_build_again_writes_nothing() {
        let l = Layout::new("p");
        let (m, bytes) = manifest(&[("acme", "1"), ("beta", "1")]);
        let mut remote = Remote::default();
        let first = plan_publish(&l, &m, &bytes, &remote, 5, KeepFormat::V1);
        apply(&l, &mut remote, &first, &m);
        let again = plan_publish(&l, &m, &bytes, &remote, 5, KeepFormat::V1);
        assert_eq!(again.writes(), 0, "{}", again.render());
        assert!(again.invalidate.is_empty());
        assert!(again.cleanup.is_empty());
        assert_eq!(again.skipped.len(), 9);
    }

    #[test]
    fn a_changed_brand_uploads_and_invalidates_only_its_own_files() {
        let l = Layout::new("");
        let mut remote = Remote::default();
        published(
            &l,
            &mut remote,
            &[("acme", "1"), ("beta", "1")],
            KeepFormat::V1,
        );
        let (m2, b2) = manifest(&[("acme", "2"), ("beta", "1")]);
        let p2 = plan_publish(&l, &m2, &b2, &remote, 5, KeepFormat::V1);
        let uploads: Vec<&str> = p2
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Upload { .. }))
            .map(Step::key)
            .collect();
        assert_eq!(
            uploads,
            [
                "a/acme.0000000000000002.v2.frt",
                "a/acme.0000000000000002.v2.frt.br",
                "a/acme.0000000000000002.frt",
                "a/acme.0000000000000002.explain.msgpack"
            ]
        );
        assert_eq!(
            p2.invalidate,
            [
                "/acme.frt",
                "/acme.v2.frt",
                "/acme.v2.frt.br",
                "/manifest.json"
            ]
        );
    }

    #[test]
    fn a_brand_removed_from_the_build_loses_its_pointer() {
        let l = Layout::new("");
        let mut remote = Remote::default();
        published(
            &l,
            &mut remote,
            &[("acme", "1"), ("beta", "1")],
            KeepFormat::V1,
        );
        let (m2, b2) = manifest(&[("acme", "1")]);
        let p2 = plan_publish(&l, &m2, &b2, &remote, 5, KeepFormat::V1);
        for key in ["beta.frt", "beta.v2.frt", "beta.v2.frt.br"] {
            assert!(p2.steps.contains(&Step::Delete { key: key.into() }));
        }
        assert_eq!(
            p2.invalidate,
            [
                "/beta.frt",
                "/beta.v2.frt",
                "/beta.v2.frt.br",
                "/manifest.json"
            ]
        );
    }

    #[test]
    fn only_the_last_keep_builds_and_their_files_survive() {
        let l = Layout::new("p");
        let mut remote = Remote::default();
        let mut ids = vec![];
        for v in 1..=4 {
            let (m, b) = manifest(&[("acme", &v.to_string()), ("beta", "1")]);
            let plan = plan_publish(&l, &m, &b, &remote, 2, KeepFormat::V1);
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
                "p/a/acme.0000000000000003.v2.frt",
                "p/a/acme.0000000000000004.frt",
                "p/a/acme.0000000000000004.v2.frt"
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
        let p1 = plan_publish(&l, &m, &b, &remote, 1, KeepFormat::V1);
        apply(&l, &mut remote, &p1, &m);
        remote.keys.insert("a/acme.00000000000000ff.frt".into());
        let plan = plan_publish(&l, &m, &b, &remote, 1, KeepFormat::V1);
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
            let plan = plan_publish(&l, &m, &bytes, &remote, 5, KeepFormat::V1);
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
                source: "a/acme.0000000000000001.frt".into(),
                artifact: "acme.0000000000000001.frt".into(),
                key: "acme.frt".into(),
                content_type: TYPE_BINARY,
                content_encoding: Some("gzip"),
            }
        );
        assert_eq!(
            plan.steps[2],
            Step::Point {
                source: "a/acme.0000000000000001.v2.frt.br".into(),
                artifact: "acme.0000000000000001.v2.frt.br".into(),
                key: "acme.v2.frt.br".into(),
                content_type: TYPE_BINARY,
                content_encoding: Some("br"),
            }
        );
        assert_eq!(
            plan.invalidate,
            [
                "/acme.frt",
                "/acme.v2.frt",
                "/acme.v2.frt.br",
                "/manifest.json"
            ]
        );
        let m = Manifest::from_json(std::str::from_utf8(&bytes).unwrap()).unwrap();
        assert_eq!(m.brands["acme"].artifact, "acme.0000000000000001.frt");
        assert_eq!(m.brands["beta"].artifact, "beta.0000000000000002.frt");
    }

    #[test]
    fn rollback_all_goes_to_the_previous_build_and_again_further_back() {
        let (l, mut remote, ids) = three_builds();
        let (plan, bytes) = plan_rollback(&l, &remote, &Selection::All, None).unwrap();
        assert_eq!(plan.build, ids[1]);
        assert_eq!(
            plan.invalidate,
            [
                "/beta.frt",
                "/beta.v2.frt",
                "/beta.v2.frt.br",
                "/manifest.json"
            ]
        );
        let m = Manifest::from_json(std::str::from_utf8(&bytes).unwrap()).unwrap();
        apply(&l, &mut remote, &plan, &m);
        let (plan, _) = plan_rollback(&l, &remote, &Selection::All, None).unwrap();
        assert_eq!(plan.build, ids[0]);
        assert_eq!(
            plan.invalidate,
            [
                "/acme.frt",
                "/acme.v2.frt",
                "/acme.v2.frt.br",
                "/manifest.json"
            ]
        );
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

    #[test]
    fn keep_format_none_publishes_format_2_only_and_freezes_the_format_1_pointers() {
        let l = Layout::new("");
        let mut remote = Remote::default();
        published(
            &l,
            &mut remote,
            &[("acme", "1"), ("beta", "1")],
            KeepFormat::V1,
        );
        let (m2, b2) = manifest(&[("acme", "2")]);
        let p2 = plan_publish(&l, &m2, &b2, &remote, 5, KeepFormat::None);
        let touched: Vec<&str> = p2.steps.iter().map(Step::key).collect();
        assert!(
            !touched.contains(&"a/acme.0000000000000002.frt"),
            "{touched:?}"
        );
        // Neither rewritten (acme) nor deleted (beta, gone from the build): frozen.
        assert!(!touched.contains(&"acme.frt") && !touched.contains(&"beta.frt"));
        assert!(touched.contains(&"acme.v2.frt") && touched.contains(&"beta.v2.frt"));
        assert!(
            p2.notes[0].contains("2 <brand>.frt pointer(s)"),
            "{:?}",
            p2.notes
        );
        apply(&l, &mut remote, &p2, &m2);
        assert_eq!(remote.pointers["acme.frt"], "acme.0000000000000001.frt");
        assert_eq!(
            remote.pointers["acme.v2.frt"],
            "acme.0000000000000002.v2.frt"
        );
        // Keeping format 1 again brings the pointer up to date.
        let p3 = plan_publish(&l, &m2, &b2, &remote, 5, KeepFormat::V1);
        assert!(p3.steps.iter().any(|s| s.key() == "acme.frt"));
    }

    #[test]
    fn rollback_keeps_a_format_1_pointer_whose_file_is_not_there_and_refuses_without_format_2() {
        let l = Layout::new("");
        let mut remote = Remote::default();
        let p1 = published(&l, &mut remote, &[("acme", "1")], KeepFormat::V1);
        let p2 = published(&l, &mut remote, &[("acme", "2")], KeepFormat::None);
        published(&l, &mut remote, &[("acme", "3")], KeepFormat::V1);
        // Build 2 has no format-1 file: its v2 pointers come back, acme.frt stays on build 3.
        let (plan, _) = plan_rollback(&l, &remote, &Selection::All, None).unwrap();
        assert_eq!(plan.build, p2.build);
        let keys: Vec<&str> = plan.steps.iter().map(Step::key).collect();
        assert_eq!(keys, ["acme.v2.frt", "acme.v2.frt.br", "manifest.json"]);
        assert!(
            plan.notes[0].starts_with("acme.frt stays as it is"),
            "{:?}",
            plan.notes
        );
        // A build whose format-2 files were never uploaded (an older formroute) is refused.
        remote.keys.remove("a/acme.0000000000000001.v2.frt.br");
        assert_eq!(
            plan_rollback(&l, &remote, &Selection::All, Some(&p1.build)).unwrap_err(),
            PlanError::NoFormat2 {
                brand: "acme".into(),
                build: p1.build.clone()
            }
        );
    }

    #[test]
    fn client_files_are_uploaded_as_javascript_and_pointed_to() {
        let l = Layout::new("p");
        let (mut m, _) = manifest(&[("acme", "1")]);
        m.client = Some(formroute_core::manifest::ClientEntry::for_files(
            b"iife", b"esm",
        ));
        let bytes = m.to_json().into_bytes();
        let c = m.client.clone().unwrap();
        let plan = plan_publish(&l, &m, &bytes, &Remote::default(), 5, KeepFormat::V1);
        let upload = plan
            .steps
            .iter()
            .find(|s| s.key() == l.hashed(&c.snippet))
            .expect("the snippet is uploaded");
        assert!(matches!(
            upload,
            Step::Upload {
                content_type: TYPE_JS,
                content_encoding: None,
                cache_control: CACHE_IMMUTABLE,
                ..
            }
        ));
        assert!(plan.steps.contains(&Step::Point {
            source: l.hashed(&c.snippet),
            artifact: c.snippet.clone(),
            key: "p/formroute.min.js".into(),
            content_type: TYPE_JS,
            content_encoding: None,
        }));
        assert!(plan.steps.iter().any(|s| s.key() == "p/formroute.esm.js"));
    }
}
