/** Reads and checks an artifact file (`<brand>.<hash>.frt`, FORMAT.md): container, FST and rule tables, every index range-checked. */

import { corruptUnless } from './corrupt.js';
import { crc32c } from './crc32c.js';
import { openFst, uintLE } from './fst.js';
import { reader } from './msgpack.js';
import { resolver } from './resolve.js';

/** The artifact format version this client reads. */
export const FORMAT_VERSION = 1;

/**
 * @typedef {object} Artifact
 * @property {string} brand
 * @property {string} version the container's CRC-32C in lowercase hex (no leading zeros): identifies the file
 * @property {(q: import('./resolve.js').Query) => import('./resolve.js').Result} resolve SPEC steps 1-6 over this file
 *   (throws only if the file turns out damaged at that lookup; see parseArtifact)
 */

/**
 * Parses `bytes`, checking in FORMAT.md's order: length, magic, version, flags, exact length, CRC;
 * FST header, footer and checksum; the tables' types and every index. Throws an Error saying
 * what is wrong. Two checks of the Rust reader wait for the lookup that needs them, to keep the
 * page's load under 1 ms: an FST value that is no class, and a reached form with no
 * default-language URL, make that lookup throw (`unavailable` for the page), never answer.
 * @param {Uint8Array} bytes
 * @returns {Artifact}
 */
export function parseArtifact(bytes) {
  const size = bytes.length;
  corruptUnless(size > 19);
  const u32 = (at) => uintLE(bytes, at, 4);
  corruptUnless(u32(0) === 0x41545246); // "FRTA"
  const version = uintLE(bytes, 4, 2);
  if (version !== FORMAT_VERSION) {
    const e = Error(
      `artifact format version ${version} is not supported by this client (it reads version 1): update the formroute client, or rebuild the artifacts with a matching formroute builder`,
    );
    e.code = 'version'; // the `error` a page logs (load.js)
    throw e;
  }
  corruptUnless(!uintLE(bytes, 6, 2));
  const tablesStart = u32(8) + 16;
  const tablesEnd = tablesStart + u32(12);
  corruptUnless(size === tablesEnd + 4);
  const crc = crc32c(bytes, 0, tablesEnd);
  corruptUnless(crc === u32(tablesEnd));
  const fst = openFst(bytes.subarray(16, tablesStart));
  const [uint, str, arr, done] = reader(bytes.subarray(tablesStart, tablesEnd));
  corruptUnless(arr() === 10);
  const brand = str();
  str(); // the display name: not needed to resolve
  const defaultLanguage = str();
  const fallbackUrl = str();
  // A list of `each()`.
  const list = (each) => {
    const a = [];
    for (let n = arr(); n--; ) a.push(each());
    return a;
  };
  // The four lists are sorted and unique as written; lookups here do not depend on it, so it is not checked.
  const products = list(str);
  const formTypes = list(str);
  const languages = list(str);
  const states = list(str);
  const productCount = products.length;
  const formTypeCount = formTypes.length;
  const languageCount = languages.length;
  // A uint below `n`.
  const index = (n) => {
    const v = uint();
    corruptUnless(v < n);
    return v;
  };
  // A class: [state index, then per product 0 (not served) or 1 + a form type index].
  const classes = list(() => {
    let field = 0;
    const cls = list(() => index(field++ ? formTypeCount + 1 : states.length));
    corruptUnless(cls.length === productCount + 1);
    return cls;
  });
  const urls = [];
  list(() => {
    corruptUnless(arr() === 4);
    urls[(index(productCount) * formTypeCount + index(formTypeCount)) * languageCount + index(languageCount)] = str();
  });
  done();
  const classOf = (zip) => {
    const cls = fst.get(zip);
    // Rust checks every FST value when it opens the file; walking 40,000 keys would cost the page
    // its 1 ms budget, so a value that is no class is refused here, when met.
    corruptUnless(!(cls >= classes.length));
    return cls;
  };
  return {
    brand,
    version: crc.toString(16),
    resolve: resolver(brand, defaultLanguage, fallbackUrl, products, formTypes, languages, states, classes, urls, classOf),
  };
}
