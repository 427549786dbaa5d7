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

/// One placeholder of a URL template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// `{zip}`
    Zip,
    /// `{state}`
    State,
    /// `{product}`
    Product,
    /// `{language}`
    Language,
    /// `{brand}`
    Brand,
    /// `{form_type}`
    FormType,
}

impl Placeholder {
    /// Every placeholder with its text in the template.
    const ALL: [(&'static str, Placeholder); 6] = [
        ("{zip}", Placeholder::Zip),
        ("{state}", Placeholder::State),
        ("{product}", Placeholder::Product),
        ("{language}", Placeholder::Language),
        ("{brand}", Placeholder::Brand),
        ("{form_type}", Placeholder::FormType),
    ];
}

impl<'a> Values<'a> {
    /// The value of one placeholder.
    #[inline]
    pub fn get(&self, p: Placeholder) -> Option<&'a str> {
        match p {
            Placeholder::Zip => self.zip,
            Placeholder::State => self.state,
            Placeholder::Product => self.product,
            Placeholder::Language => self.language,
            Placeholder::Brand => self.brand,
            Placeholder::FormType => self.form_type,
        }
    }
}

/// `true` for the bytes percent-encoding keeps: `A-Z a-z 0-9 - . _ ~`.
const UNRESERVED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    t
};

/// Appends `value` to `out`, every UTF-8 byte outside `A-Z a-z 0-9 - . _ ~` as `%XX` (upper-case hex).
#[inline]
pub fn percent_encode_into(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = value.as_bytes();
    // Runs of kept bytes are copied whole; each starts and ends next to an ASCII byte (or an end),
    // so the slices are on char boundaries.
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if UNRESERVED[usize::from(b)] {
            continue;
        }
        if run < i {
            out.push_str(&value[run..i]);
        }
        out.push('%');
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0F)]));
        run = i + 1;
    }
    if run == 0 {
        out.push_str(value);
    } else if run < bytes.len() {
        out.push_str(&value[run..]);
    }
}

/// Percent-encodes `value` (see [`percent_encode_into`]).
pub fn percent_encode(value: &str) -> String {
    let mut s = String::with_capacity(value.len());
    percent_encode_into(&mut s, value);
    s
}

/// A URL template split once into literal text and placeholders, so that filling it is one
/// allocation and a few copies (the resolver splits every template of an artifact at load).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    text: String,
    /// Each part: the literal text `text[start..end]`, then a placeholder or none (the last part).
    parts: Vec<(u32, u32, Option<Placeholder>)>,
}

impl Template {
    /// Splits `template` (see [`fill`] for what counts as a placeholder).
    pub fn new(template: &str) -> Template {
        let mut parts = Vec::new();
        let mut start = 0;
        let mut at = 0;
        while let Some(open) = template[at..].find('{') {
            let open = at + open;
            let after = &template[open..];
            match Placeholder::ALL
                .iter()
                .find(|(name, _)| after.starts_with(name))
            {
                Some((name, p)) => {
                    parts.push((start as u32, open as u32, Some(*p)));
                    start = open + name.len();
                    at = start;
                }
                // Not a placeholder: the brace stays in the literal text.
                None => at = open + 1,
            }
        }
        parts.push((start as u32, template.len() as u32, None));
        Template {
            text: template.to_string(),
            parts,
        }
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The filled template, as [`fill`] gives it.
    pub fn fill(&self, values: &Values<'_>) -> String {
        let mut out = String::with_capacity(self.text.len() + 24);
        for &(start, end, p) in &self.parts {
            out.push_str(&self.text[start as usize..end as usize]);
            if let Some(p) = p {
                percent_encode_into(&mut out, values.get(p).unwrap_or(""));
            }
        }
        out
    }
}

/// Fills `template`: each `{zip}`, `{state}`, `{product}`, `{language}`, `{brand}`, `{form_type}`
/// becomes its percent-encoded value (empty when the value is `None`).
///
/// The builder refuses templates with any other brace, so other text is copied as it stands; a
/// `{` that does not open a known placeholder is copied too (defensive, never reached with
/// validated data).
pub fn fill(template: &str, values: &Values<'_>) -> String {
    Template::new(template).fill(values)
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
