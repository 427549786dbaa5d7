//! The FST writer of the compiler: the same bytes as the pinned `fst` crate's `raw::Builder` (0.4, file version 3), without its allocations per node.
//!
//! Version 1's FST holds every ZIP (about 43,000 keys per brand, 8.6 million for 200 brands), and
//! `fst::raw::Builder` spent about 750 instructions per key, most of them allocating and freeing
//! one transition vector per node and copying the previous key byte by byte. This is the same
//! algorithm (Daciuk's incremental construction with `fst`'s bounded registry of 10,000 rows of 2
//! cells, its FNV-1a hash, its node encodings and its masked CRC-32C) with the unfinished nodes and
//! registry cells reused, so the output is byte for byte what `fst` writes: the tests compare the
//! two on random key sets. Reading stays with the `fst` crate (FORMAT.md pins it).

use crate::crc32c::crc32c;

/// The `fst` file format version written in the header.
const FST_VERSION: u64 = 3;
/// The address of the final state with no transitions and no output (never written).
const EMPTY_ADDRESS: usize = 0;
/// "No address": an empty registry cell, or a transition not yet compiled.
const NONE_ADDRESS: usize = 1;
/// Rows of `fst`'s registry (`Registry::new(10_000, 2)` in `raw::Builder::new_type`).
const REGISTRY_ROWS: usize = 10_000;
/// Nodes with more transitions than this get a 256-byte index (`TRANS_INDEX_THRESHOLD`).
const TRANS_INDEX_THRESHOLD: usize = 32;

/// `fst`'s `common_idx(input, 0b111111)`: the 6-bit code of a frequent input byte that fits in the
/// state byte (0: none), from its `COMMON_INPUTS` table.
const COMMON_IDX: [u8; 256] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    0, 0, 0, 0, 0, 40, 31, 0, 0, 0, 0, 58, 0, 17, 13, 3, //
    20, 21, 22, 28, 33, 30, 36, 37, 38, 35, 25, 0, 0, 24, 0, 41, //
    0, 45, 49, 43, 44, 50, 47, 63, 62, 48, 0, 0, 59, 57, 56, 60, //
    52, 0, 55, 46, 53, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, //
    0, 5, 26, 10, 18, 2, 27, 23, 14, 8, 51, 39, 15, 16, 11, 4, //
    9, 61, 7, 6, 1, 19, 34, 12, 42, 29, 54, 0, 0, 0, 0, 0, //
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
];

/// A compiled transition: input byte, output, target address.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Trans {
    inp: u8,
    out: u64,
    addr: usize,
}

/// A node as `fst`'s registry compares and hashes it.
#[derive(Default, PartialEq, Eq)]
struct Node {
    is_final: bool,
    final_output: u64,
    trans: Vec<Trans>,
}

impl Clone for Node {
    fn clone(&self) -> Node {
        Node {
            is_final: self.is_final,
            final_output: self.final_output,
            trans: self.trans.clone(),
        }
    }

    /// Reuses the transition vector (a registry cell is overwritten once per compiled node).
    fn clone_from(&mut self, source: &Node) {
        self.is_final = source.is_final;
        self.final_output = source.final_output;
        self.trans.clone_from(&source.trans);
    }
}

/// A node on the path of the last key, with its not yet compiled last transition.
#[derive(Default)]
struct Unfinished {
    node: Node,
    last: Option<(u8, u64)>,
}

impl Unfinished {
    /// Resets a reused slot to an empty node (keeping its transition vector's allocation).
    fn reset(&mut self, is_final: bool, last: Option<(u8, u64)>) {
        self.node.is_final = is_final;
        self.node.final_output = 0;
        self.node.trans.clear();
        self.last = last;
    }

    /// The last transition now points at `addr` (its target was compiled there).
    fn last_compiled(&mut self, addr: usize) {
        if let Some((inp, out)) = self.last.take() {
            self.node.trans.push(Trans { inp, out, addr });
        }
    }

    fn add_output_prefix(&mut self, prefix: u64) {
        if self.node.is_final {
            self.node.final_output += prefix;
        }
        for t in &mut self.node.trans {
            t.out += prefix;
        }
        if let Some((_, out)) = &mut self.last {
            *out += prefix;
        }
    }
}

/// One registry cell: a compiled node and its address (`NONE_ADDRESS`: empty).
#[derive(Clone)]
struct Cell {
    addr: usize,
    node: Node,
}

/// Error of [`FstWriter::insert`]: keys must be inserted in strictly ascending order.
fn order_error(previous: &[u8], got: &[u8]) -> fst::Error {
    fst::Error::Fst(if previous == got {
        fst::raw::Error::DuplicateKey { got: got.to_vec() }
    } else {
        fst::raw::Error::OutOfOrder {
            previous: previous.to_vec(),
            got: got.to_vec(),
        }
    })
}

