//! Turns the zipcodes crate's records into the checked, sorted, deterministic text of `zips.csv`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The pinned version of the `zipcodes` crate; must equal the `=` pin in this crate's Cargo.toml.
pub(crate) const ZIPCODES_VERSION: &str = "3.0.1";

/// One record of the source as far as `zips.csv` cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    /// The ZIP as the source spells it.
    pub(crate) zip: &'a str,
    /// The source's state code.
    pub(crate) state: &'a str,
    /// The source's `active` flag (kept: an inactive ZIP still belongs to its state).
    pub(crate) active: bool,
}

/// Why the source cannot be turned into `zips.csv` as it stands.
///
/// Policy: the generator refuses rather than silently dropping or remapping rows, so that a
/// version bump of `zipcodes` that brings a new code or a conflict forces a human decision
/// (recorded here and in data/README.md). Version 3.0.1 yields none of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The ZIP is not exactly five ASCII digits.
    BadZip { zip: String },
    /// The state is not a USPS code that SPEC accepts.
    UnknownState { zip: String, state: String },
    /// The same ZIP appears with two different states.
    Conflict {
        zip: String,
        first: String,
        second: String,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::BadZip { zip } => write!(f, "ZIP {zip:?} is not five ASCII digits"),
            Problem::UnknownState { zip, state } => write!(
                f,
                "ZIP {zip} has state {state:?}, which is not a USPS code of SPEC"
            ),
            Problem::Conflict { zip, first, second } => {
                write!(f, "ZIP {zip} appears with two states: {first} and {second}")
            }
        }
    }
}

/// What [`collect`] produced: the rows of `zips.csv`, sorted by ZIP, plus figures for the header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Zips {
    /// (zip, state), sorted by ZIP, unique.
    pub(crate) rows: Vec<(String, String)>,
    /// How many of them the source marks inactive.
    pub(crate) inactive: usize,
}

