//! Beacon events: the one schema of what client-js sends and lambda-logger stores, its validation, and the logged form.
//!
//! SPEC.md "Beacon events" fixes the fields; `client-js/schema/event.schema.json` is the same
//! schema as JSON Schema, and `client-js/schema/examples/{valid,invalid}/*.json` are the example
//! events that both this module's tests and client-js's tests check. Rules, field by field:
//!
//! - `id`, `pv`: 8 to 64 of `A-Z a-z 0-9 _ -`.
//! - `type`: `resolve`, `load` or `error`.
//! - `ts`: integer milliseconds since the epoch, `0 ..= 2^53 - 1` (a JSON number without fraction
//!   or exponent: `1.0` is refused).
//! - `brand`: a slug `[a-z0-9-]{1,32}`.
//! - `page`: `http://` or `https://` origin and path, at most 2,048 characters, no `?` or `#`.
//! - `zip`, `product`: strings of at most 64 characters, required on `resolve`, absent otherwise;
//!   `language`: the same but optional on `resolve` (the visitor may not have given one).
//! - `ok`: boolean, required on `resolve`, absent otherwise.
//! - `state` (two capital letters), `form_type` (slug), `language_used` (two lowercase letters):
//!   present if and only if `ok` is true.
//! - `error`: on `resolve`, present if and only if `ok` is false, and one of the resolver's
//!   reasons ([`RESOLVE_REASONS`]); on `error` events, optional, a code `[a-z0-9_]{1,64}` saying
//!   what failed (`timeout`, `network`, `corrupt`, ...); never on `load`.
//! - `ms`: a number `0 ..= 3,600,000`; required on `resolve` and `load`, optional on `error`.
//! - optional extras: `av` (artifact version, 1 to 64 of `A-Z a-z 0-9 . _ : -`) on any event,
//!   `source` (`network` or `cache`) on `load` only.
//!
//! Any other field is refused, so the stored record holds exactly what the schema describes.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};
use std::collections::BTreeSet;
use std::io::Write;
use std::net::IpAddr;

/// Largest request body the logger reads (SPEC: 64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Most events in one request (SPEC).
pub const MAX_EVENTS: usize = 100;
/// Longest `page`, in characters.
pub const MAX_PAGE_CHARS: usize = 2048;
/// Longest `zip`, `product`, `language`, in characters.
pub const MAX_QUERY_CHARS: usize = 64;
/// Largest `ts`: the largest integer a JavaScript number holds exactly.
pub const MAX_TS: u64 = (1 << 53) - 1;
/// Largest `ms`: one hour.
pub const MAX_MS: f64 = 3_600_000.0;
/// Longest user agent kept by the logger, in bytes (longer ones are cut at a character boundary).
pub const MAX_UA_BYTES: usize = 512;
/// The reasons a resolve can fail with (SPEC "Resolution" plus `unknown_brand` and `unavailable`).
pub const RESOLVE_REASONS: [&str; 6] = [
    "invalid_zip",
    "unknown_zip",
    "unknown_product",
    "not_served",
    "unknown_brand",
    "unavailable",
];

/// Every field name an event may carry, in the order they are written.
pub const EVENT_FIELDS: [&str; 17] = [
    "id",
    "type",
    "ts",
    "brand",
    "page",
    "pv",
    "zip",
    "product",
    "language",
    "ok",
    "state",
    "form_type",
    "language_used",
    "error",
    "ms",
    "av",
    "source",
];

/// What happened on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    /// A `resolve()` call and its answer.
    Resolve,
    /// The artifact was loaded.
    Load,
    /// Loading failed.
    Error,
}

impl EventType {
    /// The name on the wire and in SQS message attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Resolve => "resolve",
            EventType::Load => "load",
            EventType::Error => "error",
        }
    }
}

/// Where a `load` event's artifact came from, or `server` on a `resolve` event that the logger
/// itself recorded for a lookup over HTTP (`/v1/resolve`, `/v1/go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoadSource {
    /// Fetched over the network.
    Network,
    /// Served from the browser's cache.
    Cache,
    /// A server-side lookup. Only the logger writes it: [`Event::from_value`] refuses it, so a
    /// browser cannot pass its events off as server lookups.
    Server,
}

