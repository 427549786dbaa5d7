//! `formroute serve`: builds `data/`, then serves the artifacts with CDN headers, the client snippet, the demo page and the beacon endpoint on one local port.
//!
//! Paths (the same layout as `formroute publish`, with the server root as the CDN base):
//!
//! ```text
//! /                         the demo page (builder/cli/src/demo/, compiled in)
//! /example.html             the minimal page a website team copies (declarative form)
//! /formroute.min.js         the client snippet (and /formroute.esm.js, the ESM build), from --client
//!                           (client-js/dist), else the copy compiled in: brotli/gzip, ETag, CORS
//! /<brand>.frt              the brand's live artifact: short TTL, ETag, 304
//! /a/<brand>.<hash>.frt     content-addressed files: immutable
//! /manifest.json            the live manifest
//! /v1/events                lambda-logger's beacon endpoint, writing to a spool file
//! /v1/resolve, /v1/go       lambda-logger's HTTP lookup, answering from the current build
//! /dev/brands, /dev/explain JSON for the demo page: brands, and which rule decided a query
//! ```
//!
//! It polls `data/*.csv` and rebuilds when one changes; a failed rebuild prints its errors and
//! keeps serving the last good build. Binary files go gzip-compressed to clients that accept it.

use crate::encoding::{brotli, gzip};
use anyhow::{bail, Context, Result};
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use formroute_core::layout::{CACHE_IMMUTABLE, CACHE_POINTER, TYPE_BINARY, TYPE_JS};
use formroute_core::load::{Sources, FILES};
use formroute_core::manifest::{Manifest, MANIFEST_FILE};
use formroute_core::resolve::ArtifactSet;
use lambda_logger::{spool::SpoolSink, Build, ExtraOrigins, Logger, Origins, Sink, Store};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

/// Arguments of `formroute serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// The rule database folder.
    #[arg(long, default_value = "data")]
    pub(crate) data: PathBuf,
    /// Address to listen on (port 0 picks a free one; the URL is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
    /// Folder of the built client snippet (`npm run build` in client-js writes it).
    #[arg(long, default_value = "client-js/dist")]
    pub(crate) client: PathBuf,
    /// Spool file the beacon endpoint appends accepted events to (default: in the work folder).
    #[arg(long)]
    pub(crate) spool: Option<PathBuf>,
    /// Work folder for the builds (default: a new folder under the system's temporary folder).
    #[arg(long)]
    pub(crate) work: Option<PathBuf>,
    /// How often to look for changes in the data folder, in milliseconds.
    #[arg(long, default_value_t = 500)]
    pub(crate) poll_ms: u64,
    /// Also accept beacons from this origin, for every brand, without changing brands.csv (a
    /// staging or local copy of a brand's site, e.g. `https://staging.acme.example`). Repeatable.
    #[arg(long = "allow-origin", value_name = "URL")]
    pub(crate) allow_origin: Vec<String>,
}

/// One file as served: its bytes, gzip-compressed bytes, brotli-compressed bytes (format-2
/// artifacts and the client files, what browsers fetch) and ETag.
struct Served {
    /// `Content-Type`: the client's JavaScript files, or binary.
    ctype: &'static str,
    raw: Vec<u8>,
    gz: Vec<u8>,
    br: Option<Vec<u8>>,
    etag: String,
}

impl Served {
    fn new(name: &str, raw: Vec<u8>) -> Served {
        let etag = formroute_core::compile::sha256_hex(&raw)[..16].to_string();
        Served {
            ctype: if name.ends_with(".js") {
                TYPE_JS
            } else {
                TYPE_BINARY
            },
            gz: gzip(&raw),
            // The encodings `formroute publish` stores (FORMAT.md "Wire encodings"), so local
            // figures equal production ones; brotli 11 only where browsers fetch, it is slow.
            br: (name.ends_with(".v2.frt") || name.ends_with(".js")).then(|| brotli(&raw)),
            raw,
            etag,
        }
    }
}

