//! The HTTP lookup (SPEC "The HTTP lookup"): `GET /v1/resolve` answers `formroute resolve`'s NDJSON line, `GET /v1/go` redirects to the form; both record a server-side `resolve` event.
//!
//! Parameters are decoded as `application/x-www-form-urlencoded` (bytes that are not UTF-8
//! become U+FFFD, as in the WHATWG parser and as `formroute resolve --batch` reads a file) and
//! passed to `formroute_core`'s resolver exactly as they are; a missing one is empty. Answers
//! never contain what the visitor sent, except inside the resolver's own JSON line and the
//! redirect to the URL it filled.
//!
//! Choices where SPEC is silent:
//! - a query string over [`MAX_QUERY_BYTES`] gets `414`, a `brand`, `zip`, `product` or
//!   `language` given twice gets `400` (a form with two such fields is a page bug to show, not
//!   to guess around); other parameters are ignored (forms carry buttons, tracking fields, ...);
//! - `/v1/resolve` is `Cache-Control: public, max-age=30` (with the default 30 s revalidation a
//!   data change shows within a minute); `/v1/go` and every error are `no-store`;
//! - no build loaded at all (a cold start with S3 unreachable): `/v1/resolve` answers `503` with
//!   SPEC's `unavailable` line (its `fallback_url` the configured `FORMROUTE_FALLBACK_URL`, or
//!   `null`), and `/v1/go` redirects to that URL (else a `503` page). A brand whose artifact is
//!   unusable answers `unavailable` too, and `/v1/go` sends it to the same fallback;
//! - `Location` carries the URL with any byte outside visible ASCII percent-encoded, as a browser
//!   would when following it;
//! - events are recorded only for brands of the build (an unknown brand, or a `brand` that is
//!   no slug, cannot be a valid event); `zip`, `product` and `language` are cut to the schema's
//!   64 characters; `page` is the `Referer` without its query (else this route on the `Host`,
//!   `localhost` when that is an IP address);
//!   `av` is the build id; a failure to store the event is logged and the answer still given.

use crate::enrich::enrich;
use crate::handler::{client_ip, header_str, now_ms, Logger, RequestFacts};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use formroute_core::resolve::{Reason, Resolution};
use formroute_events::event::{MAX_PAGE_CHARS, MAX_QUERY_CHARS};
use formroute_events::spec::is_slug;
use formroute_events::{Event, EventType, LoadSource, LoggedEvent};
use serde_json::Number;
use std::sync::Arc;
use std::time::Instant;

/// The lookup route answering JSON.
pub const RESOLVE_ROUTE: &str = "/v1/resolve";
/// The lookup route answering a redirect.
pub const GO_ROUTE: &str = "/v1/go";
/// Longest query string read, in bytes (the conformance set's longest hostile query is about
/// 5 KiB once encoded).
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
/// `Cache-Control` of `/v1/resolve` answers.
pub const RESOLVE_CACHE: &str = "public, max-age=30";

/// The two lookup routes, for [`crate::router`].
pub fn routes() -> Router<Arc<Logger>> {
    Router::new()
        .route(RESOLVE_ROUTE, get(resolve))
        .route(GO_ROUTE, get(go))
}

/// The four parameters, decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// `brand`: the brand slug.
    pub brand: String,
    /// `zip`: the ZIP as asked.
    pub zip: String,
    /// `product`: the product as asked.
    pub product: String,
    /// `language`: the language as asked (may be empty).
    pub language: String,
}

/// A query string that is not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Over [`MAX_QUERY_BYTES`].
    #[error("query string over 16384 bytes")]
    TooLong,
    /// One of the four parameters given more than once.
    #[error("brand, zip, product and language may each be given once")]
    Repeated,
}

impl Query {
    /// Decodes a raw query string (without `?`).
    pub fn parse(raw: Option<&str>) -> Result<Query, QueryError> {
        let raw = raw.unwrap_or_default();
        if raw.len() > MAX_QUERY_BYTES {
            return Err(QueryError::TooLong);
        }
        let mut q = Query::default();
        let mut seen = [false; 4];
        for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
            let (i, slot) = match &*k {
                "brand" => (0, &mut q.brand),
                "zip" => (1, &mut q.zip),
                "product" => (2, &mut q.product),
                "language" => (3, &mut q.language),
                _ => continue,
            };
            if std::mem::replace(&mut seen[i], true) {
                return Err(QueryError::Repeated);
            }
            *slot = v.into_owned();
        }
        Ok(q)
    }
}

/// What a lookup found.
struct Looked {
    answer: Resolution<'static>,
    /// No artifacts loaded at all.
    no_build: bool,
    /// No artifacts, or the brand's artifact unusable.
    unavailable: bool,
}

/// What the event needs from the request, taken before any `await` (a request body is not `Sync`).
struct Seen {
    headers: HeaderMap,
    path: String,
    ip: Option<std::net::IpAddr>,
    /// CloudFront's viewer headers may be believed (see [`Logger::viewer_headers_trusted`]).
    viewer_trusted: bool,
    request_id: String,
}

