//! Precedence (SPEC resolution step 4): which form type serves a (ZIP, state, product), and which row decided.
//!
//! Two implementations of the one rule: [`decide`] reads the rows directly for one query (used by
//! `--explain` and as the readable definition), and [`Grid::build`] decides every ZIP x product of
//! a brand at once for the compiler: it resolves `rules.csv` once per state, then applies each
//! override only to the ZIP range its prefix covers, shortest prefixes first, so that the last
//! write is the longest prefix (and, at equal length, the row naming the product, applied after
//! the `*` row). The tests check both against each other and against a naive reading.

use crate::model::{Override, Rule, Zip};
use std::collections::HashMap;

/// The row that decided a form type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decider {
    /// No override and no rule matched: not served.
    NoMatch,
    /// `rules[i]` of the brand (file order).
    Rule(usize),
    /// `overrides[i]` of the brand (file order).
    Override(usize),
}

/// The outcome of step 4 for one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'a> {
    /// The form type; `None` means not served (`none`, or no row matched).
    pub form_type: Option<&'a str>,
    /// The row that decided.
    pub decider: Decider,
}

/// Decides one (zip, state, product) by reading the rows as SPEC step 4 states it.
///
/// `zip` is the five-digit ZIP, `product` the normalised product.
pub fn decide<'a>(
    overrides: &'a [Override],
    rules: &'a [Rule],
    zip: &str,
    state: &str,
    product: &str,
) -> Decision<'a> {
    // 4.1: the longest matching prefix; at equal length the row naming the product beats `*`.
    let best = overrides
        .iter()
        .enumerate()
        .filter(|(_, o)| o.product.as_deref().is_none_or(|p| p == product))
        .filter(|(_, o)| zip.starts_with(o.zip_prefix.as_str()))
        .max_by_key(|(i, o)| {
            (
                o.zip_prefix.len(),
                o.product.is_some(),
                std::cmp::Reverse(*i),
            )
        });
    if let Some((i, o)) = best {
        return Decision {
            form_type: o.form_type.as_deref(),
            decider: Decider::Override(i),
        };
    }
    // 4.2: (product, state), (product, *), (*, state), (*, *).
    let order = [
        (Some(product), Some(state)),
        (Some(product), None),
        (None, Some(state)),
        (None, None),
    ];
    for (want_p, want_s) in order {
        if let Some((i, r)) = rules
            .iter()
            .enumerate()
            .find(|(_, r)| r.product.as_deref() == want_p && r.state.as_deref() == want_s)
        {
            return Decision {
                form_type: r.form_type.as_deref(),
                decider: Decider::Rule(i),
            };
        }
    }
    Decision {
        form_type: None,
        decider: Decider::NoMatch,
    }
}

/// Every ZIP of the database with its state as a small index, shared by all brands.
#[derive(Debug, Clone)]
pub struct ZipIndex<'a> {
    /// The ZIPs, ascending.
    pub zips: Vec<&'a Zip>,
    /// The distinct states, sorted.
    pub states: Vec<&'a str>,
    /// For each ZIP, its index in `states`.
    pub state_of: Vec<u32>,
}

impl<'a> ZipIndex<'a> {
    /// Indexes `zips` (sorted by ZIP, as `model::Database::zips` is).
    pub fn new(zips: &'a [(Zip, String)]) -> Self {
        let mut states: Vec<&str> = zips.iter().map(|(_, s)| s.as_str()).collect();
        states.sort_unstable();
        states.dedup();
        let pos: HashMap<&str, u32> = states
            .iter()
            .enumerate()
            .map(|(i, s)| (*s, i as u32))
            .collect();
        // Every state of `zips` is in `pos`: it was built from the same list.
        let state_of = zips
            .iter()
            .map(|(_, s)| pos.get(s.as_str()).copied().unwrap_or(0))
            .collect();
        ZipIndex {
            zips: zips.iter().map(|(z, _)| z).collect(),
            states,
            state_of,
        }
    }