/// Writes an FST map from keys inserted in ascending order; [`FstWriter::finish`] gives the bytes.
pub(crate) struct FstWriter {
    out: Vec<u8>,
    /// The unfinished nodes; `stack[..depth]` are live, the rest are kept for their allocations.
    stack: Vec<Unfinished>,
    depth: usize,
    /// `REGISTRY_ROWS` rows of two cells, most recently used first.
    cells: Vec<Cell>,
    /// Whether a key was inserted (the empty key leaves no pending transition).
    has_key: bool,
    last_addr: usize,
    len: u64,
}

impl FstWriter {
    /// A writer of an FST of type `ty`, its bytes going into a vector of `capacity`.
    pub(crate) fn new(ty: u64, capacity: usize) -> FstWriter {
        let mut out = Vec::with_capacity(capacity.max(32));
        out.extend_from_slice(&FST_VERSION.to_le_bytes());
        out.extend_from_slice(&ty.to_le_bytes());
        let mut w = FstWriter {
            out,
            stack: Vec::with_capacity(8),
            depth: 0,
            cells: take_cells(),
            has_key: false,
            last_addr: NONE_ADDRESS,
            len: 0,
        };
        w.push(false, None);
        w
    }

    fn push(&mut self, is_final: bool, last: Option<(u8, u64)>) {
        if self.depth == self.stack.len() {
            self.stack.push(Unfinished::default());
        }
        self.stack[self.depth].reset(is_final, last);
        self.depth += 1;
    }

    /// Adds `key` with `value`; `key` must be greater than every key before it.
    pub(crate) fn insert(&mut self, key: &[u8], value: u64) -> Result<(), fst::Error> {
        // The last key is spelled by the pending transitions of the unfinished nodes, so the
        // order check needs no copy of it.
        let last_len = self.depth - 1;
        let pending = |w: &FstWriter, j: usize| w.stack[j].last.map_or(0, |(inp, _)| inp);
        let mut i = 0;
        while i < key.len() && i < last_len && pending(self, i) == key[i] {
            i += 1;
        }
        let greater = if i < key.len() && i < last_len {
            key[i] > pending(self, i)
        } else {
            i == last_len && (key.len() > last_len || !self.has_key)
        };
        if !greater {
            let previous: Vec<u8> = (0..last_len).map(|j| pending(self, j)).collect();
            return Err(order_error(&previous, key));
        }
        self.has_key = true;
        if key.is_empty() {
            // Only ever the first key.
            self.len = 1;
            self.stack[0].node.is_final = true;
            self.stack[0].node.final_output = value;
            return Ok(());
        }
        // The common prefix with the last key; its outputs become the common part of both.
        let mut out = value;
        let mut i = 0;
        while i < key.len() {
            let add_prefix = match &mut self.stack[i].last {
                Some((inp, t_out)) if *inp == key[i] => {
                    i += 1;
                    let common = (*t_out).min(out);
                    let add = *t_out - common;
                    out -= common;
                    *t_out = common;
                    add
                }
                _ => break,
            };
            if add_prefix != 0 {
                self.stack[i].add_output_prefix(add_prefix);
            }
        }
        if i == key.len() {
            // Keys are unique (checked above), so a key never ends inside the last key's path.
            return Ok(());
        }
        self.len += 1;
        self.compile_from(i);
        let top = self.depth - 1;
        self.stack[top].last = Some((key[i], out));
        for &b in &key[i + 1..] {
            self.push(false, Some((b, 0)));
        }
        self.push(true, None);
        Ok(())
    }

    /// Compiles the unfinished nodes below `istate` (they are off the new key's path).
    fn compile_from(&mut self, istate: usize) {
        let mut addr = NONE_ADDRESS;
        while istate + 1 < self.depth {
            self.depth -= 1;
            let d = self.depth;
            if addr != NONE_ADDRESS {
                self.stack[d].last_compiled(addr);
            }
            addr = self.compile(d);
        }
        let top = self.depth - 1;
        self.stack[top].last_compiled(addr);
    }

