//! The archiver's core: a batch of queued event messages in, one gzipped NDJSON object per archive partition out, plus the messages to retry.
//!
//! Layout (Athena/Glue partitions, Hive style; written by `formroute_events::archive`), under an optional prefix:
//! `events/brand=B/dt=YYYY-MM-DD/hour=HH/<first-received-ms>-<hash>.ndjson.gz`, partitioned by
//! the logger's receive time (`received`, UTC), one object per partition per batch. The
//! `<hash>` is FNV-1a over the object's sorted event ids, so a batch delivered again with the
//! same content writes the same key (idempotent), and two batches never share a key.
//!
//! Per batch ([`plan`]): a message whose body is not an event object with a valid `id`, `brand`
//! and `received` is *poison*: it is reported as failed ([`Plan::poison`]) and never written;
//! SQS hands it back after the visibility timeout and, after `maxReceiveCount` receives, the
//! queue's redrive policy moves it to the dead-letter queue. Events whose `id` was already seen
//! in the batch are dropped (their message still succeeds). Each object remembers every message
//! that contributed to it, its duplicates included, so when an object cannot be written exactly
//! those messages are retried ([`Plan::failed_messages`]) and the rest of the batch goes on.
//!
//! Across batches, a process remembers the ids it has archived, by brand and day ([`Seen`]):
//! a later copy is dropped even when it lands in another partition of the same day (a client's
//! retry after a 503 is received later, maybe in the next hour). That memory is per process and
//! bounded, so it is best effort (two archiver instances, or a restart, do not share it); the
//! report drops duplicates by id across all partitions of a brand's day in any case.

pub mod drain;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod store;

use flate2::write::GzEncoder;
use formroute_events::archive::{fnv_hash, object_name, Partition, DAY_MS};
use formroute_events::event::MAX_TS;
use formroute_events::spec;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;

/// One queued message: its SQS id (what `batchItemFailures` names) and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// SQS `MessageId`.
    pub id: String,
    /// The body: one logged event as JSON (lambda-logger's `LoggedEvent`).
    pub body: String,
}

/// The three fields the archiver needs of a logged event; the rest is kept as it was sent.
#[derive(Deserialize)]
struct Keyed<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    brand: std::borrow::Cow<'a, str>,
    received: u64,
}

/// One archive object to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Key relative to the prefix: `events/brand=B/dt=D/hour=H/<unique>.ndjson.gz`.
    pub key: String,
    /// Gzipped NDJSON, one event per line.
    pub gz: Vec<u8>,
    /// Events in it.
    pub events: usize,
    /// Every message whose event is in it, duplicates included (to retry if it is not written).
    pub messages: Vec<String>,
    /// The day (days since the epoch, UTC) of its partition.
    pub day: i64,
    /// [`Seen`] keys of its events, recorded once it is written.
    pub seen_keys: Vec<u64>,
}

/// What to do with one batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Objects to write, sorted by key.
    pub objects: Vec<Object>,
    /// Messages that are not events, with why: reported failed, so the redrive policy
    /// dead-letters them.
    pub poison: Vec<(String, &'static str)>,
    /// Events dropped because their id was already in the batch, or already archived by this
    /// process for the same brand and day (their messages succeed).
    pub duplicates: usize,
}

/// Most event ids a [`Seen`] holds (about 20 MB); past it the oldest days are forgotten.
pub const MAX_SEEN_IDS: usize = 1_000_000;

/// Event ids this process has archived, by day: see the module documentation.
#[derive(Debug, Default)]
pub struct Seen {
    days: BTreeMap<i64, HashSet<u64>>,
    ids: usize,
}

impl Seen {
    fn key(brand: &str, id: &str) -> u64 {
        let mut b = Vec::with_capacity(brand.len() + id.len() + 1);
        b.extend_from_slice(brand.as_bytes());
        b.push(0);
        b.extend_from_slice(id.as_bytes());
        fnv_hash(&b)
    }

