//! The beacon logs side of the CLI: read the archive, aggregate it with bounded memory, and render the report as text, CSV or HTML.

pub(crate) mod aggregate;
pub(crate) mod csv;
pub(crate) mod html;
pub(crate) mod read;
pub(crate) mod text;

/// A share (0..=1) as a percentage with one decimal.
pub(crate) fn pct(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

/// The cells of one brand's row, in the order the terminal and HTML reports both show them:
/// brand, resolves, ok, fallbacks, fallback rate, resolve p50 and p95, loads, load errors.
/// `count` and `ms` format numbers for the medium.
pub(crate) fn brand_cells(
    b: &aggregate::BrandRow,
    count: fn(u64) -> String,
    ms: fn(Option<f64>) -> String,
) -> Vec<String> {
    vec![
        b.brand.clone(),
        count(b.resolves),
        count(b.ok),
        count(b.fallbacks),
        pct(b.fallback_rate),
        ms(b.resolve_ms.p50),
        ms(b.resolve_ms.p95),
        count(b.loads),
        count(b.load_errors),
    ]
}
