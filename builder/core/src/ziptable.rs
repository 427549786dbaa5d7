//! The ZIP -> route class table both artifact readers build at load: a presence bitmap and a radix table by ZIP digits.
//!
//! The file's own lookup (version 1's FST of every ZIP, version 2's bitmap plus longest-prefix FST)
//! stays what FORMAT.md defines; this table is that lookup precomputed once when the file is read,
//! so a query costs a bit test and one to three array reads instead of an FST walk. It is built
//! from the FST's keys in byte order ([`Builder::push`]), the same pass that checks them:
//! every present ZIP gets the class of its longest key, exactly as the FST would answer.
//!
//! Layout: `top[ddd]` for each three-digit prefix is a class, or a block of 10 entries for the
//! fourth digit, whose entries are a class or a block of 10 for the fifth. A block whose entries
//! all name one class (entries no key covers aside: version 1's absent ZIPs) is folded into that
//! class, so a brand whose classes follow three-digit prefixes needs `top` only (4 KB), and the
//! blocks never outnumber the keys of four or five digits.

use crate::artifact_v2::PRESENCE_BYTES;

/// An entry with this bit set names a block (`entry & !BLOCK` is its first index in `blocks`).
const BLOCK: u32 = 1 << 31;
/// No class: what a ZIP that no key covers gets (never a present one in a checked file).
const NONE: u32 = BLOCK - 1;

/// The five digits of a ZIP as a number, `00000` = 0 .. `99999` = 99,999; `None` unless five ASCII digits.
pub(crate) fn zip_number(zip: &[u8]) -> Option<usize> {
    let z: &[u8; 5] = zip.try_into().ok()?;
    let mut n = 0usize;
    for &b in z {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + usize::from(d);
    }
    Some(n)
}

/// A checked file's ZIP lookup.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ZipTable {
    presence: Vec<u8>,
    top: Vec<u32>,
    blocks: Vec<u32>,
    count: usize,
}

impl std::fmt::Debug for ZipTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZipTable")
            .field("zips", &self.count)
            .field("blocks", &(self.blocks.len() / 10))
            .finish()
    }
}

impl ZipTable {
    /// The route class of a ZIP (five ASCII digits), `None` when it is not present.
    #[inline]
    pub(crate) fn class(&self, zip: &[u8]) -> Option<u32> {
        let n = zip_number(zip)?;
        if self.presence.get(n >> 3)? & (1 << (n & 7)) == 0 {
            return None;
        }
        let mut e = *self.top.get(n / 100)?;
        if e & BLOCK != 0 {
            e = *self.blocks.get((e & !BLOCK) as usize + (n / 10) % 10)?;
            if e & BLOCK != 0 {
                e = *self.blocks.get((e & !BLOCK) as usize + n % 10)?;
            }
        }
        (e != NONE).then_some(e)
    }

    /// Number of ZIPs present.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Bytes the table holds (for `Debug` of an artifact).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.presence.len() + 4 * (self.top.len() + self.blocks.len())
    }
}

/// Builds a [`ZipTable`] from an FST's keys in the FST's order (byte order, a prefix before the
/// keys it starts).
pub(crate) struct Builder {
    table: ZipTable,
    /// The three-digit prefix whose longer keys are in `pending`, as a number.
    group: Option<usize>,
    /// Keys of 4 or 5 digits under `group`: (digits 4 and 5, `None` for a 4-digit key's 5th), class.
    pending: Vec<(u8, Option<u8>, u32)>,
}

impl Builder {
    /// A builder for a file with the given presence bitmap (`PRESENCE_BYTES` long; the reader has
    /// checked its size). Version 1 has none: pass `None` and every key is marked present.
    pub(crate) fn new(presence: Option<Vec<u8>>) -> Builder {
        let (presence, count) = match presence {
            Some(p) => {
                let count = p.iter().map(|b| b.count_ones() as usize).sum();
                (p, count)
            }
            None => (vec![0; PRESENCE_BYTES], 0),
        };
        Builder {
            table: ZipTable {
                presence,
                top: vec![NONE; 1000],
                blocks: Vec::new(),
                count,
            },
            group: None,
            pending: Vec::new(),
        }
    }

    /// Marks a five-digit ZIP present (version 1, whose keys are the ZIPs); `false` unless five digits.
    pub(crate) fn mark_present(&mut self, zip: &[u8]) -> bool {
        let Some(n) = zip_number(zip) else {
            return false;
        };
        let byte = &mut self.table.presence[n >> 3];
        if *byte & (1 << (n & 7)) == 0 {
            *byte |= 1 << (n & 7);
            self.table.count += 1;
        }
        true
    }

