//! The artifact file `<brand>.<hash>.frt` (FORMAT.md): writing it, and reading it back with every check.
//!
//! Layout: a 16-byte header (`FRTA`, version, flags, section lengths), the FST section (ZIP ->
//! route class), the MessagePack tables section, and a CRC-32C trailer. The reader accepts only
//! what FORMAT.md allows and checks every index, so a resolver never answers from a damaged file.
//! [`Artifact::from_bytes`] reads version 2 too (`crate::artifact_v2`), the same tables behind
//! another ZIP lookup.

use crate::crc32c::crc32c;
use crate::template::Template;
use crate::ziptable::{self, ZipTable};
use serde::Serialize;
use thiserror::Error;

/// The four magic bytes.
pub const MAGIC: &[u8; 4] = b"FRTA";
/// The container version this file writes (FORMAT.md "format version"); version 2 is `crate::artifact_v2`.
pub const VERSION: u16 = 1;
/// The versions [`Artifact::from_bytes`] reads.
pub const VERSIONS_READ: &str = "versions 1 and 2";
/// The FST type stored in the FST header: "ZIP to route class".
pub const FST_TYPE: u64 = 1;
/// Header bytes before the FST section.
const HEADER: usize = 16;
/// Header plus CRC trailer.
const OVERHEAD: usize = 20;

/// The rule tables of one brand: field order is the byte order of FORMAT.md "Tables section".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tables {
    /// The brand slug (the artifact's own name check).
    pub brand: String,
    /// The display name from `brands.csv`.
    pub name: String,
    /// Step 5's fallback language.
    pub default_language: String,
    /// URL template answered when no form serves the query.
    pub fallback_url: String,
    /// Sorted by bytes, unique.
    pub products: Vec<String>,
    /// Sorted, unique; class entries `k > 0` mean `form_types[k-1]`.
    pub form_types: Vec<String>,
    /// Sorted, unique.
    pub languages: Vec<String>,
    /// Sorted, unique; the states that appear in `classes`.
    pub states: Vec<String>,
    /// Per class: `[state index, form type of products[0] (0 = not served, k = form_types[k-1]), ...]`.
    pub classes: Vec<Vec<u32>>,
    /// `(product index, form type index (0-based), language index, URL template)`, sorted, unique.
    pub forms: Vec<(u32, u32, u32, String)>,
}

/// Why an artifact is unusable. Every variant means: answer `unavailable`, never resolve from it.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ArtifactError {
    /// Shorter than a header and trailer.
    #[error("artifact is truncated: {len} bytes, a valid one has at least 20")]
    TooShort {
        /// The file's length in bytes.
        len: usize,
    },
    /// The first four bytes are not `FRTA`.
    #[error("not a formroute artifact (the file does not start with FRTA)")]
    BadMagic,
    /// A container version this reader does not read.
    #[error("{}", unsupported_version(*.0, VERSIONS_READ))]
    UnsupportedVersion(u16),
    /// The version-2 ZIP presence bitmap is malformed (what is wrong).
    #[error("artifact presence section is unusable: {0}")]
    Presence(String),
    /// Flag bits this reader does not know are set.
    #[error("artifact flags {0:#06x} are not 0: this file needs a newer reader")]
    Flags(u16),
    /// The file is not as long as its header says.
    #[error(
        "artifact length is {got} bytes but its header says {expected}: truncated or padded file"
    )]
    Length {
        /// The length the header's section lengths add up to.
        expected: u64,
        /// The file's actual length.
        got: usize,
    },
    /// The CRC-32C trailer does not match the bytes before it.
    #[error("artifact checksum mismatch (CRC-32C stored {stored:#010x}, computed {computed:#010x}): corrupt file")]
    Checksum {
        /// The trailer's value.
        stored: u32,
        /// The checksum of the bytes read.
        computed: u32,
    },
    /// The FST section fails the `fst` crate's or FORMAT.md's checks (what is wrong).
    #[error("artifact FST section is unusable: {0}")]
    Fst(String),
    /// The MessagePack tables do not decode, or an index in them is out of range (what is wrong).
    #[error("artifact tables section is corrupt: {0}")]
    Tables(String),
}

