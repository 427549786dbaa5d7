/** Old and new snippets against ONE publish, in Chromium on a slow profile: a page with the v1 snippet of commit 52022df (tests/e2e/fixtures) and a page with the snippet publish uploads (SRI-pinned) both resolve to `formroute resolve`'s answer, each from its own format's pointer; after a publish that stops format 1 on a fresh prefix, the old snippet falls back. */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;
const MOTO = process.env.FORMROUTE_MOTO_URL;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const bin = (name) => [`target/debug/${name}`, `target/release/${name}`].map((p) => join(ROOT, p)).find((p) => existsSync(p));
const FORMROUTE = process.env.FORMROUTE_BIN || bin('formroute');
const PYTHON = process.env.FORMROUTE_PYTHON || join(ROOT, 'target/test-venv/bin/python');
const OLD_SNIPPET = readFileSync(join(ROOT, 'tests/e2e/fixtures/formroute.v1.min.js'));

// A test whose services are absent fails, naming what starts them (house rule).
const missing = [
  !MOTO && 'FORMROUTE_MOTO_URL: start `target/test-venv/bin/moto_server -H 127.0.0.1 -p 5101` and export FORMROUTE_MOTO_URL=http://127.0.0.1:5101 (tests/run-all.sh does)',
  !existsSync(CHROMIUM) && `Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`,
  !FORMROUTE && 'target/debug/formroute (cargo build -p formroute)',
  !existsSync(PYTHON) && `${PYTHON} (bash tests/setup.sh)`,
].filter(Boolean);

const env = { ...process.env, AWS_ENDPOINT_URL: MOTO, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };
function run(cmd, args) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}
const aws = (...args) => run(PYTHON, [join(ROOT, 'tests/e2e/aws.py'), ...args]).stdout;

/** A slow phone: 400 kbps down, 400 ms round trip (CDP), as the client's browser tests use. */
async function throttle(ctx, tab) {
  const cdp = await ctx.newCDPSession(tab);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 400, downloadThroughput: 50_000, uploadThroughput: 50_000 });
}

const FALLBACK = 'https://www.acme.example/fallback';
const page = (script) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Acme quote</title>
${script}
</head><body><form data-formroute="acme" action="https://www.acme.example/no-js">
<label>ZIP <input name="zip"></label> <label>Product <select name="product"><option value="auto">Auto</option></select></label> <button>Get my form</button></form></body></html>`;

/** Opens `url` on the slow profile, submits `zip`, returns where the visitor landed and which artifacts were fetched. */
async function submit(ctx, url, zip, screenshot) {
  const tab = await ctx.newPage();
  await throttle(ctx, tab);
  const artifacts = [];
  const errors = [];
  tab.on('request', (r) => { if (r.url().includes('.frt')) artifacts.push(r.url()); });
  tab.on('pageerror', (e) => errors.push(e));
  // A visitor types for a while: submit once the artifact download has ended (whatever its answer).
  const downloaded = Promise.race([
    tab.waitForEvent('requestfinished', { predicate: (r) => r.url().includes('.frt'), timeout: 20_000 }),
    tab.waitForEvent('requestfailed', { predicate: (r) => r.url().includes('.frt'), timeout: 20_000 }),
  ]);
  await tab.goto(url);
  await tab.fill('input[name=zip]', zip);
  await downloaded;
  if (screenshot) await tab.screenshot({ path: screenshot });
  await Promise.all([tab.waitForURL((u) => !u.href.startsWith(url), { timeout: 20_000 }), tab.click('button')]);
  const landed = tab.url();
  await tab.close();
  assert.deepEqual(errors, []);
  return { landed, artifacts };
}

test('the old v1 snippet and the new published snippet both resolve against one publish', { timeout: 180_000 }, async (t) => {
  assert.deepEqual(missing, [], `the compatibility test needs: ${missing.join('; ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'formroute-compat-'));
  const build = join(dir, 'build');
  run(FORMROUTE, ['build', '--data', join(ROOT, 'data'), '--out', build]);
  const bucket = `compat-${process.pid}`;
  aws('bucket', bucket);
  // ONE publish, with the default --keep-format 1.
  const published = run(FORMROUTE, ['publish', '--artifacts', build, '--bucket', bucket, '--prefix', 'routes']);
  assert.match(published.stderr, /format 1 kept for the v1 snippets/);
  const { snippet } = JSON.parse(published.stdout);
  const base = `${MOTO}/${bucket}/routes/`;
  const zip = '10001';
  const expected = JSON.parse(run(FORMROUTE, ['resolve', '--artifacts', build, '--brand', 'acme', '--zip', zip, '--product', 'auto', '--language', 'en']).stdout);
  assert.equal(expected.ok, true);

  const { chromium } = createRequire(join(ROOT, 'client-js/package.json'))('playwright-core');
  const ctx = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests'],
  });
  t.after(async () => {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const tags = {
    // The snippet as an old page has it, from its own (cached) copy.
    old: `<script src="https://www.acme.example/old/formroute.min.js" data-base="${base}" data-fallback-url="${FALLBACK}"></script>`,
    // The snippet publish uploaded, pinned: Chromium refuses it if a byte differs from the integrity.
    new: `<script src="${base}${snippet.file}" integrity="${snippet.integrity}" crossorigin="anonymous" data-base="${base}" data-fallback-url="${FALLBACK}"></script>`,
  };
  await ctx.route(/^https:\/\//, (route) => {
    const url = route.request().url();
    if (url === 'https://www.acme.example/old/formroute.min.js') return route.fulfill({ contentType: 'text/javascript', body: OLD_SNIPPET });
    if (url === 'https://www.acme.example/old.html') return route.fulfill({ contentType: 'text/html', body: page(tags.old) });
    if (url === 'https://www.acme.example/new.html') return route.fulfill({ contentType: 'text/html', body: page(tags.new) });
    return route.fulfill({ contentType: 'text/html', body: '<p>landed</p>' });
  });

  const old = await submit(ctx, 'https://www.acme.example/old.html', zip, join(ROOT, 'target/compat-old.png'));
  assert.equal(old.landed, expected.url, 'the v1 snippet reaches the form formroute resolve names');
  assert.deepEqual(old.artifacts, [`${base}acme.frt`], 'the v1 snippet reads the format-1 pointer');
  const fresh = await submit(ctx, 'https://www.acme.example/new.html', zip, join(ROOT, 'target/compat-new.png'));
  assert.equal(fresh.landed, expected.url, 'the new snippet reaches the same form');
  assert.deepEqual(fresh.artifacts, [`${base}acme.v2.frt`], 'the new snippet reads the format-2 pointer');

  // A publish to a fresh prefix with --keep-format none leaves no format-1 pointer: the old snippet
  // then sends its visitor to the page's fallback (what `--keep-format 1`, the default, prevents).
  const v2only = run(FORMROUTE, ['publish', '--artifacts', build, '--bucket', bucket, '--prefix', 'v2only', '--keep-format', 'none']);
  assert.match(v2only.stderr, /--keep-format none: format 1 is not published/);
  tags.old = tags.old.replaceAll(base, `${MOTO}/${bucket}/v2only/`);
  const gone = await submit(ctx, 'https://www.acme.example/old.html', zip);
  assert.ok(gone.landed.startsWith(FALLBACK), `the v1 snippet without its pointer falls back: ${gone.landed}`);
});