impl Seen {
    fn of(logger: &Logger, req: &Request) -> Seen {
        let facts = req.extensions().get::<RequestFacts>().cloned();
        let viewer_trusted = logger.viewer_headers_trusted(req.headers());
        let ip = client_ip(req, facts.as_ref(), viewer_trusted);
        Seen {
            headers: req.headers().clone(),
            path: req.uri().path().to_owned(),
            ip,
            viewer_trusted,
            request_id: facts
                .and_then(|f| f.request_id)
                .unwrap_or_else(|| logger.local_request_id()),
        }
    }
}

async fn look_up(logger: &Logger, seen: Seen, q: &Query) -> Looked {
    let started = Instant::now();
    let build = logger.store().current().await;
    let Some((build, set)) = build.as_ref().and_then(|b| b.set.as_ref().map(|s| (b, s))) else {
        return Looked {
            answer: Resolution::Failed {
                error: Reason::Unavailable,
                fallback_url: logger.fallback_url().map(str::to_owned),
            },
            no_build: true,
            unavailable: true,
        };
    };
    // Owned: the answer outlives this look-up's hold on the build.
    let answer = set
        .resolve(&q.brand, &q.zip, &q.product, &q.language)
        .into_owned();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let unavailable = matches!(
        answer,
        Resolution::Failed {
            error: Reason::Unavailable,
            ..
        }
    );
    if set.manifest.brands.contains_key(&q.brand) && is_slug(&q.brand) {
        let event = server_event(seen, q, &answer, ms, &build.id);
        if let Err(e) = logger.sink().put(&[event]).await {
            eprintln!("lambda-logger: a lookup's event was not stored: {e}");
        }
    }
    Looked {
        answer,
        no_build: false,
        unavailable,
    }
}

/// `s` cut to at most `n` characters.
fn cut_chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Keeps `A-Z a-z 0-9 _ -`, at most 64 (event ids and page-view ids).
fn token(prefix: &str, s: &str) -> String {
    let mut t: String = format!("{prefix}{s}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    while t.len() < 8 {
        t.push('0');
    }
    t
}