/// One beacon event, valid by construction when obtained from [`Event::from_value`].
///
/// Serialises with the fields in [`EVENT_FIELDS`] order, absent ones left out; `ms` keeps the
/// number as sent (`12` stays `12`, `1.5` stays `1.5`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub ts: u64,
    pub brand: String,
    pub page: String,
    pub pv: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_used: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub av: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<LoadSource>,
}

/// Why one event was rejected. The message names the field, never its value (the logger
/// must not echo what a visitor sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The event is not a JSON object.
    #[error("an event must be a JSON object")]
    NotAnObject,
    /// A field the schema does not know.
    #[error("unknown field")]
    UnknownField,
    /// A required field is absent.
    #[error("field `{0}` is required")]
    Missing(&'static str),
    /// A field that must not be there for this event.
    #[error("field `{0}` is not allowed here")]
    NotAllowed(&'static str),
    /// A field whose value breaks its rule.
    #[error("field `{field}`: {rule}")]
    Invalid {
        field: &'static str,
        rule: &'static str,
    },
}

/// Why a whole request body was refused (the logger answers 413 or 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Over [`MAX_BODY_BYTES`].
    #[error("body is over {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// Not UTF-8 JSON.
    #[error("body is not JSON")]
    NotJson,
    /// JSON, but not `{"events":[...]}`.
    #[error("body must be a JSON object with an `events` array")]
    NotABatch,
    /// More than [`MAX_EVENTS`] events.
    #[error("at most {MAX_EVENTS} events per request")]
    TooManyEvents,
}

/// A readable request body: each event checked on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// One result per event, in body order.
    pub events: Vec<Result<Event, EventError>>,
    /// Every string value of a `brand` field in the batch, valid events or not: the brands whose
    /// origins the request's `Origin` must belong to.
    pub brands: BTreeSet<String>,
}

impl Batch {
    /// Number of valid events.
    pub fn accepted(&self) -> usize {
        self.events.iter().filter(|e| e.is_ok()).count()
    }

    /// Number of rejected events.
    pub fn rejected(&self) -> usize {
        self.events.len() - self.accepted()
    }
}

/// Parses a request body `{"events":[EVENT, ...]}`. Other top-level keys are ignored.
///
/// Never panics, whatever the bytes (property-tested in this module and fuzzed in lambda-logger).
pub fn parse_batch(body: &[u8]) -> Result<Batch, BatchError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(BatchError::TooLarge);
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| BatchError::NotJson)?;
    let Value::Object(mut top) = value else {
        return Err(BatchError::NotABatch);
    };
    let Some(Value::Array(events)) = top.remove("events") else {
        return Err(BatchError::NotABatch);
    };
    if events.len() > MAX_EVENTS {
        return Err(BatchError::TooManyEvents);
    }
    let mut brands = BTreeSet::new();
    for event in &events {
        if let Some(Value::String(brand)) = event.get("brand") {
            brands.insert(brand.clone());
        }
    }
    let events = events.into_iter().map(Event::from_value).collect();
    Ok(Batch { events, brands })
}

