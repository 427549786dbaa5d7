//! Loading and validating the rule database: one test per rule of SPEC "The rule database" and "What the builder refuses".
//!
//! Each test starts from the small valid database in `tests/fixtures/validation/valid/`, breaks
//! one thing, and checks the exact file, line and column of the diagnostic and a recognisable
//! message. `Db::append` returns the physical line of the row it adds, so line numbers in the
//! assertions are those a data-team member would see in an editor.

use formroute_core::diag::{Diagnostic, Severity};
use formroute_core::load::{load, Loaded, Sources};
use formroute_core::model::{Database, Form, Override, Rule};
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/validation/valid")
}

/// The valid fixture database, held in memory so each test can change it.
struct Db(Sources);

impl Db {
    fn valid() -> Db {
        Db(Sources::read_dir(&fixture()).expect("fixture folder is readable"))
    }

    fn text(&self, file: &str) -> String {
        String::from_utf8(self.0.files[file].clone()).expect("fixture is UTF-8")
    }

    fn set(&mut self, file: &str, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.0.files.insert(file.to_string(), bytes.into());
        self
    }

    /// Adds `row` as a new last line of `file` and returns its physical line number.
    fn append(&mut self, file: &str, row: &str) -> u32 {
        let mut text = self.text(file);
        if !text.ends_with('\n') {
            text.push('\n');
        }
        let line = text.matches('\n').count() as u32 + 1;
        text.push_str(row);
        text.push('\n');
        self.set(file, text);
        line
    }

    /// Replaces the one occurrence of `from` in `file` by `to`.
    fn replace(&mut self, file: &str, from: &str, to: &str) -> &mut Self {
        let text = self.text(file);
        assert_eq!(
            text.matches(from).count(),
            1,
            "`{from}` must occur once in {file}"
        );
        self.set(file, text.replacen(from, to, 1))
    }

    fn load(&self) -> Loaded {
        load(&self.0)
    }
}

fn listing(l: &Loaded) -> String {
    l.diagnostics.iter().map(|d| format!("{d}\n")).collect()
}

/// The one and only diagnostic of `l` (the test changed one thing).
fn only(l: &Loaded) -> &Diagnostic {
    assert_eq!(
        l.diagnostics.len(),
        1,
        "expected exactly one diagnostic, got:\n{}",
        listing(l)
    );
    &l.diagnostics[0]
}

/// Asserts the diagnostic's spot and that its message contains `text`.
#[track_caller]
fn assert_at(d: &Diagnostic, file: &str, line: u32, column: u32, name: Option<&str>, text: &str) {
    assert_eq!(
        (d.file.as_str(), d.line, d.column, d.column_name.as_deref()),
        (file, line, column, name),
        "wrong spot for:\n{d}"
    );
    assert!(
        d.message.contains(text),
        "message should contain `{text}`:\n{d}"
    );
    assert!(!d.help.is_empty(), "every diagnostic says what to do:\n{d}");
}

/// The one error of `l`, checked to be an error at that spot with that text.
#[track_caller]
fn assert_only_error(
    l: &Loaded,
    file: &str,
    line: u32,
    column: u32,
    name: Option<&str>,
    text: &str,
) {
    let d = only(l);
    assert_eq!(d.severity, Severity::Error, "{d}");
    assert!(l.has_errors());
    assert_at(d, file, line, column, name, text);
}

// ---------------------------------------------------------------- a valid database

