//! Artifact format version 2 (FORMAT.md "Version 2"): a ZIP presence bitmap plus an FST from the shortest ZIP prefixes to route classes; writing it, and reading it back with every check.
//!
//! Layout: a 20-byte header (`FRTA`, version 2, flags, three section lengths), the presence bitmap
//! (one bit per five-digit ZIP, 12,500 bytes), the FST section (prefix -> route class, longest
//! matching prefix wins), the same MessagePack tables section as version 1, and a CRC-32C trailer.
//! The bitmap is most of the bytes and compresses to about 8.2 KB brotli; the FST holds a few
//! hundred keys instead of every ZIP, so a national brand is about half version 1 on the wire.

use crate::artifact::{check_tables, decode_tables, ArtifactError, Tables, MAGIC};
use crate::crc32c::crc32c;
use crate::ziptable::{self, zip_number, ZipTable};

/// The container version of this layout.
pub const VERSION: u16 = 2;
/// The FST type stored in the FST header: "ZIP prefix to route class, longest prefix wins".
pub const FST_TYPE: u64 = 2;
/// Bytes of the presence bitmap: one bit for each of the 100,000 five-digit ZIPs.
pub const PRESENCE_BYTES: usize = 12_500;
/// Header bytes before the presence section.
const HEADER: usize = 20;
/// Header plus CRC trailer.
const OVERHEAD: usize = 24;

/// The presence bitmap of `zips` (five ASCII digits each): bit `z % 8` (least significant first)
/// of byte `z / 8` is set when ZIP number `z` exists.
pub fn presence(zips: &[[u8; 5]]) -> Vec<u8> {
    let mut bits = vec![0u8; PRESENCE_BYTES];
    for z in zips {
        if let Some(n) = zip_number(z) {
            bits[n >> 3] |= 1 << (n & 7);
        }
    }
    bits
}

/// One trie node's solution in [`prefix_keys`]: the fewest keys its subtree needs, given the class
/// it inherits from the nearest key above it.
#[derive(Clone, Copy)]
struct Node {
    /// Cost when the inherited class is one no ZIP of the subtree has (or none).
    other: u32,
    /// The subtree's classes with the cost when each is inherited, sorted by class:
    /// `Level::costs[costs.0 .. costs.0 + costs.1]`.
    costs: (u32, u32),
    /// The class a key at this node would carry (the cheapest for the children; lowest on ties)
    /// and the children's cost under it.
    best: (u32, u32),
    /// This node's children in the next level: `first .. first + count`.
    first: u32,
    count: u32,
    /// Index in the ZIP list of the node's first ZIP (spells its prefix).
    zip: u32,
}

/// The nodes of one prefix length, with one arena for their cost lists (no allocation per node).
#[derive(Default)]
struct Level {
    nodes: Vec<Node>,
    costs: Vec<(u32, u32)>,
}

impl Level {
    fn cost(&self, n: &Node, inherited: u32) -> u32 {
        let list = &self.costs[n.costs.0 as usize..(n.costs.0 + n.costs.1) as usize];
        match list.binary_search_by_key(&inherited, |&(c, _)| c) {
            Ok(i) => list[i].1,
            Err(_) => n.other,
        }
    }
}