fn is_token(s: &str) -> bool {
    (8..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `[a-z0-9-]{1,32}`, as the builder's slugs.
pub fn is_slug(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn chars_at_most(s: &str, n: usize) -> bool {
    // A char is at least one byte: short byte strings need no count.
    s.len() <= n || s.chars().count() <= n
}

fn take_string(
    map: &mut Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, EventError> {
    match map.remove(field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(EventError::Invalid {
            field,
            rule: "must be a string",
        }),
    }
}

fn required<T>(v: Option<T>, field: &'static str) -> Result<T, EventError> {
    v.ok_or(EventError::Missing(field))
}

fn check(ok: bool, field: &'static str, rule: &'static str) -> Result<(), EventError> {
    if ok {
        Ok(())
    } else {
        Err(EventError::Invalid { field, rule })
    }
}

fn absent<T>(v: &Option<T>, field: &'static str) -> Result<(), EventError> {
    if v.is_some() {
        Err(EventError::NotAllowed(field))
    } else {
        Ok(())
    }
}

impl Event {
    /// Checks one event against the schema (see the module documentation) and returns it typed.
    pub fn from_value(value: Value) -> Result<Event, EventError> {
        let Value::Object(mut map) = value else {
            return Err(EventError::NotAnObject);
        };
        if map.keys().any(|k| !EVENT_FIELDS.contains(&k.as_str())) {
            return Err(EventError::UnknownField);
        }
        let id = required(take_string(&mut map, "id")?, "id")?;
        check(is_token(&id), "id", "8 to 64 of A-Z a-z 0-9 _ -")?;
        let kind = match required(take_string(&mut map, "type")?, "type")?.as_str() {
            "resolve" => EventType::Resolve,
            "load" => EventType::Load,
            "error" => EventType::Error,
            _ => {
                return Err(EventError::Invalid {
                    field: "type",
                    rule: "must be resolve, load or error",
                })
            }
        };
        let ts = match map.remove("ts") {
            None => return Err(EventError::Missing("ts")),
            Some(Value::Number(n)) => n.as_u64().filter(|t| *t <= MAX_TS),
            Some(_) => None,
        };
        let ts = ts.ok_or(EventError::Invalid {
            field: "ts",
            rule: "must be an integer from 0 to 2^53-1 (ms since the epoch)",
        })?;
        let brand = required(take_string(&mut map, "brand")?, "brand")?;
        check(is_slug(&brand), "brand", "must be a slug [a-z0-9-]{1,32}")?;
        let page = required(take_string(&mut map, "page")?, "page")?;
        check(
            (page.starts_with("https://") || page.starts_with("http://"))
                && !page.contains(['?', '#'])
                && chars_at_most(&page, MAX_PAGE_CHARS),
            "page",
            "must be an http(s) origin and path, at most 2048 characters, without query or fragment",
        )?;
        let pv = required(take_string(&mut map, "pv")?, "pv")?;
        check(is_token(&pv), "pv", "8 to 64 of A-Z a-z 0-9 _ -")?;

        let zip = take_string(&mut map, "zip")?;
        let product = take_string(&mut map, "product")?;
        let language = take_string(&mut map, "language")?;
        for (field, v) in [
            ("zip", &zip),
            ("product", &product),
            ("language", &language),
        ] {
            if let Some(s) = v {
                check(
                    chars_at_most(s, MAX_QUERY_CHARS),
                    field,
                    "at most 64 characters",
                )?;
            }
        }
        let ok = match map.remove("ok") {
            None => None,
            Some(Value::Bool(b)) => Some(b),
            Some(_) => {
                return Err(EventError::Invalid {
                    field: "ok",
                    rule: "must be true or false",
                })
            }
        };
        let state = take_string(&mut map, "state")?;
        let form_type = take_string(&mut map, "form_type")?;
        let language_used = take_string(&mut map, "language_used")?;
        let error = take_string(&mut map, "error")?;
        let ms = match map.remove("ms") {
            None => None,
            Some(Value::Number(n)) => {
                let f = n.as_f64().unwrap_or(-1.0);
                check(
                    (0.0..=MAX_MS).contains(&f),
                    "ms",
                    "must be from 0 to 3600000",
                )?;
                Some(n)
            }
            Some(_) => {
                return Err(EventError::Invalid {
                    field: "ms",
                    rule: "must be a number",
                })
            }
        };
        let av = take_string(&mut map, "av")?;
        if let Some(av) = &av {
            check(
                (1..=64).contains(&av.len())
                    && av
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)),
                "av",
                "1 to 64 of A-Z a-z 0-9 . _ : -",
            )?;
        }
        let source = match take_string(&mut map, "source")?.as_deref() {
            None => None,
            Some("network") => Some(LoadSource::Network),
            Some("cache") => Some(LoadSource::Cache),
            Some(_) => {
                return Err(EventError::Invalid {
                    field: "source",
                    rule: "must be network or cache",
                })
            }
        };

        match kind {
            EventType::Resolve => {
                required(zip.as_ref(), "zip")?;
                required(product.as_ref(), "product")?;
                let ok = required(ok, "ok")?;
                required(ms.as_ref(), "ms")?;
                absent(&source, "source")?;
                if ok {
                    let s = required(state.as_deref(), "state")?;
                    check(
                        s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()),
                        "state",
                        "two capital letters",
                    )?;
                    let f = required(form_type.as_deref(), "form_type")?;
                    check(is_slug(f), "form_type", "must be a slug [a-z0-9-]{1,32}")?;
                    let l = required(language_used.as_deref(), "language_used")?;
                    check(
                        l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()),
                        "language_used",
                        "two lowercase letters",
                    )?;
                    absent(&error, "error")?;
                } else {
                    absent(&state, "state")?;
                    absent(&form_type, "form_type")?;
                    absent(&language_used, "language_used")?;
                    let e = required(error.as_deref(), "error")?;
                    check(
                        RESOLVE_REASONS.contains(&e),
                        "error",
                        "must be a resolver reason (invalid_zip, unknown_zip, unknown_product, not_served, unknown_brand, unavailable)",
                    )?;
                }
            }
            EventType::Load | EventType::Error => {
                absent(&zip, "zip")?;
                absent(&product, "product")?;
                absent(&language, "language")?;
                absent(&ok, "ok")?;
                absent(&state, "state")?;
                absent(&form_type, "form_type")?;
                absent(&language_used, "language_used")?;
                if kind == EventType::Load {
                    required(ms.as_ref(), "ms")?;
                    absent(&error, "error")?;
                } else {
                    absent(&source, "source")?;
                    if let Some(e) = &error {
                        check(
                            (1..=64).contains(&e.len())
                                && e.bytes().all(|b| {
                                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'
                                }),
                            "error",
                            "a code of 1 to 64 of a-z 0-9 _",
                        )?;
                    }
                }
            }
        }
        Ok(Event {
            id,
            kind,
            ts,
            brand,
            page,
            pv,
            zip,
            product,
            language,
            ok,
            state,
            form_type,
            language_used,
            error,
            ms,
            av,
            source,
        })
    }
}

