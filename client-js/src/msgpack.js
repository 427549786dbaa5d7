/** Reads the MessagePack subset that FORMAT.md allows in artifacts (arrays, UTF-8 strings, non-negative integers up to u32), one typed value at a time. */

import { check } from './corrupt.js';

const utf8 = new TextDecoder(undefined, { fatal: true }) // UTF-8, the default;

/**
 * A reader over `d`: `[uint, str, arr, end]`. Each function reads the next value and throws
 * "corrupt artifact" if it is of another type (any outside the subset included), truncated, or not
 * valid UTF-8.
 * @param {Uint8Array} d
 * @returns {[() => number, () => string, () => number, () => void]}
 */
export function reader(d) {
  let p = 0;
  // The big-endian unsigned integer of the next `k` bytes.
  const be = (k) => {
    let v = 0;
    check(p + k <= d.length);
    while (k--) v = v * 256 + d[p++];
    return v;
  };
  // The next value's header, which must be of `kind` (0 uint, 1 str, 2 array): the uint, or the length.
  // Per kind: a fix format (positive fixint 0xxxxxxx, fixstr 101xxxxx, fixarray 1001xxxx) holding the value,
  // or a big-endian one of 1, 2 or 4 bytes after tag T0 + x (uint 8/16/32 0xcc+, str 8/16/32 0xd9+, array 16/32 0xdc+).
  const head = (kind) => {
    const t = be(1);
    const w = kind >> 1; // arrays have no 8-bit form
    const x = t - [0xcc, 0xd9, 0xdc][kind];
    const v = t >> [7, 5, 4][kind] === [0, 5, 9][kind] ? t & [127, 31, 15][kind] : x >>> 0 < 3 - w ? be((1 + w) << x) : -1;
    // A string's bytes, or an array's elements (one byte at least each), must fit in what is left.
    check(v >= 0 && (!kind || v <= d.length - p));
    return v;
  };
  return [
    /** uint(): a non-negative integer (positive fixint, uint 8, 16 or 32). */
    () => head(0),
    /** str(): a string (fixstr, str 8, 16 or 32). */
    () => {
      const n = head(1);
      return utf8.decode(d.subarray(p, (p += n)));
    },
    /** arr(): an array header (fixarray, array 16 or 32): its length. */
    () => head(2),
    /** end(): throws unless every byte was read. */
    () => check(p === d.length),
  ];
}
