//! The coverage a build reports: per brand and product, which form type each state gets, and what each ZIP override reaches.

use serde::Serialize;
use std::fmt;

/// How one state is covered for one product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateCoverage {
    /// USPS code.
    pub state: String,
    /// ZIPs of `zips.csv` in the state.
    pub zips: u32,
    /// ZIPs per form type (`None`: not served), most ZIPs first, then by name.
    pub form_types: Vec<(Option<String>, u32)>,
    /// The `zip_overrides.csv` rows that decide some ZIP of this state for this product:
    /// (line, prefix), by line.
    pub overrides: Vec<(u32, String)>,
}

impl StateCoverage {
    /// ZIPs where the product is served.
    pub fn served(&self) -> u32 {
        self.form_types
            .iter()
            .filter(|(t, _)| t.is_some())
            .map(|(_, n)| n)
            .sum()
    }

    /// `served`, `partly` or `not served`.
    pub fn status(&self) -> &'static str {
        match self.served() {
            0 => "not served",
            n if n == self.zips => "served",
            _ => "partly",
        }
    }
}

/// Coverage of one product of one brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductCoverage {
    /// The product, as the brand's forms name it.
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
    /// Every state with ZIPs, sorted by code.
    pub states: Vec<StateCoverage>,
}

impl ProductCoverage {
    /// Per form type (most ZIPs first): its ZIPs and the states where it has any.
    pub fn by_form_type(&self) -> Vec<(String, u32, Vec<String>)> {
        let mut m: std::collections::BTreeMap<&str, (u32, Vec<String>)> = Default::default();
        for s in &self.states {
            for (t, n) in &s.form_types {
                if let Some(t) = t {
                    let e = m.entry(t.as_str()).or_default();
                    e.0 += n;
                    e.1.push(s.state.clone());
                }
            }
        }
        let mut v: Vec<(String, u32, Vec<String>)> = m
            .into_iter()
            .map(|(t, (n, s))| (t.to_string(), n, s))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}

/// What one `zip_overrides.csv` row reaches once longer prefixes have taken their share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverrideReach {
    /// Line in `zip_overrides.csv`.
    pub line: u32,
    /// `None` for `*`.
    pub product: Option<String>,
    /// The row's ZIP prefix, 1 to 5 digits.
    pub zip_prefix: String,
    /// `None` for `none`.
    pub form_type: Option<String>,
    /// ZIPs it decides for at least one product.
    pub zips: u32,
    /// Of those, ZIPs where it changes the form type that `rules.csv` alone would give.
    pub zips_changed: u32,
    /// Decided ZIPs per state, most first.
    pub states: Vec<(String, u32)>,
}

/// Coverage of one brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrandCoverage {
    /// The brand slug.
    pub brand: String,
    /// Number of route classes (distinct state x form-type-per-product combinations).
    pub classes: u32,
    /// One entry per product of the brand, sorted by product.
    pub products: Vec<ProductCoverage>,
    /// Every override of the brand, in file order.
    pub overrides: Vec<OverrideReach>,
}

/// Lists at most `max` names, then "and N more".
pub fn short_list(v: &[String], max: usize) -> String {
    if v.is_empty() {
        return "-".into();
    }
    let mut s = v.iter().take(max).cloned().collect::<Vec<_>>().join(" ");
    if v.len() > max {
        s.push_str(&format!(" and {} more", v.len() - max));
    }
    s
}

/// Thousands separators: 42788 -> `42,788`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut o = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            o.push(',');
        }
        o.push(c);
    }
    o
}

/// `1 ZIP`, `4,535 ZIPs`.
pub fn plural(n: u64, word: &str) -> String {
    format!("{} {word}{}", thousands(n), if n == 1 { "" } else { "s" })
}

fn or_star(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("*")
}

fn or_none(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("none")
}

impl OverrideReach {
    /// `9 states: CA 2,650, WA 732, ...` (at most `max` states named).
    pub fn states_text(&self, max: usize) -> String {
        if self.states.is_empty() {
            return "no ZIP (longer prefixes take them all)".into();
        }
        let named: Vec<String> = self
            .states
            .iter()
            .take(max)
            .map(|(s, n)| format!("{s} {}", thousands(u64::from(*n))))
            .collect();
        let more = if self.states.len() > max {
            format!(" and {} more", self.states.len() - max)
        } else {
            String::new()
        };
        format!("{}{more}", named.join(", "))
    }
}

impl fmt::Display for BrandCoverage {
    /// The summary a build prints: per product, ZIP and state counts and which states each form
    /// type gets; then what each override reaches.
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
            for (t, n, states) in p.by_form_type() {
                writeln!(
                    f,
                    "    {:<12} {:>6} ZIPs in {:>2} state{}: {}",
                    t,
                    n,
                    states.len(),
                    if states.len() == 1 { " " } else { "s" },
                    short_list(&states, 16)
                )?;
            }
            if !p.states_partly_served.is_empty() {
                writeln!(
                    f,
                    "    partly served: {}",
                    short_list(&p.states_partly_served, 16)
                )?;
            }
            if !p.states_not_served.is_empty() {
                writeln!(
                    f,
                    "    not served:    {}",
                    short_list(&p.states_not_served, 16)
                )?;
            }
            if !p.unreached_form_types.is_empty() {
                writeln!(
                    f,
                    "    forms no rule reaches: {}",
                    short_list(&p.unreached_form_types, 16)
                )?;
            }
        }
        if !self.overrides.is_empty() {
            writeln!(f, "  overrides (zip_overrides.csv line: product prefix -> form type: ZIPs it decides):")?;
            for o in &self.overrides {
                writeln!(
                    f,
                    "    {:>4}: {} {} -> {}: {} ({} change form type) in {}",
                    o.line,
                    or_star(&o.product),
                    o.zip_prefix,
                    or_none(&o.form_type),
                    plural(u64::from(o.zips), "ZIP"),
                    thousands(u64::from(o.zips_changed)),
                    o.states_text(6)
                )?;
            }
        }
        Ok(())
    }
}

impl BrandCoverage {
    /// The full per-product state table (`formroute coverage`): one line per state with its ZIPs,
    /// the form types they get, and the overrides that cut in.
    pub fn to_table(&self) -> String {
        let mut out = format!("brand `{}`\n", self.brand);
        for p in &self.products {
            out.push_str(&format!(
                "  product `{}`: {} of {} ZIPs served\n",
                p.product,
                thousands(u64::from(p.zips_served)),
                thousands(u64::from(p.zips_served + p.zips_not_served))
            ));
            out.push_str(&format!(
                "    {:<5} {:<10} {:>6}  {:<40} {}\n",
                "state",
                "status",
                "ZIPs",
                "form types (ZIPs)",
                "overrides that cut in (line:prefix)"
            ));
            for s in &p.states {
                let types = s
                    .form_types
                    .iter()
                    .map(|(t, n)| format!("{} {}", or_none(t), thousands(u64::from(*n))))
                    .collect::<Vec<_>>()
                    .join(", ");
                let ov = s
                    .overrides
                    .iter()
                    .map(|(l, pre)| format!("{l}:{pre}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                out.push_str(&format!(
                    "    {:<5} {:<10} {:>6}  {:<40} {}\n",
                    s.state,
                    s.status(),
                    thousands(u64::from(s.zips)),
                    types,
                    if ov.is_empty() { "-".into() } else { ov }
                ));
            }
        }
        out
    }
}
