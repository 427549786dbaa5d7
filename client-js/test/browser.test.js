/** In headless Debian Chromium (playwright-core): a page with the snippet and a declarative form routes a typed ZIP to its form, falls back within the time-out when the artifact is unreachable, and its beacons match the shared schema. */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { parseArtifact } from '../src/artifact.js';
import { mini } from './helpers/artifact-writer.js';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = process.env.FORMROUTE_BIN || ['target/debug/formroute', 'target/release/formroute'].map((p) => join(ROOT, p)).find((p) => existsSync(p));
const skip = !existsSync(CHROMIUM) && !process.env.CI && `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`;

/** The artifacts to serve, by brand: built from data/ by the Rust builder when there is one, else the hand-made test brand. */
function artifacts(dir) {
  if (BIN) {
    const out = join(dir, 'build');
    const r = spawnSync(BIN, ['build', '--data', join(ROOT, 'data'), '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    return Object.fromEntries(Object.entries(m.brands).map(([b, e]) => [b, readFileSync(join(out, e.artifact))]));
  }
  return { acme: Buffer.from(mini()) };
}

const page = (base, extra = '') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Get a quote</title>
<script src="/formroute.min.js" data-base="${base}" data-beacon-url="/v1/events" data-fallback-url="/fallback.html" async></script>
</head><body>
<form data-formroute="acme" ${extra} action="/no-js.html">
  <input name="zip" autocomplete="postal-code" inputmode="numeric">
  <select name="product"><option value="auto">Auto</option><option value="home">Home</option></select>
  <button>Get my quote</button>
</form></body></html>`;

test('a visitor types a ZIP, submits and lands on the form; unreachable artifacts land on the fallback in time', { skip, timeout: 120_000 }, async (t) => {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'formroute-browser-'));
  const files = artifacts(dir);
  const events = [];
  const hits = {}; // artifact requests by path
  const schema = JSON.parse(readFileSync(new URL('../schema/event.schema.json', import.meta.url)));
  const valid = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
  const snippet = readFileSync(new URL('../dist/formroute.min.js', import.meta.url));
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'POST' && url.pathname === '/v1/events') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        events.push({ type: req.headers['content-type'], body: JSON.parse(body) });
        res.writeHead(202).end('{}');
      });
      return;
    }
    if (url.pathname.startsWith('/hang/')) return; // never answers
    const brand = /^\/(?:artifacts|cached)\/([a-z0-9-]+)\.frt$/.exec(url.pathname);
    if (brand) hits[url.pathname] = (hits[url.pathname] || 0) + 1;
    if (brand && files[brand[1]]) return res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'max-age=60' }).end(files[brand[1]]);
    if (url.pathname === '/formroute.min.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(snippet);
    if (url.pathname === '/demo.html') return res.writeHead(200, { 'content-type': 'text/html' }).end(page('/artifacts/'));
    if (url.pathname === '/cached.html') return res.writeHead(200, { 'content-type': 'text/html' }).end(page('/cached/'));
    if (url.pathname === '/down.html') return res.writeHead(200, { 'content-type': 'text/html' }).end(page('/hang/', 'data-timeout-ms="1000"'));
    if (url.pathname === '/refused.html') return res.writeHead(200, { 'content-type': 'text/html' }).end(page('http://127.0.0.1:9/'));
    if (url.pathname === '/fallback.html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<p>fallback</p>');
    res.writeHead(404).end();
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const ctx = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(async () => {
    await ctx.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // Form URLs are on the brands' https sites: answer them here so the navigation completes offline.
  await ctx.route('https://**/*', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<p>form</p>' }));
  const errors = [];
  const tab = await ctx.newPage();
  tab.on('pageerror', (e) => errors.push(e.message));

  await t.test('typing a ZIP and submitting lands on the Rust-compatible URL, and the beacons reach the logger', async () => {
    const expected = parseArtifact(new Uint8Array(files.acme)).resolve({ zip: '10001', product: 'home', language: 'en' });
    assert.equal(expected.ok, true);
    await tab.goto(origin + '/demo.html');
    await tab.fill('input[name=zip]', ' 10001-0001 ');
    await tab.selectOption('select[name=product]', 'home');
    await Promise.all([tab.waitForURL(expected.url), tab.click('button')]);
    assert.equal(tab.url(), expected.url);
    for (let i = 0; i < 50 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const sent = events.flatMap((e) => e.body.events);
    assert.deepEqual(sent.map((e) => e.type), ['load', 'resolve']);
    assert.match(events[0].type, /^text\/plain/);
    for (const e of sent) assert.ok(valid(e), JSON.stringify(valid.errors));
    assert.equal(sent[1].zip, ' 10001-0001 ');
    assert.equal(sent[1].state, expected.state);
    assert.equal(sent[1].page, origin + '/demo.html');
    assert.ok(sent[0].ms >= 0 && sent[0].av);
  });

  await t.test('the load event says where the artifact came from: network first, then the HTTP cache', async () => {
    // Playwright turns the HTTP cache off while requests are routed: this part needs no route.
    await ctx.unrouteAll();
    const loads = async () => {
      events.length = 0;
      await tab.goto(origin + '/cached.html');
      // The load event goes out with the queue's 3 s timer.
      for (let i = 0; i < 80 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      const sent = events.flatMap((e) => e.body.events).filter((e) => e.type === 'load');
      assert.equal(sent.length, 1, JSON.stringify(events));
      assert.ok(valid(sent[0]), JSON.stringify(valid.errors));
      return sent[0].source;
    };
    assert.equal(await loads(), 'network');
    assert.equal(await loads(), 'cache');
    assert.equal(hits['/cached/acme.frt'], 1); // the second load never reached the server
  });

  await t.test('an artifact that never arrives: the visitor lands on the page fallback once the time-out (1 s) passes', async () => {
    events.length = 0;
    await tab.goto(origin + '/down.html');
    const t0 = Date.now();
    await tab.fill('input[name=zip]', '10001');
    await Promise.all([tab.waitForURL(origin + '/fallback.html', { timeout: 5000 }), tab.click('button')]);
    const took = Date.now() - t0;
    assert.ok(took < 2500, `${took} ms`);
    for (let i = 0; i < 50 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const sent = events.flatMap((e) => e.body.events);
    assert.deepEqual(sent.map((e) => [e.type, e.error]), [['error', 'timeout'], ['resolve', 'unavailable']]);
    for (const e of sent) assert.ok(valid(e), JSON.stringify(valid.errors));
  });

  await t.test('an artifact host that refuses connections: straight to the fallback', async () => {
    await tab.goto(origin + '/refused.html');
    await tab.fill('input[name=zip]', '10001');
    await Promise.all([tab.waitForURL(origin + '/fallback.html', { timeout: 5000 }), tab.click('button')]);
  });

  assert.deepEqual(errors, []);
});
