//! The beacon route `/v1/events`: CORS, body limits, validation, rate limit, enrichment and the SPEC answers (202, 400, 403, 408, 413, 415, 429, 503, 204).
//!
//! Order of the checks, each answering at once: no `Origin`, or one that is no brand's (nor one
//! given by `--allow-origin`, [`Logger::with_extra_origins`]): 403;
//! a `Content-Type` other than `text/plain` or `application/json` (parameters such as
//! `charset` allowed; none at all counts as other): 415; body over 64 KiB: 413; body not sent
//! within the body time-out: 408; body not `{"events":[...]}` JSON: 400; an event naming a brand
//! that does not list the origin (an `--allow-origin` origin counts for every brand): 403; the visitor's network over its rate limit: 429 with
//! `Retry-After`; then each event is validated on its own (its `page` must be on the request's
//! `Origin`), the valid ones are enriched and stored, and the answer is 202 with the counts, or
//! 503 if storing failed. Answers never contain what the visitor sent, apart from the allowed
//! origin.
//!
//! The visitor's address and country: `CloudFront-Viewer-Address` and `-Country` are believed
//! only when the logger is told it sits behind CloudFront *and* the request proves it came
//! through it, by an `X-Formroute-Origin-Verify` header equal to the secret the stack gives both
//! CloudFront and the function (`FORMROUTE_ORIGIN_SECRET`). Otherwise the address is the
//! connection's (or the platform's source IP) and no country is stored. See README.md, "Threat
//! model", for what this does and does not prove.

use crate::artifacts::{Build, Store};
use crate::enrich::{enrich, truncate_ip};
use crate::ratelimit::{Limiter, RateLimit};
use crate::{
    origins::{ExtraOrigins, Origins},
    sink::Sink,
};
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use formroute_events::event::MAX_BODY_BYTES;
use formroute_events::{parse_batch, BatchError, EventError, LoggedEvent};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The header CloudFront adds to every request it sends to the logger, with the shared secret.
pub const ORIGIN_VERIFY_HEADER: &str = "x-formroute-origin-verify";
/// Longest time a client may take to send a body, unless [`Logger::with_body_timeout`] says otherwise.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The route SPEC fixes for beacons.
pub const ROUTE: &str = "/v1/events";

