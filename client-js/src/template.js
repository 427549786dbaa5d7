/** URL templates (SPEC "URL templates"), as builder/core/src/template.rs: percent-encoding, and filling the six placeholders. */

/**
 * Every UTF-8 byte of `value` outside `A-Z a-z 0-9 - . _ ~` as `%XX`, upper-case hex (Rust `percent_encode`).
 * encodeURIComponent leaves `! ' ( ) *` as they are, so those are encoded after it. It throws on a
 * lone surrogate, which no UTF-8 text (so no Rust string) holds: callers answer `unavailable` then.
 * @param {string} value
 */
export const percentEncode = (value) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

// The six placeholders, in the order of the values fillParts takes (Rust `Values`): zip, state,
// product, language, brand, form_type. Their first letters differ: a name's index is its first letter's in ORDER.
const ORDER = 'zsplbf';

/**
 * `template` split at its placeholders: [text, index, text, index, ..., text], where an index is
 * the placeholder's in the six (ORDER); the resolver splits each of its templates once, the first
 * time it fills it. (An index, not the name: filling from an array takes half the time of filling
 * from an object by name, a sixth of a resolve's.)
 * @param {string} template
 * @returns {(string | number)[]}
 */
export const split = (template) => template.split(/\{(zip|state|product|language|brand|form_type)\}/).map((text, i) => (i & 1 ? ORDER.indexOf(text[0]) : text));

/**
 * Fills a split template with `values`, the six in ORDER's order (each a text, or for a missing
 * one the empty text, as in Rust), each as `encode` gives it, or as it is without one.
 * @param {(string | number)[]} parts
 * @param {string[]} values
 * @param {(value: string) => string} [encode]
 */
export const fillParts = (parts, values, encode) => {
  let url = parts[0];
  for (let i = 1; i < parts.length; i += 2) url += (encode ? encode(values[parts[i]]) : values[parts[i]]) + parts[i + 1];
  return url;
};

/**
 * Fills `{zip}`, `{state}`, `{product}`, `{language}`, `{brand}`, `{form_type}` in `template` with
 * the percent-encoded `values` (empty when absent); other text stays as it is (Rust `fill`).
 * @param {string} template
 * @param {Partial<Record<'zip' | 'state' | 'product' | 'language' | 'brand' | 'form_type', string>>} values
 */
export const fill = (template, values) => fillParts(split(template), ['zip', 'state', 'product', 'language', 'brand', 'form_type'].map((name) => '' + (values[name] ?? '')), percentEncode);
