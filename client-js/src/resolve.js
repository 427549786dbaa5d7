/** SPEC.md's resolution steps 0-6 over a parsed artifact: (zip, product, language) to a form URL or a reason plus the fallback URL. */

/**
 * @typedef {{ zip?: string | null, product?: string | null, language?: string | null }} Query
 * @typedef {{ ok: true, url: string, state: string, form_type: string, language: string }
 *   | { ok: false, error: string, fallback_url: string | null }} Result
 */

// SPEC: "trim" removes ASCII white space (space, tab, LF, FF, CR) at both ends; "lowercase" maps A-Z only.
// Both, on a value that may be missing (null or undefined: empty).
// (The test first: most values need neither, and the replacements cost 4 times as much.)
const norm = (v) =>
  /^[ \t\n\f\r]|[ \t\n\f\r]$|[A-Z]/.test((v = (v ?? '') + ''))
    ? v.replace(/^[ \t\n\f\r]+|[ \t\n\f\r]+$|[A-Z]+/g, (m) => (m < 'A' ? '' : m.toLowerCase())) // white space sorts before A
    : v;
// Step 1 in one match: trimmed, DDDDD, DDDDD-DDDD or DDDDDDDDD; \d is ASCII 0-9 only (no u flag).
const ZIP = /^[ \t\n\f\r]*(\d{5})(-?\d{4})?[ \t\n\f\r]*$/;

/**
 * Percent-encodes every UTF-8 byte outside `A-Z a-z 0-9 - . _ ~`, upper-case hex (SPEC "URL templates").
 * encodeURIComponent leaves `! ' ( ) *` as they are, so those are encoded after it. It throws on a
 * lone surrogate, which no UTF-8 text (so no Rust string) holds: the page then gets `unavailable`.
 * @param {string} s
 */
export const percentEncode = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

// Templates split once at their placeholders: [text, name, text, name, ..., text].
const split = new Map();

/**
 * Fills `{zip}`, `{state}`, `{product}`, `{language}`, `{brand}`, `{form_type}` in `template` with the
 * values of `vals`, already percent-encoded (empty when absent, as in Rust); other text stays as it is.
 * @param {string} template
 * @param {Record<string, string>} vals
 */
export const fill = (template, vals) => {
  let parts = split.get(template);
  if (!parts) split.set(template, (parts = template.split(/\{(zip|state|product|language|brand|form_type)\}/)));
  let s = parts[0];
  for (let i = 1; i < parts.length; i += 2) s += (vals[parts[i]] || '') + parts[i + 1];
  return s;
};

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
    let language = norm(q.language).replace(/[-_].*/s, '');
    let li = languages.indexOf(language);
    if (li < 0) li = dl;
    const m = ZIP.exec((q.zip ?? '') + '');
    const zip = m ? m[1] : '';
    let c, p, ft;
    // The template values, percent-encoded. All but the product are five ASCII digits or codes of the
    // artifact (slug, state, language), which encoding keeps as they are; so is the product once it
    // is found among the brand's. Only a failure's product needs encoding (and only its fallback
    // uses it): skipping the rest is exact, and halves the time of a resolve.
    const v = { zip, product, language: languages[li] ?? defaultLanguage, brand };
    const error = !m
      ? 'invalid_zip'
      : (c = cls(zip)) === undefined
        ? 'unknown_zip'
        : (p = products.indexOf(product)) < 0
          ? 'unknown_product'
          : (ft = classes[c][p + 1] - 1) < 0 && 'not_served';
    if (error) {
      v.product = percentEncode(product);
      return { ok: false, error, fallback_url: fill(fallbackUrl, v) };
    }
    const base = (p * formTypes.length + ft) * languages.length;
    // The builder writes a default-language form for every (product, form type) a class reaches;
    // if a damaged file has none, filling `undefined` throws: no answer from it.
    const url = urls[base + li] ?? urls[base + (li = dl)];
    const state = (v.state = states[classes[c][0]]);
    const form_type = (v.form_type = formTypes[ft]);
    language = v.language = languages[li];
    return { ok: true, url: fill(url, v), state, form_type, language };
  };
};
