//! SPEC's small rules in one place: trim, lowercase, ZIP shapes, product and language normalisation, slug, token and code predicates.
//!
//! Every crate calls these (the resolver, the loader, the beacon schema, the archiver, the
//! publish layout, the logs report), so a rule cannot drift between them. The JavaScript
//! client has its own copy of the resolver's rules (`client-js/src`, see docs/ARCHITECTURE.md),
//! which the Rust/JS conformance test holds to the same answers.

use std::borrow::Cow;

/// SPEC "trim": ASCII space, tab, LF, FF and CR at both ends, nothing else (not VT, not Unicode spaces).
pub fn trim(s: &str) -> &str {
    // By bytes: the five are ASCII, so the cuts fall next to ASCII bytes, on char boundaries.
    let white = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0C' | b'\r');
    let b = s.as_bytes();
    let Some(start) = b.iter().position(|c| !white(c)) else {
        return "";
    };
    let end = b.iter().rposition(|c| !white(c)).map_or(start, |i| i + 1);
    &s[start..end]
}

/// SPEC "lowercase": `A-Z` to `a-z`, nothing else.
pub fn lowercase(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// SPEC step 1: the five-digit ZIP of `DDDDD`, `DDDDD-DDDD` or `DDDDDDDDD` after trimming, as
/// text borrowed from `zip`.
pub fn zip5(zip: &str) -> Option<&str> {
    let z = trim(zip);
    let b = z.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let ok = match b.len() {
        5 | 9 => digits(b),
        10 => digits(&b[..5]) && b[5] == b'-' && digits(&b[6..]),
        _ => false,
    };
    // The shapes above are ASCII digits up to byte 5, so the slice is on a char boundary.
    ok.then(|| &z[..5])
}

/// [`zip5`] as the five ASCII digits the artifact's FST is keyed by.
pub fn parse_zip(zip: &str) -> Option<[u8; 5]> {
    let mut z = [0u8; 5];
    z.copy_from_slice(zip5(zip)?.as_bytes());
    Some(z)
}

/// SPEC step 3's normalisation of the asked product: trim, then lowercase (borrowed when
/// nothing changes).
pub fn normalise_product(product: &str) -> Cow<'_, str> {
    let p = trim(product);
    if p.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(lowercase(p))
    } else {
        Cow::Borrowed(p)
    }
}

/// [`normalise_product`] lowercasing into `buf` instead of a new `String` when the trimmed text
/// fits (every product and language of an artifact does): the resolver allocates nothing for it.
pub fn normalise_product_in<'b>(product: &'b str, buf: &'b mut [u8; MAX_SLUG]) -> Cow<'b, str> {
    let p = trim(product);
    if !p.bytes().any(|b| b.is_ascii_uppercase()) {
        return Cow::Borrowed(p);
    }
    if let Some(out) = buf.get_mut(..p.len()) {
        out.copy_from_slice(p.as_bytes());
        out.make_ascii_lowercase();
        // Lowercasing ASCII letters keeps UTF-8 valid, so this is always `Ok`.
        if let Ok(s) = std::str::from_utf8(out) {
            return Cow::Borrowed(s);
        }
    }
    Cow::Owned(lowercase(p))
}

/// Cuts a trimmed language before its first `-` or `_`.
fn language_head(t: &str) -> &str {
    // Lowercasing maps `A-Z` only, so cutting before or after it gives the same text.
    t.find(['-', '_']).map_or(t, |i| &t[..i])
}

/// SPEC step 5's normalisation: trim, lowercase, keep what stands before the first `-` or `_`
/// (borrowed when nothing needs lowercasing: most queries allocate nothing).
pub fn normalise_language(language: &str) -> Cow<'_, str> {
    normalise_product(language_head(trim(language)))
}

/// [`normalise_language`] lowercasing into `buf` (see [`normalise_product_in`]).
pub fn normalise_language_in<'b>(language: &'b str, buf: &'b mut [u8; MAX_SLUG]) -> Cow<'b, str> {
    normalise_product_in(language_head(trim(language)), buf)
}

/// Longest slug, in bytes.
pub const MAX_SLUG: usize = 32;

/// A slug (brands, products, form types): `[a-z0-9-]{1,32}`.
pub fn is_slug(s: &str) -> bool {
    (1..=MAX_SLUG).contains(&s.len()) && s.bytes().all(is_slug_byte)
}

/// One byte of a slug: `a-z`, `0-9` or `-`.
pub fn is_slug_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
}