/// FORMAT.md's refusal of an artifact format version that a reader does not read, saying what to
/// do; `reads` names what it reads (`"version 1"`, [`VERSIONS_READ`]). The one Rust home of this
/// text (`client-js/src/artifact.js` and `artifact_v2.js` write the same words).
pub fn unsupported_version(version: impl std::fmt::Display, reads: &str) -> String {
    format!(
        "artifact format version {version} is not supported by this client (it reads {reads}): \
         update the formroute client, or rebuild the artifacts with a matching formroute builder"
    )
}

/// Assembles the container: header, `fst` section, `tables` encoded as MessagePack, CRC-32C trailer.
pub fn encode(fst: &[u8], tables: &Tables) -> Vec<u8> {
    // rmp-serde's compact form: structs as arrays, smallest integer and string encodings.
    // Serialising strings, integers and vectors into a Vec cannot fail.
    let t = rmp_serde::to_vec(tables).unwrap_or_default();
    let mut out = Vec::with_capacity(OVERHEAD + fst.len() + t.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(fst.len() as u32).to_le_bytes());
    out.extend_from_slice(&(t.len() as u32).to_le_bytes());
    out.extend_from_slice(fst);
    out.extend_from_slice(&t);
    let crc = crc32c(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A checked artifact, ready to answer lookups.
pub struct Artifact {
    /// ZIP -> route class, precomputed from the file's FST at load (`crate::ziptable`).
    zips: ZipTable,
    /// Bytes of the file's FST section (for `Debug`).
    fst_bytes: usize,
    /// The form URL templates split at load, in `tables.forms` order, and the fallback's.
    pub(crate) templates: Templates,
    /// The format version of the file it was read from.
    pub version: u16,
    /// The decoded tables.
    pub tables: Tables,
    /// The CRC-32C trailer, a short content id for logs.
    pub crc: u32,
}

/// What the resolver reads besides the tables, derived from them once at load.
pub(crate) struct Templates {
    /// `tables.forms[i].3`, split.
    pub(crate) forms: Vec<Template>,
    /// `tables.fallback_url`, split.
    pub(crate) fallback: Template,
    /// Index of `default_language` in `languages` (the reader checked it is there when a class
    /// reaches a form; `None` only for a brand whose classes serve nothing).
    pub(crate) default_language: Option<u32>,
    /// The forms of product `p` are `tables.forms[by_product[p]..by_product[p + 1]]` (forms are
    /// sorted by product first), so a lookup searches a product's few forms only.
    by_product: Vec<u32>,
}

impl std::fmt::Debug for Artifact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Artifact")
            .field("version", &self.version)
            .field("fst_bytes", &self.fst_bytes)
            .field("zips", &self.zip_count())
            .field("table_bytes", &self.zips.heap_bytes())
            .field("tables", &self.tables)
            .field("crc", &self.crc)
            .finish()
    }
}

