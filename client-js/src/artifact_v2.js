/** Reads and checks a format-version-2 artifact (`<brand>.<hash>.v2.frt`, FORMAT.md "Version 2"): container, ZIP presence bitmap, prefix FST and rule tables. The reader of load() and the snippet. */

import { corruptUnless, versionUnless } from './corrupt.js';
import { crc32c } from './crc32c.js';
import { openFst, uintLE } from './fst.js';
import { readTables } from './tables.js';

/** The artifact format version this reader reads. */
export const FORMAT_VERSION_2 = 2;

/** Bytes of the presence bitmap (one bit per five-digit ZIP), and where it starts. */
const PRESENCE = 12500;
const AT = 20;

/**
 * Parses a version-2 file, checking in FORMAT.md's order: length (a byte past the end reads as
 * undefined, which fails the checks that read it), magic, version (another one
 * throws FORMAT.md's message, so a version-1 file says what to do), flags, exact length, CRC,
 * bitmap size; the FST's header, type 2, footer and final root (its checksum is covered by the CRC); the tables' types and
 * every index. Throws an Error saying what is wrong. As in version 1, an FST value that is no class
 * makes that lookup throw (`unavailable` for the page): the Rust reader checks them all at load.
 * @param {Uint8Array} bytes
 * @returns {import('./artifact.js').Artifact}
 */
export function parseArtifactV2(bytes) {
  const size = bytes.length;
  const u32 = (at) => uintLE(bytes, at, 4);
  corruptUnless(u32(0) === 0x41545246); // "FRTA"
  versionUnless(uintLE(bytes, 4, 2), FORMAT_VERSION_2);
  corruptUnless(!uintLE(bytes, 6, 2));
  const fstAt = AT + u32(8);
  const tablesAt = fstAt + u32(12);
  const end = tablesAt + u32(16);
  corruptUnless(size === end + 4);
  const crc = crc32c(bytes, 0, end);
  corruptUnless(crc === u32(end) && fstAt === AT + PRESENCE);
  const find = openFst(bytes.subarray(fstAt, tablesAt), 2);
  // The empty key: every ZIP has a longest matching prefix.
  corruptUnless(find('') >= 0);
  // A ZIP absent from the bitmap is unknown; else its class is the value of its longest prefix key
  // (`+zip` is its number: the resolver passes five ASCII digits).
  const classOf = (zip, n = +zip) => ((bytes[AT + (n >> 3)] >> (n & 7)) & 1 ? find(zip) : undefined);
  return { ...readTables(bytes.subarray(tablesAt, end), classOf), version: crc.toString(16) };
}