    /// The index range of ZIPs starting with `prefix`.
    pub fn prefix_range(&self, prefix: &[u8]) -> std::ops::Range<usize> {
        let n = prefix.len().min(5);
        let lo = self.zips.partition_point(|z| &z[..n] < prefix);
        let hi = self.zips.partition_point(|z| &z[..n] <= prefix);
        lo..hi.max(lo)
    }
}

/// Marks "no overridden row" in [`Grid::row_of_zip`].
const NO_ROW: u32 = u32::MAX;

/// The decider of every (ZIP, product) of one brand, as compact codes (see [`Grid::decider`]).
#[derive(Debug, Clone)]
pub struct Grid {
    /// Number of products (row width).
    pub n_products: usize,
    /// Number of rules of the brand (to decode codes).
    pub n_rules: usize,
    /// Decider codes per state: `base[state * n_products + p]`.
    pub base: Vec<u32>,
    /// Per ZIP, the index of its overridden row in `rows`, or none.
    pub row_of_zip: Vec<u32>,
    /// Rows of the ZIPs that some override touches, `n_products` codes each.
    pub rows: Vec<u32>,
}

impl Grid {
    /// Decides every ZIP of `index` for every product of `products` (sorted), for one brand's rows.
    ///
    /// Rows naming a product not in `products` never apply (the loader refuses them anyway).
    pub fn build(
        index: &ZipIndex<'_>,
        products: &[String],
        rules: &[Rule],
        overrides: &[Override],
    ) -> Grid {
        let n_products = products.len();
        let n_rules = rules.len();
        let product_idx = |p: &str| products.binary_search_by(|x| x.as_str().cmp(p)).ok();

        // Rules, once per state: the first of (p, s), (p, *), (*, s), (*, *).
        let mut by_key: HashMap<(Option<&str>, Option<&str>), usize> = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            // Keys are unique after validation; keep the first should a duplicate slip through.
            by_key
                .entry((r.product.as_deref(), r.state.as_deref()))
                .or_insert(i);
        }
        let mut base = vec![0u32; index.states.len() * n_products];
        for (s, state) in index.states.iter().enumerate() {
            for (p, product) in products.iter().enumerate() {
                let order = [
                    (Some(product.as_str()), Some(*state)),
                    (Some(product.as_str()), None),
                    (None, Some(*state)),
                    (None, None),
                ];
                let code = order
                    .iter()
                    .find_map(|k| by_key.get(k))
                    .map_or(0, |&i| 1 + i as u32);
                base[s * n_products + p] = code;
            }
        }