fn le_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Artifact {
    /// Checks `bytes` in FORMAT.md's order and decodes them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Artifact, ArtifactError> {
        if bytes.len() < OVERHEAD {
            return Err(ArtifactError::TooShort { len: bytes.len() });
        }
        if &bytes[0..4] != MAGIC {
            return Err(ArtifactError::BadMagic);
        }
        let version = le_u16(bytes, 4);
        if version != VERSION && version != crate::artifact_v2::VERSION {
            return Err(ArtifactError::UnsupportedVersion(version));
        }
        let flags = le_u16(bytes, 6);
        if flags != 0 {
            return Err(ArtifactError::Flags(flags));
        }
        if version == crate::artifact_v2::VERSION {
            let (zips, fst_bytes, tables, crc) = crate::artifact_v2::parse(bytes)?;
            return Ok(Artifact::new(zips, fst_bytes, version, tables, crc));
        }
        let f = le_u32(bytes, 8) as usize;
        let t = le_u32(bytes, 12) as usize;
        let expected = OVERHEAD as u64 + f as u64 + t as u64;
        if expected != bytes.len() as u64 {
            return Err(ArtifactError::Length {
                expected,
                got: bytes.len(),
            });
        }
        let body = HEADER + f + t;
        let stored = le_u32(bytes, body);
        let computed = crc32c(&bytes[..body]);
        if stored != computed {
            return Err(ArtifactError::Checksum { stored, computed });
        }

        let fst_bytes = &bytes[HEADER..HEADER + f];
        if fst_bytes.len() < 16
            || u64::from_le_bytes(fst_bytes[0..8].try_into().unwrap_or_default()) != 3
        {
            return Err(ArtifactError::Fst("FST header is not version 3".into()));
        }
        let fst = fst::raw::Fst::new(fst_bytes).map_err(|e| ArtifactError::Fst(e.to_string()))?;
        if fst.fst_type() != FST_TYPE {
            return Err(ArtifactError::Fst(format!(
                "FST type is {}, expected {FST_TYPE}",
                fst.fst_type()
            )));
        }
        fst.verify()
            .map_err(|e| ArtifactError::Fst(e.to_string()))?;

        let tables = decode_tables(&bytes[HEADER + f..body])?;
        check_tables(&tables)?;
        let n_classes = tables.classes.len() as u64;
        let mut table = ziptable::Builder::new(None);
        let mut stream = fst.stream();
        while let Some((key, out)) = fst::Streamer::next(&mut stream) {
            if !table.mark_present(key) {
                return Err(ArtifactError::Fst("a key is not five ASCII digits".into()));
            }
            if out.value() >= n_classes {
                return Err(ArtifactError::Fst(format!(
                    "route class {} out of range",
                    out.value()
                )));
            }
            // Five digits, and a class in range (below 2^31: a file holds fewer), so accepted.
            table.push(key, out.value() as u32);
        }
        Ok(Artifact::new(
            table.finish(),
            fst.size(),
            version,
            tables,
            stored,
        ))
    }

    fn new(zips: ZipTable, fst_bytes: usize, version: u16, tables: Tables, crc: u32) -> Artifact {
        // check_tables: every form's product index is in range and the forms are sorted.
        let mut by_product = vec![0u32; tables.products.len() + 1];
        for f in &tables.forms {
            by_product[f.0 as usize + 1] += 1;
        }
        for p in 1..by_product.len() {
            by_product[p] += by_product[p - 1];
        }
        let templates = Templates {
            by_product,
            forms: tables.forms.iter().map(|f| Template::new(&f.3)).collect(),
            fallback: Template::new(&tables.fallback_url),
            default_language: tables
                .languages
                .binary_search(&tables.default_language)
                .ok()
                .map(|i| i as u32),
        };
        Artifact {
            zips,
            fst_bytes,
            templates,
            version,
            tables,
            crc,
        }
    }

    /// The route class of a five-digit ZIP, or `None` when the ZIP is not in the data.
    #[inline]
    pub fn class_of(&self, zip: &[u8]) -> Option<&[u32]> {
        let class = self.zips.class(zip)?;
        self.tables.classes.get(class as usize).map(Vec::as_slice)
    }

    /// The USPS state of a five-digit ZIP, or `None` when the ZIP is not in the data (SPEC step 2:
    /// the first entry of its route class). The one home of "a ZIP's state": the resolver, `diff`
    /// and the logs report all ask here.
    pub fn state_of(&self, zip: &[u8]) -> Option<&str> {
        let class = self.class_of(zip)?;
        self.tables
            .states
            .get(*class.first()? as usize)
            .map(String::as_str)
    }

    /// Number of ZIPs the artifact knows.
    pub fn zip_count(&self) -> usize {
        self.zips.len()
    }

    /// Index of `product` in `products`.
    pub fn product_index(&self, product: &str) -> Option<usize> {
        index_of(&self.tables.products, product)
    }

    /// Index of `language` in `languages`.
    pub fn language_index(&self, language: &str) -> Option<usize> {
        index_of(&self.tables.languages, language)
    }

    /// The URL template of (product, form type (0-based), language) if the brand has that form.
    pub fn form(&self, product: u32, form_type: u32, language: u32) -> Option<&str> {
        self.form_index(product, form_type, language)
            .map(|i| self.tables.forms[i].3.as_str())
    }

    /// The index in `tables.forms` of (product, form type (0-based), language), if the brand has it.
    #[inline]
    pub(crate) fn form_index(&self, product: u32, form_type: u32, language: u32) -> Option<usize> {
        let p = product as usize;
        let by = &self.templates.by_product;
        let (start, end) = (*by.get(p)? as usize, *by.get(p + 1)? as usize);
        let forms = self.tables.forms.get(start..end)?;
        forms
            .binary_search_by(|(_, t, l, _)| (*t, *l).cmp(&(form_type, language)))
            .ok()
            .map(|i| start + i)
    }
}

