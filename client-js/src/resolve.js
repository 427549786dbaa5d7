/** SPEC.md's resolution steps 0-6 over a parsed artifact (builder/core/src/resolve.rs): (zip, product, language) to a form URL or a reason plus the fallback URL. */

import { corruptUnless } from './corrupt.js';
import { fillParts, percentEncode, split } from './template.js';

/**
 * @typedef {{ zip?: string | number | null, product?: string | null, language?: string | null }} Query
 * @typedef {{ ok: true, url: string, state: string, form_type: string, language: string }
 *   | { ok: false, error: string, fallback_url: string | null }} Result
 */

// SPEC: "trim" removes ASCII white space (space, tab, LF, FF, CR) at both ends; "lowercase" maps A-Z only.
// Both (Rust `trim` then `lowercase`), on a value that may be missing (null or undefined: empty).
// (The ESM build tests first: most values need neither, and the replacements cost 4 times as much.
// The snippet, which resolves once per submit, leaves such fast paths out: `esm:`, scripts/build.mjs.)
const trimLowercase = (value) => {
  value = (value ?? '') + '';
  esm: if (!/^[ \t\n\f\r]|[ \t\n\f\r]$|[A-Z]/.test(value)) return value;
  return value.replace(/^[ \t\n\f\r]+|[ \t\n\f\r]+$|[A-Z]+/g, (m) => (m < 'A' ? '' : m.toLowerCase())); // white space sorts before A
};

// Step 1 in one match (Rust `zip5`): trimmed, DDDDD, DDDDD-DDDD or DDDDDDDDD (\d is ASCII 0-9 only:
// no u flag); its first five digits, or '' for any other value (null and undefined, as text, included).
const ZIP = /^[ \t\n\f\r]*(\d{5})(-?\d{4})?[ \t\n\f\r]*$/;
const zip5 = (zip) => {
  // (The ESM build takes five ASCII digits, most ZIPs, as they are: a quarter of the match's time.)
  esm: if (zip?.length == 5) {
    let i = 5;
    let c;
    while (i-- && (c = zip.charCodeAt(i)) > 47 && c < 58);
    if (i < 0) return zip;
  }
  return ZIP.exec(zip)?.[1] || '';
};

// Step 5's normalisation (Rust `normalise_language`): cut before the first - or _, then trimmed and
// lowercased (as trimmed, cut, trimmed again and lowercased: white space holds no - or _). Cut first,
// the lowercasing of a region ('es-MX') is skipped: a resolve takes half the time.
const normaliseLanguage = (language) => trimLowercase(/[^-_]*/.exec(language ?? '')[0]);

/**
 * What a query says once normalised, without an artifact, as the six template values (template.js
 * ORDER): the five-digit ZIP (empty unless step 1 passes), no state, the trimmed lowercased product,
 * the normalised language, `brand`, no form type. A page's own fallback URL is filled with these
 * when no artifact could be had (load.js).
 * @param {Query} query
 * @param {string} brand
 */
export const queryValues = (query, brand) => [zip5(query.zip), '', trimLowercase(query.product), normaliseLanguage(query.language), brand, ''];

/**
 * The resolver of one brand's tables (FORMAT.md "Tables section", decoded and checked by
 * parseArtifact): a function from a query to SPEC.md's answer, steps 1-6 (step 0, the brand, is the
 * caller's: no artifact, no resolver). It throws only on a damaged file (an FST value that is no
 * class, a reached form with no default-language URL); callers answer `unavailable` then.
 * @param {string} brand
 * @param {string} defaultLanguage
 * @param {string} fallbackUrl URL template
 * @param {string[]} products
 * @param {string[]} formTypes
 * @param {string[]} languages
 * @param {string[]} states
 * @param {number[][]} classes `[state index, form type of products[0] (0 = not served, k = formTypes[k-1]), ...]`
 * @param {(string | undefined)[]} urls URL templates by `(product * formTypes.length + form type) * languages.length + language`
 * @param {(zip: string) => number | undefined} classOf the route class of a five-digit ZIP
 * @returns {(q: Query) => Result}
 */
export const resolver = (brand, defaultLanguage, fallbackUrl, products, formTypes, languages, states, classes, urls, classOf) => {
  const defaultIndex = languages.indexOf(defaultLanguage);
  const fallback = split(fallbackUrl);
  // The URL templates split, by index, as they are first filled.
  const parts = [];
  // The template values go in as they are (`String` is the identity on them): all are five ASCII
  // digits or codes of the artifact (slug, state, language), which percent-encoding keeps as they
  // are, but for a product that is none of the brand's (only a failure's fallback holds one), encoded
  // first. Skipping the rest is exact, and halves the time of a resolve.
  return (query) => {
    const zip = zip5(query.zip);
    // A product or language given exactly as the brand has it (a slug, a code) is already
    // normalised: in the ESM build, the regular expressions run only for the others.
    let product = query.product;
    let productIndex = -1;
    let languageIndex = -1;
    esm: {
      productIndex = products.indexOf(product);
      // (No language, most pages' forms: the default, without normalising an empty text.)
      languageIndex = query.language == null || query.language === '' ? defaultIndex : languages.indexOf(query.language);
      // (A code with a region, 'es-MX': cut before the first - or _ without a regular expression; the
      // cut is normalised when it is one of the brand's codes, else the steps below normalise.)
      if (languageIndex < 0) {
        const language = '' + query.language;
        let end = 0;
        for (let c; end < language.length && (c = language.charCodeAt(end)) !== 45 && c !== 95; ) end++;
        languageIndex = languages.indexOf(language.slice(0, end));
      }
    }
    if (productIndex < 0) productIndex = products.indexOf((product = trimLowercase(product)));
    if (languageIndex < 0) languageIndex = languages.indexOf(normaliseLanguage(query.language));
    if (languageIndex < 0) languageIndex = defaultIndex;
    let cls, formType;
    // (An empty zip is one that step 1 refused: a valid one has five digits.)
    const error = !zip
      ? 'invalid_zip'
      : (cls = classOf(zip)) == null
        ? 'unknown_zip'
        : // A class index past the classes (the FST's values are not checked at load) throws.
          corruptUnless(classes[cls]) || productIndex < 0
          ? 'unknown_product'
          : (formType = classes[cls][productIndex + 1] - 1) < 0 && 'not_served';
    // The asked language when the brand has it, else its default; no state, no form type.
    if (error) return { ok: false, error, fallback_url: fillParts(fallback, [zip, '', productIndex < 0 ? percentEncode(product) : product, languages[languageIndex] ?? defaultLanguage, brand, '']) };
    const row = (productIndex * formTypes.length + formType) * languages.length;
    // The builder writes a default-language form for every (product, form type) a class reaches;
    // if a damaged file has none, splitting `undefined` throws: no answer from it.
    if (urls[row + languageIndex] == null) languageIndex = defaultIndex;
    const state = states[classes[cls][0]];
    const form_type = formTypes[formType];
    const language = languages[languageIndex];
    const url = fillParts((parts[row + languageIndex] ||= split(urls[row + languageIndex])), [zip, state, product, language, brand, form_type]);
    return { ok: true, url, state, form_type, language };
  };
};
