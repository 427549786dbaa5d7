/** load() and the router over real HTTP (a Node server on 127.0.0.1): a good artifact routes; a slow one keeps arriving after the time-out; failed downloads are retried with backoff; missing, corrupt, other-brand and other-version files are named as they are; `unavailable` fills the page's fallback; the events match the shared schema. */

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import test from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { mini, mini2, MINI_TABLES } from './helpers/artifact-writer.js';
import { fakePage } from './helpers/page.js';

const page = fakePage();
const { load } = await import('../src/load.js');
const { flush } = await import('../src/beacon.js');
const schema = JSON.parse(readFileSync(new URL('../schema/event.schema.json', import.meta.url)));
const valid = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

const good = mini2();
const corrupt = good.slice();
corrupt[100] ^= 1;
const other = mini2(['other', ...MINI_TABLES.slice(1)]);
const routes = {
  '/corrupt/acme.v2.frt': corrupt,
  '/other/acme.v2.frt': other,
  '/v1/acme.v2.frt': mini(), // a version-1 file where version 2 is due
};
const hits = {};
const server = createServer((req, res) => {
  const path = req.url.replace(/\?.*/, '');
  hits[path] = (hits[path] || 0) + 1;
  // /a<N>/: a good file; /slow<N>/: a good file after 600 ms; /flaky<N>/: 503 on the first request, then good.
  if (/^\/a\d*\/acme\.v2\.frt$/.test(path)) return res.end(good);
  if (path.startsWith('/slow')) return setTimeout(() => res.end(good), 600);
  if (path.startsWith('/flaky')) return hits[path] === 1 ? res.writeHead(503).end() : res.end(good);
  // /gone-once<N>/: 404 on the first request, then good. /drop<N>/: the connection dropped twice (the
  // request and the client's no-cors probe), then good.
  if (path.startsWith('/gone-once')) return hits[path] === 1 ? res.writeHead(404).end() : res.end(good);
  if (path.startsWith('/drop')) return hits[path] <= 2 ? req.socket.destroy() : res.end(good);
  const body = routes[path];
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/octet-stream' });
  res.end(body);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;
test.after(() => server.close());

const opts = { brand: 'acme', beaconUrl: 'https://log.example/v1/events', fallbackUrl: 'https://acme.example/help' };
const UNAVAILABLE = { ok: false, error: 'unavailable', fallback_url: 'https://acme.example/help' };
const sent = () => (flush(), page.events());
const reset = () => (flush(), page.clear());
const formrouteEvents = (name) => page.dispatched.filter((e) => e.type === 'formroute:' + name).map((e) => e.detail);

test('a good artifact: resolve() answers, go() navigates to the form and sends the events, formroute:ready fires', async () => {
  const router = await load({ ...opts, base: base + '/a1/' });
  assert.equal(router.ok, true);
  assert.equal(router.resolve({ zip: '90210', product: 'auto', language: 'es-MX' }).url, 'https://acme.example/es/auto?zip=90210&state=CA');
  const r = await router.go({ zip: '10001', product: 'auto' });
  assert.equal(r.form_type, 'partner');
  assert.deepEqual(page.assigned.splice(0), ['https://partner.example/acme/auto?z=10001']);
  const events = sent();
  assert.deepEqual(events.map((e) => e.type), ['load', 'resolve', 'resolve']);
  for (const e of events) assert.ok(valid(e), JSON.stringify(valid.errors));
  assert.equal(events[0].av, router.version);
  assert.equal(events[1].language, 'es-MX');
  assert.equal(events[1].language_used, 'es');
  assert.equal(events[2].language, undefined);
  assert.deepEqual(formrouteEvents('ready').map((d) => [d.brand, d.av]), [['acme', router.version]]);
  assert.deepEqual(formrouteEvents('resolve').map((d) => [d.result.form_type, d.query.zip]), [['partner', '10001']]);
  reset();
});

test('resolve(q, { log: false }) answers without an event; go(answer) navigates to an answer already computed, logging nothing more', async () => {
  const router = await load({ ...opts, base: base + '/a2/' });
  reset();
  const answer = router.resolve({ zip: '1000', product: 'auto' }, { log: false });
  assert.equal(answer.error, 'invalid_zip');
  assert.deepEqual(sent(), []);
  const ok = router.resolve({ zip: '90210', product: 'home' });
  assert.equal(await router.go(ok), ok);
  assert.deepEqual(page.assigned.splice(0), [ok.url]);
  assert.deepEqual(sent().map((e) => e.type), ['resolve']);
  reset();
});

test('a formroute:resolve listener that cancels keeps the visitor on the page', async () => {
  const router = await load({ ...opts, base: base + '/a3/' });
  const stay = (e) => e.preventDefault();
  addEventListener('formroute:resolve', stay);
  try {
    assert.equal((await router.go({ zip: '90210', product: 'auto' })).ok, true);
  } finally {
    removeEventListener('formroute:resolve', stay);
  }
  assert.deepEqual(page.assigned, []);
  reset();
});

test('one download per artifact URL, however many routers', async () => {
  await Promise.all(Array.from({ length: 20 }, () => load({ ...opts, base: base + '/a4' })));
  assert.equal(hits['/a4/acme.v2.frt'], 1);
  reset();
});

test("the load event's source is what Resource Timing says of the artifact's fetch, and absent when it cannot tell", async () => {
  // Node's fetch makes no Resource Timing entries: the browser's entry for the artifact URL is faked here
  // (test/browser.test.js sees the real ones in Chromium).
  const cases = [
    ['a body from the HTTP cache (nothing transferred)', { transferSize: 0, decodedBodySize: good.length }, 'cache'],
    ['a body over the network', { transferSize: good.length + 300, decodedBodySize: good.length }, 'network'],
    ['a 304 revalidation (headers transferred)', { transferSize: 300, decodedBodySize: good.length }, 'network'],
    ['cross-origin without Timing-Allow-Origin (zeros)', { transferSize: 0, decodedBodySize: 0 }, undefined],
    ['no entry (say, a full timing buffer)', undefined, undefined],
  ];
  try {
    for (const [i, [what, entry, source]] of cases.entries()) {
      const url = `${base}/a1${i}/acme.v2.frt`;
      performance.getEntriesByName = (name) => (name === url && entry ? [{ name, ...entry }] : []);
      await load({ ...opts, artifactUrl: url });
      const ev = sent().find((e) => e.type === 'load');
      assert.equal(ev.source, source, what);
      assert.ok(valid(ev), JSON.stringify(valid.errors));
      reset();
    }
  } finally {
    delete performance.getEntriesByName; // back to the prototype's
  }
});

test('a failed resolve is logged with its error and no state', async () => {
  const router = await load({ ...opts, base: base + '/a5' });
  assert.equal((await router.go({ zip: 'nope', product: 'auto' })).error, 'invalid_zip');
  assert.deepEqual(page.assigned.splice(0), ['https://acme.example/en/fallback?zip=&p=auto&b=acme']);
  const ev = sent().find((e) => e.type === 'resolve');
  assert.ok(valid(ev), JSON.stringify(valid.errors));
  assert.equal(ev.error, 'invalid_zip');
  reset();
});

for (const [what, o, code] of [
  ['corrupt', { base: base + '/corrupt' }, 'corrupt'],
  ['of another brand', { base: base + '/other' }, 'brand'],
  ['of format version 1', { base: base + '/v1' }, 'version'],
]) {
  test(`an artifact ${what}: named ${code}, not retried (it would come back the same), every answer unavailable with the page's fallback`, async () => {
    const router = await load({ ...opts, ...o, timeoutMs: 300 });
    assert.equal(router.ok, false);
    assert.deepEqual(router.resolve({ zip: '90210', product: 'auto' }), UNAVAILABLE);
    await router.go({ zip: '90210', product: 'auto' });
    assert.deepEqual(page.assigned.splice(0), ['https://acme.example/help']);
    const events = sent();
    assert.deepEqual(events.map((e) => [e.type, e.error]), [['error', code], ['resolve', 'unavailable'], ['resolve', 'unavailable']]);
    for (const e of events) assert.ok(valid(e), JSON.stringify(valid.errors));
    assert.deepEqual(formrouteEvents('error'), [{ brand: 'acme', error: code, retry: false }]);
    assert.equal(hits[new URL(o.base).pathname + '/acme.v2.frt'], 1);
    reset();
  });
}

test('a 404 is named http and retried; a visitor who asks during the backoff gets the retry at once', async () => {
  const router = await load({ ...opts, base: base + '/gone-once1', timeoutMs: 300 });
  assert.equal(router.ok, false);
  assert.deepEqual(sent(), []); // the failure is reported when the retry starts: a page being left fails its downloads too
  const t = performance.now();
  assert.equal((await router.go({ zip: '90210', product: 'auto' })).ok, true);
  assert.ok(performance.now() - t < 300);
  assert.deepEqual(sent().map((e) => [e.type, e.error]), [['error', 'http'], ['load', undefined], ['resolve', undefined]]);
  assert.deepEqual(formrouteEvents('error'), [{ brand: 'acme', error: 'http', retry: true }]);
  reset();
});

test('a dropped connection is named network, and retried after 1 s', async () => {
  const router = await load({ ...opts, base: base + '/drop1', timeoutMs: 200 });
  assert.equal(router.ok, false);
  await new Promise((ok) => setTimeout(ok, 1300));
  assert.equal(router.ok, true);
  assert.deepEqual(sent().map((e) => [e.type, e.error]), [['error', 'network'], ['load', undefined]]);
  reset();
});

test('a slow artifact: load() gives up waiting at timeoutMs, the download goes on, and the router answers once it is there', async () => {
  const t = performance.now();
  const router = await load({ ...opts, base: base + '/slow1', timeoutMs: 200 });
  const took = performance.now() - t;
  assert.ok(took >= 190 && took < 550, `${took} ms`);
  assert.deepEqual(router.resolve({ zip: '90210', product: 'auto' }), UNAVAILABLE);
  assert.equal(await router.ready(2000), true);
  assert.equal(router.resolve({ zip: '90210', product: 'auto' }).ok, true);
  assert.deepEqual(sent().map((e) => e.type), ['resolve', 'load', 'resolve']);
  reset();
});

test('go() waits at most timeoutMs after it is called, then answers unavailable with the page fallback filled', async () => {
  const router = await load({ ...opts, base: base + '/slow2', timeoutMs: 100, fallbackUrl: 'https://acme.example/{language}/help?zip={zip}&p={product}&b={brand}' });
  const t = performance.now();
  const r = await router.go({ zip: ' 10001-1234', product: ' A&B ', language: 'es-MX' });
  const took = performance.now() - t;
  assert.ok(took >= 90 && took < 450, `${took} ms`);
  assert.deepEqual(r, { ok: false, error: 'unavailable', fallback_url: 'https://acme.example/es/help?zip=10001&p=a%26b&b=acme' });
  assert.deepEqual(page.assigned.splice(0), [r.fallback_url]);
  await router.ready(2000);
  reset();
});

test('a download that fails once is retried, and the router answers from the retry', async () => {
  const router = await load({ ...opts, base: base + '/flaky1', timeoutMs: 100 });
  assert.equal(router.ok, false);
  assert.equal(await router.ready(3000), true); // ready() skips the backoff: a visitor is waiting
  assert.equal(hits['/flaky1/acme.v2.frt'], 2);
  assert.deepEqual(sent().map((e) => [e.type, e.error]), [['error', 'http'], ['load', undefined]]);
  reset();
});

test('without a fallbackUrl, unavailable has fallback_url null and go() stays', async () => {
  const router = await load({ brand: 'acme', base: base + '/corrupt', timeoutMs: 100 });
  assert.deepEqual(await router.go({ zip: '90210', product: 'auto' }), { ok: false, error: 'unavailable', fallback_url: null });
  assert.deepEqual(page.assigned, []);
  reset();
});

test('nonsense options and queries never throw', async () => {
  for (const o of [undefined, null, {}, { brand: 42, timeoutMs: 'x', base: {} }, { brand: 'acme', base: base + '/corrupt', fallbackUrl: 'https://x.example/{product}' }]) {
    const router = await load(o);
    assert.equal(router.ok, false);
    for (const q of [undefined, null, {}, { zip: {}, product: [], language: 7 }, { product: '\ud800' }]) assert.equal(router.resolve(q).ok, false);
  }
  reset();
});

test("the schema's own examples agree with the validator used here", () => {
  const dir = new URL('../schema/examples/', import.meta.url);
  for (const kind of ['valid', 'invalid'])
    for (const f of readdirSync(new URL(kind + '/', dir))) {
      const ev = JSON.parse(readFileSync(new URL(`${kind}/${f}`, dir)));
      assert.equal(valid(ev), kind === 'valid', f);
    }
});
