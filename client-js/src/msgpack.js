/** Reads the MessagePack subset that FORMAT.md allows in artifacts (arrays, UTF-8 strings, non-negative integers up to u32), one typed value at a time. */

import { check } from './corrupt.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

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
  const head = (kind) => {
    const t = be(1);
    const [k, v] =
      t < 0x80 ? [0, t] // positive fixint
      : t >> 5 === 5 ? [1, t & 31] // fixstr
      : t >> 4 === 9 ? [2, t & 15] // fixarray
      : t > 0xcb && t < 0xcf ? [0, be(1 << (t - 0xcc))] // uint 8, 16, 32
      : t > 0xd8 && t < 0xdc ? [1, be(1 << (t - 0xd9))] // str 8, 16, 32
      : t > 0xdb && t < 0xde ? [2, be((t - 0xdb) * 2)] // array 16, 32
      : [];
    // A string's bytes, or an array's elements (one byte at least each), must fit in what is left.
    check(k === kind && (!k || v <= d.length - p));
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
