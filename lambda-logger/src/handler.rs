//! The beacon route `/v1/events`: CORS, body limits, validation, enrichment and the SPEC answers (202, 400, 403, 413, 503, 204).
//!
//! Order of the checks, each answering at once: no `Origin`, or one that is no brand's: 403;
//! body over 64 KiB: 413; body not `{"events":[...]}` JSON: 400; an event naming a brand that
//! does not list the origin: 403; then each event is validated on its own, the valid ones are
//! enriched and stored, and the answer is 202 with the counts, or 503 if storing failed.
//! Answers never contain what the visitor sent, apart from the allowed origin.

use crate::artifacts::{Build, Store};
use crate::{origins::Origins, sink::Sink};
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use formroute_core::beacon::{parse_batch, BatchError, Enrichment, LoggedEvent, MAX_BODY_BYTES};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The route SPEC fixes for beacons.
pub const ROUTE: &str = "/v1/events";

/// Facts about a request that only the hosting shell knows (set as a request extension by
/// [`crate::lambda::service`]; the local server gives the peer address through `ConnectInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFacts {
    /// The platform's request id (Lambda's).
    pub request_id: Option<String>,
    /// The visitor's address as the platform saw it (never stored whole).
    pub ip: Option<IpAddr>,
}

/// Shared state of the endpoint: the build in memory (brand origins and artifacts) and the sink.
#[derive(Debug)]
pub struct Logger {
    store: Arc<Store>,
    sink: Sink,
    trust_cloudfront: bool,
    fallback_url: Option<String>,
    next_id: AtomicU64,
    started: u64,
}

impl Logger {
    /// A logger accepting the given origins, storing into `sink`, with no artifacts (lookups
    /// answer `unavailable`). With `trust_cloudfront` (on Lambda behind CloudFront) the
    /// `CloudFront-Viewer-Address` header gives the visitor's address; otherwise only the
    /// connection or the platform does.
    pub fn new(origins: Origins, sink: Sink, trust_cloudfront: bool) -> Logger {
        let store = Store::fixed(Build::origins_only(origins));
        Logger::with_store(Arc::new(store), sink, trust_cloudfront)
    }

    /// A logger answering from `store` (origins and artifacts of the live build).
    pub fn with_store(store: Arc<Store>, sink: Sink, trust_cloudfront: bool) -> Logger {
        Logger {
            store,
            sink,
            trust_cloudfront,
            fallback_url: None,
            next_id: AtomicU64::new(0),
            started: now_ms(),
        }
    }

    /// Where `/v1/go` sends visitors when no build is loaded (`FORMROUTE_FALLBACK_URL`).
    pub fn with_fallback_url(mut self, url: Option<String>) -> Logger {
        self.fallback_url = url;
        self
    }

    /// Replaces the brand origins, keeping the artifacts; requests in flight keep the old ones.
    pub fn set_origins(&self, origins: Origins) {
        let set = self.store.peek().and_then(|b| b.set.clone());
        let build = match set {
            Some(set) => Build::with_origins(set, origins, "installed".into()),
            None => Build::origins_only(origins),
        };
        self.store.install(build);
    }

    /// The build store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The sink events go to.
    pub fn sink(&self) -> &Sink {
        &self.sink
    }

    pub(crate) fn fallback_url(&self) -> Option<&str> {
        self.fallback_url.as_deref()
    }

    pub(crate) fn trust_cloudfront(&self) -> bool {
        self.trust_cloudfront
    }

    pub(crate) fn local_request_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("local-{:x}-{n}", self.started)
    }
}

/// The endpoint as a router: [`ROUTE`] and the lookup routes ([`crate::lookup`]); other paths answer 404.
pub fn router(logger: Arc<Logger>) -> Router {
    Router::new()
        .route(ROUTE, any(events))
        .merge(crate::lookup::routes())
        .with_state(logger)
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// An answer with the CORS headers for `origin` (when it is a brand origin) and a fixed body.
fn answer(status: StatusCode, origin: Option<&HeaderValue>, body: Option<String>) -> Response {
    let mut res = Response::new(body.clone().map(Body::from).unwrap_or_else(Body::empty));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(o) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o.clone());
    }
    if body.is_some() {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    res
}