#[test]
fn the_valid_database_loads_with_no_diagnostics_and_every_row() {
    let l = Db::valid().load();
    assert!(l.diagnostics.is_empty(), "{}", listing(&l));
    assert!(!l.has_errors());
    let db: &Database = &l.db;
    assert_eq!(db.zip_data_version, "test-zips-1");
    let zips: Vec<(String, &str)> = db
        .zips
        .iter()
        .map(|(z, s)| (String::from_utf8_lossy(z).into_owned(), s.as_str()))
        .collect();
    assert_eq!(
        zips,
        [
            ("00601", "PR"),
            ("01001", "MA"),
            ("02108", "MA"),
            ("02109", "MA"),
            ("10001", "NY"),
            ("90210", "CA"),
            ("94105", "CA")
        ]
        .map(|(z, s)| (z.to_string(), s))
    );
    assert_eq!(db.brands.keys().collect::<Vec<_>>(), ["acme", "sol"]);

    let acme = &db.brands["acme"];
    assert_eq!(acme.name, "Acme Insurance, Inc.");
    assert_eq!(acme.default_language, "en");
    assert_eq!(
        acme.fallback_url,
        "https://acme.example/quote?zip={zip}&p={product}&l={language}"
    );
    assert_eq!(
        acme.origins,
        ["https://www.acme.example", "https://acme.example"]
    );
    assert_eq!(acme.line, 3, "the comment on line 2 counts");
    assert_eq!(acme.products(), ["auto", "home"]);
    assert_eq!(acme.forms.len(), 4);
    assert_eq!(
        acme.forms[2],
        Form {
            product: "auto".into(),
            form_type: "agent".into(),
            language: "en".into(),
            url: "https://acme.example/agent?p={product}&f={form_type}&l={language}&b={brand}"
                .into(),
            line: 4,
        }
    );
    assert_eq!(
        acme.rules,
        [
            Rule {
                product: None,
                state: None,
                form_type: Some("standard".into()),
                line: 2
            },
            Rule {
                product: Some("auto".into()),
                state: Some("NY".into()),
                form_type: Some("agent".into()),
                line: 3
            },
            Rule {
                product: Some("home".into()),
                state: Some("CA".into()),
                form_type: None,
                line: 4
            },
        ]
    );
    assert_eq!(
        acme.overrides,
        [
            Override {
                product: Some("auto".into()),
                zip_prefix: "021".into(),
                form_type: Some("agent".into()),
                line: 2
            },
            Override {
                product: None,
                zip_prefix: "9".into(),
                form_type: None,
                line: 3
            },
            Override {
                product: Some("home".into()),
                zip_prefix: "94105".into(),
                form_type: Some("standard".into()),
                line: 4
            },
        ]
    );

    let sol = &db.brands["sol"];
    assert_eq!(sol.line, 5, "the blank line 4 counts");
    assert_eq!(sol.origins, ["https://sol.example:8443"]);
    assert_eq!(sol.products(), ["auto"]);
    assert_eq!(sol.rules.len(), 1);
    assert!(sol.overrides.is_empty());
}

#[test]
fn read_dir_leaves_a_missing_file_to_a_diagnostic() {
    let dir = std::env::temp_dir().join(format!("formroute-validation-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["zips.csv", "brands.csv", "forms.csv", "rules.csv"] {
        std::fs::copy(fixture().join(f), dir.join(f)).unwrap();
    }
    let sources = Sources::read_dir(&dir).expect("a missing file is not an io error");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(sources.files.len(), 4);
    let l = load(&sources);
    assert_only_error(&l, "zip_overrides.csv", 0, 0, None, "file is missing");
    assert!(
        only(&l).help.contains("brand,product,zip_prefix,form_type"),
        "{}",
        listing(&l)
    );
}

#[test]
fn read_dir_on_a_missing_folder_gives_no_files_and_five_missing_file_errors() {
    let sources = Sources::read_dir(Path::new("/nonexistent/formroute")).unwrap();
    let l = load(&sources);
    let files: Vec<&str> = l.diagnostics.iter().map(|d| d.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "brands.csv",
            "forms.csv",
            "rules.csv",
            "zip_overrides.csv",
            "zips.csv"
        ]
    );
    assert!(l.diagnostics.iter().all(|d| d.message == "file is missing"));
}

#[test]
fn an_empty_file_needs_a_header() {
    let l = Db::valid().set("rules.csv", "# only a comment\n\n").load();
    assert_only_error(&l, "rules.csv", 1, 0, None, "no header row");
}

// ---------------------------------------------------------------- CSV syntax and line numbers

#[test]
fn a_leading_utf8_bom_is_tolerated() {
    let mut db = Db::valid();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(db.text("brands.csv").as_bytes());
    let l = db.set("brands.csv", bytes).load();
    assert!(l.diagnostics.is_empty(), "{}", listing(&l));
    assert_eq!(l.db, Db::valid().load().db);
}

#[test]
fn bytes_that_are_not_utf8_are_an_error_at_their_line_and_column() {
    let mut db = Db::valid();
    let line = db.append(
        "brands.csv",
        "x,Caf\u{e9},en,https://x.example/,https://x.example",
    );
    let text = db.text("brands.csv").replace("Caf\u{e9}", "Caf");
    let mut bytes = text.into_bytes();
    // Put a Latin-1 "é" (0xE9), invalid in UTF-8, after "Caf".
    let at = bytes.windows(4).position(|w| w == b"Caf,").unwrap() + 3;
    bytes.insert(at, 0xE9);
    let l = db.set("brands.csv", bytes).load();
    assert_only_error(&l, "brands.csv", line, 2, Some("name"), "not valid UTF-8");
    assert!(!l.db.brands.contains_key("x"));
}

#[test]
fn quoted_fields_follow_rfc_4180_commas_doubled_quotes_and_line_breaks() {
    let mut db = Db::valid();
    db.append(
        "forms.csv",
        "acme,home,standard,es,\"https://acme.example/hogar?a=1,2&q=\"\"x\"\"\"",
    );
    let l = db.load();
    assert!(l.diagnostics.is_empty(), "{}", listing(&l));
    assert_eq!(
        l.db.brands["acme"].forms[4].url,
        "https://acme.example/hogar?a=1,2&q=\"x\""
    );
}

