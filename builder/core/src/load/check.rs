//! The definition of each column's values (SPEC "The rule database"): one pure check per kind of value.
//!
//! Each check returns the parsed value or a [`Problem`]: what is wrong and what to do. The loader
//! adds file, line and column. Nothing here trims: white space around a value is an error.

use crate::model::Zip;
use crate::spec;
use crate::usps;

/// What is wrong with a value, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub message: String,
    pub help: String,
}

impl Problem {
    pub(crate) fn new(message: impl Into<String>, help: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            help: help.into(),
        }
    }
}

/// Every placeholder a form URL may use.
pub(crate) const FORM_PLACEHOLDERS: &[&str] =
    &["zip", "state", "product", "language", "brand", "form_type"];
/// The placeholders `fallback_url` may use: what is known when resolution fails.
pub(crate) const FALLBACK_PLACEHOLDERS: &[&str] = &["zip", "product", "language", "brand"];

/// A value quoted for a message: back-ticked, control characters escaped, long values cut.
pub(crate) fn show(v: &str) -> String {
    const MAX: usize = 60;
    let mut s = String::from("`");
    for (i, c) in v.chars().enumerate() {
        if i == MAX {
            s.push('…');
            break;
        }
        if c == '`' || c.is_control() {
            s.extend(c.escape_debug());
        } else {
            s.push(c);
        }
    }
    s.push('`');
    s
}

/// Checks every value must pass: not empty, no white space at either end.
pub(crate) fn common(v: &str) -> Result<(), Problem> {
    if v.is_empty() {
        return Err(Problem::new(
            "empty value",
            "fill it in: every column of every row needs a value",
        ));
    }
    let first = v.chars().next().is_some_and(char::is_whitespace);
    let last = v.chars().next_back().is_some_and(char::is_whitespace);
    if first || last {
        let trimmed = v.trim();
        let help = if trimmed.is_empty() {
            "fill it in: a value of only white space is empty".to_string()
        } else {
            format!(
                "remove the white space: write {} (values are not trimmed)",
                show(trimmed)
            )
        };
        let at = match (first, last) {
            (true, true) => "at both ends",
            (true, false) => "at the start",
            _ => "at the end",
        };
        return Err(Problem::new(
            format!("{} has white space {at}", show(v)),
            help,
        ));
    }
    Ok(())
}

/// A ZIP code: exactly five ASCII digits.
pub(crate) fn zip(v: &str) -> Result<Zip, Problem> {
    let b = v.as_bytes();
    if let Ok(z) = <Zip>::try_from(b) {
        if z.iter().all(u8::is_ascii_digit) {
            return Ok(z);
        }
    }
    let digits = b.iter().all(u8::is_ascii_digit);
    let help = if digits && b.len() < 5 {
        format!(
            "write all five digits with leading zeros (`{v:0>5}`?); if a spreadsheet dropped them, format the column as text"
        )
    } else if (b.len() == 10 && b[5] == b'-') || (digits && b.len() == 9) {
        format!("write only the five-digit ZIP (`{}`), not ZIP+4", &v[..5])
    } else {
        "write exactly five ASCII digits, e.g. `01001`".to_string()
    };
    Err(Problem::new(
        format!("{} is not a ZIP code (exactly 5 digits)", show(v)),
        help,
    ))
}

/// A USPS state code of SPEC's list, returned as the static code (no allocation per row).
pub(crate) fn state(v: &str) -> Result<&'static str, Problem> {
    if let Some(code) = usps::code(v) {
        return Ok(code);
    }
    let upper = v.to_ascii_uppercase();
    let help = if usps::is_code(&upper) {
        format!("state codes are upper case: write `{upper}`")
    } else if let Some(code) = usps::code_of_name(v) {
        format!(
            "write the two-letter USPS code `{code}` for {}",
            usps::name(code).unwrap_or(v)
        )
    } else {
        format!(
            "use a two-letter USPS code: the 50 states, DC, PR, VI, GU, AS, MP, FM, MH, PW, AA, AE or AP{}",
            if v == "*" { " (`*` is allowed only in rules.csv)" } else { "" }
        )
    };
    Err(Problem::new(
        format!("{} is not a USPS state code", show(v)),
        help,
    ))
}