fn error(status: StatusCode, origin: Option<&HeaderValue>, what: &str) -> Response {
    answer(status, origin, Some(format!("{{\"error\":\"{what}\"}}")))
}

pub(crate) fn client_ip(
    req: &Request,
    facts: Option<&RequestFacts>,
    trust_cloudfront: bool,
) -> Option<IpAddr> {
    if trust_cloudfront {
        // `CloudFront-Viewer-Address: 198.51.100.7:46532` or `[2001:db8::1]:46532`.
        let viewer = req
            .headers()
            .get("cloudfront-viewer-address")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit_once(':'))
            .and_then(|(ip, _)| ip.trim_matches(['[', ']']).parse().ok());
        if viewer.is_some() {
            return viewer;
        }
    }
    facts.and_then(|f| f.ip).or_else(|| {
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    })
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn events(State(logger): State<Arc<Logger>>, req: Request) -> Response {
    // No build loaded yet (a cold start with S3 unreachable): nothing can be checked.
    let Some(build) = logger.store.current().await else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "no build loaded yet, try again",
        );
    };
    let origins = &build.origins;
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .filter(|o| o.to_str().is_ok_and(|o| origins.is_brand_origin(o)))
        .cloned();
    let Some(origin) = origin else {
        return error(StatusCode::FORBIDDEN, None, "origin not allowed");
    };
    let origin_str = origin.to_str().unwrap_or_default().to_owned();
    let allow = Some(&origin);
    match *req.method() {
        Method::OPTIONS => {
            let mut res = answer(StatusCode::NO_CONTENT, allow, None);
            let h = res.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("POST, OPTIONS"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("Content-Type"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("86400"),
            );
            return res;
        }
        Method::POST => {}
        _ => {
            let mut res = error(StatusCode::METHOD_NOT_ALLOWED, allow, "method not allowed");
            res.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST, OPTIONS"));
            return res;
        }
    }
    let declared = header_str(req.headers(), "content-length").and_then(|l| l.parse::<u64>().ok());
    if declared.is_some_and(|l| l > MAX_BODY_BYTES as u64) {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            allow,
            "body over 65536 bytes",
        );
    }
    let facts = req.extensions().get::<RequestFacts>().cloned();
    let ip = client_ip(&req, facts.as_ref(), logger.trust_cloudfront);
    let request_id = facts
        .and_then(|f| f.request_id)
        .unwrap_or_else(|| logger.local_request_id());
    let headers = req.headers().clone();
    let body = match to_bytes(req.into_body(), MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                allow,
                "body over 65536 bytes",
            )
        }
    };
    let batch = match parse_batch(&body) {
        Ok(b) => b,
        Err(BatchError::TooLarge) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                allow,
                "body over 65536 bytes",
            )
        }
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                allow,
                "body must be {\\\"events\\\":[...]} JSON with at most 100 events",
            )
        }
    };
    if batch.brands.iter().any(|b| !origins.allows(b, &origin_str)) {
        return error(
            StatusCode::FORBIDDEN,
            allow,
            "origin not allowed for a brand of the batch",
        );
    }
    let meta = Enrichment::new(
        now_ms(),
        request_id,
        header_str(&headers, "cloudfront-viewer-country"),
        header_str(&headers, "user-agent"),
        ip,
    );
    let rejected = batch.rejected();
    let accepted: Vec<LoggedEvent> = batch
        .events
        .into_iter()
        .filter_map(Result::ok)
        .map(|event| LoggedEvent {
            event,
            meta: meta.clone(),
        })
        .collect();
    if !accepted.is_empty() {
        if let Err(e) = logger.sink.put(&accepted).await {
            eprintln!("lambda-logger: {e}");
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                allow,
                "events could not be stored, try again",
            );
        }
    }
    answer(
        StatusCode::ACCEPTED,
        allow,
        Some(format!(
            "{{\"accepted\":{},\"rejected\":{}}}",
            accepted.len(),
            rejected
        )),
    )
}