/// What the logger adds to every event it accepts. No full IP address is ever kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrichment {
    /// When the logger received the request, ms since the epoch (the logger's clock).
    pub received: u64,
    /// The request's id (Lambda's request id, or one the local server makes).
    pub request_id: String,
    /// `CloudFront-Viewer-Country` when present and two capital letters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The `User-Agent`, cut to [`MAX_UA_BYTES`]; empty when absent.
    pub ua: String,
    /// The visitor's network, `/24` for IPv4 and `/48` for IPv6 (e.g. `203.0.113.0/24`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_prefix: Option<String>,
    /// True when the user agent looks like a robot, a crawler or a script (see [`is_bot`]).
    pub bot: bool,
}

impl Enrichment {
    /// Builds the enrichment from request facts, applying every cut and check.
    pub fn new(
        received: u64,
        request_id: String,
        country: Option<&str>,
        ua: Option<&str>,
        ip: Option<IpAddr>,
    ) -> Enrichment {
        let ua = ua.map(|u| cut(u, MAX_UA_BYTES)).unwrap_or_default();
        Enrichment {
            received,
            request_id,
            country: country
                .map(str::trim)
                .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
                .map(str::to_owned),
            bot: is_bot(&ua),
            ua,
            ip_prefix: ip.map(truncate_ip),
        }
    }
}

/// An accepted event as the logger stores it: the event's fields as sent, then the logger's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedEvent {
    #[serde(flatten)]
    pub event: Event,
    #[serde(flatten)]
    pub meta: Enrichment,
}