    /// Adds the next key (at most five ASCII digits, after every key before it in byte order) and
    /// its class (below 2^31 - 1; the reader has checked it against the class count). `false` when
    /// the key is not such a prefix: the caller refuses the file.
    pub(crate) fn push(&mut self, key: &[u8], class: u32) -> bool {
        if key.len() > 5 || !key.iter().all(u8::is_ascii_digit) || class >= NONE {
            return false;
        }
        let num = |k: &[u8]| {
            k.iter()
                .fold(0usize, |n, &d| n * 10 + usize::from(d - b'0'))
        };
        if key.len() <= 3 {
            self.flush();
            // Every ZIP under this prefix inherits the class; longer keys, which come later, refine it.
            let span = [1000, 100, 10, 1][key.len()];
            let first = num(key) * span;
            self.table.top[first..first + span].fill(class);
            return true;
        }
        let group = num(&key[..3]);
        if self.group != Some(group) {
            self.flush();
            self.group = Some(group);
        }
        self.pending
            .push((key[3] - b'0', key.get(4).map(|d| d - b'0'), class));
        true
    }

    /// Writes the blocks of `group` from its pending keys.
    fn flush(&mut self) {
        let Some(group) = self.group.take() else {
            return;
        };
        let t = &mut self.table;
        let inherited = t.top[group];
        let mut fourth = [inherited; 10];
        let mut fifth: [Option<[u32; 10]>; 10] = [None; 10];
        for &(d4, d5, class) in &self.pending {
            match d5 {
                // A four-digit key comes before the five-digit keys it starts.
                None => fourth[usize::from(d4)] = class,
                Some(d5) => {
                    let under = fourth[usize::from(d4)];
                    fifth[usize::from(d4)].get_or_insert([under; 10])[usize::from(d5)] = class;
                }
            }
        }
        self.pending.clear();
        let mut entries = [NONE; 10];
        for d4 in 0..10 {
            entries[d4] = match &fifth[d4] {
                None => fourth[d4],
                Some(block) => fold(block).unwrap_or_else(|| {
                    let at = t.blocks.len() as u32;
                    t.blocks.extend_from_slice(block);
                    BLOCK | at
                }),
            };
        }
        t.top[group] = fold(&entries).unwrap_or_else(|| {
            let at = t.blocks.len() as u32;
            t.blocks.extend_from_slice(&entries);
            BLOCK | at
        });
    }

    /// The finished table.
    pub(crate) fn finish(mut self) -> ZipTable {
        self.flush();
        self.table
    }
}

/// The one class of a block's entries when they name one (entries that no key covers, `NONE`,
/// are ZIPs of no class, so absent: they do not count); `None` when two differ or one is a block.
fn fold(block: &[u32; 10]) -> Option<u32> {
    let mut one = NONE;
    for &e in block {
        if e & BLOCK != 0 || (e != NONE && one != NONE && e != one) {
            return None;
        }
        if e != NONE {
            one = e;
        }
    }
    Some(one)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(presence: &[&str], keys: &[(&str, u32)]) -> ZipTable {
        let mut b = Builder::new(None);
        for z in presence {
            assert!(b.mark_present(z.as_bytes()));
        }
        for (k, c) in keys {
            assert!(b.push(k.as_bytes(), *c), "{k}");
        }
        b.finish()
    }

    #[test]
    fn the_longest_key_wins_and_absent_zips_have_no_class() {
        let t = table(
            &["10001", "10002", "10010", "10999", "20000", "99999"],
            &[("", 0), ("100", 1), ("1000", 2), ("10002", 3), ("9", 4)],
        );
        assert_eq!(t.class(b"10001"), Some(2));
        assert_eq!(t.class(b"10002"), Some(3));
        assert_eq!(t.class(b"10010"), Some(1));
        // 109xx is not under the key `100`: the empty key's class.
        assert_eq!(t.class(b"10999"), Some(0));
        assert_eq!(t.class(b"20000"), Some(0));
        assert_eq!(t.class(b"99999"), Some(4));
        assert_eq!(t.class(b"10003"), None);
        assert_eq!(t.class(b"1000"), None);
        assert_eq!(t.class(b"1000a"), None);
        assert_eq!(t.len(), 6);
    }

    #[test]
    fn blocks_whose_present_zips_agree_fold_into_one_entry() {
        // Version 1's shape: every ZIP a key, no shorter key. The present 123xx are all class 5.
        let t = table(
            &["12300", "12345", "12399", "45600", "45601"],
            &[
                ("12300", 5),
                ("12345", 5),
                ("12399", 5),
                ("45600", 1),
                ("45601", 2),
            ],
        );
        assert_eq!(t.top[123], 5);
        assert!(t.top[456] & BLOCK != 0);
        assert_eq!(t.blocks.len(), 20, "one block for 456, one for 4560");
        assert_eq!(t.class(b"45600"), Some(1));
        assert_eq!(t.class(b"45601"), Some(2));
        assert_eq!(t.class(b"12345"), Some(5));
        assert_eq!(t.class(b"12346"), None);
    }

    #[test]
    fn keys_that_are_not_digit_prefixes_are_refused() {
        let mut b = Builder::new(None);
        assert!(!b.push(b"123456", 0));
        assert!(!b.push(b"12a", 0));
        assert!(!b.push(b"1", NONE));
        assert!(!b.mark_present(b"1234"));
    }
}