/// Checks every record and returns the sorted rows, or every problem found (in ZIP order).
pub(crate) fn collect<'a>(
    records: impl IntoIterator<Item = Record<'a>>,
) -> Result<Zips, Vec<Problem>> {
    let mut by_zip: BTreeMap<&str, (&str, bool)> = BTreeMap::new();
    let mut problems = Vec::new();
    for r in records {
        if r.zip.len() != 5 || !r.zip.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(Problem::BadZip {
                zip: r.zip.to_string(),
            });
            continue;
        }
        if !formroute_core::usps::is_code(r.state) {
            problems.push(Problem::UnknownState {
                zip: r.zip.to_string(),
                state: r.state.to_string(),
            });
            continue;
        }
        match by_zip.get_mut(r.zip) {
            None => {
                by_zip.insert(r.zip, (r.state, r.active));
            }
            Some((state, active)) if *state == r.state => *active |= r.active,
            Some((state, _)) => problems.push(Problem::Conflict {
                zip: r.zip.to_string(),
                first: state.to_string(),
                second: r.state.to_string(),
            }),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let inactive = by_zip.values().filter(|(_, active)| !active).count();
    let rows = by_zip
        .into_iter()
        .map(|(zip, (state, _))| (zip.to_string(), state.to_string()))
        .collect();
    Ok(Zips { rows, inactive })
}

/// The full text of `zips.csv`: comment lines (source, version label), header, one row per ZIP.
///
/// No date or time goes in, so the same source always gives the same bytes.
pub(crate) fn render(zips: &Zips) -> String {
    let mut out = String::with_capacity(zips.rows.len() * 9 + 512);
    let v = ZIPCODES_VERSION;
    // `write!` into a String cannot fail (its fmt::Write impl always returns Ok), hence `let _`.
    let _ = write!(
        out,
        "# zips.csv: every ZIP code with its USPS state code. GENERATED, do not edit by hand.\n\
         # Regenerate: cargo run -p formroute-zipgen --release -- data/zips.csv\n\
         # source: Rust crate zipcodes {v} (MIT), https://crates.io/crates/zipcodes/{v}, \
         data from https://github.com/seanpianka/zipcodes\n\
         # {} ZIPs, {} of them marked inactive in the source (kept). Quirks: see data/README.md.\n\
         # version: zipcodes-{v}\n\
         zip,state\n",
        zips.rows.len(),
        zips.inactive,
    );
    for (zip, state) in &zips.rows {
        out.push_str(zip);
        out.push(',');
        out.push_str(state);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(zip: &'static str, state: &'static str) -> Record<'static> {
        Record {
            zip,
            state,
            active: true,
        }
    }

    #[test]
    fn rows_come_out_sorted_by_zip_with_leading_zeros_kept() {
        let zips = collect([rec("99950", "AK"), rec("00501", "NY"), rec("20001", "DC")]).unwrap();
        let zips_only: Vec<&str> = zips.rows.iter().map(|(z, _)| z.as_str()).collect();
        assert_eq!(zips_only, ["00501", "20001", "99950"]);
    }

    #[test]
    fn render_writes_the_version_label_then_the_header_then_rows() {
        let zips = collect([rec("00501", "NY"), rec("09001", "AE")]).unwrap();
        let text = render(&zips);
        let lines: Vec<&str> = text.lines().collect();
        let header = lines.iter().position(|l| *l == "zip,state").unwrap();
        assert!(lines[..header].iter().all(|l| l.starts_with('#')));
        assert!(lines[..header].contains(&"# version: zipcodes-3.0.1"));
        assert_eq!(&lines[header + 1..], ["00501,NY", "09001,AE"]);
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn inactive_zips_are_kept_and_counted() {
        let mut old = rec("12345", "NY");
        old.active = false;
        let zips = collect([old, rec("12346", "NY")]).unwrap();
        assert_eq!(zips.rows.len(), 2);
        assert_eq!(zips.inactive, 1);
        assert!(render(&zips).contains("2 ZIPs, 1 of them marked inactive"));
    }

    #[test]
    fn a_state_outside_spec_is_refused_not_dropped() {
        let err = collect([rec("00501", "NY"), rec("96799", "XX")]).unwrap_err();
        assert_eq!(
            err,
            [Problem::UnknownState {
                zip: "96799".into(),
                state: "XX".into()
            }]
        );
    }

    #[test]
    fn malformed_zips_and_conflicting_states_are_all_reported() {
        let err = collect([rec("1234", "NY"), rec("10001", "NY"), rec("10001", "NJ")]).unwrap_err();
        assert_eq!(err.len(), 2);
        assert!(matches!(err[0], Problem::BadZip { .. }));
        assert!(matches!(err[1], Problem::Conflict { .. }));
    }

    #[test]
    fn a_repeated_zip_with_the_same_state_is_one_row() {
        let zips = collect([rec("10001", "NY"), rec("10001", "NY")]).unwrap();
        assert_eq!(zips.rows.len(), 1);
    }

    #[test]
    fn the_version_label_matches_the_cargo_pin() {
        let manifest = include_str!("../Cargo.toml");
        let pin = format!("zipcodes = \"={ZIPCODES_VERSION}\"");
        assert!(
            manifest.lines().any(|l| l.trim() == pin),
            "Cargo.toml must pin {pin}"
        );
    }

    #[test]
    fn the_pinned_source_passes_every_check_and_covers_every_usps_code() {
        let records = zipcodes::database().iter().map(|z| Record {
            zip: &z.zip_code,
            state: &z.state,
            active: z.active,
        });
        let zips = collect(records).unwrap();
        assert_eq!(zips.rows.len(), 42_788);
        let mut seen: Vec<&str> = zips.rows.iter().map(|(_, s)| s.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, formroute_core::usps::CODES);
    }

    #[test]
    fn the_committed_zips_csv_is_exactly_what_the_generator_writes() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../zips.csv");
        let committed = std::fs::read_to_string(path).unwrap();
        let records = zipcodes::database().iter().map(|z| Record {
            zip: &z.zip_code,
            state: &z.state,
            active: z.active,
        });
        let generated = render(&collect(records).unwrap());
        assert!(
            committed == generated,
            "data/zips.csv is stale or was edited by hand: regenerate it with \
             cargo run -p formroute-zipgen --release -- data/zips.csv"
        );
    }
}