/// A slug: `[a-z0-9-]{1,32}`.
pub(crate) fn slug(v: &str) -> Result<&str, Problem> {
    if spec::is_slug(v) {
        return Ok(v);
    }
    if v == "*" {
        return Err(Problem::new(
            "`*` is not allowed here",
            "`*` may stand only for the product in rules.csv and zip_overrides.csv, and for the state in rules.csv; name one value here",
        ));
    }
    if v.len() > spec::MAX_SLUG {
        return Err(Problem::new(
            format!("{} is longer than 32 characters", show(v)),
            "use a shorter slug: at most 32 of a-z, 0-9 and `-`",
        ));
    }
    let lower = v.to_ascii_lowercase();
    let help = if lower.bytes().all(spec::is_slug_byte) {
        format!("slugs are lower case: write `{lower}`")
    } else {
        "use only lower-case letters a-z, digits 0-9 and `-`".to_string()
    };
    Err(Problem::new(
        format!("{} is not a valid slug", show(v)),
        help,
    ))
}

/// A form type as `forms.csv` names it: a slug other than `none`.
pub(crate) fn form_type_of_form(v: &str) -> Result<&str, Problem> {
    if v == "none" {
        return Err(Problem::new(
            "`none` is not a form type",
            "`none` means \"not served\" and belongs in rules.csv or zip_overrides.csv; give this form a real form type",
        ));
    }
    slug(v)
}

/// A form type in `rules.csv` or `zip_overrides.csv`: a slug, or `none` (not served) as `None`.
pub(crate) fn form_type_or_none(v: &str) -> Result<Option<&str>, Problem> {
    if v == "none" {
        return Ok(None);
    }
    slug(v).map(Some)
}

/// A slug, or `*` as `None`.
pub(crate) fn slug_or_star(v: &str) -> Result<Option<&str>, Problem> {
    if v == "*" {
        return Ok(None);
    }
    slug(v).map(Some)
}

/// A state code, or `*` as `None`.
pub(crate) fn state_or_star(v: &str) -> Result<Option<&'static str>, Problem> {
    if v == "*" {
        return Ok(None);
    }
    state(v).map(Some)
}

/// A language: exactly two lower-case ASCII letters (ISO 639-1).
pub(crate) fn language(v: &str) -> Result<&str, Problem> {
    if spec::is_language(v) {
        return Ok(v);
    }
    let b = v.as_bytes();
    let help = if b.len() == 2 && b.iter().all(u8::is_ascii_alphabetic) {
        format!(
            "languages are lower case: write `{}`",
            v.to_ascii_lowercase()
        )
    } else if let Some(p) = v.find(['-', '_']) {
        format!(
            "write only the language, without region: `{}`",
            v[..p].to_ascii_lowercase()
        )
    } else {
        "write a two-letter ISO 639-1 code such as `en` or `es`".to_string()
    };
    Err(Problem::new(
        format!(
            "{} is not a language code (two lower-case letters)",
            show(v)
        ),
        help,
    ))
}

/// A ZIP prefix: 1 to 5 ASCII digits.
pub(crate) fn zip_prefix(v: &str) -> Result<(), Problem> {
    let b = v.as_bytes();
    if (1..=5).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) {
        return Ok(());
    }
    let help = if v == "*" {
        "a prefix must have 1 to 5 digits; for every ZIP, use a rules.csv row with state `*`"
            .to_string()
    } else if b.iter().all(u8::is_ascii_digit) {
        "a prefix has at most 5 digits (a whole ZIP)".to_string()
    } else {
        "write 1 to 5 ASCII digits, leading zeros kept (format the column as text in a spreadsheet)"
            .to_string()
    };
    Err(Problem::new(
        format!("{} is not a ZIP prefix (1 to 5 digits)", show(v)),
        help,
    ))
}

/// A display name: any text without control characters (line breaks included).
pub(crate) fn name(v: &str) -> Result<&str, Problem> {
    if v.chars().any(char::is_control) {
        return Err(Problem::new(
            format!("{} contains a control character or line break", show(v)),
            "write the name on one line, without tabs or control characters",
        ));
    }
    Ok(v)
}

