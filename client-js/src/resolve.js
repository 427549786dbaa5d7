/** SPEC.md's resolution steps 0-6 over a parsed artifact (builder/core/src/resolve.rs): (zip, product, language) to a form URL or a reason plus the fallback URL. */

import { fillEncoded, percentEncode } from './template.js';

/**
 * @typedef {{ zip?: string | number | null, product?: string | null, language?: string | null }} Query
 * @typedef {{ ok: true, url: string, state: string, form_type: string, language: string }
 *   | { ok: false, error: string, fallback_url: string | null }} Result
 */

// SPEC: "trim" removes ASCII white space (space, tab, LF, FF, CR) at both ends; "lowercase" maps A-Z only.
// Both (Rust `trim` then `lowercase`), on a value that may be missing (null or undefined: empty).
// (The test first: most values need neither, and the replacements cost 4 times as much.)
const trimLowercase = (value) =>
  /^[ \t\n\f\r]|[ \t\n\f\r]$|[A-Z]/.test((value = (value ?? '') + ''))
    ? value.replace(/^[ \t\n\f\r]+|[ \t\n\f\r]+$|[A-Z]+/g, (m) => (m < 'A' ? '' : m.toLowerCase())) // white space sorts before A
    : value;

// Step 1 in one match (Rust `parse_zip`): trimmed, DDDDD, DDDDD-DDDD or DDDDDDDDD; \d is ASCII 0-9 only (no u flag).
const ZIP = /^[ \t\n\f\r]*(\d{5})(-?\d{4})?[ \t\n\f\r]*$/;

// Step 5's normalisation (Rust `normalise_language`): trimmed, lowercased, cut at the first - or _.
const normaliseLanguage = (language) => trimLowercase(language).replace(/[-_].*/s, '');

/**
 * What a query says once normalised, without an artifact: the five-digit ZIP (empty unless step 1
 * passes), the trimmed lowercased product, the normalised language. A page's own fallback URL is
 * filled with these when no artifact could be had (load.js).
 * @param {Query} query
 */
export const queryValues = (query) => ({
  zip: ZIP.exec((query.zip ?? '') + '')?.[1] || '',
  product: trimLowercase(query.product),
  language: normaliseLanguage(query.language),
});

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
  return (query) => {
    // The template values: zip, product, language (then the brand's, or its default), brand.
    const values = queryValues(query);
    const { zip, product } = values;
    let languageIndex = languages.indexOf(values.language);
    if (languageIndex < 0) languageIndex = defaultIndex;
    values.language = languages[languageIndex] ?? defaultLanguage;
    values.brand = brand;
    let cls, productIndex, formType;
    // (An empty zip is one that step 1 refused: a valid one has five digits.)
    const error = !zip
      ? 'invalid_zip'
      : (cls = classOf(zip)) === undefined
        ? 'unknown_zip'
        : (productIndex = products.indexOf(product)) < 0
          ? 'unknown_product'
          : (formType = classes[cls][productIndex + 1] - 1) < 0 && 'not_served';
    // Values percent-encoded. All but the product are five ASCII digits or codes of the artifact
    // (slug, state, language), which encoding keeps as they are; so is the product once it is found
    // among the brand's. Only a failure's product needs encoding (and only its fallback uses it):
    // skipping the rest is exact, and halves the time of a resolve.
    if (error) {
      values.product = percentEncode(product);
      return { ok: false, error, fallback_url: fillEncoded(fallbackUrl, values) };
    }
    const row = (productIndex * formTypes.length + formType) * languages.length;
    // The builder writes a default-language form for every (product, form type) a class reaches;
    // if a damaged file has none, filling `undefined` throws: no answer from it.
    const url = urls[row + languageIndex] ?? urls[row + (languageIndex = defaultIndex)];
    const state = (values.state = states[classes[cls][0]]);
    const form_type = (values.form_type = formTypes[formType]);
    const language = (values.language = languages[languageIndex]);
    return { ok: true, url: fillEncoded(url, values), state, form_type, language };
  };
};