    /// Compiles `stack[d].node` (or finds it in the registry) and returns its address.
    fn compile(&mut self, d: usize) -> usize {
        let node = &self.stack[d].node;
        if node.is_final && node.trans.is_empty() && node.final_output == 0 {
            return EMPTY_ADDRESS;
        }
        let row = 2 * registry_row(node);
        let cells = &mut self.cells[row..row + 2];
        if cells[0].addr != NONE_ADDRESS && cells[0].node == *node {
            return cells[0].addr;
        }
        if cells[1].addr != NONE_ADDRESS && cells[1].node == *node {
            cells.swap(0, 1);
            return cells[0].addr;
        }
        // Not found: the least recently used cell takes the node.
        cells[1].node.clone_from(node);
        cells.swap(0, 1);
        let start = self.out.len();
        write_node(&mut self.out, node, self.last_addr, start);
        self.last_addr = self.out.len() - 1;
        cells[0].addr = self.last_addr;
        self.last_addr
    }

    /// Compiles the rest and writes the trailer: key count, root address, masked CRC-32C.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.compile_from(0);
        let root = self.compile(0);
        self.out.extend_from_slice(&self.len.to_le_bytes());
        self.out.extend_from_slice(&(root as u64).to_le_bytes());
        let sum = crc32c(&self.out);
        let masked = (sum.rotate_right(15)).wrapping_add(0xA282_EAD8);
        self.out.extend_from_slice(&masked.to_le_bytes());
        let cells = std::mem::take(&mut self.cells);
        SPARE_CELLS.with(|spare| *spare.borrow_mut() = cells);
        self.out
    }
}

