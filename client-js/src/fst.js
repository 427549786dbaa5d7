/** Read-only lookup in an FST written by the Rust `fst` crate 0.4.7 (on-disk version 3), from its src/raw/{mod,node,bytes}.rs: one walk for both artifact formats (a key's value in version 1, the longest prefix key's in version 2). */

import { corruptUnless } from './corrupt.js';
import { crc32c, mask } from './crc32c.js';

// A node's 6-bit "common input" index i > 0 stands for byte COMMON_INPUTS_INV[i - 1] (fst's src/raw/common_inputs.rs):
// 'te/oasripcnw.hlm-du012g=:bf3y5&_4v9678k%?xCDASFIBEjPTzRNM+LOqHG' (pass that as `common` to openFst for any key).
// formroute looks up digit keys only, so the default keeps the ten digits at their places and blanks the rest:
// a blank (or, past the end, NaN) is correctly "not this digit", and blanks compress to nothing in the snippet.
export const COMMON = '                   012     3 5  4 9678';

/** Little-endian unsigned integer of `size` bytes at `at` (bytes.rs `unpack_uint`); exact up to 2^53. */
export const uintLE = (bytes, at, size) => {
  let value = 0;
  for (let i = size; i--; ) value = value * 256 + bytes[at + i];
  return value;
};

/**
 * Opens the FST in `bytes` after checking it as FORMAT.md says: fst format version 3, `type` (1 in
 * format 1, "ZIP to route class"; 2 in format 2, "ZIP prefix to route class"), footer (root
 * address), masked CRC-32C. Throws "corrupt artifact" otherwise. The one FST whose root has address
 * 0 (only the empty key, value 0: 36 bytes) is valid in format 2 only (every ZIP in class 0);
 * format 1 holds ZIPs, so it refuses it.
 *
 * Returns `find(key, prefixes)`: the value of `key` (a string, each character taken as one byte),
 * or with `prefixes` the value of the longest key that is a prefix of `key` (the empty key
 * included); undefined when there is none.
 * @param {Uint8Array} bytes the FST's bytes, exactly
 * @param {number} [type] the fst type the format requires (default 1)
 * @param {string} [common] the common-input table (see COMMON)
 * @returns {(key: string, prefixes?: boolean) => number | undefined}
 */
export function openFst(bytes, type = 1, common = COMMON) {
  const size = bytes.length;
  // u64 header fields: version 3, the type; footer: number of keys, root address, masked CRC-32C.
  // The root node is written last: its address (its last byte) sits 21 bytes before the end (mod.rs `Fst::new`).
  const root = size > 35 && uintLE(bytes, size - 12, 8);
  corruptUnless(
    (root ? root + 21 : type > 1 && 36) === size &&
      uintLE(bytes, 0, 8) === 3 &&
      uintLE(bytes, 8, 8) === type &&
      mask(crc32c(bytes, 0, size - 4)) === uintLE(bytes, size - 4, 4),
  );
  // Walks from the root following each key byte, adding transition outputs; at each final node
  // that counts (any, with `prefixes`; else only at the key's end) notes the sum plus its final
  // output; returns the last one noted when the walk stops. Node layout (node.rs), read downwards
  // from the node's address (its state byte):
  // - 0b11cccccc "one transition, next": input (common index c, or the byte below); target just below, no output.
  // - 0b10cccccc "one transition": input as above, then a pack-size byte (address size << 4 | output size),
  //   the target's address delta (address-size bytes), the output (output-size bytes).
  // - 0b0Fnnnnnn "any transitions" (F: final; n = 0: the count is the byte below, 1 meaning 256): pack sizes,
  //   [a 256-byte input index when more than 32], n inputs, n deltas, n outputs, [final output], all in reverse order.
  // A delta 0 is the empty final node at address 0; else the target is the node's lowest byte minus the delta.
  // One-transition nodes are never final.
  return (key, prefixes) => {
    let node = root;
    let out = 0;
    let found, counts, state, input, packAt, transitions, indexBytes, which, commonIndex, delta, addrSize, outSize, outputsEnd;
    for (let depth = 0; ; depth++) {
      counts = prefixes || depth === key.length; // a key ending here is an answer
      if (!node) return counts ? out : found; // the empty final node, no output
      state = bytes[node];
      input = key.charCodeAt(depth); // NaN past the end: matches no input
      packAt = node - 1; // the pack-size byte, one lower when an explicit input or count byte sits between it and the state
      indexBytes = which = 0; // indexBytes: input and index bytes below the pack sizes
      transitions = 1;
      if (state > 127) {
        commonIndex = state & 63;
        if ((commonIndex ? common.charCodeAt(commonIndex - 1) : bytes[packAt--]) !== input) return found;
        if (state > 191) {
          node = packAt;
          continue;
        }
      } else {
        transitions = state & 63 || (bytes[packAt--] === 1 ? 256 : bytes[packAt + 1]);
        indexBytes = transitions + (transitions > 32 ? 256 : 0);
      }
      addrSize = bytes[packAt] >> 4;
      outSize = bytes[packAt] & 15;
      outputsEnd = packAt - indexBytes - transitions * addrSize; // just above the outputs
      if (state < 128) {
        if (state & 64 && counts) found = out + uintLE(bytes, outputsEnd - transitions * outSize - outSize, outSize);
        if (indexBytes > transitions) {
          which = bytes[packAt - 256 + input];
          if (!(which < transitions)) return found;
        } else {
          // Inputs are stored last transition first: transition i's input is at packAt - 1 - i.
          for (which = 0; which < transitions && bytes[packAt - 1 - which] !== input; which++);
          if (which === transitions) return found;
        }
      }
      // (One-byte outputs and deltas, nearly all, read directly: a third fewer instructions per lookup.)
      if (outSize) out += outSize < 2 ? bytes[outputsEnd - which - 1] : uintLE(bytes, outputsEnd - which * outSize - outSize, outSize);
      delta = addrSize < 2 ? bytes[packAt - indexBytes - which - 1] : uintLE(bytes, packAt - indexBytes - which * addrSize - addrSize, addrSize);
      node = delta && outputsEnd - transitions * outSize - (state & 64 ? outSize : 0) - delta; // (one-transition nodes here, 10cccccc, have bit 6 clear)
    }
  };
}
