/** Reads and checks a format-version-2 artifact (`<brand>.<hash>.v2.frt`, FORMAT.md "Version 2"): container, ZIP presence bitmap, prefix FST and rule tables. */

import { crc32c, mask } from './crc32c.js';
import { reader } from './msgpack.js';
import { resolver } from './resolve.js';

/** The artifact format version this reader reads. */
export const FORMAT_VERSION_2 = 2;

/** Bytes of the presence bitmap (one bit per five-digit ZIP), and where it starts. */
const PRESENCE = 12500;
const AT = 20;

/** Throws "corrupt artifact" (the one message of an unusable file, as corrupt.js) unless `ok`. */
const ok = (ok) => {
  if (!ok) throw Error('corrupt artifact');
};

/** Little-endian unsigned integer of `n` bytes at `p`; exact up to 2^53. */
const le = (d, p, n) => {
  let v = 0;
  for (let i = n; i--; ) v = v * 256 + d[p + i];
  return v;
};

/**
 * Parses a version-2 file, checking in FORMAT.md's order: length, magic, version (another one
 * throws FORMAT.md's message, so a version-1 file says what to do), flags, exact length, CRC,
 * bitmap size; the FST's header, type 2, footer, checksum and final root; the tables' types and
 * every index. Throws an Error saying what is wrong. As in version 1, an FST value that is no class
 * makes that lookup throw (`unavailable` for the page): the Rust reader checks them all at load.
 * @param {Uint8Array} bytes
 * @returns {import('./artifact.js').Artifact}
 */
export function parseArtifactV2(bytes) {
  const size = bytes.length;
  ok(size > 23);
  const u32 = (at) => le(bytes, at, 4);
  ok(u32(0) === 0x41545246); // "FRTA"
  const version = le(bytes, 4, 2);
  if (version !== FORMAT_VERSION_2) {
    const e = Error(
      `artifact format version ${version} is not supported by this client (it reads version 2): update the formroute client, or rebuild the artifacts with a matching formroute builder`,
    );
    e.code = 'version';
    throw e;
  }
  ok(!le(bytes, 6, 2));
  const fstAt = AT + u32(8);
  const tablesAt = fstAt + u32(12);
  const end = tablesAt + u32(16);
  ok(size === end + 4);
  const crc = crc32c(bytes, 0, end);
  ok(crc === u32(end) && fstAt === AT + PRESENCE);
  const longest = prefixFst(bytes.subarray(fstAt, tablesAt));
  // The empty key: every ZIP has a longest matching prefix.
  ok(longest('') !== undefined);
  const t = tables(bytes.subarray(tablesAt, end));
  // A ZIP absent from the bitmap is unknown; else its class is the value of its longest prefix key
  // (`+zip` is its number: the resolver passes five ASCII digits).
  const classOf = (zip, n = +zip) => {
    if (!((bytes[AT + (n >> 3)] >> (n & 7)) & 1)) return;
    const c = longest(zip);
    ok(c < t.classes.length);
    return c;
  };
  return {
    brand: t.brand,
    version: crc.toString(16),
    resolve: resolver(t.brand, t.defaultLanguage, t.fallbackUrl, t.products, t.formTypes, t.languages, t.states, t.classes, t.urls, classOf),
  };
}

/**
 * Opens the FST section of a version-2 file (fst 0.4.7, on-disk version 3, type 2) after checking
 * its header, footer and masked CRC-32C, and returns `longest(key)`: the value of the longest key
 * that is a prefix of `key` (a string of ASCII digits), or undefined when none is.
 *
 * The walk (node layout of the crate's src/raw/node.rs, read downwards from a node's address, its
 * state byte): 0b11cccccc "one transition, next" (input: common index c, or the byte below; the
 * target just below; no output); 0b10cccccc "one transition" (input as above, a pack-size byte
 * address size << 4 | output size, the target's address delta, the output); 0b0Fnnnnnn "any
 * transitions" (F: final; n = 0: the count is the byte below, 1 meaning 256): pack sizes, [a
 * 256-byte input index when more than 32], n inputs, n deltas, n outputs, [the final output], each
 * list last transition first. A delta 0 is the empty final node at address 0, else the target is
 * the node's lowest byte minus the delta. One-transition nodes are never final. The output of a
 * key is the sum of the outputs on its path plus the final output of its last node.
 * @param {Uint8Array} d the FST's bytes, exactly
 */