    fn contains(&self, day: i64, key: u64) -> bool {
        self.days.get(&day).is_some_and(|d| d.contains(&key))
    }

    /// Remembers the events of the objects that were written (`written[i]` for object `i`).
    pub fn record(&mut self, plan: &Plan, written: &[bool]) {
        for (o, ok) in plan.objects.iter().zip(written) {
            if *ok {
                let day = self.days.entry(o.day).or_default();
                for k in &o.seen_keys {
                    if day.insert(*k) {
                        self.ids += 1;
                    }
                }
            }
        }
        while self.ids > MAX_SEEN_IDS {
            let Some((_, oldest)) = self.days.pop_first() else {
                break;
            };
            self.ids -= oldest.len();
        }
    }

    /// Ids held.
    pub fn len(&self) -> usize {
        self.ids
    }

    /// True when no id is held.
    pub fn is_empty(&self) -> bool {
        self.ids == 0
    }
}

impl Plan {
    /// Messages to report as failed once the writes are done: the poison ones, and every
    /// message of each object whose write failed (`written[i]` says whether object `i` was).
    pub fn failed_messages(&self, written: &[bool]) -> Vec<String> {
        let mut failed: Vec<String> = self.poison.iter().map(|p| p.0.clone()).collect();
        for (o, ok) in self.objects.iter().zip(written) {
            if !ok {
                failed.extend(o.messages.iter().cloned());
            }
        }
        failed.sort();
        failed.dedup();
        failed
    }
}

/// Why a message body is poison (for the log line; never the body itself).
fn check(body: &str) -> Result<Keyed<'_>, &'static str> {
    let k: Keyed<'_> = serde_json::from_str(body).map_err(|_| "not a logged event object")?;
    if !spec::is_event_id(&k.id) {
        return Err("bad id");
    }
    if !spec::is_slug(&k.brand) {
        return Err("bad brand");
    }
    if k.received > MAX_TS {
        return Err("bad received time");
    }
    Ok(k)
}

/// Groups a batch into per-partition objects (see the module documentation).
pub fn plan(messages: &[Message]) -> Plan {
    plan_after(messages, &Seen::default())
}

/// [`plan`], also dropping the events `seen` holds for their brand and day.
pub fn plan_after(messages: &[Message], earlier: &Seen) -> Plan {
    struct Part {
        lines: Vec<u8>,
        ids: Vec<u64>,
        first: u64,
        messages: Vec<String>,
        day: i64,
        seen_keys: Vec<u64>,
    }
    let mut parts: BTreeMap<String, Part> = BTreeMap::new();
    // Event id -> partition of its first copy, so a duplicate's message joins that object.
    let mut seen: HashSet<String> = HashSet::new();
    let mut where_: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Plan::default();
    for m in messages {
        let k = match check(&m.body) {
            Ok(k) => k,
            Err(why) => {
                out.poison.push((m.id.clone(), why));
                continue;
            }
        };
        let dir = Partition::of(&k.brand, k.received as i64).dir();
        let day = (k.received as i64).div_euclid(DAY_MS);
        let seen_key = Seen::key(&k.brand, &k.id);
        if earlier.contains(day, seen_key) {
            out.duplicates += 1;
            continue;
        }
        if !seen.insert(k.id.to_string()) {
            out.duplicates += 1;
            if let Some(p) = where_.get(k.id.as_ref()).and_then(|d| parts.get_mut(d)) {
                p.messages.push(m.id.clone());
            }
            continue;
        }
        where_.insert(k.id.to_string(), dir.clone());
        let p = parts.entry(dir).or_insert_with(|| Part {
            lines: Vec::new(),
            ids: Vec::new(),
            first: k.received,
            messages: Vec::new(),
            day,
            seen_keys: Vec::new(),
        });
        p.first = p.first.min(k.received);
        p.seen_keys.push(seen_key);
        p.ids.push(fnv_hash(k.id.as_bytes()));
        append_line(&mut p.lines, &m.body);
        p.messages.push(m.id.clone());
    }
    for (dir, mut p) in parts {
        let key = format!("{dir}/{}", object_name(p.first, &mut p.ids));
        out.objects.push(Object {
            key,
            gz: gzip(&p.lines),
            events: p.ids.len(),
            messages: p.messages,
            day: p.day,
            seen_keys: p.seen_keys,
        });
    }
    out
}

