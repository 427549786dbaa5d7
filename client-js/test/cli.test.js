/** bin/resolve.mjs: serde_json's string escaping, the csv crate's reading of the query file, the command-line contract, and brands whose files are missing or damaged. */

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { parseCsv } from '../bin/csv.mjs';
import { mini } from './helpers/artifact-writer.js';

const BIN = new URL('../bin/resolve.mjs', import.meta.url).pathname;

/** serde_json's escaping of a &str (serde_json/src/ser.rs ESCAPE table), written independently. */
const serde = (s) =>
  '"' +
  [...s]
    .map((c) => {
      const n = c.codePointAt(0);
      if (c === '"') return '\\"';
      if (c === '\\') return '\\\\';
      const short = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' }[n];
      if (short) return short;
      if (n < 0x20) return '\\u' + n.toString(16).padStart(4, '0');
      return c;
    })
    .join('') +
  '"';

test('JSON.stringify escapes every ASCII and sample non-ASCII character exactly as serde_json', () => {
  for (let n = 0; n < 0x80; n++) assert.equal(JSON.stringify(String.fromCharCode(n)), serde(String.fromCharCode(n)), `U+${n.toString(16)}`);
  for (const s of ['é', '\u2028', '\u2029', '\ufeff', '😀', '\u0080', '\u00a0', 'a"b\\c\u0001\u001f\u007f']) assert.equal(JSON.stringify(s), serde(s), s);
});

test('CSV as the csv crate reads it: quotes, doubled quotes, CRLF, empty lines skipped, nothing trimmed', () => {
  const rows = parseCsv('a,b\r\n\r\n"x,1"," y ""q"" ",\n\n"multi\nline",z\rlast,"ab"cd\n, \n"unterminated');
  assert.deepEqual(
    rows.map((r) => r.fields),
    [['a', 'b'], ['x,1', ' y "q" ', ''], ['multi\nline', 'z'], ['last', 'abcd'], ['', ' '], ['unterminated']],
  );
  assert.deepEqual(rows.map((r) => r.line), [1, 3, 5, 6, 7, 8]);
  assert.deepEqual(parseCsv('a"b,c\n').map((r) => r.fields), [['a"b', 'c']]);
  assert.deepEqual(parseCsv(''), []);
});

/** A build folder holding the hand-made artifact as brand acme, plus brands whose files are damaged or missing. */
function buildDir() {
  const dir = mkdtempSync(join(tmpdir(), 'frjs-'));
  const a = mini();
  const sha = (b) => createHash('sha256').update(b).digest('hex');
  writeFileSync(join(dir, 'acme.0.frt'), a);
  const bad = a.slice();
  bad[50] ^= 1;
  writeFileSync(join(dir, 'broken.0.frt'), bad);
  const entry = (file, bytes) => ({ artifact: file, artifact_sha256: sha(bytes) });
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      format_version: 1,
      brands: { acme: entry('acme.0.frt', a), broken: entry('broken.0.frt', bad), gone: entry('gone.0.frt', a) },
    }),
  );
  return dir;
}

const run = (args, input) => spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });

test('one query prints one NDJSON line; unknown and unusable brands answer as Rust does', () => {
  const dir = buildDir();
  const one = (brand, zip) => run(['--artifacts', dir, '--brand', brand, '--zip', zip, '--product', 'auto']);
  assert.equal(one('acme', '90210').stdout, '{"ok":true,"url":"https://acme.example/en/auto?zip=90210&state=CA&ft=direct&l=en&b=acme&p=auto","state":"CA","form_type":"direct","language":"en"}\n');
  assert.equal(one('ACME', '90210').stdout, '{"ok":false,"error":"unknown_brand","fallback_url":null}\n');
  const broken = one('broken', '90210');
  assert.equal(broken.stdout, '{"ok":false,"error":"unavailable","fallback_url":null}\n');
  assert.match(broken.stderr, /brand `broken` is unavailable/);
  assert.match(broken.stderr, /brand `gone` is unavailable/);
  assert.equal(one('acme', '-1').status, 0); // a value may start with a dash
  assert.equal(run(['--artifacts', dir, '--brand', 'acme', '--zip=90210-1234', '--product=auto', '--language=es']).stdout.includes('/es/auto'), true);
});

test('--batch reads the CSV (any column order, language optional, - for stdin) and answers in input order', () => {
  const dir = buildDir();
  const csv = 'zip,product,brand\n90210,auto,acme\n" 10001 ",AUTO,acme\n90210,auto,nobody\n';
  const out = run(['--artifacts', dir, '--batch', '-'], csv);
  assert.equal(out.status, 0, out.stderr);
  const lines = out.stdout.split('\n');
  assert.equal(lines.length, 4);
  assert.equal(JSON.parse(lines[1]).form_type, 'partner');
  assert.equal(JSON.parse(lines[2]).error, 'unknown_brand');
  const file = join(dir, 'q.csv');
  writeFileSync(file, csv);
  assert.equal(run(['--artifacts', dir, '--batch', file]).stdout, out.stdout);
});

test('a bad header, a ragged row, a bad manifest version and usage errors fail with a non-zero status', () => {
  const dir = buildDir();
  assert.equal(run(['--artifacts', dir, '--batch', '-'], 'brand,zipcode,product\n').status, 1);
  const ragged = run(['--artifacts', dir, '--batch', '-'], 'brand,zip,product\nacme,90210,auto\nacme,90210\n');
  assert.equal(ragged.status, 1);
  assert.equal(ragged.stdout.split('\n').length, 2); // the rows before it were answered
  assert.match(ragged.stderr, /:3: /);
  writeFileSync(join(dir, 'manifest.json'), '{"format_version":2,"brands":{}}');
  const v2 = run(['--artifacts', dir, '--brand', 'a', '--zip', '1', '--product', 'p']);
  assert.equal(v2.status, 1);
  assert.match(v2.stderr, /artifact format version 2 is not supported by this client \(it reads version 1\): update the formroute client, or rebuild the artifacts with a matching formroute builder/);
  assert.equal(run(['--artifacts', dir]).status, 2);
  assert.equal(run(['--artifacts', dir, '--batch', 'x', '--zip', '1']).status, 2);
  assert.equal(run(['--bogus']).status, 2);
});

test('the installed bin name runs the same script', () => {
  const pkg = JSON.parse(execFileSync('cat', [new URL('../package.json', import.meta.url).pathname], { encoding: 'utf8' }));
  assert.equal(pkg.bin['formroute-resolve'], './bin/resolve.mjs');
});
