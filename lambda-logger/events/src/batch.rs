//! A beacon request body: `{"events":[EVENT, ...]}` read into one result per event, never a panic.

use crate::event::{Event, EventError, MAX_BODY_BYTES, MAX_EVENTS};
use serde_json::Value;
use std::collections::BTreeSet;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::tests::resolve_ok;
    use crate::stored::{Enrichment, LoggedEvent};
    use serde_json::json;

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
                let logged = LoggedEvent { event: e.clone(), meta: Enrichment { received: 0, request_id: "r".into(), country: None, ua: String::new(), ip_prefix: None, bot: true } };
                proptest::prop_assert!(logged.to_json().is_ascii());
            }
        }
    }
}
