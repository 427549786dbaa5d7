//! The USPS state codes that `zips.csv` and `rules.csv` accept (SPEC: 50 states, DC, territories, military).

/// Every accepted code, sorted: the 50 states, DC, PR, VI, GU, AS, MP, FM, MH, PW, AA, AE, AP.
pub const CODES: [&str; 62] = [
    "AA", "AE", "AK", "AL", "AP", "AR", "AS", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "FM", "GA",
    "GU", "HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MH", "MI", "MN", "MO",
    "MP", "MS", "MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "PR",
    "PW", "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VI", "VT", "WA", "WI", "WV", "WY",
];

/// Whether `code` is exactly one of [`CODES`] (upper case, two letters).
pub fn is_code(code: &str) -> bool {
    CODES.binary_search(&code).is_ok()
}

/// The static form of `code` if it is one of [`CODES`].
pub fn code(code: &str) -> Option<&'static str> {
    CODES.binary_search(&code).ok().map(|i| CODES[i])
}

/// The name of each code of [`CODES`], for messages and for recognising a name typed where a code belongs.
pub const NAMES: [(&str, &str); 62] = [
    ("AA", "Armed Forces Americas"),
    ("AE", "Armed Forces Europe"),
    ("AK", "Alaska"),
    ("AL", "Alabama"),
    ("AP", "Armed Forces Pacific"),
    ("AR", "Arkansas"),
    ("AS", "American Samoa"),
    ("AZ", "Arizona"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DC", "District of Columbia"),
    ("DE", "Delaware"),
    ("FL", "Florida"),
    ("FM", "Micronesia"),
    ("GA", "Georgia"),
    ("GU", "Guam"),
    ("HI", "Hawaii"),
    ("IA", "Iowa"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("MA", "Massachusetts"),
    ("MD", "Maryland"),
    ("ME", "Maine"),
    ("MH", "Marshall Islands"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MO", "Missouri"),
    ("MP", "Northern Mariana Islands"),
    ("MS", "Mississippi"),
    ("MT", "Montana"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("NE", "Nebraska"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NV", "Nevada"),
    ("NY", "New York"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("PR", "Puerto Rico"),
    ("PW", "Palau"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VA", "Virginia"),
    ("VI", "U.S. Virgin Islands"),
    ("VT", "Vermont"),
    ("WA", "Washington"),
    ("WI", "Wisconsin"),
    ("WV", "West Virginia"),
    ("WY", "Wyoming"),
];

/// The code of a state written by name (`Florida`, `new york`, `Virgin Islands`): case, dots,
/// hyphens and repeated spaces do not matter; a leading "State of" and "U.S." are ignored.
pub fn code_of_name(name: &str) -> Option<&'static str> {
    let norm = |s: &str| -> String {
        let s = s.to_ascii_lowercase().replace(['.', '-', '_'], " ");
        let words: Vec<&str> = s.split_whitespace().collect();
        let mut w = words.as_slice();
        if let [a, b, rest @ ..] = w {
            if *a == "state" && *b == "of" {
                w = rest;
            }
        }
        if let [a, b, rest @ ..] = w {
            if *a == "u" && *b == "s" {
                w = rest;
            }
        }
        w.join(" ")
    };
    let want = norm(name);
    if want.is_empty() {
        return None;
    }
    NAMES
        .iter()
        .find(|(_, n)| norm(n) == want)
        .map(|(c, _)| *c)
        .or(match want.as_str() {
            "washington dc" | "washington d c" => Some("DC"),
            "virgin islands" => Some("VI"),
            _ => None,
        })
}

/// The name of `code`, if it is one of [`CODES`].
pub fn name(code: &str) -> Option<&'static str> {
    NAMES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_name_and_names_map_back() {
        for (i, (c, n)) in NAMES.iter().enumerate() {
            assert_eq!(*c, CODES[i]);
            assert_eq!(code_of_name(n), Some(*c), "{n}");
        }
        assert_eq!(code_of_name("florida"), Some("FL"));
        assert_eq!(code_of_name("NEW  YORK"), Some("NY"));
        assert_eq!(code_of_name("Virgin Islands"), Some("VI"));
        assert_eq!(code_of_name("Atlantis"), None);
    }
}