#[test]
fn line_numbers_count_comments_blank_lines_and_every_line_of_a_quoted_field() {
    let brands = "\
# line 1: a comment before the header
brand,name,default_language,fallback_url,origins

acme,\"Acme
Insurance
Group\",en,https://acme.example/,https://acme.example
# line 7
\r
sol,Seguros Sol,ES,https://sol.example/,https://sol.example
";
    let l = Db::valid().set("brands.csv", brands).load();
    // The name of acme spans lines 4-6: a warning about it would sit on line 4; sol is on line 9.
    let errors: Vec<_> = l
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 2, "{}", listing(&l));
    assert_at(errors[0], "brands.csv", 4, 2, Some("name"), "line break");
    assert_at(
        errors[1],
        "brands.csv",
        9,
        3,
        Some("default_language"),
        "`ES` is not a language code",
    );
    assert!(errors[1].help.contains("`es`"), "{}", errors[1]);
}

#[test]
fn crlf_line_ends_are_read_like_lf() {
    let mut db = Db::valid();
    for f in formroute_core::load::FILES {
        let crlf = db.text(f).replace('\n', "\r\n");
        db.set(f, crlf);
    }
    let l = db.load();
    assert!(l.diagnostics.is_empty(), "{}", listing(&l));
    assert_eq!(l.db, Db::valid().load().db);
    let line = db.append("rules.csv", "acme,auto,ZZ,agent");
    assert_eq!(line, 6);
    assert_only_error(
        &db.load(),
        "rules.csv",
        6,
        3,
        Some("state"),
        "not a USPS state code",
    );
}

#[test]
fn a_stray_double_quote_is_an_error_not_silently_kept() {
    let mut db = Db::valid();
    let line = db.append(
        "brands.csv",
        "x,The \"X\" Co,en,https://x.example/,https://x.example",
    );
    assert_only_error(
        &db.load(),
        "brands.csv",
        line,
        2,
        Some("name"),
        "double quote inside a value that is not quoted",
    );
}

#[test]
fn text_after_a_closing_quote_is_an_error() {
    let mut db = Db::valid();
    let line = db.append(
        "brands.csv",
        "x,\"The X\" Co,en,https://x.example/,https://x.example",
    );
    assert_only_error(
        &db.load(),
        "brands.csv",
        line,
        2,
        Some("name"),
        "text after the closing double quote",
    );
}

#[test]
fn a_quote_never_closed_is_an_error_at_the_line_where_it_opens() {
    let mut db = Db::valid();
    let line = db.append("rules.csv", "acme,\"home,NY,standard");
    db.append("rules.csv", "acme,home,NY,standard");
    assert_only_error(
        &db.load(),
        "rules.csv",
        line,
        2,
        Some("product"),
        "never closed",
    );
}

#[test]
fn a_row_with_the_wrong_number_of_fields_is_an_error() {
    let mut db = Db::valid();
    let short = db.append("rules.csv", "acme,home,NY");
    let long = db.append("rules.csv", "acme,home,TX,standard,extra");
    let l = db.load();
    assert_eq!(l.diagnostics.len(), 2, "{}", listing(&l));
    assert_at(
        &l.diagnostics[0],
        "rules.csv",
        short,
        0,
        None,
        "row has 3 fields, the header has 4",
    );
    assert_at(
        &l.diagnostics[1],
        "rules.csv",
        long,
        0,
        None,
        "row has 5 fields, the header has 4",
    );
}

// ---------------------------------------------------------------- header

#[test]
fn column_order_is_free() {
    let mut db = Db::valid();
    let forms = "\
url,language,form_type,product,brand
https://acme.example/auto?zip={zip}&st={state},en,standard,auto,acme
https://acme.example/es/auto?zip={zip},es,standard,auto,acme
https://acme.example/agent?p={product}&f={form_type}&l={language}&b={brand},en,agent,auto,acme
https://acme.example/home?zip={zip},en,standard,home,acme
https://sol.example/{language}/auto/{zip},es,standard,auto,sol
";
    db.set("forms.csv", forms);
    let l = db.load();
    assert!(l.diagnostics.is_empty(), "{}", listing(&l));
    assert_eq!(l.db, Db::valid().load().db);
    // Columns are numbered in the file's own order: `language` is column 2 here.
    let line = db.append("forms.csv", "https://acme.example/,EN,standard,home,acme");
    assert_only_error(
        &db.load(),
        "forms.csv",
        line,
        2,
        Some("language"),
        "not a language code",
    );
}

#[test]
fn a_missing_column_is_an_error_at_the_header_listing_the_expected_ones() {
    let l = Db::valid()
        .set(
            "zip_overrides.csv",
            "brand,product,form_type\nacme,auto,agent\n",
        )
        .load();
    let d = only(&l);
    assert_at(
        d,
        "zip_overrides.csv",
        1,
        0,
        Some("zip_prefix"),
        "missing column `zip_prefix`",
    );
    assert!(
        d.help.contains("brand, product, zip_prefix, form_type"),
        "{d}"
    );
}

