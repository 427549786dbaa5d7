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
