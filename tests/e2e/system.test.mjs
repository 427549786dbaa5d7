/** The whole system in headless Chromium: build, publish to local S3 (moto), a brand page loads the snippet and its artifact from there, resolves, redirects, and its beacon reaches SQS through lambda-logger. */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;
const MOTO = process.env.FORMROUTE_MOTO_URL;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const bin = (name) => [`target/debug/${name}`, `target/release/${name}`].map((p) => join(ROOT, p)).find((p) => existsSync(p));
const FORMROUTE = process.env.FORMROUTE_BIN || bin('formroute');
const LOGGER = process.env.LAMBDA_LOGGER_BIN || bin('lambda-logger');
const PYTHON = process.env.FORMROUTE_PYTHON || join(ROOT, 'target/test-venv/bin/python');
const SNIPPET = join(ROOT, 'client-js/dist/formroute.min.js');

const missing = [
  !MOTO && 'FORMROUTE_MOTO_URL (a moto server)',
  !existsSync(CHROMIUM) && `Chromium at ${CHROMIUM}`,
  !FORMROUTE && 'target/debug/formroute (cargo build)',
  !LOGGER && 'target/debug/lambda-logger (cargo build)',
  !existsSync(PYTHON) && `${PYTHON} (bash tests/setup.sh)`,
  !existsSync(SNIPPET) && 'client-js/dist (npm run build in client-js)',
].filter(Boolean);
if (missing.length && process.env.CI) throw new Error(`whole-system test cannot run in CI without: ${missing.join(', ')}`);
const skip = missing.length > 0 && `skipped: needs ${missing.join(', ')}`;

const env = { ...process.env, AWS_ENDPOINT_URL: MOTO, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };
function run(cmd, args) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}
const aws = (...args) => run(PYTHON, [join(ROOT, 'tests/e2e/aws.py'), ...args]);

async function freePort() {
  const s = createServer();
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address();
  await new Promise((ok) => s.close(ok));
  return port;
}

test('build, publish to S3, page resolves from there and redirects, beacon lands in SQS', { skip, timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'formroute-e2e-'));
  const build = join(dir, 'build');
  run(FORMROUTE, ['build', '--data', join(ROOT, 'data'), '--out', build]);

  // Publish to the local S3, and put the snippet next to the artifacts (as a CDN would serve it).
  const bucket = `e2e-${process.pid}`;
  aws('bucket', bucket);
  const summary = JSON.parse(run(FORMROUTE, ['publish', '--artifacts', build, '--bucket', bucket, '--prefix', 'routes']));
  assert.ok(summary.writes > 0);
  aws('put', bucket, 'routes/formroute.min.js', SNIPPET, 'text/javascript');
  const base = `${MOTO}/${bucket}/routes/`;

  // lambda-logger in front of a local SQS queue.
  const queue = aws('queue', `e2e-${process.pid}`).trim();
  const port = await freePort();
  const logger = spawn(LOGGER, ['serve', '--listen', `127.0.0.1:${port}`, '--artifacts', build, '--queue-url', queue], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  t.after(() => logger.kill());
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/v1/events`, { method: 'OPTIONS' }).then(() => true, () => false);
    if (up) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }

  const zip = '10001';
  const expected = JSON.parse(run(FORMROUTE, ['resolve', '--artifacts', build, '--brand', 'acme', '--zip', zip, '--product', 'auto', '--language', 'en']));
  assert.equal(expected.ok, true);

  // The brand's page is served at its real https origin (a beacon origin in brands.csv) by the
  // browser's request routing; everything else comes from the local S3 and logger over HTTP.
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme quote</title>
<script src="${base}formroute.min.js" data-base="${base}" data-beacon-url="http://127.0.0.1:${port}/v1/events" data-fallback-url="https://www.acme.example/fallback"></script>
</head><body><form data-formroute="acme" action="https://www.acme.example/no-js">
<input name="zip"><select name="product"><option value="auto">Auto</option></select><button>Go</button></form></body></html>`;
  const { chromium } = createRequire(join(ROOT, 'client-js/package.json'))('playwright-core');
  const ctx = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // The https page talks to loopback services (S3, logger): allow that without a permission prompt.
      '--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests'],
  });
  t.after(async () => {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const artifactRequests = [];
  ctx.on('request', (r) => { if (r.url().endsWith('.frt')) artifactRequests.push(r.url()); });
  await ctx.route(/^https:\/\//, (route) => {
    const url = route.request().url();
    if (url === 'https://www.acme.example/quote') return route.fulfill({ contentType: 'text/html', body: page });
    return route.fulfill({ contentType: 'text/html', body: '<p>landed</p>' });
  });
  const tab = await ctx.newPage();
  const errors = [];
  tab.on('pageerror', (e) => errors.push(e));
  await tab.goto('https://www.acme.example/quote');
  await tab.fill('input[name=zip]', zip);
  await Promise.all([tab.waitForURL((u) => !u.href.endsWith('/quote'), { timeout: 10_000 }), tab.click('button')]);
  assert.equal(tab.url(), expected.url);
  assert.deepEqual(errors, []);
  assert.deepEqual(artifactRequests, [`${base}acme.frt`], 'one artifact request, the pointer');

  // The resolve event, read back from the queue.
  const bodies = aws('receive', queue, '2', '15').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const resolve = bodies.find((e) => e.type === 'resolve');
  assert.ok(resolve, `no resolve event on the queue: ${JSON.stringify(bodies)}`);
  assert.equal(resolve.brand, 'acme');
  assert.equal(resolve.zip, zip);
  assert.equal(resolve.ok, true);
  assert.equal(resolve.form_type, expected.form_type);
  assert.ok(bodies.some((e) => e.type === 'load'), 'a load event too');
});