impl LoggedEvent {
    /// One JSON object on one line, ASCII only: every control and non-ASCII character is
    /// written as a `\uXXXX` escape, so any reader (and SQS, which refuses some code points)
    /// accepts it. Appends to `out` without a newline.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut ser = serde_json::Serializer::with_formatter(&mut *out, AsciiFormatter);
        // Serialising strings, numbers, booleans and enums into a Vec cannot fail.
        let _ = self.serialize(&mut ser);
    }

    /// [`LoggedEvent::write_json`] into a new string.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(512);
        self.write_json(&mut out);
        // AsciiFormatter writes ASCII only, which is UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }
}

/// A compact JSON formatter that escapes every non-ASCII character.
struct AsciiFormatter;

impl serde_json::ser::Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                write!(writer, "\\u{u:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// The visitor's network: IPv4 to `/24`, IPv6 to `/48` (IPv4-mapped IPv6 counts as IPv4).
pub fn truncate_ip(ip: IpAddr) -> String {
    let ip = match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
            format!("{net}/48")
        }
    }
}

/// Words whose presence in a user agent (case-insensitive) marks a robot, crawler, preview
/// fetcher, headless browser or script.
const BOT_MARKERS: [&str; 16] = [
    "bot",
    "crawl",
    "spider",
    "slurp",
    "headless",
    "lighthouse",
    "pagespeed",
    "facebookexternalhit",
    "preview",
    "curl/",
    "wget/",
    "python-",
    "go-http-client",
    "okhttp",
    "java/",
    "phantomjs",
];

