/** Read-only lookup in an artifact's FST, written by the Rust `fst` crate 0.4.7 (on-disk version 3) with keys of at most five ASCII digits (FORMAT.md "FST section"): one walk for both formats, the value of the longest key that is a prefix of a ZIP. */

import { corruptUnless } from './corrupt.js';

// A one-transition node's 6-bit "common input" index i > 0 stands for byte COMMON_INPUTS_INV[i - 1]
// (fst's src/raw/common_inputs.rs: 'te/oasripcnw.hlm-du012g=:bf3y5&_4v9678k%?xCDASFIBEjPTzRNM+LOqHG').
// Every digit is among them, so the crate always writes a digit that way. This table keeps the ten
// digits at their places and blanks the rest: a blank (or, past the end, NaN) is correctly "not this
// digit", and blanks compress to nothing in the snippet.
const COMMON = '                   012     3 5  4 9678';

/** Little-endian unsigned integer of `size` bytes at `at` (bytes.rs `unpack_uint`); exact up to 2^53. */
export const uintLE = (bytes, at, size) => {
  let value = 0;
  while (size--) value = value * 256 + bytes[at + size];
  return value;
};

/**
 * Opens the FST in `bytes` after checking its header (fst format version 3, `type`: 1 in format 1,
 * "ZIP to route class"; 2 in format 2, "ZIP prefix to route class") and footer (the root address
 * matches the length). Throws "corrupt artifact" otherwise. The FST's own checksum is not checked
 * again: the artifact's CRC, checked first, covers the same bytes (FORMAT.md). The one FST whose root
 * has address 0 (only the empty key, value 0: 36 bytes) is valid in format 2 only (every ZIP in
 * class 0); format 1 holds ZIPs, so it refuses it.
 *
 * Returns `find(zip)`: the value of the longest key that is a prefix of `zip` (a string of digits;
 * the empty key included), undefined when there is none. In format 1, whose keys are all five
 * digits, that is the value of the ZIP itself. The walk is recursive, one call a digit: at most
 * six deep, and each target is below its node, so a damaged file ends it too. The ESM build keeps
 * the walk of each two-digit prefix (below).
 *
 * Keys of digits use only part of the crate's node encoding, and this reader reads only that part: a
 * node has at most 10 transitions (so its count is in its state byte and it has no 256-byte input
 * index, which the crate writes above 32), and a one-transition node's input is a common input. A
 * node of another kind, which an FST of other keys would have, ends the walk (no value from it);
 * the Rust reader refuses such a file at load.
 * @param {Uint8Array} bytes the FST's bytes, exactly
 * @param {number} type the fst type the format requires
 * @returns {(zip: string) => number | undefined}
 */