/// Appends `body` as one line: the logger writes compact JSON, but a body with line breaks
/// between its tokens (valid JSON all the same) is re-serialised compactly.
fn append_line(out: &mut Vec<u8>, body: &str) {
    let body = body.trim();
    if body.contains(['\n', '\r']) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
            out.extend_from_slice(v.to_string().as_bytes());
            out.push(b'\n');
            return;
        }
    }
    out.extend_from_slice(body.as_bytes());
    out.push(b'\n');
}

/// Gzip, level 6: NDJSON of events shrinks about tenfold.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(
        Vec::with_capacity(bytes.len() / 6 + 64),
        flate2::Compression::new(6),
    );
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;
    use std::io::Read;

    fn ev(id: &str, brand: &str, received: u64) -> String {
        format!(
            r#"{{"id":"{id}","type":"load","ts":{received},"brand":"{brand}","page":"https://www.acme.example/","pv":"pv00000001","ms":3,"received":{received},"request_id":"r1","ua":"x","bot":false}}"#
        )
    }

    fn msg(n: usize, body: String) -> Message {
        Message {
            id: format!("m{n}"),
            body,
        }
    }

    fn gunzip(b: &[u8]) -> String {
        let mut s = String::new();
        flate2::read::GzDecoder::new(b)
            .read_to_string(&mut s)
            .expect("gzip");
        s
    }

    const H17: u64 = 1_785_000_000_000; // 2026-07-25T17:20:00Z

    #[test]
    fn one_object_per_partition_with_every_event_once() {
        let p = plan(&[
            msg(1, ev("event0001", "acme", H17)),
            msg(2, ev("event0002", "acme", H17 + 60_000)),
            msg(3, ev("event0003", "acme", H17 + 3_600_000)),
            msg(4, ev("event0004", "solar", H17)),
            msg(5, ev("event0001", "acme", H17)),
        ]);
        let keys: Vec<&str> = p.objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys.len(), 3);
        assert!(keys[0].starts_with("events/brand=acme/dt=2026-07-25/hour=17/1785000000000-"));
        assert!(keys[1].starts_with("events/brand=acme/dt=2026-07-25/hour=18/"));
        assert!(keys[2].starts_with("events/brand=solar/dt=2026-07-25/hour=17/"));
        assert!(keys.iter().all(|k| k.ends_with(".ndjson.gz")));
        assert_eq!(p.duplicates, 1);
        let text = gunzip(&p.objects[0].gz);
        assert_eq!(text.lines().count(), 2);
        assert_eq!(
            text,
            format!(
                "{}\n{}\n",
                ev("event0001", "acme", H17),
                ev("event0002", "acme", H17 + 60_000)
            )
        );
        // The duplicate's message belongs to the object holding its event.
        assert_eq!(p.objects[0].messages, vec!["m1", "m2", "m5"]);
        assert!(p.poison.is_empty());
    }

    #[test]
    fn poison_messages_fail_alone_and_failed_writes_retry_their_messages() {
        let p = plan(&[
            msg(1, ev("event0001", "acme", H17)),
            msg(2, "not json".into()),
            msg(
                3,
                r#"{"id":"event0003","brand":"ACME","received":1}"#.into(),
            ),
            msg(4, r#"{"id":"e1","brand":"acme","received":1}"#.into()),
            msg(5, r#"{"brand":"acme","received":1}"#.into()),
            msg(6, ev("event0006", "solar", H17)),
        ]);
        let poison: Vec<(&str, &str)> = p.poison.iter().map(|(m, w)| (m.as_str(), *w)).collect();
        assert_eq!(
            poison,
            vec![
                ("m2", "not a logged event object"),
                ("m3", "bad brand"),
                ("m4", "bad id"),
                ("m5", "not a logged event object")
            ]
        );
        assert_eq!(p.objects.len(), 2);
        assert_eq!(
            p.failed_messages(&[true, true]),
            vec!["m2", "m3", "m4", "m5"]
        );
        assert_eq!(
            p.failed_messages(&[true, false]),
            vec!["m2", "m3", "m4", "m5", "m6"]
        );
    }

    #[test]
    fn the_same_content_gets_the_same_key_and_other_content_another() {
        let a = plan(&[
            msg(1, ev("event0001", "acme", H17)),
            msg(2, ev("event0002", "acme", H17)),
        ]);
        let b = plan(&[
            msg(7, ev("event0002", "acme", H17)),
            msg(8, ev("event0001", "acme", H17)),
        ]);
        let c = plan(&[msg(1, ev("event0001", "acme", H17))]);
        assert_eq!(a.objects[0].key, b.objects[0].key);
        assert_ne!(a.objects[0].key, c.objects[0].key);
    }

    #[test]
    fn a_copy_archived_earlier_the_same_day_is_dropped_from_a_later_batch_in_another_hour() {
        let mut seen = Seen::default();
        let first = plan_after(&[msg(1, ev("event0001", "acme", H17))], &seen);
        // Written: remembered.
        seen.record(&first, &[true]);
        let retry = ev("event0001", "acme", H17 + 3_600_000);
        let later = plan_after(
            &[msg(2, retry.clone()), msg(3, ev("event0002", "acme", H17))],
            &seen,
        );
        assert_eq!(later.duplicates, 1);
        assert_eq!(later.objects.len(), 1);
        assert!(later.objects[0].key.contains("hour=17"));
        // Its message is done (not retried).
        assert!(later.failed_messages(&[true]).is_empty());
        // Another brand or another day is another event.
        let other_day = plan_after(
            &[msg(4, ev("event0001", "acme", H17 + DAY_MS as u64))],
            &seen,
        );
        assert_eq!(other_day.duplicates, 0);
        let other_brand = plan_after(&[msg(5, ev("event0001", "solar", H17))], &seen);
        assert_eq!(other_brand.duplicates, 0);
    }

    #[test]
    fn an_object_that_was_not_written_is_not_remembered() {
        let mut seen = Seen::default();
        let first = plan_after(&[msg(1, ev("event0001", "acme", H17))], &seen);
        seen.record(&first, &[false]);
        assert!(seen.is_empty());
        let again = plan_after(&[msg(1, ev("event0001", "acme", H17))], &seen);
        assert_eq!((again.duplicates, again.objects.len()), (0, 1));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Any bodies: no panic, and every message is poison, a duplicate, or in exactly one object.
        #[test]
        fn every_message_is_accounted_for_whatever_its_body(
            bodies in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::any::<String>(),
                    (0u64..3, 0u64..100_000_000_000).prop_map(|(i, t)| ev(&format!("event000{i}"), "acme", H17 + t)),
                ],
                0..20,
            ),
        ) {
            let messages: Vec<Message> = bodies.into_iter().enumerate().map(|(n, b)| msg(n, b)).collect();
            let p = plan(&messages);
            let in_objects: usize = p.objects.iter().map(|o| o.messages.len()).sum();
            proptest::prop_assert_eq!(p.poison.len() + in_objects, messages.len());
            let events: usize = p.objects.iter().map(|o| o.events).sum();
            proptest::prop_assert_eq!(events + p.duplicates, in_objects);
        }
    }

    #[test]
    fn multi_line_bodies_are_written_on_one_line() {
        let body = ev("event0001", "acme", H17).replace(',', ",\n  ");
        let p = plan(&[msg(1, body)]);
        let text = gunzip(&p.objects[0].gz);
        assert_eq!(text.lines().count(), 1);
        let v: serde_json::Value = serde_json::from_str(text.trim()).expect("json");
        assert_eq!(v["id"], "event0001");
    }
}