/// A beacon event or page-view id (SPEC "Beacon events" `id`, `pv`): 8 to 64 of `A-Z a-z 0-9 _ -`.
pub fn is_event_id(s: &str) -> bool {
    (8..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A language code (SPEC, `forms.csv`): exactly two lower-case ASCII letters (ISO 639-1).
pub fn is_language(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_lowercase())
}

/// Two capital ASCII letters: the shape of a state code in an answer and of a country code.
pub fn is_two_capitals(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_removes_only_the_five_ascii_white_space_characters() {
        assert_eq!(trim(" \t\n\x0C\r10001 \r\n"), "10001");
        assert_eq!(trim("\x0B10001"), "\x0B10001");
        assert_eq!(trim("\u{a0}10001\u{2003}"), "\u{a0}10001\u{2003}");
    }

    #[test]
    fn lowercase_maps_only_ascii_capitals() {
        assert_eq!(lowercase("AuTo"), "auto");
        assert_eq!(lowercase("ÀUTO"), "Àuto");
        // The Kelvin sign lowercases to `k` in Unicode, not in SPEC.
        assert_eq!(lowercase("\u{212A}"), "\u{212A}");
    }

    #[test]
    fn zip_forms_accepted_and_first_five_digits_kept() {
        assert_eq!(parse_zip("10001"), Some(*b"10001"));
        assert_eq!(parse_zip("10001-1234"), Some(*b"10001"));
        assert_eq!(parse_zip("100011234"), Some(*b"10001"));
        assert_eq!(parse_zip(" 00501\t"), Some(*b"00501"));
        assert_eq!(parse_zip("\r\n02134-0001 "), Some(*b"02134"));
    }

    #[test]
    fn every_other_zip_shape_is_invalid() {
        for bad in [
            "",
            "1000",
            "100011",
            "1000a",
            "10001-123",
            "10001-12345",
            "10001 1234",
            "10001_1234",
            "1000112345",
            "10001-",
            "-10001",
            "１０００１",
            "10001-123a",
            "1 0001",
            "+1000",
            "10001\x0B",
            "٠١٢٣٤",
        ] {
            assert_eq!(parse_zip(bad), None, "{bad:?} must be invalid");
        }
    }

    #[test]
    fn language_is_trimmed_lowercased_and_cut_at_the_first_separator() {
        assert_eq!(normalise_language("es-MX"), "es");
        assert_eq!(normalise_language(" EN_us "), "en");
        assert_eq!(normalise_language("ES"), "es");
        assert_eq!(normalise_language("zh-Hant-TW"), "zh");
        assert_eq!(normalise_language("-x"), "");
        assert_eq!(normalise_language(""), "");
    }

    #[test]
    fn the_borrowing_normalisations_equal_the_allocating_ones() {
        let allocating = |l: &str| {
            let l = lowercase(trim(l));
            match l.find(['-', '_']) {
                Some(i) => l[..i].to_string(),
                None => l,
            }
        };
        for l in [
            "es-MX",
            " EN_us ",
            "ES",
            "zh-Hant-TW",
            "-x",
            "",
            " ",
            "\tFr\n",
            "eS_",
            "Ünï-X",
            "e\u{0}s",
        ] {
            assert_eq!(normalise_language(l), allocating(l), "{l:?}");
            assert_eq!(
                normalise_language_in(l, &mut [0; MAX_SLUG]),
                allocating(l),
                "{l:?}"
            );
        }
        let long = format!(" {} ", "AB".repeat(MAX_SLUG));
        for p in ["auto", "AuTo", " Home\t", "ÀUTO", "", long.as_str()] {
            assert_eq!(normalise_product(p), lowercase(trim(p)), "{p:?}");
            assert_eq!(
                normalise_product_in(p, &mut [0; MAX_SLUG]),
                lowercase(trim(p)),
                "{p:?}"
            );
        }
    }

    #[test]
    fn predicates_follow_their_rules() {
        assert!(is_slug("a") && is_slug(&"a".repeat(32)) && is_slug("home-2"));
        assert!(!is_slug("") && !is_slug(&"a".repeat(33)) && !is_slug("Acme") && !is_slug("a_b"));
        assert!(is_event_id("A-_z0123") && !is_event_id("short") && !is_event_id(&"a".repeat(65)));
        assert!(is_language("en") && !is_language("EN") && !is_language("eng"));
        assert!(is_two_capitals("NY") && !is_two_capitals("ny") && !is_two_capitals("N"));
    }
}
