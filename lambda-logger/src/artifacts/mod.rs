//! The published build the logger answers from: manifest, brand artifacts and origins, read from a build folder or `s3://BUCKET/PREFIX`, held in memory and revalidated at most every N seconds.
//!
//! [`Store::current`] is called by every request. When the last check is older than the refresh
//! interval, that one request revalidates the manifest (S3: `GET manifest.json` with
//! `If-None-Match`; a folder: its bytes compared) while concurrent ones go on with the build in
//! hand. A new manifest fetches only the artifacts it names that are not held yet (the newest
//! format listed, `<brand>.<hash>.v2.frt`, else `<brand>.<hash>.frt`; on S3 the content-addressed
//! `a/` objects, never the pointers, so the files always match the manifest), checks every one
//! (SHA-256 and FORMAT.md), and swaps the build in whole.
//! A refresh that fails (unreachable, unreadable, or any brand's artifact unusable) is logged
//! and keeps the last good build; the next one is tried after the interval again.
//! Checks are made by requests rather than a timer because a Lambda is frozen between
//! invocations: nothing would run a timer there.

pub mod s3;

use crate::origins::Origins;
use formroute_core::compile::sha256_hex;
use formroute_core::layout::build_id;
use formroute_core::manifest::{Manifest, MANIFEST_FILE};
use formroute_core::resolve::{chosen_artifact, ArtifactSet, SetError};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Revalidation interval when none is configured (`FORMROUTE_REFRESH_SECS`, `--refresh-secs`).
pub const DEFAULT_REFRESH_SECS: u64 = 30;

/// While no build could be loaded at all (a cold start with S3 unreachable), a load is tried at
/// most this often, whatever the refresh interval: there is nothing to serve until one succeeds.
const EMPTY_RETRY: Duration = Duration::from_secs(1);

/// One loaded build: what lookups resolve from and which origins may send beacons.
#[derive(Debug)]
pub struct Build {
    /// The artifacts; `None` when only the origins are known (a logger made from origins alone),
    /// in which case lookups answer `unavailable`.
    pub set: Option<Arc<ArtifactSet>>,
    /// Brand origins for the beacon route.
    pub origins: Origins,
    /// The build id (first 16 hex digits of the manifest's SHA-256, as `formroute publish` names builds).
    pub id: String,
}

impl Build {
    /// A build whose origins are the manifest's.
    pub fn new(set: Arc<ArtifactSet>, id: String) -> Build {
        let origins = Origins::from_manifest(&set.manifest);
        Build::with_origins(set, origins, id)
    }

    /// A build with origins of the caller's choosing (`formroute serve` adds its own address).
    pub fn with_origins(set: Arc<ArtifactSet>, origins: Origins, id: String) -> Build {
        Build {
            set: Some(set),
            origins,
            id,
        }
    }

    /// Origins only, no artifacts.
    pub fn origins_only(origins: Origins) -> Build {
        Build {
            set: None,
            origins,
            id: "origins-only".into(),
        }
    }
}

/// Where the published build is: `s3://BUCKET/PREFIX` or a local folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A `formroute build` output folder (or a folder with the same files).
    Dir(PathBuf),
    /// The publish location of `formroute publish --bucket BUCKET --prefix PREFIX`.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix, without slashes at either end (empty: the bucket root).
        prefix: String,
    },
}

impl Location {
    /// `s3://BUCKET/PREFIX` or a folder path. A path to a `manifest.json` file means its folder
    /// (the deprecated `FORMROUTE_MANIFEST` named the file).
    pub fn parse(text: &str) -> Result<Location, StoreError> {
        if text.starts_with("s3://") {
            let Some((bucket, prefix)) = formroute_core::layout::parse_s3_url(text) else {
                return Err(StoreError::NoBucket(text.to_owned()));
            };
            return Ok(Location::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_matches('/').to_owned(),
            });
        }
        let path = PathBuf::from(text);
        if path.file_name().is_some_and(|n| n == MANIFEST_FILE) && !path.is_dir() {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            return Ok(Location::Dir(if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            }));
        }
        Ok(Location::Dir(path))
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Dir(d) => write!(f, "{}", d.display()),
            Location::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Location::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// Why a build could not be loaded (the store keeps the last good one).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `s3://` without a bucket.
    #[error("`{0}` names no bucket: use s3://BUCKET/PREFIX")]
    NoBucket(String),
    /// A local file could not be read.
    #[error("cannot read {path}: {error}")]
    Io {
        /// The file of the build folder that cannot be read.
        path: PathBuf,
        /// What reading it said (in the message, not also a `source()`).
        error: std::io::Error,
    },
    /// S3 refused or could not be reached.
    #[error("cannot get {url}: {reason}")]
    S3 {
        /// `s3://bucket/key` of the object.
        url: String,
        /// The SDK's error with its causes.
        reason: String,
    },
    /// The manifest is not one this logger reads.
    #[error(transparent)]
    Manifest(#[from] SetError),
    /// Some brands' artifacts are missing or damaged.
    #[error("{0}")]
    Unusable(String),
}

