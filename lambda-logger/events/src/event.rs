//! Beacon events: the one schema of what client-js sends and lambda-logger stores, and its validation.
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

use formroute_core::spec;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

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
    /// Unique per event (8-64 of `A-Z a-z 0-9 _ -`): the key that makes delivery idempotent.
    pub id: String,
    /// What happened (JSON `type`).
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When, in ms since the epoch on the visitor's clock.
    pub ts: u64,
    /// Slug of the brand whose page sent it.
    pub brand: String,
    /// Origin and path of the page, no query string (at most 2,048 bytes).
    pub page: String,
    /// Page-view id, random per page load.
    pub pv: String,
    /// The ZIP asked (`resolve` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// The product asked (`resolve` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The language asked (`resolve` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The answer's `ok` (`resolve` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    /// The state resolved; present if and only if `ok` is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The form type resolved; present if and only if `ok` is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_type: Option<String>,
    /// The language of the form answered; present if and only if `ok` is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_used: Option<String>,
    /// Why the page got no form; present if and only if `ok` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Time to resolve, or to load for `load`, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms: Option<Number>,
    /// The version of the artifact that answered (the client sends its CRC-32C in hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub av: Option<String>,
    /// Where a `load` got the artifact from.
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
        /// The field's name.
        field: &'static str,
        /// The rule it breaks, in words.
        rule: &'static str,
    },
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
        check(spec::is_event_id(&id), "id", "8 to 64 of A-Z a-z 0-9 _ -")?;
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
        check(
            spec::is_slug(&brand),
            "brand",
            "must be a slug [a-z0-9-]{1,32}",
        )?;
        let page = required(take_string(&mut map, "page")?, "page")?;
        check(
            (page.starts_with("https://") || page.starts_with("http://"))
                && !page.contains(['?', '#'])
                && chars_at_most(&page, MAX_PAGE_CHARS),
            "page",
            "must be an http(s) origin and path, at most 2048 characters, without query or fragment",
        )?;
        let pv = required(take_string(&mut map, "pv")?, "pv")?;
        check(spec::is_event_id(&pv), "pv", "8 to 64 of A-Z a-z 0-9 _ -")?;

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
                    check(spec::is_two_capitals(s), "state", "two capital letters")?;
                    let f = required(form_type.as_deref(), "form_type")?;
                    check(
                        spec::is_slug(f),
                        "form_type",
                        "must be a slug [a-z0-9-]{1,32}",
                    )?;
                    let l = required(language_used.as_deref(), "language_used")?;
                    check(
                        spec::is_language(l),
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;
    use std::path::PathBuf;

    pub(crate) fn resolve_ok() -> Value {
        json!({"id":"evt_0001abcd","type":"resolve","ts":1767225600000u64,"brand":"acme",
               "page":"https://www.acme.example/quote","pv":"pv_0001abcd","zip":"10001",
               "product":"auto","language":"en","ok":true,"state":"NY","form_type":"standard",
               "language_used":"en","ms":0.4})
    }

    pub(crate) fn with(mut v: Value, key: &str, val: Value) -> Value {
        v.as_object_mut().unwrap().insert(key.into(), val);
        v
    }

    pub(crate) fn without(mut v: Value, key: &str) -> Value {
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
}