thread_local! {
    /// The registry of the last writer finished on this thread, kept for its allocations (a brand
    /// builds two FSTs, and the cells' transition vectors are allocated once per thread).
    static SPARE_CELLS: std::cell::RefCell<Vec<Cell>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An empty registry: the spare one emptied (addresses only; a cell is compared only when it
/// holds an address), or a new one.
fn take_cells() -> Vec<Cell> {
    let mut cells = SPARE_CELLS.with(|spare| std::mem::take(&mut *spare.borrow_mut()));
    if cells.len() == 2 * REGISTRY_ROWS {
        for c in &mut cells {
            c.addr = NONE_ADDRESS;
        }
    } else {
        cells = vec![
            Cell {
                addr: NONE_ADDRESS,
                node: Node::default(),
            };
            2 * REGISTRY_ROWS
        ];
    }
    cells
}

/// `fst`'s registry hash: FNV-1a over the node's fields, modulo the number of rows.
fn registry_row(node: &Node) -> usize {
    const PRIME: u64 = 1_099_511_628_211;
    let mut h: u64 = 14_695_981_039_346_656_037;
    h = (h ^ u64::from(node.is_final)).wrapping_mul(PRIME);
    h = (h ^ node.final_output).wrapping_mul(PRIME);
    for t in &node.trans {
        h = (h ^ u64::from(t.inp)).wrapping_mul(PRIME);
        h = (h ^ t.out).wrapping_mul(PRIME);
        h = (h ^ t.addr as u64).wrapping_mul(PRIME);
    }
    (h as usize) % REGISTRY_ROWS
}

/// Bytes needed for `n` (at least 1).
fn pack_size(n: u64) -> u8 {
    (8 - (n.leading_zeros() / 8) as u8).max(1)
}

/// `n` as `size` little-endian bytes.
fn pack(out: &mut Vec<u8>, n: u64, size: u8) {
    out.extend_from_slice(&n.to_le_bytes()[..usize::from(size)]);
}

/// A transition's target as a delta back from the node's start (`EMPTY_ADDRESS` stays 0).
fn delta(node_addr: usize, target: usize) -> u64 {
    if target == EMPTY_ADDRESS {
        EMPTY_ADDRESS as u64
    } else {
        (node_addr - target) as u64
    }
}

/// Writes `node` starting at `addr` (`fst::raw::Node::compile`); `last_addr` is the last byte of
/// the node written before it, which a one-transition node can point at implicitly.
fn write_node(out: &mut Vec<u8>, node: &Node, last_addr: usize, addr: usize) {
    if node.trans.len() == 1 && !node.is_final {
        let t = node.trans[0];
        let common = COMMON_IDX[usize::from(t.inp)];
        if t.addr == last_addr && t.out == 0 {
            // One transition to the node just before: the state byte alone.
            if common == 0 {
                out.push(t.inp);
            }
            out.push(0b11_000000 | common);
            return;
        }
        let osize = if t.out == 0 { 0 } else { pack_size(t.out) };
        if osize > 0 {
            pack(out, t.out, osize);
        }
        let d = delta(addr, t.addr);
        let tsize = pack_size(d);
        pack(out, d, tsize);
        out.push((tsize << 4) | osize);
        if common == 0 {
            out.push(t.inp);
        }
        out.push(0b10_000000 | common);
        return;
    }
    let n = node.trans.len();
    let mut tsize = 0;
    let mut osize = pack_size(node.final_output);
    let mut any_outs = node.final_output != 0;
    for t in &node.trans {
        tsize = tsize.max(pack_size(delta(addr, t.addr)));
        osize = osize.max(pack_size(t.out));
        any_outs |= t.out != 0;
    }
    if any_outs {
        if node.is_final {
            pack(out, node.final_output, osize);
        }
        for t in node.trans.iter().rev() {
            pack(out, t.out, osize);
        }
    }
    for t in node.trans.iter().rev() {
        pack(out, delta(addr, t.addr), tsize);
    }
    out.extend(node.trans.iter().rev().map(|t| t.inp));
    if n > TRANS_INDEX_THRESHOLD {
        let mut index = [255u8; 256];
        for (i, t) in node.trans.iter().enumerate() {
            index[usize::from(t.inp)] = i as u8;
        }
        out.extend_from_slice(&index);
    }
    out.push((tsize << 4) | if any_outs { osize } else { 0 });
    let mut state = if node.is_final { 0b01_000000 } else { 0 };
    if (1..=0b111111).contains(&n) {
        state |= n as u8;
    } else {
        // 0, or too many for the state byte: a count byte (256 is written as 1, never a count here).
        out.push(if n == 256 { 1 } else { n as u8 });
    }
    out.push(state);
}

#[cfg(test)]
mod tests {
    use super::FstWriter;
    use proptest::prelude::*;

    /// What the `fst` crate writes for the same sorted map.
    fn by_fst(ty: u64, map: &[(Vec<u8>, u64)]) -> Vec<u8> {
        let mut b = fst::raw::Builder::new_type(Vec::new(), ty).unwrap();
        for (k, v) in map {
            b.insert(k, *v).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn by_writer(ty: u64, map: &[(Vec<u8>, u64)]) -> Vec<u8> {
        let mut w = FstWriter::new(ty, 0);
        for (k, v) in map {
            w.insert(k, *v).unwrap();
        }
        w.finish()
    }

    #[test]
    fn empty_and_root_only_maps_match_fst() {
        assert_eq!(by_writer(1, &[]), by_fst(1, &[]));
        assert_eq!(by_writer(2, &[(vec![], 7)]), by_fst(2, &[(vec![], 7)]));
        assert_eq!(by_writer(2, &[(vec![], 0)]), by_fst(2, &[(vec![], 0)]));
    }

    #[test]
    fn every_zip_with_few_classes_matches_fst() {
        // The shape of version 1: many five-digit keys, small values in runs.
        let map: Vec<(Vec<u8>, u64)> = (0..100_000u64)
            .filter(|n| n % 7 != 3 && n % 11 != 5)
            .map(|n| (format!("{n:05}").into_bytes(), (n / 900 + n % 13 / 12) % 40))
            .collect();
        assert_eq!(by_writer(1, &map), by_fst(1, &map));
    }

    #[test]
    fn wide_nodes_with_an_index_match_fst() {
        // 256 and 40 transitions from one node (the index and the count byte), large outputs.
        let mut map: Vec<(Vec<u8>, u64)> =
            (0..=255u8).map(|b| (vec![b], u64::from(b) << 40)).collect();
        map.extend((0..40u8).map(|b| (vec![255, b, 1], u64::MAX - u64::from(b))));
        map.sort();
        assert_eq!(by_writer(0, &map), by_fst(0, &map));
    }

    #[test]
    fn keys_out_of_order_or_repeated_are_refused() {
        let mut w = FstWriter::new(1, 0);
        w.insert(b"10000", 1).unwrap();
        assert!(w.insert(b"10000", 1).is_err());
        assert!(w.insert(b"09999", 1).is_err());
        assert!(w.insert(b"1000", 1).is_err());
        assert!(w.insert(b"", 1).is_err());
        w.insert(b"100000", 2).unwrap();
        w.insert(b"10001", 2).unwrap();
        let mut w = FstWriter::new(1, 0);
        w.insert(b"", 1).unwrap();
        assert!(w.insert(b"", 1).is_err());
        w.insert(b"0", 1).unwrap();
    }

    proptest! {
        #[test]
        fn random_maps_match_fst(
            keys in proptest::collection::btree_map(
                proptest::collection::vec(prop_oneof![Just(b'0'), Just(b'1'), Just(b'7'), any::<u8>()], 0..7),
                prop_oneof![Just(0u64), 0..5u64, any::<u64>()],
                0..300,
            ),
        ) {
            let map: Vec<(Vec<u8>, u64)> = keys.into_iter().collect();
            prop_assert_eq!(by_writer(1, &map), by_fst(1, &map));
        }
    }
}