/// Facts about a request that only the hosting shell knows (set as a request extension by
/// `crate::lambda::service` (feature `lambda`); the local server gives the peer address through `ConnectInfo`).
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
    origin_secret: Option<String>,
    limiter: Limiter,
    body_timeout: Duration,
    fallback_url: Option<String>,
    extra_origins: ExtraOrigins,
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
            origin_secret: None,
            limiter: Limiter::new(Some(RateLimit::default())),
            body_timeout: DEFAULT_BODY_TIMEOUT,
            fallback_url: None,
            extra_origins: ExtraOrigins::default(),
            next_id: AtomicU64::new(0),
            started: now_ms(),
        }
    }

    /// The secret CloudFront sends in [`ORIGIN_VERIFY_HEADER`]: with `trust_cloudfront`, the
    /// viewer headers are believed only on requests that carry it. Without it (or empty) they
    /// never are.
    pub fn with_origin_secret(mut self, secret: Option<String>) -> Logger {
        self.origin_secret = secret.filter(|s| !s.is_empty());
        self
    }

    /// The per-network rate limit of beacon events (default [`RateLimit::default`]; `None`: off).
    pub fn with_rate_limit(mut self, limit: Option<RateLimit>) -> Logger {
        self.limiter = Limiter::new(limit);
        self
    }

    /// Longest time a client may take to send its body (408 after it).
    pub fn with_body_timeout(mut self, timeout: Duration) -> Logger {
        self.body_timeout = timeout;
        self
    }

    /// True when CloudFront's viewer headers of a request with `headers` are to be believed:
    /// behind CloudFront, with a secret, and the request carries it.
    pub fn viewer_headers_trusted(&self, headers: &HeaderMap) -> bool {
        let (true, Some(secret)) = (self.trust_cloudfront, self.origin_secret.as_deref()) else {
            return false;
        };
        headers
            .get(ORIGIN_VERIFY_HEADER)
            .is_some_and(|v| same_secret(v.as_bytes(), secret.as_bytes()))
    }

    /// Origins accepted for every brand besides the build's (`--allow-origin`), whatever build is loaded.
    pub fn with_extra_origins(mut self, extra: ExtraOrigins) -> Logger {
        self.extra_origins = extra;
        self
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

    /// The sink events go to (the lookup routes store their own events).
    pub(crate) fn sink(&self) -> &Sink {
        &self.sink
    }

    pub(crate) fn fallback_url(&self) -> Option<&str> {
        self.fallback_url.as_deref()
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

/// Compares in time that depends only on the lengths, so the secret cannot be guessed byte by byte.
fn same_secret(given: &[u8], secret: &[u8]) -> bool {
    given.len() == secret.len()
        && given
            .iter()
            .zip(secret)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The visitor's address: from `CloudFront-Viewer-Address` when `viewer_trusted` (see
/// [`Logger::viewer_headers_trusted`]), else the platform's source IP or the connection's peer.
pub(crate) fn client_ip(
    req: &Request,
    facts: Option<&RequestFacts>,
    viewer_trusted: bool,
) -> Option<IpAddr> {
    if viewer_trusted {
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

/// `text/plain` or `application/json`, whatever their parameters (`;charset=UTF-8`).
fn acceptable_content_type(headers: &HeaderMap) -> bool {
    header_str(headers, "content-type").is_some_and(|ct| {
        let media = ct.split(';').next().unwrap_or("").trim();
        media.eq_ignore_ascii_case("text/plain") || media.eq_ignore_ascii_case("application/json")
    })
}

/// True when `page` is `origin` or a path on it (`https://a.example` holds `https://a.example/x`,
/// not `https://a.example.evil/` nor `https://a.example:8443/`).
fn page_on_origin(page: &str, origin: &str) -> bool {
    page.strip_prefix(origin)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
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
        .filter(|o| {
            o.to_str()
                .is_ok_and(|o| origins.is_allowed_origin(o, &logger.extra_origins))
        })
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
    if !acceptable_content_type(req.headers()) {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            allow,
            "content-type must be text/plain or application/json",
        );
    }
    let facts = req.extensions().get::<RequestFacts>().cloned();
    let viewer_trusted = logger.viewer_headers_trusted(req.headers());
    let ip = client_ip(&req, facts.as_ref(), viewer_trusted);
    let request_id = facts
        .and_then(|f| f.request_id)
        .unwrap_or_else(|| logger.local_request_id());
    let headers = req.headers().clone();
    let body = match tokio::time::timeout(
        logger.body_timeout,
        to_bytes(req.into_body(), MAX_BODY_BYTES),
    )
    .await
    {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                allow,
                "body over 65536 bytes",
            )
        }
        Err(_) => {
            let mut res = error(StatusCode::REQUEST_TIMEOUT, allow, "body not sent in time");
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return res;
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
    if batch
        .brands
        .iter()
        .any(|b| !origins.allows_with(b, &origin_str, &logger.extra_origins))
    {
        return error(
            StatusCode::FORBIDDEN,
            allow,
            "origin not allowed for a brand of the batch",
        );
    }
    let network = ip.map_or_else(|| "unknown".to_owned(), truncate_ip);
    if let Err(wait) = logger
        .limiter
        .take(&network, batch.events.len(), Instant::now())
    {
        let mut res = error(
            StatusCode::TOO_MANY_REQUESTS,
            allow,
            "too many events from this network, try again later",
        );
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        return res;
    }
    let meta = enrich(
        now_ms(),
        request_id,
        header_str(&headers, "cloudfront-viewer-country").filter(|_| viewer_trusted),
        header_str(&headers, "user-agent"),
        ip,
    );
    // CORS is not authentication, but a browser cannot lie about its `Origin`: an event whose
    // page is not on it was not sent by that page.
    let events: Vec<_> = batch
        .events
        .into_iter()
        .map(|e| match e {
            Ok(ev) if !page_on_origin(&ev.page, &origin_str) => Err(EventError::Invalid {
                field: "page",
                rule: "must be on the request's Origin",
            }),
            other => other,
        })
        .collect();
    let rejected = events.iter().filter(|e| e.is_err()).count();
    let accepted: Vec<LoggedEvent> = events
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
