//! The tile-grid map of the US states, DC, territories and military "states": one square each, as inline SVG (used by the logs report and the coverage page).

use std::fmt::Write as _;

/// Tile-grid positions (column, row) of the states, DC, and (last two rows) territories and
/// military "states": every USPS code of SPEC appears once.
pub(crate) const TILES: [(&str, u32, u32); 62] = [
    ("AK", 0, 0),
    ("ME", 10, 0),
    ("VT", 9, 1),
    ("NH", 10, 1),
    ("WA", 0, 2),
    ("ID", 1, 2),
    ("MT", 2, 2),
    ("ND", 3, 2),
    ("MN", 4, 2),
    ("IL", 5, 2),
    ("WI", 6, 2),
    ("MI", 7, 2),
    ("NY", 8, 2),
    ("RI", 9, 2),
    ("MA", 10, 2),
    ("OR", 0, 3),
    ("NV", 1, 3),
    ("WY", 2, 3),
    ("SD", 3, 3),
    ("IA", 4, 3),
    ("IN", 5, 3),
    ("OH", 6, 3),
    ("PA", 7, 3),
    ("NJ", 8, 3),
    ("CT", 9, 3),
    ("CA", 0, 4),
    ("UT", 1, 4),
    ("CO", 2, 4),
    ("NE", 3, 4),
    ("MO", 4, 4),
    ("KY", 5, 4),
    ("WV", 6, 4),
    ("VA", 7, 4),
    ("MD", 8, 4),
    ("DE", 9, 4),
    ("AZ", 1, 5),
    ("NM", 2, 5),
    ("KS", 3, 5),
    ("AR", 4, 5),
    ("TN", 5, 5),
    ("NC", 6, 5),
    ("SC", 7, 5),
    ("DC", 8, 5),
    ("OK", 3, 6),
    ("LA", 4, 6),
    ("MS", 5, 6),
    ("AL", 6, 6),
    ("GA", 7, 6),
    ("HI", 0, 7),
    ("TX", 3, 7),
    ("FL", 8, 7),
    ("PR", 10, 7),
    ("VI", 11, 7),
    ("GU", 0, 9),
    ("AS", 1, 9),
    ("MP", 2, 9),
    ("FM", 3, 9),
    ("MH", 4, 9),
    ("PW", 5, 9),
    ("AA", 7, 9),
    ("AE", 8, 9),
    ("AP", 9, 9),
];

/// How one state's square is drawn.
pub(crate) struct Tile {
    /// CSS colour of the square.
    pub(crate) fill: String,
    /// Whether the fill is dark (white text then).
    pub(crate) dark: bool,
    /// Tooltip text (escaped here).
    pub(crate) title: String,
    /// Small second line under the code (escaped here), may be empty.
    pub(crate) label: String,
    /// A dashed outline (e.g. "partly").
    pub(crate) dashed: bool,
}

/// The map as one `<svg>`; `tile(code)` says how each code is drawn.
pub(crate) fn svg(aria_label: &str, tile: impl Fn(&str) -> Tile) -> String {
    let (cell, gap) = (52.0, 4.0);
    let mut s = format!(
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 680 580\" width=\"100%\" style=\"max-width:680px\">",
        esc(aria_label)
    );
    let _ = write!(
        s,
        "<text x=\"0\" y=\"{:.0}\" font-size=\"12\" fill=\"#5b6877\">Territories and military</text>",
        9.0 * (cell + gap) - 8.0
    );
    for (code, col, row) in TILES {
        let t = tile(code);
        let ink = if t.dark { "#ffffff" } else { "#1d2733" };
        let x = f64::from(col) * (cell + gap);
        let y = f64::from(row) * (cell + gap);
        let stroke = if t.dashed {
            " stroke=\"#1d2733\" stroke-width=\"2\" stroke-dasharray=\"4 3\""
        } else {
            ""
        };
        let _ = write!(
            s,
            "<g><title>{}</title>\
             <rect x=\"{x:.0}\" y=\"{y:.0}\" width=\"{cell}\" height=\"{cell}\" rx=\"5\" fill=\"{}\"{stroke}/>\
             <text x=\"{:.0}\" y=\"{:.0}\" font-size=\"14\" font-weight=\"600\" text-anchor=\"middle\" fill=\"{ink}\">{code}</text>\
             <text x=\"{:.0}\" y=\"{:.0}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{ink}\">{}</text></g>",
            esc(&t.title),
            esc(&t.fill),
            x + cell / 2.0,
            y + 24.0,
            x + cell / 2.0,
            y + 40.0,
            esc(&t.label)
        );
    }
    s.push_str("</svg>");
    s
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() => {
                let _ = write!(o, "\\u{{{:x}}}", c as u32);
            }
            c => o.push(c),
        }
    }
    o
}
