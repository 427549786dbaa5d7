/** The conformance query set, shared by the resolver conformance tests: every ZIP x product x language of data/, plus hostile inputs. */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../../client-js/bin/csv.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Rows of a data/ CSV file as objects (comment lines dropped, as the builder does). */
const rows = (file) => {
  const text = readFileSync(join(ROOT, 'data', file), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
  const [head, ...rest] = parseCsv(text).map((r) => r.fields);
  return rest.map((f) => Object.fromEntries(head.map((h, i) => [h, f[i]])));
};

/** RFC 4180 quoting of one field (always quoted: commas, quotes and line breaks stay data). */
const q = (s) => '"' + s.replace(/"/g, '""') + '"';

/** Queries that a careless page or a hostile visitor could send. */
export function hostile(brands, products) {
  const zips = [
    '', ' ', '10001', ' 10001', '10001 ', '\t10001\t', '\r\n10001\r\n', '\f10001', '\u000b10001', '\u00a010001', '10001-1234', '100011234',
    '10001-', '-10001', '1000', '100011', '10001-123', '10001-12345', '10001 1234', '10001_1234', '1000a', 'abcde', 'ABCDE', '１０００１',
    '٠١٢٣٤', '00501', '00000', '99999', '99950', '96799', '09001', '10001,10002', '"10001"', "'10001'", '10001\u0000', '10001\u000b', '10001\u0085', '𝟏𝟎𝟎𝟎𝟏',
    '1'.repeat(5000), '10001' + ' '.repeat(1000),
  ];
  const prods = [...products, '', ' ', '*', 'none', 'AUTO', ' Auto\t', 'auto ', 'au to', 'auto,home', '"auto"', 'autó', '\u212Auto', 'ａｕｔｏ',
    'x'.repeat(3000), '../auto', 'auto%20', 'auto?x=1&y=2', '😀', 'a\u0001b', 'a\\b', 'a/b', "!'()*~", '\u2028', '\ufeffauto', 'auto\u000b', '\u00a0auto'];
  const langs = ['', ' ', 'en', 'es', 'EN', 'Es', 'es-MX', 'EN_us', ' es-419 ', 'es_', '-es', '_', 'zh-Hant-TW', 'fr', 'e', 'eng', 'español',
    'ES-mx-x', 'es\tMX', 'es -MX', ' ES\t_us', 'es - mx', '\u00e9s', 'x'.repeat(2000), 'e\u0000s'];
  const out = [];
  for (const b of [...brands, 'unknown', 'ACME', ' acme', '', 'acme ', 'Acme']) {
    for (const z of zips) for (const p of ['auto', 'home', prods[(z.length * 7) % prods.length]]) out.push([b, z, p, 'es-MX']);
    for (const p of prods) for (const l of langs) out.push([b, '10001', p, l]);
    for (const l of langs) out.push([b, '00501-0000', 'auto', l]);
  }
  return out;
}

/**
 * Every query of the set as [brand, zip, product, language], data queries first.
 * @param {{brands: Record<string, {products: string[]}>}} manifest the build's manifest.json
 */
export function conformanceQueries(manifest) {
  const zips = rows('zips.csv').map((r) => r.zip);
  const languages = [...new Set(rows('forms.csv').map((r) => r.language))].sort();
  const data = [];
  for (const [brand, entry] of Object.entries(manifest.brands))
    for (const zip of zips)
      for (const product of entry.products)
        for (const language of ['', ...languages]) data.push([brand, zip, product, language]);
  const allProducts = [...new Set(Object.values(manifest.brands).flatMap((b) => b.products))];
  const extra = hostile(Object.keys(manifest.brands), allProducts);
  return { data, extra, zips: zips.length, languages: languages.length };
}

/** The set as the lines of a `formroute resolve --batch` file (header first; hostile rows quoted). */
export function queryCsv(manifest) {
  const { data, extra, zips, languages } = conformanceQueries(manifest);
  const lines = ['brand,zip,product,language', ...data.map((r) => r.join(',')), ...extra.map((r) => r.map(q).join(','))];
  return { lines, n: data.length, extra: extra.length, zips, languages };
}
