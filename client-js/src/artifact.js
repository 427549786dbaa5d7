/** Reads and checks a format-version-1 artifact file (`<brand>.<hash>.frt`, FORMAT.md "Version 1"): container, FST and rule tables, every index range-checked. Read by the ESM build (and bin/resolve.mjs) while version 1 is published; the snippet reads version 2 only. */

import { corruptUnless, versionUnless } from './corrupt.js';
import { crc32c } from './crc32c.js';
import { openFst, uintLE } from './fst.js';
import { readTables } from './tables.js';

/** The artifact format version parseArtifact reads (parseArtifactV2, load() and the snippet read version 2). */
export const FORMAT_VERSION = 1;

/**
 * @typedef {object} Artifact
 * @property {string} brand
 * @property {string} version the container's CRC-32C in lowercase hex (no leading zeros): identifies the file
 * @property {(q: import('./resolve.js').Query) => import('./resolve.js').Result} resolve SPEC steps 1-6 over this file
 *   (throws only if the file turns out damaged at that lookup; see parseArtifact)
 */

/**
 * Parses `bytes`, checking in FORMAT.md's order: length, magic, version (another one throws
 * FORMAT.md's message), flags, exact length, CRC; FST header and footer (its checksum is covered by the CRC); the tables'
 * types and every index. Throws an Error saying what is wrong. Two checks of the Rust reader wait
 * for the lookup that needs them, to keep the page's load under 1 ms: an FST value that is no
 * class, and a reached form with no default-language URL, make that lookup throw (`unavailable`
 * for the page), never answer.
 * @param {Uint8Array} bytes
 * @returns {Artifact}
 */
export function parseArtifact(bytes) {
  const size = bytes.length;
  corruptUnless(size > 19);
  const u32 = (at) => uintLE(bytes, at, 4);
  corruptUnless(u32(0) === 0x41545246); // "FRTA"
  versionUnless(uintLE(bytes, 4, 2), FORMAT_VERSION);
  corruptUnless(!uintLE(bytes, 6, 2));
  const tablesStart = u32(8) + 16;
  const tablesEnd = tablesStart + u32(12);
  corruptUnless(size === tablesEnd + 4);
  const crc = crc32c(bytes, 0, tablesEnd);
  corruptUnless(crc === u32(tablesEnd));
  const find = openFst(bytes.subarray(16, tablesStart), 1);
  return { ...readTables(bytes.subarray(tablesStart, tablesEnd), find), version: crc.toString(16) };
}