        // Overrides, shortest prefix first, `*` before the product's own row at equal length.
        let mut order: Vec<usize> = (0..overrides.len()).collect();
        // Keys are unique after validation; should two rows share one, the first in file order is
        // applied last and wins, as in [`decide`].
        order.sort_by_key(|&i| {
            (
                overrides[i].zip_prefix.len(),
                overrides[i].product.is_some(),
                std::cmp::Reverse(i),
            )
        });
        let mut row_of_zip = vec![NO_ROW; index.zips.len()];
        let mut rows: Vec<u32> = Vec::new();
        for i in order {
            let o = &overrides[i];
            let target = match &o.product {
                None => None,
                Some(p) => match product_idx(p) {
                    Some(idx) => Some(idx),
                    None => continue,
                },
            };
            let code = (1 + n_rules + i) as u32;
            for z in index.prefix_range(o.zip_prefix.as_bytes()) {
                let mut r = row_of_zip[z];
                if r == NO_ROW {
                    r = (rows.len() / n_products.max(1)) as u32;
                    row_of_zip[z] = r;
                    let s = index.state_of[z] as usize;
                    rows.extend_from_slice(&base[s * n_products..(s + 1) * n_products]);
                }
                let row = &mut rows[r as usize * n_products..(r as usize + 1) * n_products];
                match target {
                    None => row.fill(code),
                    Some(p) => row[p] = code,
                }
            }
        }
        Grid {
            n_products,
            n_rules,
            base,
            row_of_zip,
            rows,
        }
    }

    /// The decider codes of ZIP number `z` (in state number `state`), one per product.
    pub fn row(&self, z: usize, state: usize) -> &[u32] {
        let n = self.n_products;
        match self.row_of_zip[z] {
            NO_ROW => &self.base[state * n..(state + 1) * n],
            r => &self.rows[r as usize * n..(r as usize + 1) * n],
        }
    }

    /// The decider codes of the ZIPs of state number `state` that no override touches.
    pub fn row_base(&self, state: usize) -> &[u32] {
        &self.base[state * self.n_products..(state + 1) * self.n_products]
    }

    /// Whether some override touches ZIP number `z`.
    pub fn is_overridden(&self, z: usize) -> bool {
        self.row_of_zip[z] != NO_ROW
    }

    /// Decodes a code of [`Grid::row`].
    pub fn decider(&self, code: u32) -> Decider {
        let c = code as usize;
        if c == 0 {
            Decider::NoMatch
        } else if c <= self.n_rules {
            Decider::Rule(c - 1)
        } else {
            Decider::Override(c - 1 - self.n_rules)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(p: &str, s: &str, ft: &str, line: u32) -> Rule {
        let opt = |v: &str, any: &str| (v != any).then(|| v.to_string());
        Rule {
            product: opt(p, "*"),
            state: opt(s, "*"),
            form_type: opt(ft, "none"),
            line,
        }
    }

    fn ovr(p: &str, prefix: &str, ft: &str, line: u32) -> Override {
        let opt = |v: &str, any: &str| (v != any).then(|| v.to_string());
        Override {
            product: opt(p, "*"),
            zip_prefix: prefix.into(),
            form_type: opt(ft, "none"),
            line,
        }
    }

    fn zips() -> Vec<(Zip, String)> {
        [
            ("10001", "NY"),
            ("10002", "NY"),
            ("10101", "NY"),
            ("20001", "DC"),
            ("90210", "CA"),
        ]
        .iter()
        .map(|(z, s)| {
            let mut b = [0u8; 5];
            b.copy_from_slice(z.as_bytes());
            (b, s.to_string())
        })
        .collect()
    }

    /// Runs both implementations and checks they agree, returning the decision.
    fn both(
        overrides: &[Override],
        rules: &[Rule],
        zip: &str,
        product: &str,
    ) -> (Option<String>, Decider) {
        let zs = zips();
        let index = ZipIndex::new(&zs);
        let products = vec!["auto".to_string(), "home".to_string()];
        let grid = Grid::build(&index, &products, rules, overrides);
        let z = index
            .zips
            .iter()
            .position(|z| &z[..] == zip.as_bytes())
            .expect("test ZIP");
        let state = zs[z].1.as_str();
        let d = decide(overrides, rules, zip, state, product);
        let p = products
            .iter()
            .position(|x| x == product)
            .expect("test product");
        let code = grid.row(z, index.state_of[z] as usize)[p];
        assert_eq!(
            grid.decider(code),
            d.decider,
            "grid and direct reading disagree for {zip} {product}"
        );
        (d.form_type.map(str::to_string), d.decider)
    }

    #[test]
    fn product_and_state_rule_beats_every_other_rule() {
        let rules = [
            rule("*", "*", "a", 2),
            rule("*", "NY", "b", 3),
            rule("auto", "*", "c", 4),
            rule("auto", "NY", "d", 5),
        ];
        assert_eq!(
            both(&[], &rules, "10001", "auto"),
            (Some("d".into()), Decider::Rule(3))
        );
    }

    #[test]
    fn product_any_state_rule_beats_any_product_state_rule() {
        let rules = [
            rule("*", "*", "a", 2),
            rule("*", "NY", "b", 3),
            rule("auto", "*", "c", 4),
        ];
        assert_eq!(
            both(&[], &rules, "10001", "auto"),
            (Some("c".into()), Decider::Rule(2))
        );
        // For another product the (*, state) rule applies.
        assert_eq!(
            both(&[], &rules, "10001", "home"),
            (Some("b".into()), Decider::Rule(1))
        );
    }

    #[test]
    fn any_product_state_rule_beats_catch_all() {
        let rules = [rule("*", "*", "a", 2), rule("*", "NY", "b", 3)];
        assert_eq!(
            both(&[], &rules, "10001", "auto"),
            (Some("b".into()), Decider::Rule(1))
        );
        assert_eq!(
            both(&[], &rules, "90210", "auto"),
            (Some("a".into()), Decider::Rule(0))
        );
    }

    #[test]
    fn no_matching_rule_is_not_served() {
        let rules = [rule("auto", "CA", "a", 2)];
        assert_eq!(both(&[], &rules, "10001", "auto"), (None, Decider::NoMatch));
        assert_eq!(both(&[], &rules, "90210", "home"), (None, Decider::NoMatch));
    }

    #[test]
    fn none_rule_is_not_served_and_still_decides() {
        let rules = [rule("*", "*", "a", 2), rule("auto", "NY", "none", 3)];
        assert_eq!(both(&[], &rules, "10001", "auto"), (None, Decider::Rule(1)));
    }

    #[test]
    fn override_beats_every_rule() {
        let rules = [rule("auto", "NY", "d", 2)];
        let overrides = [ovr("*", "1", "x", 2)];
        assert_eq!(
            both(&overrides, &rules, "10001", "auto"),
            (Some("x".into()), Decider::Override(0))
        );
        assert_eq!(
            both(&overrides, &rules, "20001", "auto"),
            (None, Decider::NoMatch)
        );
    }

    #[test]
    fn longest_prefix_wins_whatever_its_product() {
        let overrides = [
            ovr("auto", "1", "short", 2),
            ovr("*", "100", "long", 3),
            ovr("auto", "10", "mid", 4),
        ];
        assert_eq!(
            both(&overrides, &[], "10001", "auto"),
            (Some("long".into()), Decider::Override(1))
        );
        assert_eq!(
            both(&overrides, &[], "10101", "auto"),
            (Some("mid".into()), Decider::Override(2))
        );
    }

    #[test]
    fn at_equal_length_the_product_row_beats_the_star_row() {
        // The `*` row comes after the product's row in the file: order must not matter.
        let overrides = [ovr("auto", "100", "mine", 2), ovr("*", "100", "all", 3)];
        assert_eq!(
            both(&overrides, &[], "10001", "auto"),
            (Some("mine".into()), Decider::Override(0))
        );
        assert_eq!(
            both(&overrides, &[], "10001", "home"),
            (Some("all".into()), Decider::Override(1))
        );
    }

    #[test]
    fn none_override_is_not_served_even_where_a_rule_serves() {
        let rules = [rule("*", "*", "a", 2)];
        let overrides = [ovr("home", "10002", "none", 2)];
        assert_eq!(
            both(&overrides, &rules, "10002", "home"),
            (None, Decider::Override(0))
        );
        assert_eq!(
            both(&overrides, &rules, "10002", "auto"),
            (Some("a".into()), Decider::Rule(0))
        );
        assert_eq!(
            both(&overrides, &rules, "10001", "home"),
            (Some("a".into()), Decider::Rule(0))
        );
    }

    #[test]
    fn a_prefix_matches_only_zips_starting_with_it() {
        let overrides = [ovr("*", "1010", "x", 2)];
        assert_eq!(
            both(&overrides, &[], "10101", "auto"),
            (Some("x".into()), Decider::Override(0))
        );
        assert_eq!(
            both(&overrides, &[], "10001", "auto"),
            (None, Decider::NoMatch)
        );
        let index_zips = zips();
        let index = ZipIndex::new(&index_zips);
        assert_eq!(index.prefix_range(b"1"), 0..3);
        assert_eq!(index.prefix_range(b"10001"), 0..1);
        assert_eq!(index.prefix_range(b"3"), 4..4);
    }
}