export function openFst(bytes, type) {
  const size = bytes.length;
  // u64 header fields: version 3, the type; footer: number of keys, root address, masked CRC-32C.
  // The root node is written last: its address (its last byte) sits 21 bytes before the end (mod.rs `Fst::new`).
  const root = uintLE(bytes, size - 12, 8);
  corruptUnless((root ? root + 21 : type > 1 && 36) === size && uintLE(bytes, 0, 8) === 3 && uintLE(bytes, 8, 8) === type);
  // One node, read downwards from its address (its state byte; node.rs):
  // - 0b11cccccc "one transition, next": input (common index c); target just below, no output.
  // - 0b10cccccc "one transition": input as above, then a pack-size byte (address size << 4 | output size),
  //   the target's address delta (address-size bytes), the output (output-size bytes).
  // - 0b0Fnnnnnn "any transitions" (F: final; n transitions): pack sizes, n inputs, n deltas, n outputs,
  //   [final output], all in reverse order.
  // A delta 0 is the empty final node at address 0; else the target is the node's lowest byte minus the delta.
  // One-transition nodes are never final.
  // A walk's sums: `out`, the transition outputs added so far; `found`, the value noted at the last
  // final node passed (undefined: none yet). `walk(zip, depth, node)` goes on from `node` with the
  // digit of `zip` at `depth` (NaN past its end: no input matches), noting `found` if the node is
  // final and adding the transition's output, and returns the value of the longest key that is a
  // prefix of `zip`. (In the ESM build it also leaves the last node reached and its depth in
  // `last` and `reached`.)
  let out, found, last, reached;
  const walk = (zip, depth, node) => {
    esm: (last = node), (reached = depth);
    if (!node) return out; // the empty final node, no output
    const state = bytes[node];
    const packAt = node - 1;
    const input = zip.charCodeAt(depth++);
    let which = 0; // the transition taken
    let inputs = 0; // the input bytes below the pack sizes (any-transitions nodes only)
    let transitions = 1;
    if (state > 127) {
      if (COMMON.charCodeAt((state & 63) - 1) != input) return found;
      if (state > 191) return walk(zip, depth, packAt);
    } else inputs = transitions = state & 63;
    const addrSize = bytes[packAt] >> 4;
    const outSize = bytes[packAt] & 15;
    const outputsEnd = packAt - inputs - transitions * addrSize; // just above the outputs
    // The transition's output, the final output and the target's address delta (the crate writes
    // at least one byte) are one byte each, nearly always: the ESM build reads those directly (a
    // third fewer instructions per lookup); the snippet, which resolves once per submit, reads every
    // size alike.
    let one = 0;
    esm: one = outSize < 2 && addrSize < 2;
    if (state < 128) {
      if (state & 64) found = out + (one ? outSize && bytes[outputsEnd - transitions - 1] : uintLE(bytes, outputsEnd - transitions * outSize - outSize, outSize));
      // Inputs are stored last transition first: transition i's input is at packAt - 1 - i.
      while (which < transitions && bytes[packAt - 1 - which] != input) which++;
      if (which == transitions) return found;
    }
    // The target is the lowest byte of this node minus the delta (one-transition nodes here,
    // 10cccccc, have bit 6 clear).
    const lowest = outputsEnd - transitions * outSize - (state & 64 && outSize);
    out += one ? outSize && bytes[outputsEnd - which - 1] : uintLE(bytes, outputsEnd - which * outSize - outSize, outSize);
    const delta = one ? bytes[packAt - inputs - which - 1] : uintLE(bytes, packAt - inputs - which * addrSize - addrSize, addrSize);
    return walk(zip, depth, delta && lowest - delta);
  };
  let find = (zip) => ((found = undefined), walk(zip, (out = 0), root));
  // The ESM build keeps the walk of each two-digit prefix, walked the first time a ZIP starts with
  // it (at most 100; 1.2 KB): a lookup starts at the third digit, where about one node is left (a
  // route class's prefix has three digits mostly), and takes a third of the time. The snippet, one
  // lookup per submit, walks from the root.
  esm: {
    // Per prefix, three numbers: -2 when not walked yet; [-1, -, value] when the walk ends within
    // the two digits (every ZIP with them has that value), else [node, out, found] at the third
    // digit; a value or found of -1 is none (undefined). (At the third digit the walk of the two
    // digits alone has noted that node's final output, which a ZIP's walk notes there again.) A
    // walk whose numbers do not fit in 31 bits, which only a damaged file has, is not kept.
    const at = new Int32Array(300).fill(-2);
    const fromRoot = find;
    find = (zip) => {
      const first = zip.charCodeAt(0) - 48;
      const second = zip.charCodeAt(1) - 48;
      // (Not two digits, the empty key at open say: the walk from the root.)
      if (!(first >= 0 && first < 10 && second >= 0 && second < 10)) return fromRoot(zip);
      const i = (first * 10 + second) * 3;
      if (at[i] == -2) {
        const value = fromRoot(zip.slice(0, 2));
        const walked = reached === 2;
        const kept = [walked ? last : -1, out, (walked ? found : value) ?? -1];
        if (!kept.every((n) => n === (n | 0))) return fromRoot(zip);
        at.set(kept, i);
      }
      found = at[i + 2] < 0 ? undefined : at[i + 2];
      if (at[i] < 0) return found;
      out = at[i + 1];
      return walk(zip, 2, at[i]);
    };
  }
  return find;
}
