/** The whole system in headless Chromium: build, publish to local S3 (moto), a brand page loads the snippet and its artifact from there, resolves, redirects, and its beacon reaches SQS through lambda-logger; then the same on the resources of template.yaml's stack, through the archiver to the report. */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import vm from 'node:vm';

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

async function browser(dir) {
  const { chromium } = createRequire(join(ROOT, 'client-js/package.json'))('playwright-core');
  return chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // The https page talks to loopback services (S3, logger): allow that without a permission prompt.
      '--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests'],
  });
}

test('build, publish to S3, page resolves from there and redirects, beacon lands in SQS', { skip, timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'formroute-e2e-'));
  const build = join(dir, 'build');
  run(FORMROUTE, ['build', '--data', join(ROOT, 'data'), '--out', build]);

  // Publish to the local S3: the artifacts and, next to them, the build's snippet (content-addressed,
  // with its SRI value, which the browser enforces below).
  const bucket = `e2e-${process.pid}`;
  aws('bucket', bucket);
  const summary = JSON.parse(run(FORMROUTE, ['publish', '--artifacts', build, '--bucket', bucket, '--prefix', 'routes']));
  assert.ok(summary.writes > 0);
  const { snippet } = summary;
  assert.match(snippet.file, /^a\/formroute\.[0-9a-f]{16}\.min\.js$/);
  assert.match(snippet.integrity, /^sha384-[A-Za-z0-9+/]{64}$/);
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
<script src="${base}${snippet.file}" integrity="${snippet.integrity}" crossorigin="anonymous" data-base="${base}" data-beacon-url="http://127.0.0.1:${port}/v1/events" data-fallback-url="https://www.acme.example/fallback"></script>
</head><body><form data-formroute="acme" action="https://www.acme.example/no-js">
<input name="zip"><select name="product"><option value="auto">Auto</option></select><button>Go</button></form></body></html>`;
  const ctx = await browser(dir);
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
  assert.deepEqual(artifactRequests, [`${base}acme.v2.frt`], 'one artifact request, the pointer');

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

// ---- The same system on the resources of template.yaml's stack --------------------------------
// tests/run-all.sh creates the stack on moto (tests/deploy/stack.py) and names its description in
// FORMROUTE_E2E_STACK. Everything below comes from there: the bucket and prefix publish writes to,
// the snippet tag pasted in the page, the distribution's behaviours and origin header, each
// function's environment, the queue, the archive, the Glue table.
const STACK = process.env.FORMROUTE_E2E_STACK;
const ARCHIVER = process.env.LAMBDA_ARCHIVER_BIN || bin('lambda-archiver');
const CARGO_LAMBDA = spawnSync('cargo-lambda', ['lambda', 'watch', '--help'], { encoding: 'utf8' }).status === 0;
const missingStack = [
  !STACK && 'FORMROUTE_E2E_STACK (python tests/deploy/stack.py create NAME FILE, as tests/run-all.sh does)',
  !ARCHIVER && 'target/debug/lambda-archiver (cargo build)',
  !CARGO_LAMBDA && 'cargo-lambda on PATH (bash tests/setup.sh; target/test-venv/bin)',
].filter(Boolean);
if (missingStack.length && process.env.CI) throw new Error(`stack test cannot run in CI without: ${missingStack.join(', ')}`);
const skipStack = skip || (missingStack.length > 0 && `skipped: needs ${missingStack.join(', ')}`);

async function waitFor(stream, text, ms) {
  let seen = '';
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no ${JSON.stringify(text)} within ${ms} ms: ${seen}`)), ms);
    stream.on('data', (d) => {
      seen += d;
      if (seen.includes(text)) { clearTimeout(timer); ok(); }
    });
  });
}

