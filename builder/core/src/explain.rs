//! The explain file `<brand>.<hash>.explain.msgpack`: a brand's override and rule rows with their lines.
//!
//! Not needed to resolve. `formroute resolve --explain` and the demo page read it to say which
//! row decided, by running [`crate::precedence::decide`] over these rows.

use crate::model::{Brand, Override, Rule};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One MessagePack array (FORMAT.md "The explain file").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explain {
    /// The brand slug the rows belong to.
    pub brand: String,
    /// `[product or *, zip_prefix, form_type or none, line]`, file order.
    pub overrides: Vec<(String, String, String, u32)>,
    /// `[product or *, state or *, form_type or none, line]`, file order.
    pub rules: Vec<(String, String, String, u32)>,
}

/// An explain file that cannot be decoded.
#[derive(Debug, Error)]
#[error("explain file is corrupt: {0}")]
pub struct ExplainError(String);

fn or(v: &Option<String>, any: &str) -> String {
    v.clone().unwrap_or_else(|| any.to_string())
}

fn opt(v: &str, any: &str) -> Option<String> {
    (v != any).then(|| v.to_string())
}

impl Explain {
    /// The explain rows of `brand`.
    pub fn of(brand: &Brand) -> Explain {
        Explain {
            brand: brand.slug.clone(),
            overrides: brand
                .overrides
                .iter()
                .map(|o| {
                    (
                        or(&o.product, "*"),
                        o.zip_prefix.clone(),
                        or(&o.form_type, "none"),
                        o.line,
                    )
                })
                .collect(),
            rules: brand
                .rules
                .iter()
                .map(|r| {
                    (
                        or(&r.product, "*"),
                        or(&r.state, "*"),
                        or(&r.form_type, "none"),
                        r.line,
                    )
                })
                .collect(),
        }
    }

    /// The bytes written (rmp-serde compact form, deterministic).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising strings, integers and vectors into a Vec cannot fail.
        rmp_serde::to_vec(self).unwrap_or_default()
    }

    /// Decodes an explain file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Explain, ExplainError> {
        rmp_serde::from_slice(bytes).map_err(|e| ExplainError(e.to_string()))
    }

    /// The rows as model values, for [`crate::precedence::decide`].
    pub fn rows(&self) -> (Vec<Override>, Vec<Rule>) {
        let overrides = self
            .overrides
            .iter()
            .map(|(p, z, f, line)| Override {
                product: opt(p, "*"),
                zip_prefix: z.clone(),
                form_type: opt(f, "none"),
                line: *line,
            })
            .collect();
        let rules = self
            .rules
            .iter()
            .map(|(p, s, f, line)| Rule {
                product: opt(p, "*"),
                state: opt(s, "*"),
                form_type: opt(f, "none"),
                line: *line,
            })
            .collect();
        (overrides, rules)
    }
}