#[test]
fn an_unknown_column_is_an_error_at_the_header_with_a_suggestion() {
    let l = Db::valid()
        .replace(
            "rules.csv",
            "brand,product,state,form_type",
            "brand,product,state,form_type,from_type",
        )
        .replace("rules.csv", "acme,*,*,standard", "acme,*,*,standard,x")
        .replace("rules.csv", "acme,auto,NY,agent", "acme,auto,NY,agent,x")
        .replace("rules.csv", "acme,home,CA,none", "acme,home,CA,none,x")
        .replace("rules.csv", "sol,*,PR,standard", "sol,*,PR,standard,x")
        .load();
    let d = only(&l);
    assert_at(d, "rules.csv", 1, 5, None, "unknown column `from_type`");
    assert!(d.help.contains("did you mean `form_type`?"), "{d}");
    assert!(d.help.contains("brand, product, state, form_type"), "{d}");
}

#[test]
fn a_misspelt_column_gives_both_unknown_and_missing() {
    let l = Db::valid()
        .replace("zips.csv", "zip,state", "zip,State")
        .load();
    assert_eq!(l.diagnostics.len(), 2, "{}", listing(&l));
    assert_at(
        &l.diagnostics[0],
        "zips.csv",
        2,
        0,
        Some("state"),
        "missing column `state`",
    );
    assert_at(
        &l.diagnostics[1],
        "zips.csv",
        2,
        2,
        None,
        "unknown column `State`",
    );
}

#[test]
fn white_space_around_a_column_name_is_named_as_such() {
    let l = Db::valid()
        .replace("zips.csv", "zip,state", "zip, state")
        .load();
    let d = l
        .diagnostics
        .iter()
        .find(|d| d.column == 2)
        .expect("a diagnostic at column 2");
    assert!(d.message.contains("white space"), "{d}");
    assert!(d.help.contains("`state`"), "{d}");
}

#[test]
fn a_repeated_column_is_an_error_at_its_second_position() {
    let l = Db::valid()
        .set("zips.csv", "zip,state,zip\n01001,MA,01001\n")
        .load();
    let d = l.diagnostics.iter().find(|d| d.file == "zips.csv").unwrap();
    assert_at(
        d,
        "zips.csv",
        1,
        3,
        Some("zip"),
        "column `zip` appears twice (first at column 1)",
    );
}

// ---------------------------------------------------------------- values

#[test]
fn an_empty_value_is_an_error() {
    let mut db = Db::valid();
    let line = db.append("forms.csv", "acme,home,,en,https://acme.example/");
    assert_only_error(
        &db.load(),
        "forms.csv",
        line,
        3,
        Some("form_type"),
        "empty value",
    );
}

#[test]
fn white_space_around_a_value_is_an_error_with_a_hint_not_trimmed() {
    let mut db = Db::valid();
    let line = db.append("rules.csv", "acme,home, TX,agent");
    let l = db.load();
    assert_only_error(
        &l,
        "rules.csv",
        line,
        3,
        Some("state"),
        "` TX` has white space at the start",
    );
    assert!(only(&l).help.contains("write `TX`"), "{}", listing(&l));
    assert_eq!(
        l.db.brands["acme"].rules.len(),
        3,
        "the row is not kept trimmed"
    );
}

#[test]
fn a_zip_is_exactly_five_ascii_digits() {
    for (bad, hint) in [
        ("1001", "`01001`"),
        ("02108-1234", "not ZIP+4"),
        ("021081234", "not ZIP+4"),
        ("0210a", "five ASCII digits"),
        ("\u{661}\u{662}\u{663}\u{664}\u{665}", "five ASCII digits"),
    ] {
        let mut db = Db::valid();
        let line = db.append("zips.csv", &format!("{bad},MA"));
        let l = db.load();
        assert_only_error(&l, "zips.csv", line, 1, Some("zip"), "is not a ZIP code");
        assert!(only(&l).help.contains(hint), "{bad}: {}", listing(&l));
    }
}

#[test]
fn a_zip_prefix_is_one_to_five_ascii_digits() {
    for good in ["0", "02", "021", "0210", "02108"] {
        let mut db = Db::valid();
        db.append("zip_overrides.csv", &format!("sol,auto,{good},standard"));
        assert!(
            db.load().diagnostics.is_empty(),
            "{good}: {}",
            listing(&db.load())
        );
    }
    for bad in ["021081", "02a", "*", "-1"] {
        let mut db = Db::valid();
        let line = db.append("zip_overrides.csv", &format!("sol,auto,{bad},standard"));
        assert_only_error(
            &db.load(),
            "zip_overrides.csv",
            line,
            3,
            Some("zip_prefix"),
            "is not a ZIP prefix",
        );
    }
}