/// What a manifest check found.
pub(crate) enum Fetched {
    /// Same as the tag given.
    NotModified,
    /// New bytes and their tag (S3's ETag, or the SHA-256 of a local file).
    Changed { bytes: Vec<u8>, tag: String },
}

enum Source {
    Dir(PathBuf),
    S3(s3::S3Source),
}

impl Source {
    async fn manifest(&self, tag: Option<&str>) -> Result<Fetched, StoreError> {
        match self {
            Source::Dir(dir) => {
                let path = dir.join(MANIFEST_FILE);
                let bytes = tokio::fs::read(&path)
                    .await
                    .map_err(|error| StoreError::Io { path, error })?;
                let new = sha256_hex(&bytes);
                if tag == Some(new.as_str()) {
                    Ok(Fetched::NotModified)
                } else {
                    Ok(Fetched::Changed { bytes, tag: new })
                }
            }
            Source::S3(s3) => s3.manifest(tag).await,
        }
    }

    async fn file(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        match self {
            Source::Dir(dir) => {
                let path = dir.join(name);
                tokio::fs::read(&path)
                    .await
                    .map_err(|error| StoreError::Io { path, error })
            }
            Source::S3(s3) => s3.file(name).await,
        }
    }

    /// How files are named in messages.
    fn base(&self) -> PathBuf {
        match self {
            Source::Dir(dir) => dir.clone(),
            Source::S3(s3) => PathBuf::from(s3.hashed_dir_url()),
        }
    }
}

/// The artifact file of each brand of `manifest` in `format` (`None`: the newest listed).
fn files_of(manifest: &Manifest, format: Option<u16>) -> Vec<String> {
    manifest
        .brands
        .values()
        .filter_map(|e| chosen_artifact(e, format).map(|(_, file, _)| file.to_owned()))
        .collect()
}

/// Fetches the `files` not held yet into `v`: how many were fetched, and why the others failed.
async fn fetch(source: &Source, v: &mut Validator, files: &[String]) -> (usize, Vec<String>) {
    let (mut fetched, mut missing) = (0, Vec::new());
    for file in files {
        if v.files.contains_key(file) {
            continue;
        }
        match source.file(file).await {
            Ok(b) => {
                v.files.insert(file.clone(), b);
                fetched += 1;
            }
            Err(e) => missing.push(e.to_string()),
        }
    }
    (fetched, missing)
}

/// What the refresh keeps between checks: the manifest's tag and the artifact bytes by file name.
#[derive(Default)]
struct Validator {
    tag: Option<String>,
    files: HashMap<String, Vec<u8>>,
}

/// What one revalidation did (for logs and measurements).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    /// Not due yet, or another request is checking.
    Skipped,
    /// The manifest has not changed.
    Unchanged,
    /// A new build is live: its id and how many artifact files were fetched for it.
    Loaded {
        /// The new build's id (`formroute_core::layout::build_id`).
        id: String,
        /// Artifact files fetched for it (the others were held already).
        fetched: usize,
    },
    /// The check failed; the last good build (if any) stays.
    Failed(String),
}

