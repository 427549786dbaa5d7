//! URL templates: filling `{placeholder}`s with percent-encoded values (SPEC "URL templates").

/// The values a template may use. `None` leaves a placeholder that has no value empty.
#[derive(Debug, Clone, Copy, Default)]
pub struct Values<'a> {
    /// `{zip}`: the five-digit ZIP.
    pub zip: Option<&'a str>,
    /// `{state}`: the USPS state code.
    pub state: Option<&'a str>,
    /// `{product}`: the normalised product.
    pub product: Option<&'a str>,
    /// `{language}`: the language used.
    pub language: Option<&'a str>,
    /// `{brand}`: the brand slug.
    pub brand: Option<&'a str>,
    /// `{form_type}`: the form type resolved.
    pub form_type: Option<&'a str>,
}

/// Appends `value` to `out`, every UTF-8 byte outside `A-Z a-z 0-9 - . _ ~` as `%XX` (upper-case hex).
pub fn percent_encode_into(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0F)]));
        }
    }
}

/// Percent-encodes `value` (see [`percent_encode_into`]).
pub fn percent_encode(value: &str) -> String {
    let mut s = String::with_capacity(value.len());
    percent_encode_into(&mut s, value);
    s
}

/// Fills `template`: each `{zip}`, `{state}`, `{product}`, `{language}`, `{brand}`, `{form_type}`
/// becomes its percent-encoded value (empty when the value is `None`).
///
/// The builder refuses templates with any other brace, so other text is copied as it stands; a
/// `{` that does not open a known placeholder is copied too (defensive, never reached with
/// validated data).
pub fn fill(template: &str, values: &Values<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let known = [
            ("{zip}", values.zip),
            ("{state}", values.state),
            ("{product}", values.product),
            ("{language}", values.language),
            ("{brand}", values.brand),
            ("{form_type}", values.form_type),
        ];
        match known.iter().find(|(name, _)| after.starts_with(name)) {
            Some((name, value)) => {
                percent_encode_into(&mut out, value.unwrap_or(""));
                rest = &after[name.len()..];
            }
            None => {
                out.push('{');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_bytes_stay_and_everything_else_is_upper_hex() {
        assert_eq!(percent_encode("aZ09-._~"), "aZ09-._~");
        assert_eq!(percent_encode("a b/c?d=e&f"), "a%20b%2Fc%3Fd%3De%26f");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_encode("\u{7f}+%"), "%7F%2B%25");
    }

    #[test]
    fn every_placeholder_is_filled_and_encoded() {
        let v = Values {
            zip: Some("10001"),
            state: Some("NY"),
            product: Some("auto home"),
            language: Some("es"),
            brand: Some("acme"),
            form_type: Some("agent"),
        };
        assert_eq!(
            fill(
                "https://x.example/{brand}/{product}?z={zip}&s={state}&l={language}&t={form_type}",
                &v
            ),
            "https://x.example/acme/auto%20home?z=10001&s=NY&l=es&t=agent"
        );
    }

    #[test]
    fn missing_values_fill_empty_and_unknown_braces_are_copied() {
        let v = Values {
            zip: None,
            ..Values::default()
        };
        assert_eq!(
            fill("https://x.example/?z={zip}&{other}", &v),
            "https://x.example/?z=&{other}"
        );
        assert_eq!(fill("https://x.example/{zip", &v), "https://x.example/{zip");
    }
}
