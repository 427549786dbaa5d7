/** Decodes and checks an artifact's tables section (FORMAT.md "Tables section", the same bytes in format versions 1 and 2) into the brand and its resolver. */

import { corruptUnless } from './corrupt.js';
import { reader } from './msgpack.js';
import { resolver } from './resolve.js';

/**
 * Reads the ten fields, checking the types, the lengths and every index, and returns the brand and
 * the resolver of SPEC steps 1-6 over them, where `classOf(zip)` is the format's route class of a
 * five-digit ZIP (undefined: unknown). A class index past the classes (the FST's values are not
 * checked at load: walking them all would cost the page its 1 ms budget) makes that lookup throw
 * "corrupt artifact", never answer.
 * @param {Uint8Array} bytes the section, exactly
 * @param {(zip: string) => number | undefined} classOf
 * @returns {{ brand: string, resolve: (q: import('./resolve.js').Query) => import('./resolve.js').Result }}
 */
export function readTables(bytes, classOf) {
  const [uint, str, arr, done] = reader(bytes);
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
  // URL templates by (product * form types + form type) * languages + language.
  const urls = [];
  list(() => {
    corruptUnless(arr() === 4);
    urls[(index(productCount) * formTypeCount + index(formTypeCount)) * languageCount + index(languageCount)] = str();
  });
  done();
  return { brand, resolve: resolver(brand, defaultLanguage, fallbackUrl, products, formTypes, languages, states, classes, urls, classOf) };
}