/** `bin` polling the Lambda runtime emulator (cargo lambda watch) with `fnEnv`; returns the emulator's port. */
async function onLambdaRuntime(t, binary, fnEnv) {
  const port = await freePort();
  const emu = spawn('cargo-lambda', ['lambda', 'watch', '--only-lambda-apis', '-A', '127.0.0.1', '-P', String(port)],
    { cwd: join(ROOT, 'lambda-logger'), env, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => emu.kill());
  await waitFor(emu.stdout, 'starting Runtime server', 60_000);
  const fn = spawn(binary, [], {
    env: { ...env, ...fnEnv, AWS_ENDPOINT_URL: MOTO, AWS_LAMBDA_RUNTIME_API: `http://127.0.0.1:${port}/.rt`,
      AWS_LAMBDA_FUNCTION_NAME: '_', AWS_LAMBDA_FUNCTION_VERSION: '1', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  t.after(() => fn.kill());
  await new Promise((ok) => setTimeout(ok, 300));
  assert.equal(fn.exitCode, null, `${binary} exited at start`);
  return port;
}

/** The stack's CloudFront Function, run as CloudFront runs it (a script with a global `handler`). */
const pickBrotli = (() => {
  const context = {};
  vm.runInNewContext(readFileSync(join(ROOT, 'cdn/pick-brotli.js'), 'utf8'), context);
  return context.handler;
})();

/** The behaviour of the stack's distribution that serves `path` (its PathPatterns, in order). */
function behaviourFor(dist, path) {
  const matches = (pattern) => (pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern);
  return (dist.CacheBehaviors.Items || []).find((b) => matches(b.PathPattern)) || dist.DefaultCacheBehavior;
}

test('the stack of template.yaml: publish to its bucket, its snippet tag, its CDN paths, its functions\' environments, queue -> archiver -> archive -> report', { skip: skipStack, timeout: 240_000 }, async (t) => {
  const stack = JSON.parse(readFileSync(STACK, 'utf8'));
  const o = stack.outputs;
  const dir = mkdtempSync(join(tmpdir(), 'formroute-stack-'));
  const build = join(dir, 'build');
  run(FORMROUTE, ['build', '--data', join(ROOT, 'data'), '--out', build]);

  // The data team's publish, exactly the stack's PublishCommand (docs/DEPLOY.md); it uploads the
  // snippet next to the artifacts and prints the SRI-pinned tag.
  const [cmd, ...publishArgs] = o.PublishCommand.split(' ');
  assert.equal(cmd, 'formroute');
  publishArgs[publishArgs.indexOf('--artifacts') + 1] = build;
  const summary = JSON.parse(run(FORMROUTE, publishArgs));
  assert.ok(summary.writes > 0);
  assert.equal(typeof summary.invalidation, 'string', 'publish invalidated on the stack\'s distribution');
  assert.ok(summary.snippet.tag.startsWith(`<script src="${o.CdnBaseUrl}${summary.snippet.file}" integrity="${summary.snippet.integrity}" crossorigin="anonymous"`), summary.snippet.tag);

  // Both functions, each with exactly the environment the stack gave it.
  // The logger reads the build just published from FORMROUTE_ARTIFACTS (the stack's bucket).
  const loggerPort = await onLambdaRuntime(t, LOGGER, stack.functions.LoggerFunction.env);
  const archiverPort = await onLambdaRuntime(t, ARCHIVER, stack.functions.ArchiverFunction.env);

  // The browser reaches the stack through its distribution: each request goes where the
  // distribution's behaviours send it (S3 origin with the response headers policy, or the function
  // URL with the origin's custom headers and CloudFront's viewer headers).
  const dist = stack.distribution;
  const origins = Object.fromEntries(dist.Origins.Items.map((x) => [x.Id, x]));
  const policy = stack.response_headers_policy;
  const cdn = new URL(o.CdnBaseUrl);
  const cloudfront = async (route, url) => {
    const req = route.request();
    const origin = origins[behaviourFor(dist, url.pathname).TargetOriginId];
    if (!origin.CustomOriginConfig) { // the S3 origin (moto leaves out its empty S3OriginConfig)
      const bucket = origin.DomainName.split('.s3.')[0];
      // The behaviour's viewer-request function (cdn/pick-brotli.js) may point at the brotli object.
      const viewerRequest = (behaviourFor(dist, url.pathname).FunctionAssociations?.Items || []).some((f) => f.EventType === 'viewer-request');
      const accept = req.headers()['accept-encoding'];
      const path = viewerRequest ? pickBrotli({ request: { uri: url.pathname, headers: accept ? { 'accept-encoding': { value: accept } } : {} } }).uri : url.pathname;
      const r = await fetch(`${MOTO}/${bucket}${path}`, { headers: { 'if-none-match': req.headers()['if-none-match'] || '' } });
      const headers = Object.fromEntries([...r.headers].filter(([k]) => !['content-encoding', 'content-length', 'transfer-encoding'].includes(k)));
      headers['access-control-allow-origin'] = policy.CorsConfig.AccessControlAllowOrigins.Items[0];
      headers['access-control-expose-headers'] = policy.CorsConfig.AccessControlExposeHeaders.Items.join(',');
      for (const h of policy.CustomHeadersConfig.Items) headers[h.Header.toLowerCase()] = h.Value;
      return route.fulfill({ status: r.status, headers, body: Buffer.from(await r.arrayBuffer()) });
    }
    const headers = { ...req.headers(), 'cloudfront-viewer-address': '203.0.113.7:50123', 'cloudfront-viewer-country': 'US' };
    for (const h of origin.CustomHeaders.Items || []) headers[h.HeaderName.toLowerCase()] = h.HeaderValue;
    delete headers.host;
    const r = await fetch(`http://127.0.0.1:${loggerPort}/lambda-url/_${url.pathname}${url.search}`,
      { method: req.method(), headers, body: req.postDataBuffer() ?? undefined });
    return route.fulfill({ status: r.status, headers: Object.fromEntries(r.headers), body: Buffer.from(await r.arrayBuffer()) });
  };

  const zip = '10001';
  const expected = JSON.parse(run(FORMROUTE, ['resolve', '--artifacts', build, '--brand', 'acme', '--zip', zip, '--product', 'auto', '--language', 'en']));
  // The web team's tag: the stack's SnippetTag pinned to the published snippet (src + integrity), as
  // publish printed it.
  const pinned = o.SnippetTag.replace(/src="[^"]*"/, summary.snippet.tag.match(/src="[^"]*" integrity="[^"]*" crossorigin="anonymous"/)[0]);
  assert.notEqual(pinned, o.SnippetTag);
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme quote</title>
${pinned}
</head><body><form data-formroute="acme" action="https://www.acme.example/no-js">
<input name="zip"><select name="product"><option value="auto">Auto</option></select><button>Go</button></form></body></html>`;
  const ctx = await browser(dir);
  t.after(async () => {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const artifactRequests = [];
  ctx.on('request', (r) => { if (r.url().endsWith('.frt')) artifactRequests.push(r.url()); });
  await ctx.route(/^https:\/\//, (route) => {
    const url = new URL(route.request().url());
    if (url.host === cdn.host) return cloudfront(route, url);
    if (url.href === 'https://www.acme.example/quote') return route.fulfill({ contentType: 'text/html', body: page });
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
  assert.deepEqual(artifactRequests, [`${o.CdnBaseUrl}acme.v2.frt`], 'one artifact request, the pointer, on the CDN');

  // The archiver as its event source mapping drives it: a batch from the stack's queue, the
  // function's answer, then every message but the reported failures deleted.
  const queue = o.EventsQueueUrl;
  const seen = [];
  for (let i = 0; i < 15 && !(seen.some((e) => e.type === 'resolve') && seen.some((e) => e.type === 'load')); i++) {
    const batch = JSON.parse(aws('sqs-event', queue, '1000', '2'));
    if (batch.Records.length === 0) continue;
    const r = await fetch(`http://127.0.0.1:${archiverPort}/2015-03-31/functions/_/invocations`, { method: 'POST', body: JSON.stringify(batch) });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { batchItemFailures: [] });
    aws('delete', queue, ...batch.Records.map((m) => m.receiptHandle));
    seen.push(...batch.Records.map((m) => JSON.parse(m.body)));
  }
  const resolve = seen.find((e) => e.type === 'resolve');
  assert.ok(resolve, `no resolve event on the stack's queue: ${JSON.stringify(seen)}`);
  assert.ok(seen.some((e) => e.type === 'load'), 'a load event too');
  // FORMROUTE_TRUST_CLOUDFRONT=1: the visitor's network is CloudFront's viewer address.
  assert.equal(resolve.ip_prefix, '203.0.113.0/24');

  // The archive: keys in the layout the Glue table projects, fields that are its columns.
  const events = new URL(o.ArchiveLocation).host;
  const archived = aws('archive', events).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(archived.length, seen.length);
  const table = stack.glue_table;
  const p = table.Parameters;
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const layout = new RegExp(`^${escape(p['storage.location.template'])
    .replace(escape('${brand}'), '(?<brand>[a-z0-9-]+)').replace(escape('${dt}'), '(?<dt>\\d{4}-\\d{2}-\\d{2})')
    .replace(escape('${hour}'), '(?<hour>\\d{2})')}[^/]+\\.ndjson\\.gz$`);
  const columns = new Set(table.StorageDescriptor.Columns.map((c) => c.Name));
  for (const { key, event } of archived) {
    const m = layout.exec(`s3://${events}/${key}`);
    assert.ok(m, `s3://${events}/${key} is outside ${p['storage.location.template']}`);
    assert.ok(p['projection.brand.values'].split(',').includes(m.groups.brand), `brand ${m.groups.brand} is not projected`);
    assert.equal(m.groups.brand, event.brand);
    assert.ok(Number(m.groups.hour) <= 23);
    for (const field of Object.keys(event)) {
      if (field !== 'brand') assert.ok(columns.has(field), `event field ${field} is not a column of ${table.Name}`);
    }
  }

  // Marketing's report, from the stack's archive. Headless Chromium's user agent says
  // "HeadlessChrome", so the logger may flag its events `bot`, which the report leaves out by default.
  const report = JSON.parse(run(FORMROUTE, ['logs', 'report', '--from', o.ArchiveLocation, '--format', 'json', '--include-bots']));
  assert.equal(report.totals.resolves, 1);
  assert.equal(report.totals.ok, 1);
  assert.ok(report.totals.loads >= 1);
});