/// Index of `s` in a sorted, unique list. A brand's products and languages are a handful: a scan
/// that compares lengths before bytes skips most byte comparisons, which a binary search's
/// three-way ones cannot (`resolve/mixed_queries_v2`: their `memcmp` was 18% of a query). Longer
/// lists are searched. Same index either way: the list is unique.
fn index_of(list: &[String], s: &str) -> Option<usize> {
    if list.len() <= 16 {
        list.iter().position(|x| x.as_bytes() == s.as_bytes())
    } else {
        list.binary_search_by(|x| x.as_str().cmp(s)).ok()
    }
}

/// Sorted and unique, by bytes.
fn strictly_sorted<T: Ord>(v: &[T]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

pub(crate) fn check_tables(t: &Tables) -> Result<(), ArtifactError> {
    let bad = |m: String| Err(ArtifactError::Tables(m));
    for (name, list) in [
        ("products", &t.products),
        ("form_types", &t.form_types),
        ("languages", &t.languages),
        ("states", &t.states),
    ] {
        if !strictly_sorted(list) {
            return bad(format!("`{name}` is not sorted and unique"));
        }
    }
    let width = 1 + t.products.len();
    for (i, c) in t.classes.iter().enumerate() {
        if c.len() != width {
            return bad(format!(
                "class {i} has {} entries, expected {width}",
                c.len()
            ));
        }
        if c[0] as usize >= t.states.len() {
            return bad(format!("class {i} names state index {} out of range", c[0]));
        }
        if c[1..].iter().any(|&k| k as usize > t.form_types.len()) {
            return bad(format!("class {i} names a form type out of range"));
        }
    }
    for (p, ft, l, _) in &t.forms {
        if *p as usize >= t.products.len()
            || *ft as usize >= t.form_types.len()
            || *l as usize >= t.languages.len()
        {
            return bad(format!("form ({p}, {ft}, {l}) has an index out of range"));
        }
    }
    if !t
        .forms
        .windows(2)
        .all(|w| (w[0].0, w[0].1, w[0].2) < (w[1].0, w[1].1, w[1].2))
    {
        return bad("`forms` is not sorted and unique".into());
    }
    // Every (product, form type) a class reaches has a default-language form (step 5 always finds a URL).
    let default = t
        .languages
        .binary_search(&t.default_language)
        .ok()
        .map(|i| i as u32);
    for c in &t.classes {
        for (p, &k) in c[1..].iter().enumerate() {
            if k == 0 {
                continue;
            }
            let found = default.is_some_and(|l| {
                t.forms
                    .binary_search_by(|(fp, ft, fl, _)| (*fp, *ft, *fl).cmp(&(p as u32, k - 1, l)))
                    .is_ok()
            });
            if !found {
                return bad(format!(
                    "a class reaches product {p}, form type {} with no default-language form",
                    k - 1
                ));
            }
        }
    }
    Ok(())
}

/// A strict reader of the MessagePack subset FORMAT.md allows.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

type Res<T> = Result<T, ArtifactError>;

impl<'a> Reader<'a> {
    fn fail<T>(&self, what: &str) -> Res<T> {
        Err(ArtifactError::Tables(format!(
            "{what} at byte {} of the tables section",
            self.at
        )))
    }

    fn take(&mut self, n: usize) -> Res<&'a [u8]> {
        if self.b.len() - self.at < n {
            return self.fail("unexpected end");
        }
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    fn byte(&mut self) -> Res<u8> {
        Ok(self.take(1)?[0])
    }

    fn be(&mut self, n: usize) -> Res<u64> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn array(&mut self) -> Res<usize> {
        let m = self.byte()?;
        let n = match m {
            0x90..=0x9f => usize::from(m & 0x0f),
            0xdc => self.be(2)? as usize,
            0xdd => self.be(4)? as usize,
            _ => return self.fail("expected an array"),
        };
        // Each element takes at least one byte: a length beyond the bytes left is corrupt.
        if n > self.b.len() - self.at {
            return self.fail("array longer than the section");
        }
        Ok(n)
    }

    fn array_of(&mut self, n: usize) -> Res<()> {
        if self.array()? != n {
            return self.fail(&format!("expected an array of {n}"));
        }
        Ok(())
    }

    fn str(&mut self) -> Res<String> {
        let m = self.byte()?;
        let n = match m {
            0xa0..=0xbf => usize::from(m & 0x1f),
            0xd9 => self.be(1)? as usize,
            0xda => self.be(2)? as usize,
            0xdb => self.be(4)? as usize,
            _ => return self.fail("expected a string"),
        };
        let s = self.take(n)?;
        match std::str::from_utf8(s) {
            Ok(s) => Ok(s.to_string()),
            Err(_) => self.fail("string is not UTF-8"),
        }
    }

    fn uint(&mut self) -> Res<u32> {
        let m = self.byte()?;
        Ok(match m {
            0x00..=0x7f => u32::from(m),
            0xcc => self.be(1)? as u32,
            0xcd => self.be(2)? as u32,
            0xce => self.be(4)? as u32,
            _ => return self.fail("expected a non-negative integer"),
        })
    }

    fn strs(&mut self) -> Res<Vec<String>> {
        let n = self.array()?;
        (0..n).map(|_| self.str()).collect()
    }
}

pub(crate) fn decode_tables(b: &[u8]) -> Res<Tables> {
    let mut r = Reader { b, at: 0 };
    r.array_of(10)?;
    let brand = r.str()?;
    let name = r.str()?;
    let default_language = r.str()?;
    let fallback_url = r.str()?;
    let products = r.strs()?;
    let form_types = r.strs()?;
    let languages = r.strs()?;
    let states = r.strs()?;
    let n = r.array()?;
    let mut classes = Vec::with_capacity(n);
    for _ in 0..n {
        let m = r.array()?;
        classes.push((0..m).map(|_| r.uint()).collect::<Res<Vec<u32>>>()?);
    }
    let n = r.array()?;
    let mut forms = Vec::with_capacity(n);
    for _ in 0..n {
        r.array_of(4)?;
        forms.push((r.uint()?, r.uint()?, r.uint()?, r.str()?));
    }
    if r.at != b.len() {
        return r.fail("trailing bytes");
    }
    Ok(Tables {
        brand,
        name,
        default_language,
        fallback_url,
        products,
        form_types,
        languages,
        states,
        classes,
        forms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_of_finds_each_name_in_short_and_long_lists_and_nothing_else() {
        for n in [1, 3, 16, 17, 40] {
            let mut list: Vec<String> = (0..n).map(|i| format!("p{i:02}")).collect();
            list.sort();
            for (i, name) in list.iter().enumerate() {
                assert_eq!(index_of(&list, name), Some(i), "{name} in {n}");
            }
            for absent in ["", "p", "p0", "p000", "q00", "P00"] {
                assert_eq!(index_of(&list, absent), None, "{absent} in {n}");
            }
        }
    }

    fn sample() -> Vec<u8> {
        let mut b = fst::raw::Builder::new_type(Vec::new(), FST_TYPE).expect("builder");
        b.insert(b"10001", 0).expect("insert");
        b.insert(b"90210", 1).expect("insert");
        let fst = b.into_inner().expect("fst");
        let tables = Tables {
            brand: "acme".into(),
            name: "Acme".into(),
            default_language: "en".into(),
            fallback_url: "https://acme.example/?z={zip}".into(),
            products: vec!["auto".into()],
            form_types: vec!["std".into()],
            languages: vec!["en".into()],
            states: vec!["CA".into(), "NY".into()],
            classes: vec![vec![1, 1], vec![0, 0]],
            forms: vec![(0, 0, 0, "https://acme.example/f".into())],
        };
        encode(&fst, &tables)
    }

    #[test]
    fn a_written_artifact_reads_back() {
        let a = Artifact::from_bytes(&sample()).expect("valid");
        assert_eq!(a.class_of(b"10001"), Some(&[1u32, 1][..]));
        assert_eq!(a.class_of(b"90210"), Some(&[0u32, 0][..]));
        assert_eq!(a.class_of(b"10002"), None);
        assert_eq!(a.form(0, 0, 0), Some("https://acme.example/f"));
    }

    #[test]
    fn every_truncation_is_rejected() {
        let bytes = sample();
        for n in 0..bytes.len() {
            assert!(
                Artifact::from_bytes(&bytes[..n]).is_err(),
                "accepted a file cut to {n} bytes"
            );
        }
    }

    #[test]
    fn every_single_bit_flip_is_rejected() {
        let bytes = sample();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                assert!(
                    Artifact::from_bytes(&b).is_err(),
                    "accepted a flip of bit {bit} of byte {i}"
                );
            }
        }
    }

    #[test]
    fn unknown_version_is_refused_with_the_documented_message() {
        let mut b = sample();
        b[4] = 3;
        let e = Artifact::from_bytes(&b).expect_err("version 3");
        assert_eq!(e, ArtifactError::UnsupportedVersion(3));
        assert!(e.to_string().starts_with(
            "artifact format version 3 is not supported by this client (it reads versions 1 and 2)"
        ));
    }

    #[test]
    fn bad_magic_flags_and_padding_are_refused() {
        let mut b = sample();
        b[0] = b'X';
        assert_eq!(
            Artifact::from_bytes(&b).expect_err("magic"),
            ArtifactError::BadMagic
        );
        let mut b = sample();
        b[6] = 1;
        assert_eq!(
            Artifact::from_bytes(&b).expect_err("flags"),
            ArtifactError::Flags(1)
        );
        let mut b = sample();
        b.push(0);
        assert!(matches!(
            Artifact::from_bytes(&b),
            Err(ArtifactError::Length { .. })
        ));
    }

    /// Re-seals tampered content with a correct CRC, so the checks after the CRC are what refuses it.
    fn reseal(mut b: Vec<u8>) -> Vec<u8> {
        let body = b.len() - 4;
        let crc = crc32c(&b[..body]);
        b[body..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    #[test]
    fn out_of_range_indices_are_refused_even_with_a_valid_crc() {
        let good = sample();
        // The last class entry (0 = form type index) is the byte before the forms array: find the
        // class array `[0, 0]` = 92 00 00 and make it name state 5.
        let pos = good
            .windows(3)
            .rposition(|w| w == [0x92, 0x00, 0x00])
            .expect("class bytes");
        let mut b = good.clone();
        b[pos + 1] = 5;
        assert!(matches!(
            Artifact::from_bytes(&reseal(b)),
            Err(ArtifactError::Tables(_))
        ));
    }

    #[test]
    fn tables_use_the_smallest_encodings() {
        let bytes = sample();
        let f = le_u32(&bytes, 8) as usize;
        // fixarray of 10, then fixstr "acme".
        assert_eq!(
            &bytes[16 + f..16 + f + 6],
            &[0x9a, 0xa4, b'a', b'c', b'm', b'e']
        );
    }
}