/// The FST keys of version 2: the fewest `(prefix, class)` pairs such that every ZIP's class is the
/// value of the longest key that is a prefix of it, the empty key always present. `zips` are five
/// ASCII digits each, sorted ascending and unique; `classes[i]` is the class of `zips[i]`.
///
/// Exact minimum by dynamic programming over the ZIP trie (absent ZIPs are free, the presence
/// bitmap answers for them): a node either has no key, and its children inherit the class from
/// above, or a key whose class is the one cheapest for its children. Ties are broken towards the
/// shorter key and the lowest class index, so the output is deterministic. Keys come out sorted.
pub fn prefix_keys(zips: &[[u8; 5]], classes: &[u32]) -> Vec<(Vec<u8>, u32)> {
    // levels[d]: the nodes of prefix length d, in ZIP order; level 5 holds the ZIPs themselves.
    let mut levels: Vec<Level> = Vec::with_capacity(6);
    levels.push(Level {
        nodes: (0..classes.len() as u32)
            .map(|i| Node {
                other: 1,
                costs: (i, 1),
                best: (classes[i as usize], 0),
                first: 0,
                count: 0,
                zip: i,
            })
            .collect(),
        costs: classes.iter().map(|&c| (c, 0)).collect(),
    });
    // Each ZIP's five bytes as one number, so a prefix of length d is `packed >> 8 * (5 - d)`.
    let packed: Vec<u64> = zips
        .iter()
        .map(|z| z.iter().fold(0u64, |n, &b| n << 8 | u64::from(b)))
        .collect();
    let mut scratch: Vec<(u32, i64)> = Vec::new();
    for depth in (0..5).rev() {
        let below = levels.last().map_or(&[][..], |l| l.nodes.as_slice());
        let below_costs = levels.last().map_or(&[][..], |l| l.costs.as_slice());
        let mut level = Level::default();
        let shift = 8 * (5 - depth);
        let head_of = |k: &Node| packed[k.zip as usize].checked_shr(shift).unwrap_or(0);
        let mut j = 0;
        while j < below.len() {
            let first = j;
            let head = head_of(&below[j]);
            while j < below.len() && head_of(&below[j]) == head {
                j += 1;
            }
            let kids = &below[first..j];
            // Most of the trie carries one class: when every child does (the same one), so does
            // this node, with the values the general case below gives for it (no key needed
            // under that class, one key under any other).
            let one_class = |k: &Node| (k.costs.1 == 1).then(|| below_costs[k.costs.0 as usize]);
            if let Some((c, 0)) = one_class(&kids[0]) {
                if kids[1..].iter().all(|k| one_class(k) == Some((c, 0))) {
                    level.nodes.push(Node {
                        other: 1,
                        costs: (level.costs.len() as u32, 1),
                        best: (c, 0),
                        first: first as u32,
                        count: (j - first) as u32,
                        zip: below[first].zip,
                    });
                    level.costs.push((c, 0));
                    continue;
                }
            }
            let sum_other: i64 = kids.iter().map(|k| i64::from(k.other)).sum();
            scratch.clear();
            for k in kids {
                let list = &below_costs[k.costs.0 as usize..(k.costs.0 + k.costs.1) as usize];
                scratch.extend(
                    list.iter()
                        .map(|&(c, v)| (c, i64::from(v) - i64::from(k.other))),
                );
            }
            scratch.sort_unstable_by_key(|&(c, _)| c);
            // S(c) = the sum of the children's costs when they inherit c, for each class c present.
            let start = level.costs.len();
            for &(c, d) in &scratch {
                let n = level.costs.len();
                match level.costs.last_mut() {
                    Some((lc, s)) if n > start && *lc == c => *s = (i64::from(*s) + d) as u32,
                    _ => level.costs.push((c, (sum_other + d) as u32)),
                }
            }
            let sums = &mut level.costs[start..];
            let best = sums
                .iter()
                .copied()
                .min_by_key(|&(c, s)| (s, c))
                .unwrap_or((0, 0));
            let with_key = best.1 + 1;
            for e in sums.iter_mut() {
                e.1 = e.1.min(with_key);
            }
            level.nodes.push(Node {
                other: (sum_other as u32).min(with_key),
                costs: (start as u32, (level.costs.len() - start) as u32),
                best,
                first: first as u32,
                count: (j - first) as u32,
                zip: below[first].zip,
            });
        }
        levels.push(level);
    }
    levels.reverse(); // levels[d] now has prefix length d

    let mut keys = Vec::new();
    // The root always carries a key, so every present ZIP finds one.
    let Some(root) = levels[0].nodes.first().copied() else {
        return keys;
    };
    keys.push((Vec::new(), root.best.0));
    // Depth-first, children in ascending order: keys come out in byte order, shorter first.
    let mut stack: Vec<(usize, u32, u32)> = (0..root.count)
        .rev()
        .map(|i| (1, root.first + i, root.best.0))
        .collect();
    while let Some((depth, i, inherited)) = stack.pop() {
        let node = levels[depth].nodes[i as usize];
        let zip = &zips[node.zip as usize];
        if depth == 5 {
            // A ZIP: a key when its class is not the inherited one.
            if node.best.0 != inherited {
                keys.push((zip.to_vec(), node.best.0));
            }
            continue;
        }
        let next = &levels[depth + 1];
        let kids = &next.nodes[node.first as usize..(node.first + node.count) as usize];
        let without: u32 = kids.iter().map(|k| next.cost(k, inherited)).sum();
        // A key costs 1: worth it when it saves at least that (ties: the shorter key).
        let class = if node.best.0 != inherited && node.best.1 < without {
            keys.push((zip[..depth].to_vec(), node.best.0));
            node.best.0
        } else {
            inherited
        };
        // A subtree of one class under that same class needs no key below.
        let level = &levels[depth];
        if node.costs.1 == 1 && level.costs[node.costs.0 as usize].0 == class {
            continue;
        }
        stack.extend(
            (0..node.count)
                .rev()
                .map(|k| (depth + 1, node.first + k, class)),
        );
    }
    keys
}

