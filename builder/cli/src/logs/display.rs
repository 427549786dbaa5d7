//! Display-safe strings: the one place that turns a visitor-supplied value into text a terminal, an HTML page or a spreadsheet shows as the characters they are.
//!
//! Everything the report shows comes from beacon events, which a visitor (or a forger) writes.
//! [`display_safe`] makes such a value inert for every renderer (terminal, HTML, CSV):
//!
//! - control characters (C0 `U+0000-U+001F`, DEL `U+007F`, C1 `U+0080-U+009F`) are written as
//!   visible escapes (`\u{1b}`), so no escape sequence reaches a terminal and no line is split;
//! - bidirectional controls (embeddings and overrides `U+202A-U+202E`, isolates `U+2066-U+2069`,
//!   marks `U+200E`, `U+200F`, `U+061C`) are escaped the same way, so `auto\u{202e}gnp.exe` is
//!   shown as typed instead of reordered into "autoexe.png";
//! - other invisible characters that make two different values look the same (zero-width space
//!   and joiners, word joiner, BOM, soft hyphen, line and paragraph separators) are escaped too;
//! - a run of combining marks keeps its first [`MAX_COMBINING_RUN`] marks (enough for any
//!   language's stacked accents); the rest of the run is escaped, so "Zalgo" text cannot paint
//!   over the rows above and below;
//! - a backslash is doubled, so a visitor who types `\u{1b}` literally is told apart from a real
//!   escape character.
//!
//! The result is cut to a number of characters, at a whole character or escape, with `…`.
//! HTML entity escaping comes after this (`tilemap::esc`); CSV formula neutralising too
//! (`super::csv`).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Most combining marks kept in a row after one base character.
pub(crate) const MAX_COMBINING_RUN: usize = 2;

/// Whether `c` is a bidirectional formatting control (UAX #9): embeddings, overrides, isolates, marks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Invisible characters other than controls and bidi controls that would make two values look alike,
/// or break a line: soft hyphen, Mongolian vowel separator, zero-width space/joiners, line and
/// paragraph separators, word joiner and invisible operators, deprecated format characters,
/// the BOM, interlinear annotation.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00ad}' | '\u{180e}' | '\u{200b}'..='\u{200d}' | '\u{2028}' | '\u{2029}'
        | '\u{2060}'..='\u{2065}' | '\u{206a}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

/// Whether `c` is a combining mark of the generic blocks used to stack marks ("Zalgo" text):
/// Combining Diacritical Marks and their Extended and Supplement blocks, the marks for symbols,
/// and the combining half marks. Script-specific marks (Devanagari vowel signs, Hebrew points...)
/// are not counted: they come one or two at a time in real words.
fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}'
        | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

/// Whether [`display_safe`] would change `c` on its own (outside a run of combining marks).
fn needs_escape(c: char) -> bool {
    c.is_control() || c == '\\' || is_bidi_control(c) || is_invisible(c)
}

/// `s` made safe to show (see the module documentation), at most `max_chars` characters long
/// (a cut value ends with `…`). Borrows `s` when nothing changes.
pub(crate) fn display_safe(s: &str, max_chars: usize) -> Cow<'_, str> {
    let max_chars = max_chars.max(2);
    let simple = s.len() <= max_chars && !s.chars().any(|c| needs_escape(c) || is_combining(c));
    if simple {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut shown = 0usize;
    let mut run = 0usize;
    let mut piece = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        piece.clear();
        if is_combining(c) {
            run += 1;
        } else {
            run = 0;
        }
        if c == '\\' {
            piece.push_str("\\\\");
        } else if needs_escape(c) || run > MAX_COMBINING_RUN {
            let _ = write!(piece, "\\u{{{:x}}}", c as u32);
        } else {
            piece.push(c);
        }
        let len = piece.chars().count();
        // Room for the piece, and for the `…` when more follows.
        let reserve = usize::from(chars.peek().is_some());
        if shown + len + reserve > max_chars {
            out.push('…');
            return Cow::Owned(out);
        }
        out.push_str(&piece);
        shown += len;
    }
    Cow::Owned(out)
}

/// Whether `s` holds no character that a terminal or a browser would act on or hide: the
/// property the tests check on every rendered report.
#[cfg(test)]
pub(crate) fn is_inert(s: &str) -> bool {
    let mut run = 0usize;
    for c in s.chars() {
        if (c.is_control() && c != '\n') || is_bidi_control(c) || is_invisible(c) {
            return false;
        }
        run = if is_combining(c) { run + 1 } else { 0 };
        if run > MAX_COMBINING_RUN {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_are_borrowed_unchanged() {
        assert!(matches!(display_safe("auto", 40), Cow::Borrowed("auto")));
        assert_eq!(display_safe("café ñandú", 40), "café ñandú");
    }

    #[test]
    fn controls_are_escaped_visibly() {
        assert_eq!(display_safe("a\x1b[2Jb", 40), "a\\u{1b}[2Jb");
        assert_eq!(
            display_safe("x\u{7f}\u{9b}\n\t\r\x1f", 40),
            "x\\u{7f}\\u{9b}\\u{a}\\u{9}\\u{d}\\u{1f}"
        );
        assert_eq!(display_safe("\0", 40), "\\u{0}");
    }

    #[test]
    fn bidi_controls_and_invisibles_are_escaped() {
        assert_eq!(
            display_safe("auto\u{202e}gnp.exe", 40),
            "auto\\u{202e}gnp.exe"
        );
        for c in [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{2066}', '\u{2067}', '\u{2068}',
            '\u{2069}', '\u{200b}', '\u{feff}', '\u{2028}',
        ] {
            let s = format!("a{c}b");
            assert_eq!(display_safe(&s, 40), format!("a\\u{{{:x}}}b", c as u32));
        }
    }

    #[test]
    fn a_literal_backslash_is_doubled_so_it_cannot_pass_for_an_escape() {
        assert_eq!(display_safe("\\u{1b}", 40), "\\\\u{1b}");
    }

    #[test]
    fn runs_of_combining_marks_are_bounded() {
        let zalgo = format!("a{}b", "\u{301}".repeat(50));
        let shown = display_safe(&zalgo, 1000);
        assert!(
            shown.starts_with("a\u{301}\u{301}\\u{301}\\u{301}"),
            "{shown}"
        );
        assert_eq!(shown.matches("\\u{301}").count(), 48);
        assert!(shown.ends_with("\\u{301}b"));
        assert!(is_inert(&shown));
        // Two accents in a row (Vietnamese ệ written decomposed) stay as they are.
        assert_eq!(display_safe("e\u{323}\u{302}", 40), "e\u{323}\u{302}");
    }

    #[test]
    fn long_values_are_cut_at_a_whole_escape() {
        assert_eq!(display_safe("abcdefghij", 5), "abcd…");
        assert_eq!(display_safe("abcde", 5), "abcde");
        assert_eq!(display_safe("ab\x1bcdef", 8), "ab…");
    }
}
