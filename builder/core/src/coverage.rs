//! The coverage summary a build prints: per brand and product, where it is served and which forms nothing reaches.

use std::fmt;

/// Coverage of one product of one brand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductCoverage {
    pub product: String,
    /// ZIPs whose form type is a form (not `none`, not unmatched).
    pub zips_served: u32,
    /// ZIPs where the product is not served.
    pub zips_not_served: u32,
    /// States where every ZIP is served.
    pub states_served: Vec<String>,
    /// States where some ZIPs are served and some not.
    pub states_partly_served: Vec<String>,
    /// States where no ZIP is served.
    pub states_not_served: Vec<String>,
    /// Form types of this product's forms that no ZIP reaches.
    pub unreached_form_types: Vec<String>,
}

/// Coverage of one brand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandCoverage {
    pub brand: String,
    /// Number of route classes (distinct state x form-type-per-product combinations).
    pub classes: u32,
    pub products: Vec<ProductCoverage>,
}

/// Lists at most 12 names, then "and N more".
fn short_list(v: &[String]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    let mut s = v.iter().take(12).cloned().collect::<Vec<_>>().join(" ");
    if v.len() > 12 {
        s.push_str(&format!(" and {} more", v.len() - 12));
    }
    s
}

impl fmt::Display for BrandCoverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "coverage of brand `{}` ({} route classes):",
            self.brand, self.classes
        )?;
        for p in &self.products {
            writeln!(
                f,
                "  {:<16} ZIPs served {:>6}, not served {:>6}; states served {:>2}, partly {:>2}, not served {:>2}",
                p.product,
                p.zips_served,
                p.zips_not_served,
                p.states_served.len(),
                p.states_partly_served.len(),
                p.states_not_served.len()
            )?;
            if !p.states_partly_served.is_empty() {
                writeln!(
                    f,
                    "    partly served: {}",
                    short_list(&p.states_partly_served)
                )?;
            }
            if !p.states_not_served.is_empty() {
                writeln!(f, "    not served:    {}", short_list(&p.states_not_served))?;
            }
            if !p.unreached_form_types.is_empty() {
                writeln!(
                    f,
                    "    forms no rule reaches: {}",
                    short_list(&p.unreached_form_types)
                )?;
            }
        }
        Ok(())
    }
}
