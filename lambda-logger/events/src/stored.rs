//! The stored (logged) form of an accepted event: the event's fields as sent, then what the logger added, as one ASCII JSON line.

use crate::event::Event;
use serde::{Deserialize, Serialize};
use std::io::Write;

/// Longest user agent kept by the logger, in bytes (longer ones are cut at a character boundary).
pub const MAX_UA_BYTES: usize = 512;

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
    /// True when the user agent looks like a robot, a crawler or a script (lambda-logger's `enrich::is_bot`).
    pub bot: bool,
}

/// An accepted event as the logger stores it: the event's fields as sent, then the logger's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedEvent {
    /// The event's fields as the client sent them.
    #[serde(flatten)]
    pub event: Event,
    /// What the logger adds (receive time, request id, user agent, IP prefix, country, bot flag).
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