/// An absolute `https://` URL template using only the placeholders in `allowed`.
/// `column` names the column in messages (`url` or `fallback_url`).
pub(crate) fn url_template<'v>(
    v: &'v str,
    allowed: &[&str],
    column: &str,
) -> Result<&'v str, Problem> {
    const HTTPS: &str = "https://";
    // Only needed for messages: built on the error path.
    let list = || {
        allowed
            .iter()
            .map(|p| format!("{{{p}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let head = v.get(..HTTPS.len()).unwrap_or("");
    if head != HTTPS {
        let lower = v.to_ascii_lowercase();
        let (message, help) = if head.eq_ignore_ascii_case(HTTPS) {
            (
                "the scheme must be written `https://` in lower case",
                "write `https://`".to_string(),
            )
        } else if lower.starts_with("http://") {
            (
                "URL is not `https://`",
                format!(
                    "use `https://{}`: only https URLs are allowed",
                    &v["http://".len()..]
                ),
            )
        } else if !v.contains("://") {
            (
                "URL is not absolute",
                "write a full URL starting with `https://` and the host".to_string(),
            )
        } else {
            (
                "URL is not `https://`",
                "only absolute `https://` URLs are allowed".to_string(),
            )
        };
        return Err(Problem::new(format!("{message}: {}", show(v)), help));
    }
    let bytes = v.as_bytes();
    let odd = |c: char| c.is_whitespace() || c.is_control();
    if bytes
        .iter()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        || (!v.is_ascii() && v.chars().any(odd))
    {
        let c = v.chars().find(|&c| odd(c)).unwrap_or(' ');
        return Err(Problem::new(
            format!("URL contains white space or a control character ({c:?})"),
            "percent-encode it (a space is `%20`)",
        ));
    }
    let rest = &v[HTTPS.len()..];
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if host_end == 0 {
        return Err(Problem::new(
            format!("URL has no host: {}", show(v)),
            "write the host after `https://`, e.g. `https://www.example.com/quote`",
        ));
    }
    let brace = |b: &u8| *b == b'{' || *b == b'}';
    // Character position (1-based) of byte `at`, for messages.
    let char_at = |at: usize| v[..at].chars().count() + 1;
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(brace) {
        let at = i + off;
        if bytes[at] == b'}' {
            return Err(Problem::new(
                format!("`}}` at character {} has no matching `{{`", char_at(at)),
                format!("placeholders are written `{{name}}` ({}); a literal `}}` must be percent-encoded as `%7D`", list()),
            ));
        }
        let tail = &bytes[at + 1..];
        let end = match tail.iter().position(brace) {
            Some(e) if tail[e] == b'}' => e,
            _ => {
                return Err(Problem::new(
                    format!("`{{` at character {} is not closed by `}}`", char_at(at)),
                    format!("placeholders are written `{{name}}` ({}); a literal `{{` must be percent-encoded as `%7B`", list()),
                ))
            }
        };
        // `{` and `}` are ASCII, so these are character boundaries.
        let name = &v[at + 1..at + 1 + end];
        if !allowed.contains(&name) {
            let known = FORM_PLACEHOLDERS.contains(&name);
            let message = if known {
                format!("placeholder `{{{name}}}` is not allowed in {column}")
            } else {
                format!("unknown placeholder `{{{}}}`", name.escape_debug())
            };
            let why = if known {
                " (the state and form type are unknown when resolution fails)"
            } else {
                ""
            };
            let hint = closest(name, allowed.iter().copied())
                .map(|c| format!("did you mean `{{{c}}}`? "))
                .unwrap_or_default();
            return Err(Problem::new(
                message,
                format!("{hint}{column} may use only {}{why}", list()),
            ));
        }
        i = at + 2 + end;
    }
    Ok(v)
}

/// One web origin as browsers send it in `Origin`: `https://host[:port]`, lower case, no path.
pub(crate) fn origin(o: &str) -> Result<(), Problem> {
    let Some(rest) = o.strip_prefix("https://") else {
        let help = if o.to_ascii_lowercase().starts_with("http://") {
            format!(
                "only https origins are accepted: `https://{}`",
                &o["http://".len()..]
            )
        } else {
            "write it as `https://` and the host, e.g. `https://www.example.com`".to_string()
        };
        return Err(Problem::new(
            format!("origin {} is not an `https://` origin", show(o)),
            help,
        ));
    };
    if let Some(p) = rest.find(['/', '?', '#']) {
        return Err(Problem::new(
            format!("origin {} has a path", show(o)),
            format!(
                "an origin is scheme, host and port only: write `https://{}`",
                &rest[..p]
            ),
        ));
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    };
    if !host.split('.').all(label_ok) {
        let lower = host.to_ascii_lowercase();
        let help = if lower != host && lower.split('.').all(label_ok) {
            format!("browsers send the host in lower case: write `https://{lower}`")
        } else {
            "the host may hold only a-z, 0-9, `-` and dots between non-empty labels".to_string()
        };
        return Err(Problem::new(
            format!("origin {} has an invalid host", show(o)),
            help,
        ));
    }
    if let Some(port) = port {
        let n: Option<u16> = if port.len() <= 5 && port.bytes().all(|c| c.is_ascii_digit()) {
            port.parse().ok()
        } else {
            None
        };
        match n {
            Some(443) => {
                return Err(Problem::new(
                    format!("origin {} names the default port 443", show(o)),
                    format!("browsers leave the default port out: write `https://{host}`"),
                ))
            }
            Some(p) if p > 0 => {}
            _ => {
                return Err(Problem::new(
                    format!("origin {} has an invalid port", show(o)),
                    "a port is a number from 1 to 65535",
                ))
            }
        }
    }
    Ok(())
}

/// The space-separated origins of a brand, each checked by [`origin`].
pub(crate) fn origins(v: &str) -> Result<Vec<&str>, Problem> {
    let list: Vec<&str> = v.split(' ').filter(|s| !s.is_empty()).collect();
    for o in &list {
        origin(o)?;
    }
    Ok(list)
}

/// Edit distance between two short strings (for "did you mean" hints).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `v` if it is at most 2 edits away (and `v` is short enough to compare).
pub(crate) fn closest<'c>(
    v: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    if v.len() > 64 {
        return None;
    }
    candidates
        .into_iter()
        .map(|c| (distance(&v.to_ascii_lowercase(), c), c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_checked_in_order() {
        let f = FORM_PLACEHOLDERS;
        assert!(url_template("https://a.example/q?z={zip}&s={state}", f, "url").is_ok());
        assert!(url_template("https://{brand}.example/", f, "url").is_ok());
        let e = url_template("https://a.example/{zip", f, "url").unwrap_err();
        assert!(e.message.contains("not closed"), "{e:?}");
        let e = url_template("https://a.example/zip}", f, "url").unwrap_err();
        assert!(e.message.contains("no matching"), "{e:?}");
        let e = url_template("https://a.example/{{zip}}", f, "url").unwrap_err();
        assert!(e.message.contains("not closed"), "{e:?}");
        let e = url_template("https://a.example/{Zip}", f, "url").unwrap_err();
        assert!(e.help.contains("did you mean `{zip}`"), "{e:?}");
        let e = url_template(
            "https://a.example/{state}",
            FALLBACK_PLACEHOLDERS,
            "fallback_url",
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "placeholder `{state}` is not allowed in fallback_url"
        );
    }

    #[test]
    fn origins_are_exact_browser_origins() {
        assert!(origin("https://www.acme.example").is_ok());
        assert!(origin("https://localhost:8443").is_ok());
        assert!(origin("https://acme.example/").is_err());
        assert!(origin("https://Acme.example")
            .unwrap_err()
            .help
            .contains("lower case"));
        assert!(origin("https://acme.example:443").is_err());
        assert!(origin("https://acme.example:0").is_err());
        assert!(origin("https://acme.example:99999").is_err());
        assert!(origin("https://").is_err());
        assert!(origin("https://a..b").is_err());
        assert!(origin("http://acme.example").is_err());
    }

    #[test]
    fn closest_suggests_only_near_names() {
        assert_eq!(closest("atuo", ["auto", "home"]), Some("auto"));
        assert_eq!(closest("boat", ["auto", "home"]), None);
    }

    #[test]
    fn show_escapes_and_cuts() {
        assert_eq!(show("a\nb"), "`a\\nb`");
        assert_eq!(show(&"x".repeat(70)).chars().count(), 63);
    }
}
