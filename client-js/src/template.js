/** URL templates (SPEC "URL templates"), as builder/core/src/template.rs: percent-encoding, and filling the six placeholders. */

/**
 * Every UTF-8 byte of `value` outside `A-Z a-z 0-9 - . _ ~` as `%XX`, upper-case hex (Rust `percent_encode`).
 * encodeURIComponent leaves `! ' ( ) *` as they are, so those are encoded after it. It throws on a
 * lone surrogate, which no UTF-8 text (so no Rust string) holds: callers answer `unavailable` then.
 * @param {string} value
 */
export const percentEncode = (value) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

// Templates split once at their placeholders: [text, name, text, name, ..., text].
const splitTemplates = new Map();

/**
 * Fills `template` with values that are already percent-encoded (the resolver's fast path: its
 * values are codes of the artifact, which encoding keeps as they are). Absent values are empty, as in Rust.
 * @param {string} template
 * @param {Record<string, string | undefined>} encoded
 */
export const fillEncoded = (template, encoded) => {
  let parts = splitTemplates.get(template);
  if (!parts) splitTemplates.set(template, (parts = template.split(/\{(zip|state|product|language|brand|form_type)\}/)));
  let url = parts[0];
  for (let i = 1; i < parts.length; i += 2) url += (encoded[parts[i]] || '') + parts[i + 1];
  return url;
};

/**
 * Fills `{zip}`, `{state}`, `{product}`, `{language}`, `{brand}`, `{form_type}` in `template` with
 * the percent-encoded `values` (empty when absent); other text stays as it is (Rust `fill`).
 * @param {string} template
 * @param {Partial<Record<'zip' | 'state' | 'product' | 'language' | 'brand' | 'form_type', string>>} values
 */
export const fill = (template, values) => {
  const encoded = {};
  for (const name in values) if (values[name] != null) encoded[name] = percentEncode('' + values[name]);
  return fillEncoded(template, encoded);
};