/// A successful build, as served.
struct Site {
    /// Build number since start (1, 2, ...).
    number: u64,
    manifest_json: Vec<u8>,
    /// Content-addressed files by name.
    files: HashMap<String, Served>,
    /// Brand slug to its artifact file name.
    pointers: BTreeMap<String, String>,
    /// Brand slug to its format-2 artifact file name (`/<brand>.v2.frt`).
    pointers_v2: BTreeMap<String, String>,
    /// The coverage page of this build (`/coverage`).
    coverage_html: String,
    /// Shared with the lookup routes (`/v1/resolve`, `/v1/go`) of the mounted logger.
    set: Arc<ArtifactSet>,
    /// Build id (as `formroute publish` names builds).
    id: String,
}

struct App {
    site: RwLock<Arc<Site>>,
    client: PathBuf,
    /// The client files as last served (compressed once per content, not per request).
    client_files: Mutex<HashMap<String, Arc<Served>>>,
}

impl App {
    fn site(&self) -> Arc<Site> {
        self.site.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Modification times and sizes of the data files: a rebuild happens when this changes.
fn stamp(data: &Path) -> Vec<Option<(SystemTime, u64)>> {
    FILES
        .iter()
        .chain(&formroute_core::load::OPTIONAL_FILES)
        .map(|f| {
            let m = std::fs::metadata(data.join(f)).ok()?;
            Some((m.modified().ok()?, m.len()))
        })
        .collect()
}

/// Builds `data` into `work/build-N` and opens it. Prints diagnostics; errors refuse the build.
fn build(data: &Path, work: &Path, number: u64) -> Result<Site> {
    let sources =
        Sources::read_dir(data).with_context(|| format!("cannot read {}", data.display()))?;
    let build = formroute_core::build(&sources)?;
    for d in build.shown_in(data) {
        eprintln!("{d}");
    }
    let (errors, warnings) = (build.errors, build.warnings);
    let Some(mut output) = build.output else {
        bail!("{errors} error(s) in {}: fix them and save", data.display());
    };
    // The same folder as `formroute build` writes: the hashed client files of this binary too.
    output.add_client(crate::client::SNIPPET, crate::client::ESM);
    let dir = work.join(format!("build-{number}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let manifest_json = output.manifest.to_json().into_bytes();
    std::fs::write(dir.join(MANIFEST_FILE), &manifest_json)?;
    let mut files = HashMap::new();
    for (name, bytes) in &output.files {
        std::fs::write(dir.join(name), bytes)
            .with_context(|| format!("cannot write {}", dir.join(name).display()))?;
        files.insert(name.clone(), Served::new(name, bytes.clone()));
    }
    let set = ArtifactSet::open(&dir).with_context(|| format!("cannot open {}", dir.display()))?;
    let pointers = output
        .manifest
        .brands
        .iter()
        .map(|(b, e)| (b.clone(), e.artifact.clone()))
        .collect();
    let pointers_v2 = output
        .manifest
        .brands
        .iter()
        .filter_map(|(b, e)| Some((b.clone(), e.artifact_v2.clone()?)))
        .collect();
    eprintln!(
        "formroute: build {number}: {} brand(s), {warnings} warning(s)",
        output.manifest.brands.len()
    );
    let coverage_html = crate::cmd::coverage::html(
        &output.coverage,
        &format!(
            "{} · build {number} · ZIP data {}",
            data.display(),
            output.manifest.zip_data_version
        ),
    );
    Ok(Site {
        number,
        coverage_html,
        files,
        pointers,
        pointers_v2,
        set: Arc::new(set),
        id: formroute_core::layout::build_id(&manifest_json),
        manifest_json,
    })
}

/// What the mounted logger answers from: the site's artifacts, with [`origins`].
fn lookup_build(site: &Site, local: &[String]) -> Build {
    Build::with_origins(
        site.set.clone(),
        origins(&site.set.manifest, local),
        site.id.clone(),
    )
}

/// The beacon origins: the brands' own, plus this server's, so the demo page's beacons count.
fn origins(manifest: &Manifest, local: &[String]) -> Origins {
    let mut m = manifest.clone();
    for e in m.brands.values_mut() {
        e.origins.extend(local.iter().cloned());
    }
    Origins::from_manifest(&m)
}

/// Runs `formroute serve`.
pub(crate) fn run(args: ServeArgs) -> Result<ExitCode> {
    crate::aws::runtime()?
        .block_on(serve(args))
        .map(|()| ExitCode::SUCCESS)
}

async fn serve(args: ServeArgs) -> Result<()> {
    // A mistyped origin stops the server before anything else: it would accept nothing.
    let extra = ExtraOrigins::parse(&args.allow_origin)?;
    let work = match &args.work {
        Some(w) => w.clone(),
        None => std::env::temp_dir().join(format!("formroute-serve-{}", std::process::id())),
    };
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let mut last_stamp = stamp(&args.data);
    let site = build(&args.data, &work, 1)
        .context("the first build failed, so there is nothing to serve yet")?;
    let snippet = args.client.join("formroute.min.js");
    if !snippet.is_file() {
        eprintln!(
            "formroute: {} not found: serving the client snippet built into this binary",
            snippet.display()
        );
    }

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let local = vec![
        format!("http://{addr}"),
        format!("http://localhost:{}", addr.port()),
    ];
    let spool = args
        .spool
        .clone()
        .unwrap_or_else(|| work.join("events.ndjson"));
    let sink =
        SpoolSink::open(&spool).with_context(|| format!("cannot open {}", spool.display()))?;
    let store = Arc::new(Store::fixed(lookup_build(&site, &local)));
    if let Some(line) = extra.describe() {
        eprintln!("formroute: {line}");
    }
    let logger =
        Arc::new(Logger::with_store(store, Sink::Spool(sink), false).with_extra_origins(extra));
    let app = Arc::new(App {
        site: RwLock::new(Arc::new(site)),
        client: args.client.clone(),
        client_files: Mutex::new(HashMap::new()),
    });

    // Rebuild on change, keeping the last good build when one fails.
    {
        let (app, logger, data, poll) = (
            app.clone(),
            logger.clone(),
            args.data.clone(),
            Duration::from_millis(args.poll_ms.max(50)),
        );
        tokio::spawn(async move {
            let mut number = 1;
            loop {
                tokio::time::sleep(poll).await;
                let now = stamp(&data);
                if now == last_stamp {
                    continue;
                }
                last_stamp = now;
                number += 1;
                eprintln!("formroute: {} changed, rebuilding", data.display());
                let (d, w) = (data.clone(), work.clone());
                match tokio::task::spawn_blocking(move || build(&d, &w, number)).await {
                    Ok(Ok(site)) => {
                        logger.store().install(lookup_build(&site, &local));
                        let old = std::mem::replace(
                            &mut *app.site.write().unwrap_or_else(|p| p.into_inner()),
                            Arc::new(site),
                        );
                        // Served from memory: the previous build's folder is no longer needed.
                        let _ = std::fs::remove_dir_all(work.join(format!("build-{}", old.number)));
                    }
                    Ok(Err(e)) => eprintln!(
                        "formroute: rebuild failed, still serving the last good build: {e:#}"
                    ),
                    Err(e) => eprintln!("formroute: rebuild crashed: {e}"),
                }
            }
        });
    }

    let router = Router::new()
        .route(
            "/",
            get(|| async { page(DEMO_HTML, "text/html; charset=utf-8") }),
        )
        .route(
            "/index.html",
            get(|| async { page(DEMO_HTML, "text/html; charset=utf-8") }),
        )
        .route(
            "/example.html",
            get(|| async { page(EXAMPLE_HTML, "text/html; charset=utf-8") }),
        )
        .route(
            "/demo.js",
            get(|| async { page(DEMO_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/demo.css",
            get(|| async { page(DEMO_CSS, "text/css; charset=utf-8") }),
        )
        .route("/coverage", get(coverage_page))
        .route("/manifest.json", get(manifest_json))
        .route("/a/{file}", get(hashed))
        .route("/{file}", get(top_level))
        .route("/dev/brands", get(dev_brands))
        .route("/dev/explain", get(dev_explain))
        .with_state(app)
        .merge(lambda_logger::router(logger));

    println!("formroute serve: http://{addr}/");
    eprintln!(
        "formroute: serving {} on http://{addr}/ (demo page), beacons to {}; Ctrl-C stops",
        args.data.display(),
        spool.display()
    );
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("server failed")
}

const DEMO_HTML: &str = include_str!("../demo/index.html");
const DEMO_JS: &str = include_str!("../demo/demo.js");
const DEMO_CSS: &str = include_str!("../demo/demo.css");
const EXAMPLE_HTML: &str = include_str!("../demo/example.html");

fn response(status: StatusCode, content_type: &str, body: impl Into<Body>) -> Response {
    let mut res = Response::new(body.into());
    *res.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    res
}

fn page(text: &'static str, content_type: &str) -> Response {
    let mut res = response(StatusCode::OK, content_type, text);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

fn not_found(what: &str) -> Response {
    response(
        StatusCode::NOT_FOUND,
        "text/plain; charset=utf-8",
        format!("{what}\n"),
    )
}

/// Whether `Accept-Encoding` names `coding` (without `q=0`).
fn accepts(req: &HeaderMap, coding: &str) -> bool {
    req.get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|e| {
                let mut parts = e.split(';').map(str::trim);
                parts.next() == Some(coding)
                    && !parts.any(|p| {
                        p.strip_prefix("q=")
                            .and_then(|q| q.trim().parse::<f32>().ok())
                            == Some(0.0)
                    })
            })
        })
}

/// `file` as a CDN sends it: in the smallest encoding `Accept-Encoding` allows (brotli when the
/// file has one, else gzip, else the bytes), with a strong ETag per encoding (`If-None-Match` ->
/// 304), `Vary: Accept-Encoding`, `cache_control`, and `Access-Control-Allow-Origin: *` plus
/// `Timing-Allow-Origin: *` (readable, and timed, from any page).
fn binary(req: &HeaderMap, file: &Served, cache_control: &'static str) -> Response {
    let br = file.br.as_ref().filter(|_| accepts(req, "br"));
    let gzip_ok = br.is_none() && accepts(req, "gzip");
    let etag = if br.is_some() {
        format!("\"{}.br\"", file.etag)
    } else if gzip_ok {
        format!("\"{}.gz\"", file.etag)
    } else {
        format!("\"{}\"", file.etag)
    };
    let matches = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if matches {
        response(StatusCode::NOT_MODIFIED, file.ctype, Body::empty())
    } else if let Some(br) = br {
        let mut r = response(StatusCode::OK, file.ctype, br.clone());
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        r
    } else if gzip_ok {
        let mut r = response(StatusCode::OK, file.ctype, file.gz.clone());
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        response(StatusCode::OK, file.ctype, file.raw.clone())
    };
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    // Lets a page's Resource Timing see transfer sizes: the client's `load` event tells cache from network.
    h.insert("timing-allow-origin", HeaderValue::from_static("*"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    res
}

/// The coverage page of the build being served (rebuilt with it).
async fn coverage_page(State(app): State<Arc<App>>) -> Response {
    let site = app.site();
    let mut r = response(
        StatusCode::OK,
        "text/html; charset=utf-8",
        site.coverage_html.clone(),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

async fn manifest_json(State(app): State<Arc<App>>) -> Response {
    let site = app.site();
    let mut res = response(
        StatusCode::OK,
        "application/json",
        site.manifest_json.clone(),
    );
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_POINTER),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("{}", site.number)) {
        h.insert("x-formroute-build", v);
    }
    res
}

async fn hashed(
    State(app): State<Arc<App>>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let site = app.site();
    match site.files.get(&file) {
        Some(f) => binary(&headers, f, CACHE_IMMUTABLE),
        None => not_found("no such file in the current build"),
    }
}

/// `/<brand>.frt` (the pointer) and the client snippet files.
async fn top_level(
    State(app): State<Arc<App>>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(brand) = file.strip_suffix(".v2.frt") {
        let site = app.site();
        return match site.pointers_v2.get(brand).and_then(|a| site.files.get(a)) {
            Some(f) => binary(&headers, f, CACHE_POINTER),
            None => not_found("no such brand (or no format-2 artifact) in the current build"),
        };
    }
    if let Some(brand) = file.strip_suffix(".frt") {
        let site = app.site();
        return match site.pointers.get(brand).and_then(|a| site.files.get(a)) {
            Some(f) => binary(&headers, f, CACHE_POINTER),
            None => not_found("no such brand in the current build"),
        };
    }
    if file.starts_with("formroute.") && file.ends_with(".js") && !file.contains("..") {
        let path = app.client.join(&file);
        // Read on every request, so that `npm run build` shows at once.
        let raw = match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            // Not there (serve started outside the repository): the committed build, embedded.
            Err(_) => match crate::client::embedded(&file) {
                Some(bytes) => bytes.to_vec(),
                None => return not_found(&format!("{} is missing", path.display())),
            },
        };
        let served = {
            let mut cache = app.client_files.lock().unwrap_or_else(|p| p.into_inner());
            match cache.get(&file) {
                Some(s) if s.raw == raw => s.clone(),
                _ => {
                    let s = Arc::new(Served::new(&file, raw));
                    cache.insert(file.clone(), s.clone());
                    s
                }
            }
        };
        // The unversioned snippet URL is a pointer, like `<brand>.v2.frt`: a new release reaches
        // visitors within a minute of the artifacts it reads, a returning visitor never waits for
        // the revalidation (stale-while-revalidate), and revalidating costs a 304 (the ETag).
        // (`formroute.<hash>.min.js`, which `formroute publish` uploads, is the immutable one.)
        return binary(&headers, &served, CACHE_POINTER);
    }
    not_found("not found")
}

fn json(value: serde_json::Value) -> Response {
    let mut res = response(StatusCode::OK, "application/json", value.to_string());
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `/dev/brands`: each brand's name, products, languages, default language and fallback URL.
async fn dev_brands(State(app): State<Arc<App>>) -> Response {
    let site = app.site();
    let mut out = serde_json::Map::new();
    for (slug, e) in &site.set.manifest.brands {
        let languages = site
            .set
            .brand(slug)
            .map(|b| b.artifact.tables.languages.clone())
            .unwrap_or_default();
        out.insert(
            slug.clone(),
            serde_json::json!({
                "name": e.name,
                "products": e.products,
                "languages": languages,
                "default_language": e.default_language,
                "fallback_url": e.fallback_url,
            }),
        );
    }
    json(serde_json::json!({ "build": site.number, "brands": out }))
}

/// `/dev/explain?brand=&zip=&product=&language=`: the reference resolver's answer and which row decided.
async fn dev_explain(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let site = app.site();
    let field = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let (res, decided_by) = site.set.resolve_explained(
        field("brand"),
        field("zip"),
        field("product"),
        field("language"),
    );
    // The resolver's own line, as `formroute resolve` prints it (SPEC's key order), embedded as is.
    let decided_by = serde_json::to_string(&decided_by).unwrap_or_else(|_| "null".into());
    let body = format!(
        "{{\"build\":{},\"result\":{},\"decided_by\":{decided_by}}}",
        site.number,
        res.to_json()
    );
    let mut out = response(StatusCode::OK, "application/json", body);
    out.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}