/// The page the lookup came from: the `Referer`'s origin and path, else this route on the `Host`.
fn page(headers: &HeaderMap, route: &str) -> String {
    let referer = header_str(headers, "referer")
        .filter(|r| r.starts_with("https://") || r.starts_with("http://"))
        .map(|r| r.split(['?', '#']).next().unwrap_or(r))
        .filter(|r| r.chars().count() <= MAX_PAGE_CHARS);
    if let Some(r) = referer {
        return r.to_owned();
    }
    let host = header_str(headers, header::HOST.as_str())
        .filter(|h| {
            (1..=255).contains(&h.len())
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        // An address as host would put an IP address in the log: say `localhost` instead.
        .filter(|h| {
            let name = h.rsplit_once(':').map_or(*h, |(n, _)| n);
            !h.starts_with('[') && name.parse::<std::net::IpAddr>().is_err()
        })
        .unwrap_or("localhost");
    let scheme = match header_str(headers, "x-forwarded-proto") {
        Some("http") => "http",
        Some(_) => "https",
        None if host == "localhost" || host.starts_with("localhost:") => "http",
        None => "https",
    };
    format!("{scheme}://{host}{route}")
}

fn server_event(
    seen: Seen,
    q: &Query,
    answer: &Resolution<'_>,
    ms: f64,
    build: &str,
) -> LoggedEvent {
    let Seen {
        headers,
        path,
        ip,
        viewer_trusted,
        request_id,
    } = seen;
    let headers = &headers;
    let id = token("srv-", &request_id);
    let received = now_ms();
    let (ok, state, form_type, language_used, error) = match answer {
        Resolution::Ok {
            state,
            form_type,
            language,
            ..
        } => (
            true,
            Some(state.to_string()),
            Some(form_type.to_string()),
            Some(language.to_string()),
            None,
        ),
        Resolution::Failed { error, .. } => {
            (false, None, None, None, Some(error.as_str().to_owned()))
        }
    };
    let av = token("", build).chars().take(64).collect::<String>();
    let event = Event {
        id: id.clone(),
        kind: EventType::Resolve,
        ts: received,
        brand: q.brand.clone(),
        page: page(headers, &path),
        pv: id,
        zip: Some(cut_chars(&q.zip, MAX_QUERY_CHARS)),
        product: Some(cut_chars(&q.product, MAX_QUERY_CHARS)),
        language: (!q.language.is_empty()).then(|| cut_chars(&q.language, MAX_QUERY_CHARS)),
        ok: Some(ok),
        state,
        form_type,
        language_used,
        error,
        ms: Number::from_f64((ms * 1000.0).round() / 1000.0),
        av: Some(av),
        source: Some(LoadSource::Server),
    };
    let meta = enrich(
        received,
        request_id,
        header_str(headers, "cloudfront-viewer-country").filter(|_| viewer_trusted),
        header_str(headers, "user-agent"),
        ip,
    );
    LoggedEvent { event, meta }
}

fn respond(
    status: StatusCode,
    content_type: &'static str,
    cache: &'static str,
    body: String,
) -> Response {
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    res
}

fn query_error(e: QueryError) -> StatusCode {
    match e {
        QueryError::TooLong => StatusCode::URI_TOO_LONG,
        QueryError::Repeated => StatusCode::BAD_REQUEST,
    }
}

async fn resolve(State(logger): State<Arc<Logger>>, req: Request) -> Response {
    let q = match Query::parse(req.uri().query()) {
        Ok(q) => q,
        Err(e) => {
            return respond(
                query_error(e),
                "application/json",
                "no-store",
                format!("{{\"error\":\"{e}\"}}\n"),
            )
        }
    };
    let seen = Seen::of(&logger, &req);
    drop(req);
    let looked = look_up(&logger, seen, &q).await;
    let mut line = looked.answer.to_json();
    line.push('\n');
    if looked.no_build {
        let mut res = respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "application/json",
            "no-store",
            line,
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return res;
    }
    respond(StatusCode::OK, "application/json", RESOLVE_CACHE, line)
}

/// A short fixed page (nothing from the request is ever put in it).
fn html(status: StatusCode, title: &str, text: &str) -> Response {
    respond(
        status,
        "text/html; charset=utf-8",
        "no-store",
        format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body><h1>{title}</h1><p>{text}</p></body></html>\n"
        ),
    )
}

/// The URL as a `Location` value: bytes outside visible ASCII percent-encoded.
fn location(url: &str) -> Option<HeaderValue> {
    let mut out = String::with_capacity(url.len());
    for b in url.bytes() {
        if (0x21..0x7f).contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&out).ok()
}

fn redirect(url: &str) -> Option<Response> {
    let value = location(url)?;
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::FOUND;
    let h = res.headers_mut();
    h.insert(header::LOCATION, value);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Some(res)
}

async fn go(State(logger): State<Arc<Logger>>, req: Request) -> Response {
    let q = match Query::parse(req.uri().query()) {
        Ok(q) => q,
        Err(QueryError::TooLong) => {
            return html(
                StatusCode::URI_TOO_LONG,
                "Request too long",
                "This form sent more than we can read. Please go back and try again.",
            )
        }
        Err(QueryError::Repeated) => {
            return html(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "This form sent the same field twice. Please go back and try again.",
            )
        }
    };
    let seen = Seen::of(&logger, &req);
    drop(req);
    let looked = look_up(&logger, seen, &q).await;
    let target = match &looked.answer {
        Resolution::Ok { url, .. } => Some(url.as_str()),
        Resolution::Failed { fallback_url, .. } => fallback_url.as_deref(),
    };
    let target = target.or(if looked.unavailable {
        logger.fallback_url()
    } else {
        None
    });
    if let Some(res) = target.and_then(redirect) {
        return res;
    }
    if looked.unavailable {
        return html(
            StatusCode::SERVICE_UNAVAILABLE,
            "Temporarily unavailable",
            "We cannot find the right form just now. Please try again in a moment.",
        );
    }
    html(
        StatusCode::NOT_FOUND,
        "Form not found",
        "We could not find a quote form for this page. Please go back and try again.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_decode_as_an_html_form_sends_them() {
        let q = Query::parse(Some(
            "brand=acme&zip=+10001%09&product=Auto&language=es-MX&x=1",
        ))
        .unwrap();
        assert_eq!(q.zip, " 10001\t");
        assert_eq!(q.product, "Auto");
        assert_eq!(q.language, "es-MX");
        assert_eq!(Query::parse(None).unwrap(), Query::default());
        // Not UTF-8: replaced, as the WHATWG parser and `formroute resolve --batch` do.
        assert_eq!(Query::parse(Some("zip=%FF1")).unwrap().zip, "\u{FFFD}1");
    }

    #[test]
    fn repeated_and_over_long_queries_are_refused() {
        assert_eq!(Query::parse(Some("zip=1&zip=2")), Err(QueryError::Repeated));
        assert_eq!(
            Query::parse(Some(&format!("zip={}", "1".repeat(MAX_QUERY_BYTES)))),
            Err(QueryError::TooLong)
        );
    }

    #[test]
    fn locations_are_visible_ascii() {
        let v = location("https://x.example/é ?a=1").unwrap();
        assert_eq!(v.to_str().unwrap(), "https://x.example/%C3%A9%20?a=1");
    }

    #[test]
    fn ids_are_schema_tokens() {
        assert_eq!(token("srv-", "a.b"), "srv-a-b0");
        assert_eq!(token("srv-", &"x".repeat(80)).len(), 64);
    }
}
