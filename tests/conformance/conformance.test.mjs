/** Conformance: the Rust `formroute resolve` and `node client-js/bin/resolve.mjs` print byte-identical NDJSON for every ZIP x product x language of data/, plus hostile inputs, from format 2 and from format 1 (FORMAT.md). */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import test from 'node:test';
import { parseCsv } from '../../client-js/bin/csv.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN =
  process.env.FORMROUTE_BIN ||
  ['target/debug/formroute', 'target/release/formroute'].map((p) => join(ROOT, p)).find((p) => existsSync(p));
const JS = join(ROOT, 'client-js/bin/resolve.mjs');

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
function hostile(brands, products) {
  const zips = [
    '', ' ', '10001', ' 10001', '10001 ', '\t10001\t', '\r\n10001\r\n', '\f10001', '\u000b10001', '\u00a010001', '10001-1234', '100011234',
    '10001-', '-10001', '1000', '100011', '10001-123', '10001-12345', '10001 1234', '10001_1234', '1000a', 'abcde', 'ABCDE', '１０００１',
    '٠١٢٣٤', '00501', '00000', '99999', '99950', '96799', '09001', '10001,10002', '"10001"', "'10001'", '10001\u0000', '10001\u000b', '10001\u0085', '𝟏𝟎𝟎𝟎𝟏',
    '1'.repeat(5000), '10001' + ' '.repeat(1000),
  ];
  const prods = [...products, '', ' ', '*', 'none', 'AUTO', ' Auto\t', 'auto ', 'au to', 'auto,home', '"auto"', 'autó', '\u212Auto', 'ａｕｔｏ',
    'x'.repeat(3000), '../auto', 'auto%20', 'auto?x=1&y=2', '😀', 'a\u0001b', 'a\\b', 'a/b', "!'()*~", '\u2028', '\ufeffauto', 'auto\u000b', '\u00a0auto'];
  const langs = ['', ' ', 'en', 'es', 'EN', 'Es', 'es-MX', 'EN_us', ' es-419 ', 'es_', '-es', '_', 'zh-Hant-TW', 'fr', 'e', 'eng', 'español',
    'ES-mx-x', 'es\tMX', '\u00e9s', 'x'.repeat(2000), 'e\u0000s'];
  const out = [];
  for (const b of [...brands, 'unknown', 'ACME', ' acme', '', 'acme ', 'Acme']) {
    for (const z of zips) for (const p of ['auto', 'home', prods[(z.length * 7) % prods.length]]) out.push([b, z, p, 'es-MX']);
    for (const p of prods) for (const l of langs) out.push([b, '10001', p, l]);
    for (const l of langs) out.push([b, '00501-0000', 'auto', l]);
  }
  return out;
}

/** Runs `cmd args` with stdout to `file`; resolves with the exit status and stderr. */
const runTo = (cmd, args, file) =>
  new Promise((ok, fail) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.stdout.pipe(createWriteStream(file));
    p.on('error', fail);
    p.on('close', (status) => ok({ status, err }));
  });

/** The first line where two files differ, or null. */
async function firstDiff(a, b) {
  const ra = createInterface({ input: createReadStream(a) })[Symbol.asyncIterator]();
  const rb = createInterface({ input: createReadStream(b) })[Symbol.asyncIterator]();
  for (let n = 1; ; n++) {
    const [x, y] = await Promise.all([ra.next(), rb.next()]);
    if (x.done && y.done) return null;
    if (x.value !== y.value) return { line: n, rust: x.value, js: y.value };
  }
}

test('Rust and JavaScript resolvers print identical bytes for every query', { timeout: 900_000 }, async (t) => {
  if (!BIN) {
    if (process.env.CI) assert.fail('no formroute binary: build it (cargo build -p formroute) or set FORMROUTE_BIN');
    t.skip('no formroute binary (cargo build -p formroute, or set FORMROUTE_BIN)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'formroute-conformance-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  const built = spawnSync(BIN, ['build', '--data', join(ROOT, 'data'), '--out', out], { encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));

  const zips = rows('zips.csv').map((r) => r.zip);
  const languages = [...new Set(rows('forms.csv').map((r) => r.language))].sort();
  const lines = ['brand,zip,product,language'];
  let n = 0;
  for (const [brand, entry] of Object.entries(manifest.brands))
    for (const zip of zips)
      for (const product of entry.products)
        for (const language of ['', ...languages]) {
          lines.push(`${brand},${zip},${product},${language}`);
          n++;
        }
  const allProducts = [...new Set(Object.values(manifest.brands).flatMap((b) => b.products))];
  const extra = hostile(Object.keys(manifest.brands), allProducts);
  for (const r of extra) lines.push(r.map(q).join(','));
  const queries = join(dir, 'queries.csv');
  writeFileSync(queries, lines.join('\r\n') + '\r\n');
  t.diagnostic(`${n} data queries (${zips.length} ZIPs x products of each brand x ${languages.length + 1} languages) + ${extra.length} hostile = ${n + extra.length}`);

  // Format 2 (what the current snippet reads) and format 1 (what snippets cached in browsers read):
  // Rust and JavaScript from each, and the two formats give the same answers.
  const outs = {};
  for (const format of ['2', '1']) {
    const [rust, js] = [join(dir, `rust${format}.ndjson`), join(dir, `js${format}.ndjson`)];
    const [r1, r2] = await Promise.all([
      runTo(BIN, ['resolve', '--artifacts', out, '--artifact-format', format, '--batch', queries], rust),
      runTo(process.execPath, [JS, '--artifacts', out, '--artifact-format', format, '--batch', queries], js),
    ]);
    assert.equal(r1.status, 0, r1.err);
    assert.equal(r2.status, 0, r2.err);
    const diff = await firstDiff(rust, js);
    assert.equal(diff, null, `format ${format}: ${JSON.stringify(diff)}`);
    outs[format] = readFileSync(rust);
    assert.ok(outs[format].equals(readFileSync(js)), `format ${format}: outputs differ in bytes`);
  }
  assert.ok(outs['1'].equals(outs['2']), 'formats 1 and 2 answer differently');
  const a = outs['2'];
  assert.equal(a.toString('latin1').split('\n').length - 1, n + extra.length);
  // The data queries exercise every outcome the data has.
  for (const kind of ['"ok":true', 'unknown_zip', 'not_served', 'invalid_zip', 'unknown_product', 'unknown_brand'])
    assert.ok(a.includes(kind), `no ${kind} answer among the queries`);
});