function prefixFst(d) {
  const n = d.length;
  // The root node is written last, 21 bytes before the end; or it is the empty final node at address
  // 0 when the only key is the empty one with value 0 (36 bytes).
  const root = n > 35 && le(d, n - 12, 8);
  ok((root ? root + 21 : 36) === n && le(d, 0, 8) === 3 && le(d, 8, 8) === 2 && mask(crc32c(d, 0, n - 4)) === le(d, n - 4, 4));
  // The digits' places in fst's common-input table (src/raw/common_inputs.rs): index i > 0 stands
  // for byte COMMON[i - 1]; other bytes are blanks, never a digit.
  const COMMON = '                   012     3 5  4 9678';
  return (key) => {
    let a = root;
    let out = 0;
    let last, s, b, q, ntr, ni, i, j, sz, ts, os, top;
    for (let k = 0; ; k++) {
      if (!a) return out; // the empty final node, no output
      s = d[a];
      b = key.charCodeAt(k); // NaN past the end: matches no input
      q = a - 1; // the pack-size byte, one lower when an explicit input or count byte sits between it and the state
      ni = i = 0; // input and index bytes below the pack sizes
      ntr = 1;
      if (s > 127) {
        j = s & 63;
        if ((j ? COMMON.charCodeAt(j - 1) : d[q--]) !== b) return last;
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
        if (s & 64) last = out + le(d, top - ntr * os - os, os); // a final node: the longest key so far
        if (ni > ntr) {
          i = d[q - 256 + b];
          if (!(i < ntr)) return last;
        } else {
          for (i = 0; i < ntr && d[q - 1 - i] !== b; i++);
          if (i === ntr) return last;
        }
      }
      // (One-byte outputs and deltas, nearly all, read directly.)
      if (os) out += os < 2 ? d[top - i - 1] : le(d, top - i * os - os, os);
      j = ts < 2 ? d[q - ni - i - 1] : le(d, q - ni - i * ts - ts, ts);
      a = j && top - ntr * os - (s & 64 ? os : 0) - j;
    }
  };
}

/**
 * Decodes and checks the tables section (FORMAT.md "Tables section", byte for byte version 1's):
 * the types, the lengths, every index. URL templates are indexed by
 * `(product * formTypes.length + form type) * languages.length + language`.
 * @param {Uint8Array} d the section, exactly
 */
function tables(d) {
  const [uint, str, arr, done] = reader(d);
  ok(arr() === 10);
  const brand = str();
  str(); // the display name: not needed to resolve
  const defaultLanguage = str();
  const fallbackUrl = str();
  const list = (each) => {
    const a = [];
    for (let n = arr(); n--; ) a.push(each());
    return a;
  };
  // Sorted and unique as written; lookups here do not depend on it, so it is not checked.
  const products = list(str);
  const formTypes = list(str);
  const languages = list(str);
  const states = list(str);
  const [np, nf, nl] = [products.length, formTypes.length, languages.length];
  const index = (n) => {
    const v = uint();
    ok(v < n);
    return v;
  };
  // A class: [state index, then per product 0 (not served) or 1 + a form type index].
  const classes = list(() => {
    let i = 0;
    const c = list(() => index(i++ ? nf + 1 : states.length));
    ok(c.length === np + 1);
    return c;
  });
  const urls = [];
  list(() => {
    ok(arr() === 4);
    urls[(index(np) * nf + index(nf)) * nl + index(nl)] = str();
  });
  done();
  return { brand, defaultLanguage, fallbackUrl, products, formTypes, languages, states, classes, urls };
}