#[test]
fn state_codes_are_exactly_the_usps_list_of_spec() {
    let spec = "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ \
                NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR VI GU AS MP FM MH PW AA AE AP";
    let codes: Vec<&str> = spec.split(' ').collect();
    assert_eq!(codes.len(), 62);
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    assert_eq!(formroute_core::usps::CODES.to_vec(), sorted);

    let mut db = Db::valid();
    let rows: String = codes
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{:05},{c}\n", 20000 + i))
        .collect();
    let text = db.text("zips.csv") + &rows;
    db.set("zips.csv", text);
    assert!(db.load().diagnostics.is_empty(), "{}", listing(&db.load()));

    for (bad, hint) in [
        ("ca", "write `CA`"),
        ("XX", "two-letter USPS code"),
        ("*", "only in rules.csv"),
        ("CAL", "USPS"),
    ] {
        let mut db = Db::valid();
        let line = db.append("zips.csv", &format!("30000,{bad}"));
        let l = db.load();
        assert_only_error(
            &l,
            "zips.csv",
            line,
            2,
            Some("state"),
            "is not a USPS state code",
        );
        assert!(only(&l).help.contains(hint), "{}", listing(&l));
    }
}

#[test]
fn slugs_are_1_to_32_of_lowercase_letters_digits_and_dashes() {
    let long_ok = "a".repeat(32);
    let mut db = Db::valid();
    db.append(
        "forms.csv",
        &format!("acme,{long_ok},x-9,en,https://acme.example/"),
    );
    assert!(db.load().diagnostics.is_empty(), "{}", listing(&db.load()));

    for (bad, message, hint) in [
        ("Home", "not a valid slug", "write `home`"),
        ("home_owner", "not a valid slug", "a-z"),
        ("m\u{e9}xico", "not a valid slug", "a-z"),
        (&*"a".repeat(33), "longer than 32", "at most 32"),
    ] {
        let mut db = Db::valid();
        let line = db.append(
            "forms.csv",
            &format!("acme,{bad},standard,en,https://acme.example/"),
        );
        let l = db.load();
        assert_only_error(&l, "forms.csv", line, 2, Some("product"), message);
        assert!(only(&l).help.contains(hint), "{}", listing(&l));
    }
}

#[test]
fn none_is_not_a_form_type_of_forms_csv() {
    let mut db = Db::valid();
    let line = db.append("forms.csv", "acme,home,none,en,https://acme.example/");
    assert_only_error(
        &db.load(),
        "forms.csv",
        line,
        3,
        Some("form_type"),
        "`none` is not a form type",
    );
}

#[test]
fn none_means_not_served_in_rules_and_overrides() {
    let mut db = Db::valid();
    db.append("rules.csv", "sol,auto,NY,none");
    db.append("zip_overrides.csv", "sol,*,1,none");
    let l = db.load();
    assert!(l.diagnostics.is_empty(), "{}", listing(&l));
    assert_eq!(l.db.brands["sol"].rules[1].form_type, None);
    assert_eq!(l.db.brands["sol"].overrides[0].form_type, None);
}

#[test]
fn star_is_allowed_only_where_spec_says() {
    // Allowed: rules.csv product and state, zip_overrides.csv product (see the valid fixture).
    for (file, row, column, name) in [
        (
            "forms.csv",
            "acme,*,standard,en,https://acme.example/",
            2,
            "product",
        ),
        (
            "forms.csv",
            "acme,home,*,en,https://acme.example/",
            3,
            "form_type",
        ),
        (
            "forms.csv",
            "*,home,standard,en,https://acme.example/",
            1,
            "brand",
        ),
        ("rules.csv", "*,auto,NY,agent", 1, "brand"),
        ("rules.csv", "acme,auto,MA,*", 4, "form_type"),
        ("zip_overrides.csv", "acme,auto,1,*", 4, "form_type"),
        (
            "brands.csv",
            "*,X,en,https://x.example/,https://x.example",
            1,
            "brand",
        ),
    ] {
        let mut db = Db::valid();
        let line = db.append(file, row);
        let l = db.load();
        assert_only_error(
            &l,
            file,
            line,
            column,
            Some(name),
            "`*` is not allowed here",
        );
    }
}

#[test]
fn a_language_is_two_lowercase_ascii_letters() {
    for (bad, hint) in [
        ("EN", "write `en`"),
        ("es-MX", "without region: `es`"),
        ("e", "two-letter"),
        ("eng", "two-letter"),
    ] {
        let mut db = Db::valid();
        let line = db.append(
            "forms.csv",
            &format!("acme,home,standard,{bad},https://acme.example/"),
        );
        let l = db.load();
        assert_only_error(
            &l,
            "forms.csv",
            line,
            4,
            Some("language"),
            "is not a language code",
        );
        assert!(only(&l).help.contains(hint), "{}", listing(&l));
    }
    let mut db = Db::valid();
    let line = db.append("brands.csv", "x,X,En,https://x.example/,https://x.example");
    assert_only_error(
        &db.load(),
        "brands.csv",
        line,
        3,
        Some("default_language"),
        "is not a language code",
    );
}

