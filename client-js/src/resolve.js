/** SPEC.md's resolution steps 0-6 over a parsed artifact: (zip, product, language) to a form URL or a reason plus the fallback URL. */

/**
 * @typedef {{ zip?: string | null, product?: string | null, language?: string | null }} Query
 * @typedef {{ ok: true, url: string, state: string, form_type: string, language: string }
 *   | { ok: false, error: string, fallback_url: string | null }} Result
 */

// SPEC: "trim" removes ASCII white space (space, tab, LF, FF, CR) at both ends; "lowercase" maps A-Z only.
// Both, on a value that may be missing (null or undefined: empty). The ZIP goes through it too: lowercasing
// cannot make a non-ZIP valid, nor a ZIP invalid.
const norm = (v) =>
  ((v ?? '') + '').replace(/^[ \t\n\f\r]+|[ \t\n\f\r]+$/g, '').replace(/[A-Z]+/g, (m) => m.toLowerCase());
const ZIP = /^(\d{5})(-?\d{4})?$/; // \d is ASCII 0-9 only (no u flag)

/**
 * Percent-encodes every UTF-8 byte outside `A-Z a-z 0-9 - . _ ~`, upper-case hex (SPEC "URL templates").
 * encodeURIComponent leaves `! ' ( ) *` as they are, so those are encoded after it. It throws on a
 * lone surrogate, which no UTF-8 text (so no Rust string) holds: the page then gets `unavailable`.
 * @param {string} s
 */
export const percentEncode = (s) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

/**
 * Fills `{name}` placeholders of `template` with the percent-encoded values of `vals` (empty when absent, as in Rust); other text stays.
 * @param {string} template
 * @param {Record<string, string>} vals
 */
export const fill = (template, vals) =>
  template.replace(/\{(zip|state|product|language|brand|form_type)\}/g, (m, k) => percentEncode(vals[k] || ''));

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
 * @param {(zip: string) => number | undefined} cls the route class of a five-digit ZIP
 * @returns {(q: Query) => Result}
 */
export const resolver = (brand, defaultLanguage, fallbackUrl, products, formTypes, languages, states, classes, urls, cls) => {
  const dl = languages.indexOf(defaultLanguage);
  return (q) => {
    const product = norm(q.product);
    let language = norm(q.language).split(/[-_]/)[0];
    let li = languages.indexOf(language);
    if (li < 0) li = dl;
    const m = ZIP.exec(norm(q.zip));
    const zip = m ? m[1] : '';
    let c, p, ft;
    const error = !m
      ? 'invalid_zip'
      : (c = cls(zip)) === undefined
        ? 'unknown_zip'
        : (p = products.indexOf(product)) < 0
          ? 'unknown_product'
          : (ft = classes[c][p + 1] - 1) < 0 && 'not_served';
    if (error)
      return {
        ok: false,
        error,
        fallback_url: fill(fallbackUrl, { zip, product, language: languages[li] ?? defaultLanguage, brand }),
      };
    const base = (p * formTypes.length + ft) * languages.length;
    // The builder writes a default-language form for every (product, form type) a class reaches;
    // if a damaged file has none, filling `undefined` throws: no answer from it.
    const url = urls[base + li] ?? urls[base + (li = dl)];
    const state = states[classes[c][0]];
    const form_type = formTypes[ft];
    language = languages[li];
    return { ok: true, url: fill(url, { zip, state, product, language, brand, form_type }), state, form_type, language };
  };
};
