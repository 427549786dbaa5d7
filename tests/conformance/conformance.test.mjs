/** Conformance: the Rust `formroute resolve` and `node client-js/bin/resolve.mjs` print byte-identical NDJSON for every ZIP x product x language of data/, plus hostile inputs, from format 2 and from format 1 (FORMAT.md). */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import test from 'node:test';
import { queryCsv } from './queries.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN =
  process.env.FORMROUTE_BIN ||
  ['target/debug/formroute', 'target/release/formroute'].map((p) => join(ROOT, p)).find((p) => existsSync(p));
const JS = join(ROOT, 'client-js/bin/resolve.mjs');

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

test('Rust and JavaScript resolvers (the ESM build\'s and the snippet\'s) print identical bytes for every query', { timeout: 900_000 }, async (t) => {
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

  const { lines, n, extra, zips, languages } = queryCsv(manifest);
  const queries = join(dir, 'queries.csv');
  writeFileSync(queries, lines.join('\r\n') + '\r\n');
  t.diagnostic(`${n} data queries (${zips} ZIPs x products of each brand x ${languages + 1} languages) + ${extra} hostile = ${n + extra}`);

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
  // The browser snippet's reader: the same files without the ESM build's `esm:` statements (fast
  // paths and the like, scripts/build.mjs `dropLabels`), bundled as the snippet is.
  const { build: bundle } = await import(join(ROOT, 'client-js/node_modules/esbuild/lib/main.js'));
  const snippetJs = join(dir, 'resolve.snippet.mjs');
  await bundle({ entryPoints: [JS], bundle: true, platform: 'node', format: 'esm', dropLabels: ['esm'], outfile: snippetJs, logLevel: 'warning' });
  assert.ok(!readFileSync(snippetJs, 'utf8').includes('matching formroute builder'), 'the esm: statements were left in');
  const snippetOut = join(dir, 'snippet2.ndjson');
  const r3 = await runTo(process.execPath, [snippetJs, '--artifacts', out, '--artifact-format', '2', '--batch', queries], snippetOut);
  assert.equal(r3.status, 0, r3.err);
  assert.equal(await firstDiff(join(dir, 'rust2.ndjson'), snippetOut), null, "the snippet's reader answers differently");
  const a = outs['2'];
  assert.equal(a.toString('latin1').split('\n').length - 1, n + extra);
  // The data queries exercise every outcome the data has.
  for (const kind of ['"ok":true', 'unknown_zip', 'not_served', 'invalid_zip', 'unknown_product', 'unknown_brand'])
    assert.ok(a.includes(kind), `no ${kind} answer among the queries`);
});
