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
  for (let i = size; i--; ) value = value * 256 + bytes[at + i];
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
 * digits, that is the value of the ZIP itself.
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
  // Walks from the root following each digit, adding transition outputs; at each final node notes
  // the sum plus its final output; returns the last one noted when the walk stops. Node layout
  // (node.rs), read downwards from the node's address (its state byte):
  // - 0b11cccccc "one transition, next": input (common index c); target just below, no output.
  // - 0b10cccccc "one transition": input as above, then a pack-size byte (address size << 4 | output size),
  //   the target's address delta (address-size bytes), the output (output-size bytes).
  // - 0b0Fnnnnnn "any transitions" (F: final; n transitions): pack sizes, n inputs, n deltas, n outputs,
  //   [final output], all in reverse order.
  // A delta 0 is the empty final node at address 0; else the target is the node's lowest byte minus the delta.
  // One-transition nodes are never final.
  return (zip) => {
    let node = root;
    let out = 0;
    let found, state, input, packAt, transitions, inputs, which, addrSize, outSize, outputsEnd, lowest, delta;
    for (let depth = 0; ; depth++) {
      if (!node) return out; // the empty final node, no output
      state = bytes[node];
      input = zip.charCodeAt(depth); // NaN past the end: matches no input
      packAt = node - 1;
      which = inputs = 0; // inputs: the input bytes below the pack sizes (any-transitions nodes only)
      transitions = 1;
      if (state > 127) {
        if (COMMON.charCodeAt((state & 63) - 1) !== input) return found;
        if (state > 191) {
          node = packAt;
          continue;
        }
      } else inputs = transitions = state & 63;
      addrSize = bytes[packAt] >> 4;
      outSize = bytes[packAt] & 15;
      outputsEnd = packAt - inputs - transitions * addrSize; // just above the outputs
      if (state < 128) {
        if (state & 64) found = out + uintLE(bytes, outputsEnd - transitions * outSize - outSize, outSize);
        // Inputs are stored last transition first: transition i's input is at packAt - 1 - i.
        while (which < transitions && bytes[packAt - 1 - which] !== input) which++;
        if (which === transitions) return found;
      }
      // Transition `which`: its output, and its target's address delta (the crate writes at least one
      // byte); the target is the lowest byte of this node minus the delta (one-transition nodes here,
      // 10cccccc, have bit 6 clear). One byte each, nearly always: the ESM build reads those directly
      // (a third fewer instructions per lookup); the snippet, which resolves once per submit, reads
      // every size alike.
      lowest = outputsEnd - transitions * outSize - (state & 64 ? outSize : 0);
      esm: if (outSize < 2 && addrSize < 2) {
        if (outSize) out += bytes[outputsEnd - which - 1];
        delta = bytes[packAt - inputs - which - 1];
        node = delta && lowest - delta;
        continue;
      }
      out += uintLE(bytes, outputsEnd - which * outSize - outSize, outSize);
      delta = uintLE(bytes, packAt - inputs - which * addrSize - addrSize, addrSize);
      node = delta && lowest - delta;
    }
  };
}
