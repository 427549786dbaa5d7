/** Read-only lookup (`get`) in an FST written by the Rust `fst` crate 0.4.7 (on-disk version 3), from its src/raw/{mod,node,bytes}.rs. */

import { check } from './corrupt.js';
import { crc32c, mask } from './crc32c.js';

// A node's 6-bit "common input" index i > 0 stands for byte COMMON_INPUTS_INV[i - 1] (fst's src/raw/common_inputs.rs):
// 'te/oasripcnw.hlm-du012g=:bf3y5&_4v9678k%?xCDASFIBEjPTzRNM+LOqHG' (pass that as `common` to openFst for any key).
// formroute looks up 5-digit keys only, so the default keeps the ten digits at their places and blanks the rest:
// a blank (or, past the end, NaN) is correctly "not this digit", and blanks compress to nothing in the snippet.
export const COMMON = '                   012     3 5  4 9678';

/** Little-endian unsigned integer of `n` bytes at `p` (bytes.rs `unpack_uint`); exact up to 2^53. */
export const uint = (d, p, n) => {
  let v = 0;
  for (let i = n; i--; ) v = v * 256 + d[p + i];
  return v;
};

/**
 * Opens the FST in `d` after checking it as FORMAT.md says: fst format version 3, type 1,
 * footer (root address), masked CRC-32C. Throws "corrupt artifact" otherwise. The one FST
 * whose root has address 0 (only the empty key, value 0: 36 bytes) is refused too: artifacts hold ZIPs.
 * @param {Uint8Array} d the FST's bytes, exactly
 * @param {string} [common] the common-input table (see COMMON)
 * @returns {{ get(key: string): number | undefined }}
 */
export function openFst(d, common = COMMON) {
  const n = d.length;
  // u64 header fields: version 3, the type; footer: number of keys, root address, masked CRC-32C.
  // The root node is written last: its address (its last byte) sits 21 bytes before the end (mod.rs `Fst::new`).
  const root = n > 35 && uint(d, n - 12, 8);
  check(root + 21 === n && uint(d, 0, 8) === 3 && uint(d, 8, 8) === 1 && mask(crc32c(d, 0, n - 4)) === uint(d, n - 4, 4));
  return {
    /**
     * The value of `key` (a string of ASCII digits, each taken as one byte), or undefined if absent.
     * Walks from the root following each key byte, adding transition outputs, then the final output.
     */
    get(key) {
      // Node layout (node.rs), read downwards from the node's address `a` (its state byte):
      // - 0b11cccccc "one transition, next": input (common index c, or the byte below); target just below, no output.
      // - 0b10cccccc "one transition": input as above, then a pack-size byte (address size ts << 4 | output size os),
      //   the target's address delta (ts bytes), the output (os bytes).
      // - 0b0Fnnnnnn "any transitions" (F: final; n = 0: the count is the byte below, 1 meaning 256): pack sizes,
      //   [a 256-byte input index when more than 32], n inputs, n deltas, n outputs, [final output], all in reverse order.
      // A delta 0 is the empty final node at address 0; else the target is the node's lowest byte minus the delta.
      let a = root;
      let out = 0;
      let s, b, q, ntr, ni, i, j, sz, ts, os, top;
      for (let k = 0; ; k++) {
        if (!a) return k < key.length ? undefined : out;
        s = d[a];
        b = key.charCodeAt(k); // NaN past the end: matches no input
        q = a - 1; // the pack-size byte, one lower when an explicit input or count byte sits between it and the state
        ni = i = 0; // ni: input and index bytes below the pack sizes
        ntr = 1;
        if (s > 127) {
          j = s & 63;
          if ((j ? common.charCodeAt(j - 1) : d[q--]) !== b) return; // one-transition nodes are never final
          if (s > 191) {
            a = q;
            continue;
          }
        } else {
          ntr = s & 63 || (d[q--] === 1 ? 256 : d[q + 1]);
          ni = ntr + (ntr > 32 ? 256 : 0);
        }
        sz = d[q];
        ts = sz >> 4;
        os = sz & 15;
        top = q - ni - ntr * ts; // just above the outputs
        if (s < 128) {
          if (k === key.length) return s & 64 ? out + uint(d, top - ntr * os - os, os) : undefined;
          if (ni > ntr) {
            i = d[q - 256 + b];
            if (!(i < ntr)) return;
          } else {
            // Inputs are stored last transition first: transition i's input is at q - 1 - i.
            for (i = 0; i < ntr && d[q - 1 - i] !== b; i++);
            if (i === ntr) return;
          }
        }
        // (One-byte outputs and deltas, nearly all, read directly: a third fewer instructions per lookup.)
        if (os) out += os < 2 ? d[top - i - 1] : uint(d, top - i * os - os, os);
        j = ts < 2 ? d[q - ni - i - 1] : uint(d, q - ni - i * ts - ts, ts);
        a = j && top - ntr * os - (s & 64 ? os : 0) - j; // (one-transition nodes here, 10cccccc, have bit 6 clear)
      }
    },
  };
}