/// The build in memory, and how to refresh it.
pub struct Store {
    source: Option<Source>,
    label: String,
    refresh: Duration,
    current: RwLock<Option<Arc<Build>>>,
    next_check: Mutex<Instant>,
    validator: tokio::sync::Mutex<Validator>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.label)
            .field("refresh", &self.refresh)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A store that only ever holds `build` (or what [`Store::install`] puts in).
    pub fn fixed(build: Build) -> Store {
        Store {
            source: None,
            label: "(installed)".into(),
            refresh: Duration::MAX,
            current: RwLock::new(Some(Arc::new(build))),
            next_check: Mutex::new(Instant::now()),
            validator: Default::default(),
        }
    }

    /// A store reading from `location`, revalidated at most every `refresh`. Makes the first
    /// load at once; when it fails the store starts empty (the error is logged) and retries.
    pub async fn open(location: &Location, refresh: Duration) -> Store {
        let source = match location {
            Location::Dir(d) => Source::Dir(d.clone()),
            Location::S3 { bucket, prefix } => {
                Source::S3(s3::S3Source::connect(bucket, prefix).await)
            }
        };
        let store = Store {
            source: Some(source),
            label: location.to_string(),
            // At most a day, so that the next check time is always representable.
            refresh: refresh.min(Duration::from_secs(86_400)),
            current: RwLock::new(None),
            next_check: Mutex::new(Instant::now()),
            validator: Default::default(),
        };
        store.revalidate().await;
        store
    }

    /// Where builds come from, for messages.
    pub fn location(&self) -> &str {
        &self.label
    }

    /// Puts `build` live at once (requests in flight keep the one they have).
    pub fn install(&self, build: Build) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(build));
    }

    /// The build in memory without any check.
    pub fn peek(&self) -> Option<Arc<Build>> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The live build, revalidated first when the interval has passed; `None` while no build
    /// could ever be loaded.
    pub async fn current(&self) -> Option<Arc<Build>> {
        if self.due() {
            self.revalidate().await;
        }
        self.peek()
    }

    fn due(&self) -> bool {
        self.source.is_some()
            && Instant::now() >= *self.next_check.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks the source now (unless another request is doing it) and swaps in a new build.
    pub async fn revalidate(&self) -> Refresh {
        let Some(source) = &self.source else {
            return Refresh::Skipped;
        };
        // One check at a time; the others go on with the build they have.
        let Ok(mut v) = self.validator.try_lock() else {
            return Refresh::Skipped;
        };
        let outcome = self.check(source, &mut v).await;
        let wait = if self.peek().is_some() {
            self.refresh
        } else {
            self.refresh.min(EMPTY_RETRY)
        };
        *self.next_check.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now()
            .checked_add(wait)
            .unwrap_or_else(Instant::now);
        outcome
    }

    async fn check(&self, source: &Source, v: &mut Validator) -> Refresh {
        let (bytes, tag) = match source.manifest(v.tag.as_deref()).await {
            Ok(Fetched::NotModified) => return Refresh::Unchanged,
            Ok(Fetched::Changed { bytes, tag }) => (bytes, tag),
            Err(e) => return self.failed(e),
        };
        match self.load(source, v, &bytes).await {
            Ok((build, fetched, complete)) => {
                let id = build.id.clone();
                eprintln!(
                    "lambda-logger: build {id} from {}: {} brand(s), {fetched} artifact file(s) fetched",
                    self.label,
                    build.set.as_ref().map_or(0, |s| s.manifest.brands.len()),
                );
                self.install(build);
                // A build taken with unusable brands is fetched again at the next check.
                v.tag = complete.then_some(tag);
                Refresh::Loaded { id, fetched }
            }
            Err(e) => self.failed(e),
        }
    }

    fn failed(&self, e: StoreError) -> Refresh {
        let keeping = match self.peek() {
            Some(b) => format!("keeping build {}", b.id),
            None => "no build loaded yet: beacons get 503".to_string(),
        };
        eprintln!(
            "lambda-logger: refresh from {} failed ({keeping}): {e}",
            self.label
        );
        Refresh::Failed(e.to_string())
    }

    /// Fetches what the manifest names that is not held yet, and opens the set.
    async fn load(
        &self,
        source: &Source,
        v: &mut Validator,
        bytes: &[u8],
    ) -> Result<(Build, usize, bool), StoreError> {
        let text = String::from_utf8_lossy(bytes);
        let base = source.base();
        let manifest = Manifest::from_json(&text).map_err(|error| SetError::Manifest {
            path: base.join(MANIFEST_FILE),
            error,
        })?;
        // The newest format each brand lists (2 when built: smaller, faster to open), from a
        // folder as `formroute resolve` reads it and from S3 as `formroute publish` uploads it.
        let mut format = None;
        let mut wanted = files_of(&manifest, format);
        let (mut fetched, mut missing) = fetch(source, v, &wanted).await;
        if !missing.is_empty() {
            // A manifest listing format 2 that an older `formroute publish` (format 1 only)
            // uploaded: read format 1 rather than answer `unavailable`.
            let v1 = files_of(&manifest, Some(1));
            if v1 != wanted {
                let (more, still) = fetch(source, v, &v1).await;
                fetched += more;
                if still.is_empty() {
                    format = Some(1);
                    wanted = v1;
                    missing = still;
                }
            }
        }
        let set = ArtifactSet::from_files(&text, &base, format, |name| {
            v.files
                .get(name)
                .cloned()
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not fetched"))
        })?;
        // Only what this build names stays in memory.
        v.files.retain(|name, _| wanted.contains(name));
        let problems: Vec<String> = set
            .problems()
            .map(|(brand, e)| format!("brand {brand}: {e}"))
            .collect();
        if !problems.is_empty() {
            let why = if missing.is_empty() {
                problems.join("; ")
            } else {
                missing.join("; ")
            };
            if self.peek().is_some() {
                return Err(StoreError::Unusable(why));
            }
            // A first load takes what it can: the usable brands answer, the others `unavailable`,
            // and every brand's origins are known.
            eprintln!(
                "lambda-logger: warning: loading {} with unusable brands (they answer `unavailable`): {why}",
                self.label
            );
        }
        let id = build_id(bytes);
        Ok((Build::new(Arc::new(set), id), fetched, problems.is_empty()))
    }
}