/// True when the user agent is empty or names a robot, crawler or script (see `BOT_MARKERS`).
pub fn is_bot(ua: &str) -> bool {
    let ua = ua.trim();
    if ua.is_empty() {
        return true;
    }
    let lower = ua.to_ascii_lowercase();
    BOT_MARKERS.iter().any(|m| lower.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::PathBuf;

    fn resolve_ok() -> Value {
        json!({"id":"evt_0001abcd","type":"resolve","ts":1767225600000u64,"brand":"acme",
               "page":"https://www.acme.example/quote","pv":"pv_0001abcd","zip":"10001",
               "product":"auto","language":"en","ok":true,"state":"NY","form_type":"standard",
               "language_used":"en","ms":0.4})
    }

    fn with(mut v: Value, key: &str, val: Value) -> Value {
        v.as_object_mut().unwrap().insert(key.into(), val);
        v
    }

    fn without(mut v: Value, key: &str) -> Value {
        v.as_object_mut().unwrap().remove(key);
        v
    }

    fn examples(kind: &str) -> Vec<(PathBuf, Value)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../client-js/schema/examples")
            .join(kind);
        let mut out: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| {
                let v = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                (p, v)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    #[test]
    fn every_valid_example_is_accepted_and_written_back_as_sent() {
        let all = examples("valid");
        assert!(
            all.len() >= 6,
            "expected the valid examples, found {}",
            all.len()
        );
        for (path, v) in all {
            let event = Event::from_value(v.clone())
                .unwrap_or_else(|e| panic!("{} rejected: {e}", path.display()));
            assert_eq!(
                serde_json::to_value(&event).unwrap(),
                v,
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn every_invalid_example_is_rejected() {
        let all = examples("invalid");
        assert!(
            all.len() >= 15,
            "expected the invalid examples, found {}",
            all.len()
        );
        for (path, v) in all {
            assert!(
                Event::from_value(v).is_err(),
                "{} was accepted",
                path.display()
            );
        }
    }

    #[test]
    fn an_event_with_only_the_spec_fields_is_accepted() {
        let e = Event::from_value(resolve_ok()).unwrap();
        assert_eq!(e.kind, EventType::Resolve);
        assert_eq!(e.state.as_deref(), Some("NY"));
        let failed = json!({"id":"evt_0002abcd","type":"resolve","ts":1,"brand":"acme",
            "page":"https://www.acme.example/","pv":"pv_0001abcd","zip":"1","product":"x",
            "language":"","ok":false,"error":"invalid_zip","ms":0});
        Event::from_value(failed).unwrap();
    }

    #[test]
    fn ids_must_be_8_to_64_token_characters() {
        for bad in ["short", "has space12", "ünïcødé12", &"a".repeat(65)] {
            let r = Event::from_value(with(resolve_ok(), "id", json!(bad)));
            assert!(
                matches!(r, Err(EventError::Invalid { field: "id", .. })),
                "{bad}: {r:?}"
            );
        }
        Event::from_value(with(resolve_ok(), "id", json!("a".repeat(64)))).unwrap();
        Event::from_value(with(resolve_ok(), "pv", json!("A-_z0123"))).unwrap();
    }

    #[test]
    fn ts_must_be_a_non_negative_safe_integer() {
        for bad in [
            json!(-1),
            json!(1.5),
            json!(1.0),
            json!("1"),
            json!(MAX_TS + 1),
        ] {
            assert!(
                Event::from_value(with(resolve_ok(), "ts", bad.clone())).is_err(),
                "{bad}"
            );
        }
        Event::from_value(with(resolve_ok(), "ts", json!(MAX_TS))).unwrap();
    }

    #[test]
    fn page_is_an_http_url_without_query_and_at_most_2048_characters() {
        let long = format!("https://a.example/{}", "é".repeat(2048 - 18));
        Event::from_value(with(resolve_ok(), "page", json!(long))).unwrap();
        for bad in [
            format!("{long}x"),
            "https://a.example/?q=1".to_owned(),
            "https://a.example/#x".to_owned(),
            "ftp://a.example/".to_owned(),
        ] {
            assert!(Event::from_value(with(resolve_ok(), "page", json!(bad))).is_err());
        }
    }

    #[test]
    fn query_fields_are_limited_to_64_characters_and_resolve_only() {
        Event::from_value(with(resolve_ok(), "zip", json!("€".repeat(64)))).unwrap();
        assert!(Event::from_value(with(resolve_ok(), "zip", json!("1".repeat(65)))).is_err());
        Event::from_value(without(resolve_ok(), "language")).unwrap();
        assert_eq!(
            Event::from_value(without(resolve_ok(), "zip")),
            Err(EventError::Missing("zip"))
        );
        let load = json!({"id":"evt_0003abcd","type":"load","ts":1,"brand":"acme",
            "page":"https://www.acme.example/","pv":"pv_0001abcd","ms":12,"zip":"10001"});
        assert_eq!(Event::from_value(load), Err(EventError::NotAllowed("zip")));
    }

    #[test]
    fn answer_fields_follow_ok() {
        assert_eq!(
            Event::from_value(without(resolve_ok(), "state")),
            Err(EventError::Missing("state"))
        );
        assert_eq!(
            Event::from_value(with(resolve_ok(), "error", json!("not_served"))),
            Err(EventError::NotAllowed("error"))
        );
        let failed = with(resolve_ok(), "ok", json!(false));
        assert_eq!(
            Event::from_value(failed.clone()),
            Err(EventError::NotAllowed("state"))
        );
        let failed = without(
            without(without(failed, "state"), "form_type"),
            "language_used",
        );
        assert_eq!(
            Event::from_value(failed.clone()),
            Err(EventError::Missing("error"))
        );
        assert!(Event::from_value(with(failed.clone(), "error", json!("oops"))).is_err());
        Event::from_value(with(failed, "error", json!("unknown_zip"))).unwrap();
    }

    #[test]
    fn unknown_fields_and_non_objects_are_rejected() {
        assert_eq!(
            Event::from_value(with(resolve_ok(), "extra", json!(1))),
            Err(EventError::UnknownField)
        );
        assert_eq!(Event::from_value(json!([1])), Err(EventError::NotAnObject));
    }

    #[test]
    fn a_batch_keeps_good_events_and_counts_bad_ones() {
        let body = json!({"events":[resolve_ok(), {"brand":"other"}, 7]}).to_string();
        let batch = parse_batch(body.as_bytes()).unwrap();
        assert_eq!((batch.accepted(), batch.rejected()), (1, 2));
        assert_eq!(
            batch.brands.iter().map(String::as_str).collect::<Vec<_>>(),
            ["acme", "other"]
        );
    }

    #[test]
    fn unreadable_bodies_are_refused_as_a_whole() {
        assert_eq!(parse_batch(b"nope"), Err(BatchError::NotJson));
        assert_eq!(parse_batch(b"[]"), Err(BatchError::NotABatch));
        assert_eq!(parse_batch(br#"{"events":{}}"#), Err(BatchError::NotABatch));
        let many = json!({ "events": vec![json!(1); 101] }).to_string();
        assert_eq!(parse_batch(many.as_bytes()), Err(BatchError::TooManyEvents));
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(parse_batch(&big), Err(BatchError::TooLarge));
        assert_eq!(parse_batch(br#"{"events":[]}"#).unwrap().events.len(), 0);
    }

    #[test]
    fn ip_addresses_are_cut_to_their_network() {
        assert_eq!(
            truncate_ip("203.0.113.77".parse().unwrap()),
            "203.0.113.0/24"
        );
        assert_eq!(
            truncate_ip("2001:db8:abcd:12:1:2:3:4".parse().unwrap()),
            "2001:db8:abcd::/48"
        );
        assert_eq!(
            truncate_ip("::ffff:198.51.100.9".parse().unwrap()),
            "198.51.100.0/24"
        );
    }

    #[test]
    fn robots_scripts_and_empty_agents_are_flagged() {
        assert!(is_bot(""));
        assert!(is_bot("Mozilla/5.0 (compatible; Googlebot/2.1)"));
        assert!(is_bot("curl/8.5.0"));
        assert!(is_bot("Mozilla/5.0 HeadlessChrome/120.0"));
        assert!(!is_bot(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
        ));
    }

    #[test]
    fn the_logged_form_is_ascii_json_with_the_event_then_the_enrichment() {
        let ev = Event::from_value(with(resolve_ok(), "zip", json!("1\u{0}é😀\u{fffe}"))).unwrap();
        let meta = Enrichment::new(
            5,
            "req-1".into(),
            Some("DE"),
            Some(&"ü".repeat(400)),
            Some("10.1.2.3".parse().unwrap()),
        );
        assert_eq!(meta.ua.len(), 512);
        assert!(!meta.bot);
        let logged = LoggedEvent { event: ev, meta };
        let text = logged.to_json();
        assert!(text.is_ascii());
        assert!(text.starts_with(r#"{"id":"evt_0001abcd","type":"resolve","#));
        assert!(
            text.contains(r#""zip":"1\u0000\u00e9\ud83d\ude00\ufffe""#),
            "{text}"
        );
        assert!(text.contains(r#""received":5,"request_id":"req-1","country":"DE""#));
        assert!(text.ends_with(r#""ip_prefix":"10.1.2.0/24","bot":false}"#));
        let back: LoggedEvent = serde_json::from_str(&text).unwrap();
        assert_eq!(back, logged);
    }

    #[test]
    fn country_is_kept_only_when_it_is_a_country_code() {
        let m = Enrichment::new(0, String::new(), Some("<script>"), None, None);
        assert_eq!(m.country, None);
        assert!(m.bot);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        #[test]
        fn parse_batch_never_panics_on_bytes(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = parse_batch(&body);
        }

        #[test]
        fn parse_batch_never_panics_on_near_valid_json(
            id in "[A-Za-z0-9_\\-]{0,70}",
            ts in proptest::prelude::any::<i64>(),
            page in "\\PC{0,40}",
            ms in proptest::prelude::any::<f64>(),
            ok in proptest::prelude::any::<bool>(),
            kind in "(resolve|load|error|x)",
            zip in "\\PC{0,80}",
        ) {
            let v = json!({"events":[{"id":id,"type":kind,"ts":ts,"brand":"acme","page":page,
                "pv":"pv_0001abcd","zip":zip,"product":"auto","ok":ok,"ms":ms,"error":"not_served"}]});
            let batch = parse_batch(v.to_string().as_bytes()).unwrap();
            if let Ok(e) = &batch.events[0] {
                let logged = LoggedEvent { event: e.clone(), meta: Enrichment::new(0, "r".into(), None, None, None) };
                proptest::prop_assert!(logged.to_json().is_ascii());
            }
        }
    }
}
