/** Without JavaScript: in Chromium with JavaScript disabled, the example page's form (action `/v1/go`) still takes the visitor to the brand's form, or to its fallback, through `formroute serve`. */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const bin = (name) => [`target/debug/${name}`, `target/release/${name}`].map((p) => join(ROOT, p)).find((p) => existsSync(p));
const FORMROUTE = process.env.FORMROUTE_BIN || bin('formroute');

const missing = [!existsSync(CHROMIUM) && `Chromium at ${CHROMIUM}`, !FORMROUTE && 'target/debug/formroute (cargo build)'].filter(Boolean);
if (missing.length && process.env.CI) throw new Error(`no-JavaScript test cannot run in CI without: ${missing.join(', ')}`);
const skip = missing.length > 0 && `skipped: needs ${missing.join(', ')}`;

test('with JavaScript off, the form posts to /v1/go and lands on the form formroute resolve names', { skip, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'formroute-nojs-'));
  const build = join(dir, 'build');
  const b = spawnSync(FORMROUTE, ['build', '--data', join(ROOT, 'data'), '--out', build], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const resolve = (zip, product) =>
    JSON.parse(spawnSync(FORMROUTE, ['resolve', '--artifacts', build, '--brand', 'acme', '--zip', zip, '--product', product, '--language', 'en'], { encoding: 'utf8' }).stdout);

  const spool = join(dir, 'events.ndjson');
  const serve = spawn(FORMROUTE, ['serve', '--data', join(ROOT, 'data'), '--listen', '127.0.0.1:0', '--work', join(dir, 'work'), '--spool', spool], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  t.after(() => serve.kill());
  const origin = await new Promise((ok, fail) => {
    let out = '';
    serve.stdout.on('data', (d) => {
      out += d;
      const m = /formroute serve: (http:\/\/[0-9.:]+)\//.exec(out);
      if (m) ok(m[1]);
    });
    serve.on('exit', (code) => fail(new Error(`formroute serve exited (${code})`)));
  });

  const { chromium } = createRequire(join(ROOT, 'client-js/package.json'))('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  t.after(async () => {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const requested = [];
  ctx.on('request', (r) => requested.push(r.url()));
  for (const [zip, product] of [['10001', 'home'], ['00000', 'auto']]) {
    const tab = await ctx.newPage();
    const expected = resolve(zip, product);
    const to = expected.ok ? expected.url : expected.fallback_url;
    await tab.goto(`${origin}/example.html`);
    await tab.fill('input[name=zip]', zip);
    await tab.selectOption('select[name=product]', product);
    // The brands' sites are not on this machine (and request routing does not see redirect
    // targets): what counts is that the browser follows /v1/go's redirect to the right URL.
    const followed = ctx.waitForEvent('request', { predicate: (r) => r.url() === to, timeout: 10_000 });
    await tab.click('button', { noWaitAfter: true });
    const landing = await followed;
    const go = landing.redirectedFrom();
    assert.ok(go && go.url().startsWith(`${origin}/v1/go?brand=acme&zip=${zip}&product=${product}`), go?.url());
    assert.equal((await go.response()).status(), 302);
    await tab.close();
  }
  // The snippet never ran: the browser went through /v1/go (a running snippet navigates straight to
  // the form), and the only artifact requests are the page's own `<link rel="preload">` hint, which
  // the browser honours with JavaScript off (one per page load).
  const artifacts = requested.filter((u) => u.endsWith('.frt'));
  assert.ok(artifacts.every((u) => u === `${origin}/acme.v2.frt`), artifacts.join('\n'));
  assert.ok(artifacts.length <= 2, artifacts.join('\n'));
  assert.ok(requested.some((u) => u.startsWith(`${origin}/v1/go?brand=acme&zip=10001`)), requested.join('\n'));

  // Each lookup was logged as a server-side resolve event, from the example page.
  const events = readFileSync(spool, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const server = events.filter((e) => e.source === 'server');
  assert.equal(server.length, 2, JSON.stringify(events));
  // ... and nothing else: a snippet that ran would have sent its own load/resolve beacons.
  assert.equal(events.length, server.length, JSON.stringify(events));
  assert.equal(server[0].page, `${origin}/example.html`);
  assert.equal(server[0].ok, true);
  assert.equal(server[1].error, 'unknown_zip');
});
