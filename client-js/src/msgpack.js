/** Reads the MessagePack subset that FORMAT.md allows in artifacts (arrays, UTF-8 strings, non-negative integers up to u32), one typed value at a time. */

import { corruptUnless } from './corrupt.js';

const utf8 = new TextDecoder(undefined, { fatal: true }); // UTF-8, the default

/**
 * A reader over `bytes`: `[uint, str, arr, end]`. Each function reads the next value and throws
 * "corrupt artifact" if it is of another type (any outside the subset included), truncated, or not
 * valid UTF-8; except that a read wholly past the end may give a uint 0 (a missing byte reads as
 * NaN, which the checks below refuse, but a missing tag byte reads as a fixint): `end()` refuses
 * that, as it refuses every read past the end, and callers call it last.
 * @param {Uint8Array} bytes
 * @returns {[() => number, () => string, () => number, () => void]}
 */
export function reader(bytes) {
  let at = 0;
  // The big-endian unsigned integer of the next `size` bytes (NaN if any is missing).
  const bigEndian = (size) => {
    let value = 0;
    while (size--) value = value * 256 + bytes[at++];
    return value;
  };
  // The next value's header, which must be of `kind` (0 uint, 1 str, 2 array): the uint, or the length.
  // Per kind: a fix format (positive fixint 0xxxxxxx, fixstr 101xxxxx, fixarray 1001xxxx) holding the value,
  // or a big-endian one of 1, 2 or 4 bytes after tag T0 + x (uint 8/16/32 0xcc+, str 8/16/32 0xd9+, array 16/32 0xdc+).
  const head = (kind) => {
    const tag = bigEndian(1);
    const noByteForm = kind >> 1; // arrays have no 8-bit form
    const x = tag - [0xcc, 0xd9, 0xdc][kind];
    const value =
      tag >> [7, 5, 4][kind] === [0, 5, 9][kind] ? tag & [127, 31, 15][kind] : x >>> 0 < 3 - noByteForm ? bigEndian((1 + noByteForm) << x) : -1;
    // A string's bytes, or an array's elements (one byte at least each), must fit in what is left.
    corruptUnless(value >= 0 && (!kind || value <= bytes.length - at));
    return value;
  };
  return [
    /** uint(): a non-negative integer (positive fixint, uint 8, 16 or 32). */
    () => head(0),
    /** str(): a string (fixstr, str 8, 16 or 32). */
    () => {
      const length = head(1);
      return utf8.decode(bytes.subarray(at, (at += length)));
    },
    /** arr(): an array header (fixarray, array 16 or 32): its length. */
    () => head(2),
    /** end(): throws unless every byte was read. */
    () => corruptUnless(at === bytes.length),
  ];
}