#[test]
fn a_brand_name_is_one_line_of_text() {
    let mut db = Db::valid();
    let line = db.append(
        "brands.csv",
        "x,\"X\tCo\",en,https://x.example/,https://x.example",
    );
    assert_only_error(
        &db.load(),
        "brands.csv",
        line,
        2,
        Some("name"),
        "control character",
    );
}

#[test]
fn origins_are_space_separated_https_origins_without_path() {
    let mut db = Db::valid();
    db.append("brands.csv", "x,X,en,https://x.example/,https://a.example  https://b.example:8080 https://localhost:3000");
    let l = db.load();
    assert_eq!(
        l.db.brands["x"].origins,
        [
            "https://a.example",
            "https://b.example:8080",
            "https://localhost:3000"
        ],
        "{}",
        listing(&l)
    );
    for (bad, message, hint) in [
        (
            "http://x.example",
            "not an `https://` origin",
            "https://x.example",
        ),
        ("x.example", "not an `https://` origin", "https://"),
        ("https://x.example/", "has a path", "`https://x.example`"),
        (
            "https://x.example/quote",
            "has a path",
            "`https://x.example`",
        ),
        ("https://WWW.X.example", "invalid host", "lower case"),
        (
            "https://x.example:443",
            "default port 443",
            "`https://x.example`",
        ),
        ("https://x.example:70000", "invalid port", "65535"),
        ("https://", "invalid host", "a-z"),
    ] {
        let mut db = Db::valid();
        let line = db.append(
            "brands.csv",
            &format!("x,X,en,https://x.example/,https://ok.example {bad}"),
        );
        let l = db.load();
        assert_only_error(&l, "brands.csv", line, 5, Some("origins"), message);
        assert!(only(&l).help.contains(hint), "{}", listing(&l));
    }
}

#[test]
fn form_urls_are_absolute_https_with_only_the_six_placeholders() {
    for (bad, message) in [
        ("http://acme.example/q", "URL is not `https://`"),
        ("/quote?zip={zip}", "URL is not absolute"),
        ("HTTPS://acme.example/", "lower case"),
        ("ftp://acme.example/", "URL is not `https://`"),
        ("https:///path", "no host"),
        ("https://acme.example/a b", "white space"),
        (
            "https://acme.example/?z={ZIP}",
            "unknown placeholder `{ZIP}`",
        ),
        (
            "https://acme.example/?z={city}",
            "unknown placeholder `{city}`",
        ),
        ("https://acme.example/?z={zip", "not closed"),
        (
            "https://acme.example/?z=zip}",
            "`}` at character 28 has no matching `{`",
        ),
        ("https://acme.example/?z={}", "unknown placeholder `{}`"),
    ] {
        let mut db = Db::valid();
        let line = db.append("forms.csv", &format!("acme,home,standard,es,{bad}"));
        let l = db.load();
        assert_only_error(&l, "forms.csv", line, 5, Some("url"), message);
    }
}

#[test]
fn fallback_url_may_use_only_zip_product_language_and_brand() {
    for bad in ["{state}", "{form_type}"] {
        let mut db = Db::valid();
        let line = db.append(
            "brands.csv",
            &format!("x,X,en,https://x.example/?q={bad},https://x.example"),
        );
        let l = db.load();
        assert_only_error(
            &l,
            "brands.csv",
            line,
            4,
            Some("fallback_url"),
            "is not allowed in fallback_url",
        );
        assert!(
            only(&l)
                .help
                .contains("{zip}, {product}, {language}, {brand}"),
            "{}",
            listing(&l)
        );
    }
    let mut db = Db::valid();
    let line = db.append("brands.csv", "x,X,en,http://x.example/,https://x.example");
    assert_only_error(
        &db.load(),
        "brands.csv",
        line,
        4,
        Some("fallback_url"),
        "not `https://`",
    );
}

// ---------------------------------------------------------------- keys and names across files

#[test]
fn a_duplicate_key_is_reported_at_the_second_row_naming_the_first() {
    for (file, row, first_line, column, text) in [
        ("zips.csv", "02108,MA", 5, 1, "duplicate ZIP `02108`: line 5 already has it"),
        ("brands.csv", "sol,Sol 2,es,https://sol.example/,https://sol.example", 5, 1, "duplicate brand `sol`: line 5"),
        ("forms.csv", "acme,auto,standard,es,https://acme.example/other", 3, 1, "duplicate form (brand `acme`, product `auto`, form_type `standard`, language `es`): line 3"),
        ("rules.csv", "acme,auto,NY,standard", 3, 1, "duplicate rule (brand `acme`, product `auto`, state `NY`): line 3"),
        ("rules.csv", "acme,*,*,agent", 2, 1, "duplicate rule (brand `acme`, product `*`, state `*`): line 2"),
        ("zip_overrides.csv", "acme,*,9,standard", 3, 1, "duplicate override (brand `acme`, product `*`, zip_prefix `9`): line 3"),
    ] {
        let mut db = Db::valid();
        let line = db.append(file, row);
        let l = db.load();
        assert_only_error(&l, file, line, column, Some(if file == "zips.csv" { "zip" } else { "brand" }), text);
        assert!(only(&l).message.contains(&format!("line {first_line}")));
    }
}

