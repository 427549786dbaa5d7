//! What the logger adds to an accepted event from the request: receive time, request id, country, user agent, the visitor's network (never the full IP) and the bot flag.

use formroute_events::spec;
use formroute_events::stored::{Enrichment, MAX_UA_BYTES};
use std::net::IpAddr;

/// Builds the enrichment from request facts, applying every cut and check.
pub fn enrich(
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
            .filter(|c| spec::is_two_capitals(c))
            .map(str::to_owned),
        bot: is_bot(&ua),
        ua,
        ip_prefix: ip.map(truncate_ip),
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
    use formroute_events::stored::LoggedEvent;
    use formroute_events::Event;
    use serde_json::{json, Value};

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
        let meta = enrich(
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
        let m = enrich(0, String::new(), Some("<script>"), None, None);
        assert_eq!(m.country, None);
        assert!(m.bot);
    }
}