/// The FST section of version 2 for `keys` (sorted, as [`prefix_keys`] returns them).
pub fn fst_bytes(keys: &[(Vec<u8>, u32)]) -> Result<Vec<u8>, fst::Error> {
    let mut b = crate::fst_writer::FstWriter::new(FST_TYPE, 4096);
    for (k, v) in keys {
        b.insert(k, u64::from(*v))?;
    }
    Ok(b.finish())
}

/// Assembles a version-2 container: header, presence bitmap, FST, tables, CRC-32C trailer.
pub fn encode(presence: &[u8], fst: &[u8], tables: &Tables) -> Vec<u8> {
    // rmp-serde's compact form, as in version 1: serialising into a Vec cannot fail.
    let t = rmp_serde::to_vec(tables).unwrap_or_default();
    let mut out = Vec::with_capacity(OVERHEAD + presence.len() + fst.len() + t.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    for len in [presence.len(), fst.len(), t.len()] {
        out.extend_from_slice(&(len as u32).to_le_bytes());
    }
    out.extend_from_slice(presence);
    out.extend_from_slice(fst);
    out.extend_from_slice(&t);
    let crc = crc32c(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Checks a version-2 file in FORMAT.md's order (the caller has checked length >= 8, magic, version
/// and flags) and decodes it: the ZIP lookup (precomputed from the bitmap and the FST's keys),
/// the FST section's size, the tables and the CRC.
pub(crate) fn parse(bytes: &[u8]) -> Result<(ZipTable, usize, Tables, u32), ArtifactError> {
    if bytes.len() < OVERHEAD {
        return Err(ArtifactError::TooShort { len: bytes.len() });
    }
    let p = le_u32(bytes, 8) as usize;
    let f = le_u32(bytes, 12) as usize;
    let t = le_u32(bytes, 16) as usize;
    let expected = OVERHEAD as u64 + p as u64 + f as u64 + t as u64;
    if expected != bytes.len() as u64 {
        return Err(ArtifactError::Length {
            expected,
            got: bytes.len(),
        });
    }
    let body = HEADER + p + f + t;
    let stored = le_u32(bytes, body);
    let computed = crc32c(&bytes[..body]);
    if stored != computed {
        return Err(ArtifactError::Checksum { stored, computed });
    }
    if p != PRESENCE_BYTES {
        return Err(ArtifactError::Presence(format!(
            "presence section is {p} bytes, expected {PRESENCE_BYTES}"
        )));
    }

    let fst_bytes = &bytes[HEADER + p..HEADER + p + f];
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
    if !fst.root().is_final() {
        return Err(ArtifactError::Fst(
            "the empty key is missing: some ZIPs would have no class".into(),
        ));
    }

    let tables = decode_tables(&bytes[HEADER + p + f..body])?;
    check_tables(&tables)?;
    let n_classes = tables.classes.len() as u64;
    let mut table = ziptable::Builder::new(Some(bytes[HEADER..HEADER + p].to_vec()));
    let mut stream = fst.stream();
    while let Some((key, out)) = fst::Streamer::next(&mut stream) {
        if out.value() >= n_classes {
            return Err(ArtifactError::Fst(format!(
                "route class {} out of range",
                out.value()
            )));
        }
        // In range, so below the table's limit of 2^31 - 1 classes (a file holds fewer).
        if !table.push(key, out.value() as u32) {
            return Err(ArtifactError::Fst(
                "a key is not a prefix of five ASCII digits".into(),
            ));
        }
    }
    Ok((table.finish(), fst.size(), tables, stored))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::Artifact;

    /// Two ZIPs of two classes, as the builder writes them.
    fn sample_with(keys: &[(&str, u32)]) -> Vec<u8> {
        let zips = [z("10001"), z("90210")];
        let keys: Vec<(Vec<u8>, u32)> = keys
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), *v))
            .collect();
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
        encode(&presence(&zips), &fst_bytes(&keys).expect("fst"), &tables)
    }

    fn sample() -> Vec<u8> {
        sample_with(&[("", 0), ("9", 1)])
    }

    /// Re-seals tampered content with a correct CRC, so the checks after the CRC are what refuses it.
    fn reseal(mut b: Vec<u8>) -> Vec<u8> {
        let body = b.len() - 4;
        let crc = crc32c(&b[..body]);
        b[body..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    #[test]
    fn a_written_file_reads_back_through_the_one_reader() {
        let a = Artifact::from_bytes(&sample()).expect("valid");
        assert_eq!(a.version, 2);
        assert_eq!(a.zip_count(), 2);
        assert_eq!(a.class_of(b"10001"), Some(&[1u32, 1][..]));
        assert_eq!(a.class_of(b"90210"), Some(&[0u32, 0][..]));
        // Absent from the bitmap: unknown, whatever prefix key it falls under.
        assert_eq!(a.class_of(b"90211"), None);
        assert_eq!(a.class_of(b"10002"), None);
    }

    #[test]
    fn every_truncation_and_every_flipped_bit_outside_the_bitmap_is_refused() {
        let bytes = sample();
        for n in 0..bytes.len() {
            assert!(
                Artifact::from_bytes(&bytes[..n]).is_err(),
                "cut to {n} bytes"
            );
        }
        let bitmap = HEADER..HEADER + PRESENCE_BYTES;
        // The bitmap's bytes are covered by the CRC like the others: a few of them stand for all.
        let probes =
            (0..bytes.len()).filter(|i| !bitmap.contains(i) || i % 997 == 0 || *i == HEADER + 1250);
        for i in probes {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                assert!(
                    Artifact::from_bytes(&b).is_err(),
                    "flip of bit {bit} of byte {i}"
                );
            }
        }
    }

    #[test]
    fn a_bitmap_of_another_size_or_a_missing_empty_key_is_refused_even_with_a_valid_crc() {
        let mut b = sample();
        b[8..12].copy_from_slice(&12_499u32.to_le_bytes());
        let t = le_u32(&b, 16) + 1;
        b[16..20].copy_from_slice(&t.to_le_bytes());
        assert!(matches!(
            Artifact::from_bytes(&reseal(b)),
            Err(ArtifactError::Presence(_))
        ));
        let no_root = sample_with(&[("1", 0), ("9", 1)]);
        assert!(matches!(
            Artifact::from_bytes(&no_root),
            Err(ArtifactError::Fst(m)) if m.contains("empty key")
        ));
    }

    #[test]
    fn keys_longer_than_five_digits_and_classes_out_of_range_are_refused() {
        assert!(matches!(
            Artifact::from_bytes(&sample_with(&[("", 0), ("100011", 1)])),
            Err(ArtifactError::Fst(m)) if m.contains("five ASCII digits")
        ));
        assert!(matches!(
            Artifact::from_bytes(&sample_with(&[("", 0), ("9", 2)])),
            Err(ArtifactError::Fst(m)) if m.contains("out of range")
        ));
    }

    #[test]
    fn the_fst_type_of_version_1_is_refused_in_a_version_2_file() {
        let mut b = sample();
        let at = HEADER + PRESENCE_BYTES + 8;
        b[at] = 1;
        // The FST's own checksum covers its header: fix both checksums, so the type is what fails.
        let f = le_u32(&b, 12) as usize;
        let fst = &mut b[HEADER + PRESENCE_BYTES..HEADER + PRESENCE_BYTES + f];
        let n = fst.len();
        let c = crc32c(&fst[..n - 4]);
        let masked = c.rotate_right(15).wrapping_add(0xa282_ead8);
        fst[n - 4..].copy_from_slice(&masked.to_le_bytes());
        assert!(matches!(
            Artifact::from_bytes(&reseal(b)),
            Err(ArtifactError::Fst(m)) if m.contains("type is 1")
        ));
    }

    fn z(s: &str) -> [u8; 5] {
        s.as_bytes().try_into().expect("five digits")
    }

    /// The class of `zip` under `keys` by FORMAT.md's rule: the longest key that is a prefix.
    fn longest(keys: &[(Vec<u8>, u32)], zip: &[u8; 5]) -> Option<u32> {
        keys.iter()
            .filter(|(k, _)| zip.starts_with(k))
            .max_by_key(|(k, _)| k.len())
            .map(|&(_, c)| c)
    }

    #[test]
    fn a_uniform_prefix_needs_one_key_and_exceptions_are_longer_keys() {
        let zips: Vec<[u8; 5]> = ["10001", "10002", "10003", "10004", "20001", "20002"]
            .into_iter()
            .map(z)
            .collect();
        let classes = [0, 0, 1, 0, 2, 2];
        let keys = prefix_keys(&zips, &classes);
        for (zip, &c) in zips.iter().zip(&classes) {
            assert_eq!(longest(&keys, zip), Some(c));
        }
        let as_text: Vec<(String, u32)> = keys
            .iter()
            .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), *v))
            .collect();
        assert_eq!(
            as_text,
            [("".into(), 0), ("10003".into(), 1), ("2".into(), 2)]
        );
    }

    #[test]
    fn keys_reproduce_every_class_of_a_pseudo_random_assignment_and_come_out_sorted() {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut zips = Vec::new();
        let mut classes = Vec::new();
        for n in 0..100_000u32 {
            if next() % 3 == 0 {
                zips.push(z(&format!("{n:05}")));
                // Classes follow prefixes mostly, with noise.
                let c = if next() % 20 == 0 {
                    (next() % 7) as u32
                } else {
                    n / 7000
                };
                classes.push(c);
            }
        }
        let keys = prefix_keys(&zips, &classes);
        assert!(keys.windows(2).all(|w| w[0].0 < w[1].0));
        let fst = fst::raw::Fst::new(fst_bytes(&keys).expect("fst")).expect("fst");
        // The reader's table, built from the FST's keys as `parse` builds it.
        let mut b = ziptable::Builder::new(Some(presence(&zips)));
        let mut stream = fst.stream();
        while let Some((key, out)) = fst::Streamer::next(&mut stream) {
            assert!(b.push(key, out.value() as u32));
        }
        let table = b.finish();
        assert_eq!(table.len(), zips.len());
        let mut expected = vec![None; 100_000];
        for (zip, &c) in zips.iter().zip(&classes) {
            expected[zip_number(zip).expect("digits")] = Some(c);
        }
        for (n, want) in expected.iter().enumerate() {
            assert_eq!(table.class(format!("{n:05}").as_bytes()), *want, "{n:05}");
        }
        assert!(keys.len() < zips.len() / 5, "{} keys", keys.len());
    }
}
