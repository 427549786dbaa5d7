/** Reads and checks a format-version-2 artifact (`<brand>.v2.frt`, FORMAT.md "Version 2"): container, ZIP presence bitmap, prefix FST and rule tables. */

import { readTables } from './artifact.js';
import { check } from './corrupt.js';
import { crc32c } from './crc32c.js';
import { openFst, uint as le } from './fst.js';

/** The artifact format version this reader reads. */
export const FORMAT_VERSION_2 = 2;

/** Bytes of the presence bitmap (one bit per five-digit ZIP) and where it starts. */
const P = 12500;
const AT = 20;

/**
 * Parses a version-2 file, checking in FORMAT.md's order: length, magic, version (another one
 * throws FORMAT.md's message, so a v1 file says what to do), flags, section lengths, exact length,
 * CRC; the FST's header, type 2, footer, checksum and final root; the tables' types and every index.
 * Throws an Error saying what is wrong. As in version 1, an FST value that is no class makes that
 * lookup throw (`unavailable` for the page): the Rust reader checks them all at load.
 * @param {Uint8Array} bytes
 * @returns {import('./artifact.js').Artifact}
 */
export function parseArtifactV2(bytes) {
  const size = bytes.length;
  check(size > 23);
  const u32 = (at) => le(bytes, at, 4);
  check(u32(0) === 0x41545246); // "FRTA"
  const version = le(bytes, 4, 2);
  if (version !== FORMAT_VERSION_2)
    throw Error(
      `artifact format version ${version} is not supported by this client (it reads version 2): update the formroute client, or rebuild the artifacts with a matching formroute builder`,
    );
  check(!le(bytes, 6, 2) && u32(8) === P);
  const f = AT + P + u32(12);
  const end = f + u32(16);
  check(size === end + 4);
  const crc = crc32c(bytes, 0, end);
  check(crc === u32(end));
  const fst = openFst(bytes.subarray(AT + P, f), undefined, 2);
  // The empty key: every ZIP has a longest matching prefix.
  check(fst.get('', 1) !== undefined);
  const t = readTables(bytes.subarray(f, end));
  return {
    brand: t.brand,
    version: crc.toString(16),
    // A ZIP absent from the bitmap is unknown; else its class is the value of its longest prefix key.
    // (`+zip` is its number: the resolver passes five ASCII digits.)
    resolve: t.resolver((zip, n = +zip) => ((bytes[AT + (n >> 3)] >> (n & 7)) & 1 ? fst.get(zip, 1) : undefined)),
  };
}
