//! The beacon logs side of the CLI: read the archive, aggregate it with bounded memory, and render the report as text, CSV or HTML.

pub(crate) mod aggregate;
pub(crate) mod counters;
pub(crate) mod csv;
pub(crate) mod display;
pub(crate) mod html;
#[cfg(test)]
mod proptests;
pub(crate) mod read;
pub(crate) mod report;
pub(crate) mod tables;
pub(crate) mod text;

/// A share (0..=1) as a percentage with one decimal.
pub(crate) fn pct(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}