#[test]
fn a_duplicate_row_is_left_out_and_the_first_kept() {
    let mut db = Db::valid();
    db.append(
        "forms.csv",
        "acme,auto,standard,es,https://acme.example/other",
    );
    let l = db.load();
    let es: Vec<&str> = l.db.brands["acme"]
        .forms
        .iter()
        .filter(|f| f.language == "es")
        .map(|f| f.url.as_str())
        .collect();
    assert_eq!(es, ["https://acme.example/es/auto?zip={zip}"]);
}

#[test]
fn a_brand_named_anywhere_must_be_in_brands_csv() {
    for (file, row) in [
        ("forms.csv", "acmee,auto,standard,en,https://acme.example/"),
        ("rules.csv", "acmee,*,TX,standard"),
        ("zip_overrides.csv", "acmee,*,1,standard"),
    ] {
        let mut db = Db::valid();
        let line = db.append(file, row);
        let l = db.load();
        let errors: Vec<_> = l
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert_eq!(errors.len(), 1, "{}", listing(&l));
        assert_at(
            errors[0],
            file,
            line,
            1,
            Some("brand"),
            "brand `acmee` is not in brands.csv",
        );
        assert!(
            errors[0].help.contains("did you mean `acme`?"),
            "{}",
            errors[0]
        );
    }
}

#[test]
fn rules_and_overrides_may_name_only_products_the_brand_has_forms_for() {
    for (file, row, column) in [
        ("rules.csv", "acme,hmoe,MA,standard", 2),
        ("zip_overrides.csv", "acme,hmoe,1,standard", 2),
    ] {
        let mut db = Db::valid();
        let line = db.append(file, row);
        let l = db.load();
        assert_only_error(
            &l,
            file,
            line,
            column,
            Some("product"),
            "product `hmoe` is not a product of brand `acme`",
        );
        let help = &only(&l).help;
        assert!(
            help.contains("did you mean `home`?") && help.contains("auto, home"),
            "{help}"
        );
    }
    // sol has forms for auto only: home is a product of acme, not of sol.
    let mut db = Db::valid();
    let line = db.append("rules.csv", "sol,home,PR,standard");
    assert_only_error(
        &db.load(),
        "rules.csv",
        line,
        2,
        Some("product"),
        "not a product of brand `sol`",
    );
}

#[test]
fn a_brand_row_refused_for_one_value_does_not_cascade_into_other_files() {
    // acme's fallback URL is wrong: one error, not one per acme row of forms, rules, overrides.
    let l = Db::valid()
        .replace(
            "brands.csv",
            "https://acme.example/quote?",
            "http://acme.example/quote?",
        )
        .load();
    assert_only_error(
        &l,
        "brands.csv",
        3,
        4,
        Some("fallback_url"),
        "not `https://`",
    );
    assert!(
        !l.db.brands.contains_key("acme"),
        "db holds only rows that passed"
    );
    assert!(l.db.brands.contains_key("sol"));
}

// ---------------------------------------------------------------- all errors in one run

#[test]
fn every_error_is_reported_in_one_run() {
    let mut db = Db::valid();
    let a = db.append("forms.csv", "acme,Home,standard,en,https://acme.example/");
    let b = db.append("forms.csv", "acme,home,call,en,http://acme.example/");
    let c = db.append(
        "forms.csv",
        "acme,home,agent,english,https://acme.example/{city}",
    );
    let l = db.load();
    let spots: Vec<(u32, u32)> = l.diagnostics.iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(spots, [(a, 2), (b, 5), (c, 4), (c, 5)], "{}", listing(&l));
    assert!(l
        .diagnostics
        .iter()
        .all(|d| d.file == "forms.csv" && d.severity == Severity::Error));
}

#[test]
fn errors_in_every_file_come_out_sorted_by_file_line_and_column() {
    let mut db = Db::valid();
    db.append("zips.csv", "9999,CA");
    db.append("rules.csv", "acme,auto,tx,Agent");
    db.append(
        "brands.csv",
        "x,X,en,https://x.example/{state},http://x.example",
    );
    db.append("zip_overrides.csv", "acme,auto,1x,agent");
    let l = db.load();
    let spots: Vec<(&str, u32, u32)> = l
        .diagnostics
        .iter()
        .map(|d| (d.file.as_str(), d.line, d.column))
        .collect();
    assert_eq!(
        spots,
        [
            ("brands.csv", 6, 4),
            ("brands.csv", 6, 5),
            ("rules.csv", 6, 3),
            ("rules.csv", 6, 4),
            ("zip_overrides.csv", 5, 3),
            ("zips.csv", 10, 1),
        ],
        "{}",
        listing(&l)
    );
}

