//! The archive's partition layout, written and parsed here only: `events/brand=B/dt=YYYY-MM-DD/hour=HH/<first-received-ms>-<hash>.ndjson.gz`, plus the UTC calendar it needs.
//!
//! The archiver (lambda-logger) writes objects under [`Partition::dir`] with names from
//! [`object_name`]; `formroute logs report` reads partitions back with [`Partition::parse`] to
//! skip the ones its filter excludes and to scope its dedupe window.

use std::hash::Hasher;

/// The folder under the archive's prefix that holds the events.
pub const EVENTS_DIR: &str = "events";
/// Milliseconds per hour.
pub const HOUR_MS: i64 = 3_600_000;
/// Milliseconds per day.
pub const DAY_MS: i64 = 86_400_000;

/// One archive partition: a brand and an hour of the logger's receive time (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition<'a> {
    /// The brand slug.
    pub brand: &'a str,
    /// Start of the hour, ms since the epoch.
    pub hour_start_ms: i64,
}

impl<'a> Partition<'a> {
    /// The partition of an event of `brand` received at `received_ms`.
    pub fn of(brand: &'a str, received_ms: i64) -> Partition<'a> {
        Partition {
            brand,
            hour_start_ms: received_ms - received_ms.rem_euclid(HOUR_MS),
        }
    }

    /// Reads `brand=B/dt=YYYY-MM-DD/hour=HH` out of an archive object key or path (`/` or `\`
    /// separated, anywhere in it).
    pub fn parse(path: &'a str) -> Option<Partition<'a>> {
        let mut brand = None;
        let mut day = None;
        let mut hour = None;
        for seg in path.split(['/', '\\']) {
            if let Some(b) = seg.strip_prefix("brand=") {
                brand = Some(b);
            } else if let Some(d) = seg.strip_prefix("dt=") {
                day = parse_day(d);
            } else if let Some(h) = seg.strip_prefix("hour=") {
                hour = h.parse::<i64>().ok().filter(|h| (0..24).contains(h));
            }
        }
        Some(Partition {
            brand: brand?,
            hour_start_ms: day? * DAY_MS + hour? * HOUR_MS,
        })
    }

    /// `brand=B/dt=YYYY-MM-DD/hour=HH`.
    pub fn folder(&self) -> String {
        let days = self.hour_start_ms.div_euclid(DAY_MS);
        let hour = self.hour_start_ms.rem_euclid(DAY_MS) / HOUR_MS;
        format!(
            "brand={}/dt={}/hour={hour:02}",
            self.brand,
            format_day(days)
        )
    }

    /// `brand=B/dt=YYYY-MM-DD`: the partition's brand and day, without the hour.
    pub fn day_folder(&self) -> String {
        format!(
            "brand={}/dt={}",
            self.brand,
            format_day(self.hour_start_ms.div_euclid(DAY_MS))
        )
    }

    /// `events/brand=B/dt=YYYY-MM-DD/hour=HH`: the folder under the archive's prefix.
    pub fn dir(&self) -> String {
        format!("{EVENTS_DIR}/{}", self.folder())
    }
}

/// The name of one archive object in its partition: `<first-received-ms>-<hash>.ndjson.gz`, the
/// hash being FNV-1a over the object's sorted event-id hashes (`ids`, sorted here), so the same
/// events give the same name (idempotent writes) and other events another.
pub fn object_name(first_received_ms: u64, ids: &mut [u64]) -> String {
    ids.sort_unstable();
    let mut h = Fnv::default();
    for id in ids.iter() {
        h.write(&id.to_le_bytes());
    }
    format!("{first_received_ms}-{:016x}.ndjson.gz", h.finish())
}

/// Deterministic FNV-1a, 64-bit: the archive's object hashes and the report's in-memory maps
/// (keys come from visitors, but those maps are bounded, so hash flooding can only slow one
/// report run, never grow it).
#[derive(Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// FNV-1a of `bytes`.
pub fn fnv_hash(bytes: &[u8]) -> u64 {
    let mut h = Fnv::default();
    h.write(bytes);
    h.finish()
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month, day) to days since 1970-01-01, the inverse of [`civil_from_days`].
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01.
pub fn format_day(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 of a real calendar date written `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Option<i64> {
    let num = |s: &str, len: usize| -> Option<u32> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let mut parts = text.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let (y, m, d) = (num(y, 4)?, num(m, 2)?, num(d, 2)?);
    if !(1..=12).contains(&m) || d == 0 || d > 31 {
        return None;
    }
    let days = days_from_civil(i64::from(y), m, d);
    (civil_from_days(days) == (i64::from(y), m, d)).then_some(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_785_000_000_000; // 2026-07-25T17:20:00Z

    #[test]
    fn a_partition_is_written_and_read_back_the_same() {
        let p = Partition::of("acme", T0);
        assert_eq!(p.dir(), "events/brand=acme/dt=2026-07-25/hour=17");
        assert_eq!(p.day_folder(), "brand=acme/dt=2026-07-25");
        let key = format!("s3/{}/{}", p.dir(), object_name(5, &mut [2, 1]));
        assert_eq!(Partition::parse(&key), Some(p));
        assert_eq!(Partition::parse("plain/file.ndjson"), None);
        assert_eq!(Partition::parse("brand=a/dt=2026-02-30/hour=01/x"), None);
    }

    #[test]
    fn object_names_depend_on_the_set_of_ids_only() {
        assert_eq!(
            object_name(1, &mut [3, 1, 2]),
            object_name(1, &mut [1, 2, 3])
        );
        assert_ne!(object_name(1, &mut [1, 2]), object_name(1, &mut [1, 2, 3]));
        assert!(object_name(7, &mut []).starts_with("7-"));
    }

    #[test]
    fn calendar_round_trips_and_refuses_impossible_dates() {
        for d in [-800_000, -1, 0, 1, 59, 60, 365, 11_016, 20_659, 2_932_896] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
            assert_eq!(
                parse_day(&format_day(d)),
                (0..=9999).contains(&y).then_some(d)
            );
        }
        assert_eq!(parse_day("1970-01-02"), Some(1));
        for bad in ["2026-02-29", "2026-13-01", "2026-1-01", "12345", ""] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }
}
