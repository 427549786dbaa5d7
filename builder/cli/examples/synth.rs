//! Writes a large synthetic rule database (N brands x 10 products x 3 languages, with overrides) for benchmarks.
//!
//! Usage: `cargo run --release -p formroute --example synth -- OUT_DIR [BRANDS] [ZIPS_CSV]`
//! (defaults: 200 brands, `data/zips.csv`). Deterministic: the same arguments give the same files.

use std::fmt::Write as _;
use std::path::PathBuf;

/// xorshift64*: a tiny deterministic generator, so the data needs no dependency and never changes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PRODUCTS: [&str; 10] = [
    "auto", "home", "renters", "life", "boat", "moto", "pet", "travel", "umbrella", "condo",
];
const FORM_TYPES: [&str; 5] = ["direct", "agent", "callback", "partner", "broker"];
const LANGUAGES: [&str; 3] = ["en", "es", "fr"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: synth OUT_DIR [BRANDS] [ZIPS_CSV]")?,
    );
    let brands: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(200);
    let zips_path = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("data/zips.csv"));
    let zips_text = std::fs::read_to_string(&zips_path)?;
    let zips: Vec<&str> = zips_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty() && !l.starts_with("zip"))
        .filter_map(|l| l.split(',').next())
        .collect();
    let mut states: Vec<&str> = zips_text
        .lines()
        .filter_map(|l| l.split(',').nth(1))
        .filter(|s| s.len() == 2)
        .collect();
    states.sort_unstable();
    states.dedup();

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut b, mut f, mut r, mut o) = (String::new(), String::new(), String::new(), String::new());
    b.push_str("brand,name,default_language,fallback_url,origins\n");
    f.push_str("brand,product,form_type,language,url\n");
    r.push_str("brand,product,state,form_type\n");
    o.push_str("brand,product,zip_prefix,form_type\n");
    for i in 0..brands {
        let slug = format!("brand{i:03}");
        let default = if i % 5 == 0 { "es" } else { "en" };
        writeln!(b, "{slug},Brand {i},{default},https://{slug}.example/{{language}}/quote?zip={{zip}}&p={{product}},https://www.{slug}.example")?;
        for p in PRODUCTS {
            for t in FORM_TYPES {
                for l in LANGUAGES {
                    writeln!(f, "{slug},{p},{t},{l},https://{slug}.example/{l}/{p}/{t}?zip={{zip}}&state={{state}}")?;
                }
            }
        }
        // Rules: a catch-all, ~10 states with another form type, a few product-specific ones, a `none`.
        writeln!(r, "{slug},*,*,direct")?;
        let mut used = std::collections::BTreeSet::new();
        for _ in 0..10 {
            let s = states[rng.below(states.len())];
            if used.insert(("*", s)) {
                writeln!(r, "{slug},*,{s},{}", FORM_TYPES[1 + rng.below(4)])?;
            }
        }
        for _ in 0..15 {
            let p = PRODUCTS[rng.below(10)];
            let s = states[rng.below(states.len())];
            if used.insert((p, s)) {
                let t = if rng.below(6) == 0 {
                    "none"
                } else {
                    FORM_TYPES[rng.below(5)]
                };
                writeln!(r, "{slug},{p},{s},{t}")?;
            }
        }
        writeln!(r, "{slug},{},*,agent", PRODUCTS[rng.below(10)])?;
        // Overrides: ~30 per brand, prefixes of 1 to 5 digits taken from real ZIPs.
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..30 {
            let zip = zips[rng.below(zips.len())];
            let len = 1 + rng.below(5);
            let prefix = &zip[..len];
            let p = if rng.below(2) == 0 {
                "*"
            } else {
                PRODUCTS[rng.below(10)]
            };
            if seen.insert((p, prefix)) {
                let t = if rng.below(8) == 0 {
                    "none"
                } else {
                    FORM_TYPES[rng.below(5)]
                };
                writeln!(o, "{slug},{p},{prefix},{t}")?;
            }
        }
    }
    std::fs::create_dir_all(&out)?;
    std::fs::copy(&zips_path, out.join("zips.csv"))?;
    std::fs::write(out.join("brands.csv"), b)?;
    std::fs::write(out.join("forms.csv"), f)?;
    std::fs::write(out.join("rules.csv"), r)?;
    std::fs::write(out.join("zip_overrides.csv"), o)?;
    eprintln!("synth: wrote {brands} brands to {}", out.display());
    Ok(())
}
