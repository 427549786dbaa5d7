/** Conformance through HTTP: every query of the conformance set sent to `GET /v1/resolve` of `lambda-logger serve` answers exactly the bytes `formroute resolve --batch` prints for it. */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { conformanceQueries, queryCsv } from './queries.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const bin = (name) => [`target/debug/${name}`, `target/release/${name}`].map((p) => join(ROOT, p)).find((p) => existsSync(p));
const FORMROUTE = process.env.FORMROUTE_BIN || bin('formroute');
const LOGGER = process.env.LAMBDA_LOGGER_BIN || bin('lambda-logger');
/** Connections, and requests in flight on each (HTTP/1.1 pipelining over keep-alive). */
const CONNECTIONS = 4;
const DEPTH = 128;

/** The query string of one query, encoded as an HTML form would (`+` for spaces); an empty language is left out. */
function target([brand, zip, product, language]) {
  const p = new URLSearchParams({ brand, zip, product });
  if (language !== '') p.set('language', language);
  return `/v1/resolve?${p}`;
}

/**
 * Sends `paths[from..to)` on one keep-alive connection, DEPTH at a time, and hands each answer's
 * status and body to `check(index, status, body)` in order.
 */
function pipeline(port, paths, from, to, check) {
  return new Promise((ok, fail) => {
    const sock = connect(port, '127.0.0.1');
    let sent = from;
    let next = from;
    let buf = Buffer.alloc(0);
    const send = () => {
      const parts = [];
      while (sent < to && sent - next < DEPTH) parts.push(`GET ${paths[sent++]} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      if (parts.length) sock.write(parts.join(''));
    };
    sock.on('connect', send);
    sock.on('error', fail);
    sock.on('close', () => (next === to ? ok() : fail(new Error(`connection closed after ${next - from} of ${to - from} answers`))));
    sock.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let at = 0;
      for (;;) {
        const end = buf.indexOf('\r\n\r\n', at);
        if (end < 0) break;
        const head = buf.toString('latin1', at, end);
        const m = /\r\ncontent-length: *(\d+)/i.exec(head);
        const len = m ? Number(m[1]) : 0;
        if (buf.length < end + 4 + len) break;
        check(next++, Number(head.slice(9, 12)), buf.subarray(end + 4, end + 4 + len));
        at = end + 4 + len;
      }
      buf = buf.subarray(at);
      if (next === to) sock.end();
      else send();
    });
  });
}

const missing = [!FORMROUTE && 'target/debug/formroute', !LOGGER && 'target/debug/lambda-logger'].filter(Boolean);
if (missing.length && process.env.CI) throw new Error(`HTTP conformance cannot run in CI without ${missing.join(', ')} (cargo build)`);

test('/v1/resolve answers every conformance query byte for byte as formroute resolve', { skip: missing.length > 0 && `needs ${missing.join(', ')} (cargo build)`, timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'formroute-http-conformance-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  const built = spawnSync(FORMROUTE, ['build', '--data', join(ROOT, 'data'), '--out', out], { encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));

  // What the CLI prints for the whole set.
  const { lines } = queryCsv(manifest);
  const csv = join(dir, 'queries.csv');
  writeFileSync(csv, lines.join('\r\n') + '\r\n');
  const cli = spawnSync(FORMROUTE, ['resolve', '--artifacts', out, '--batch', csv], { maxBuffer: 1 << 30 });
  assert.equal(cli.status, 0, String(cli.stderr));
  const expected = cli.stdout;
  const starts = [0];
  for (let i = expected.indexOf(10); i >= 0; i = expected.indexOf(10, i + 1)) starts.push(i + 1);

  const { data, extra } = conformanceQueries(manifest);
  const queries = [...data, ...extra];
  assert.equal(starts.length - 1, queries.length, 'one CLI line per query');
  const paths = queries.map(target);
  const longest = paths.reduce((m, p) => Math.max(m, Buffer.byteLength(p)), 0);
  t.diagnostic(`${queries.length} queries over ${CONNECTIONS} keep-alive connections; longest request target ${longest} bytes`);

  // Server-side events are not what this test checks: they go to /dev/null.
  const logger = spawn(LOGGER, ['serve', '--listen', '127.0.0.1:0', '--artifacts', out, '--spool', '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.after(() => logger.kill());
  const port = await new Promise((ok, fail) => {
    let err = '';
    logger.stderr.on('data', (d) => {
      err += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(err);
      if (m) ok(Number(m[1]));
    });
    logger.on('exit', (code) => fail(new Error(`lambda-logger serve exited (${code}): ${err}`)));
  });

  let first = null;
  let answered = 0;
  const check = (i, status, body) => {
    answered++;
    const want = expected.subarray(starts[i], starts[i + 1]);
    if (first === null && (status !== 200 || !body.equals(want)))
      first = { query: queries[i], status, http: body.toString(), cli: want.toString() };
  };
  const started = Date.now();
  const per = Math.ceil(paths.length / CONNECTIONS);
  await Promise.all(
    Array.from({ length: CONNECTIONS }, (_, c) => pipeline(port, paths, c * per, Math.min(paths.length, (c + 1) * per), check)),
  );
  const secs = (Date.now() - started) / 1000;
  t.diagnostic(`${answered} answers in ${secs.toFixed(1)} s (${Math.round(answered / secs)}/s)`);
  assert.equal(first, null, JSON.stringify(first));
  assert.equal(answered, queries.length);
});
