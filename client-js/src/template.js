/** URL templates (SPEC "URL templates"), as builder/core/src/template.rs: percent-encoding, and filling the six placeholders. */

/**
 * Every UTF-8 byte of `value` outside `A-Z a-z 0-9 - . _ ~` as `%XX`, upper-case hex (Rust `percent_encode`).
 * encodeURIComponent leaves `! ' ( ) *` as they are, so those are encoded after it. It throws on a
 * lone surrogate, which no UTF-8 text (so no Rust string) holds: callers answer `unavailable` then.
 * @param {string} value
 */
export const percentEncode = (value) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

/**
 * `template` split at its placeholders: [text, name, text, name, ..., text]; the resolver splits each
 * of its templates once, the first time it fills it.
 * @param {string} template
 */
export const split = (template) => template.split(/\{(zip|state|product|language|brand|form_type)\}/);

/**
 * Fills a split template with `values` as `encode` gives them (absent ones empty, as in Rust).
 * @param {string[]} parts
 * @param {Record<string, string | undefined>} values
 * @param {(value: string) => string} encode
 */
export const fillParts = (parts, values, encode) => {
  let url = parts[0];
  for (let i = 1; i < parts.length; i += 2) url += encode('' + (values[parts[i]] ?? '')) + parts[i + 1];
  return url;
};

/**
 * Fills `{zip}`, `{state}`, `{product}`, `{language}`, `{brand}`, `{form_type}` in `template` with
 * the percent-encoded `values` (empty when absent); other text stays as it is (Rust `fill`).
 * @param {string} template
 * @param {Partial<Record<'zip' | 'state' | 'product' | 'language' | 'brand' | 'form_type', string>>} values
 */
export const fill = (template, values) => fillParts(split(template), values, percentEncode);