#[test]
fn a_diagnostic_displays_as_file_line_column_message_column_and_help() {
    let mut db = Db::valid();
    db.append("rules.csv", "acme,auto,CA,Agent");
    let text = only(&db.load()).to_string();
    assert_eq!(
        text,
        "rules.csv:6:4: error: `Agent` is not a valid slug (column `form_type`)\n  help: slugs are lower case: write `agent`"
    );
}

// ---------------------------------------------------------------- ZIP data version

#[test]
fn zip_data_version_comes_from_a_version_comment_else_the_file_hash() {
    assert_eq!(Db::valid().load().db.zip_data_version, "test-zips-1");
    let mut db = Db::valid();
    let bytes = b"zip,state\n01001,MA\n".to_vec();
    db.set("zips.csv", bytes);
    // sha256("zip,state\n01001,MA\n"), first 16 hex digits.
    let version = db.load().db.zip_data_version;
    assert!(
        version.starts_with("sha256:") && version.len() == 23,
        "{version}"
    );
    let mut other = Db::valid();
    other.set("zips.csv", b"zip,state\n01002,MA\n".to_vec());
    assert_ne!(other.load().db.zip_data_version, version);
}

// ---------------------------------------------------------------- warnings

#[test]
fn a_brand_with_no_forms_is_a_warning() {
    let mut db = Db::valid();
    let line = db.append("brands.csv", "x,X,en,https://x.example/,https://x.example");
    let l = db.load();
    let d = only(&l);
    assert_eq!(d.severity, Severity::Warning);
    assert!(!l.has_errors());
    assert_at(d, "brands.csv", line, 0, None, "brand `x` has no forms");
}

#[test]
fn a_brand_with_forms_but_no_rule_is_a_warning() {
    let l = Db::valid()
        .replace("rules.csv", "sol,*,PR,standard\n", "")
        .load();
    let d = only(&l);
    assert_eq!(d.severity, Severity::Warning);
    assert_at(d, "brands.csv", 5, 0, None, "every query is `not_served`");
}

#[test]
fn an_origin_listed_twice_is_a_warning() {
    let l = Db::valid()
        .replace(
            "brands.csv",
            "https://sol.example:8443",
            "https://sol.example:8443 https://sol.example:8443",
        )
        .load();
    let d = only(&l);
    assert_eq!(d.severity, Severity::Warning);
    assert_at(d, "brands.csv", 5, 5, Some("origins"), "listed twice");
    assert_eq!(l.db.brands["sol"].origins, ["https://sol.example:8443"]);
}

#[test]
fn an_override_prefix_that_no_zip_starts_with_is_a_warning() {
    let mut db = Db::valid();
    let line = db.append("zip_overrides.csv", "acme,*,5,standard");
    let l = db.load();
    let d = only(&l);
    assert_eq!(d.severity, Severity::Warning);
    assert_at(
        d,
        "zip_overrides.csv",
        line,
        3,
        Some("zip_prefix"),
        "no ZIP of zips.csv starts with `5`",
    );
    assert_eq!(
        l.db.brands["acme"].overrides.len(),
        4,
        "a warning keeps the row"
    );
}

#[test]
fn a_rule_for_a_state_without_zips_is_a_warning() {
    let mut db = Db::valid();
    let line = db.append("rules.csv", "acme,auto,TX,agent");
    let d = only(&db.load()).clone();
    assert_eq!(d.severity, Severity::Warning);
    assert_at(
        &d,
        "rules.csv",
        line,
        3,
        Some("state"),
        "no ZIP of zips.csv lies in state `TX`",
    );
}

// ---------------------------------------------------------------- robustness

/// A small deterministic generator (xorshift), so the test needs no extra crate and always
/// tries the same inputs.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn no_input_bytes_make_the_loader_panic() {
    const NASTY: &[u8] = b"\",\r\n#{}*\xEF\xBB\xBF\xFF\xC3\x00 \t-";
    let base = Db::valid();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let files: Vec<String> = base.0.files.keys().cloned().collect();
    for _ in 0..3000 {
        let mut sources = base.0.clone();
        let file = &files[rng.below(files.len())];
        let bytes = sources.files.get_mut(file).unwrap();
        for _ in 0..1 + rng.below(6) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(3) {
                0 => bytes.insert(at, NASTY[rng.below(NASTY.len())]),
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.truncate(at),
            }
        }
        let l = load(&sources);
        for d in &l.diagnostics {
            assert!(!d.message.is_empty() && !d.help.is_empty(), "{d}");
        }
    }
}
