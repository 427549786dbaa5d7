/** load(): over real HTTP (a Node server on 127.0.0.1), a good artifact routes; unreachable, slow, missing, corrupt or other-brand files give `unavailable` with the page's fallback, never an exception; the events match the shared schema. */

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import test from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { artifact, fixture, mini, MINI_TABLES } from './helpers/artifact-writer.js';
import { fakePage } from './helpers/page.js';

const page = fakePage();
const { load } = await import('../src/load.js');
const schema = JSON.parse(readFileSync(new URL('../schema/event.schema.json', import.meta.url)));
const valid = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

const good = mini();
const corrupt = good.slice();
corrupt[100] ^= 1;
const other = artifact(fixture('mini.fst'), ['other', ...MINI_TABLES.slice(1)]);
const routes = {
  '/a/acme.frt': good,
  '/corrupt/acme.frt': corrupt,
  '/other/acme.frt': other,
  '/v2/acme.frt': artifact(fixture('mini.fst'), MINI_TABLES, { version: 2 }),
};
const server = createServer((req, res) => {
  if (req.url.startsWith('/slow/')) return setTimeout(() => res.end(good), 3000);
  const body = routes[req.url];
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/octet-stream' });
  res.end(body);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;
test.after(() => server.close());

const opts = { brand: 'acme', beaconUrl: 'https://log.example/v1/events', fallbackUrl: 'https://acme.example/help' };
const UNAVAILABLE = { ok: false, error: 'unavailable', fallback_url: 'https://acme.example/help' };

test('a good artifact: resolve() answers, go() navigates to the form and sends the events', async () => {
  const router = await load({ ...opts, base: base + '/a/' });
  assert.equal(router.ok, true);
  assert.equal(router.resolve({ zip: '90210', product: 'auto', language: 'es-MX' }).url, 'https://acme.example/es/auto?zip=90210&state=CA');
  const r = router.go({ zip: '10001', product: 'auto' });
  assert.equal(r.form_type, 'partner');
  assert.deepEqual(page.assigned.splice(0), ['https://partner.example/acme/auto?z=10001']);
  const events = page.events();
  assert.deepEqual(events.map((e) => e.type), ['load', 'resolve', 'resolve']);
  for (const e of events) assert.ok(valid(e), JSON.stringify(valid.errors));
  assert.equal(events[0].av, router.version);
  assert.equal(events[1].language, 'es-MX');
  assert.equal(events[1].language_used, 'es');
  assert.equal(events[2].language, undefined);
  page.beacons.length = 0;
});

test("the load event's source is what Resource Timing says of the artifact's fetch, and absent when it cannot tell", async () => {
  // Node's fetch makes no Resource Timing entries: the browser's entry for the artifact URL is faked here
  // (test/browser.test.js sees the real ones in Chromium).
  const url = base + '/a/acme.frt';
  const cases = [
    ['a body from the HTTP cache (nothing transferred)', { transferSize: 0, decodedBodySize: good.length }, 'cache'],
    ['a body over the network', { transferSize: good.length + 300, decodedBodySize: good.length }, 'network'],
    ['a 304 revalidation (headers transferred)', { transferSize: 300, decodedBodySize: good.length }, 'network'],
    ['cross-origin without Timing-Allow-Origin (zeros)', { transferSize: 0, decodedBodySize: 0 }, undefined],
    ['no entry (say, a full timing buffer)', undefined, undefined],
  ];
  try {
    for (const [what, entry, source] of cases) {
      performance.getEntriesByName = (name) => (name === url && entry ? [{ name, ...entry }] : []);
      await load({ ...opts, base: base + '/a/' });
      page.fire('pagehide');
      const ev = page.events().find((e) => e.type === 'load');
      assert.equal(ev.source, source, what);
      assert.ok(valid(ev), JSON.stringify(valid.errors));
      page.beacons.length = 0;
    }
  } finally {
    delete performance.getEntriesByName; // back to the prototype's
  }
});

test('a failed resolve is logged with its error and no state', async () => {
  const router = await load({ ...opts, base: base + '/a' });
  assert.equal(router.go({ zip: 'nope', product: 'auto' }).error, 'invalid_zip');
  assert.deepEqual(page.assigned.splice(0), ['https://acme.example/en/fallback?zip=&p=auto&b=acme']);
  const ev = page.events().find((e) => e.type === 'resolve');
  assert.ok(valid(ev), JSON.stringify(valid.errors));
  assert.equal(ev.error, 'invalid_zip');
  page.beacons.length = 0;
});

for (const [what, o, code] of [
  ['unreachable', { artifactUrl: 'http://127.0.0.1:9/acme.frt' }, 'network'],
  ['missing (404)', { base: base + '/none' }, 'http'],
  ['corrupt', { base: base + '/corrupt' }, 'corrupt'],
  ['of another brand', { base: base + '/other' }, 'corrupt'],
  ['of format version 2', { base: base + '/v2' }, 'corrupt'],
]) {
  test(`an artifact ${what}: every answer is unavailable with the page's fallback, and an error event says ${code}`, async () => {
    const router = await load({ ...opts, ...o });
    assert.equal(router.ok, false);
    assert.deepEqual(router.resolve({ zip: '90210', product: 'auto' }), UNAVAILABLE);
    router.go({ zip: '90210', product: 'auto' });
    assert.deepEqual(page.assigned.splice(0), ['https://acme.example/help']);
    const events = page.events();
    assert.equal(events[0].type, 'error');
    assert.equal(events[0].error, code);
    for (const e of events) assert.ok(valid(e), JSON.stringify(valid.errors));
    page.beacons.length = 0;
  });
}

test('a slow artifact times out within timeoutMs into unavailable', async () => {
  const t = performance.now();
  const router = await load({ ...opts, base: base + '/slow', timeoutMs: 200 });
  const took = performance.now() - t;
  assert.ok(took >= 190 && took < 1000, `${took} ms`);
  assert.deepEqual(router.resolve({ zip: '90210', product: 'auto' }), UNAVAILABLE);
  page.fire('pagehide');
  assert.equal(page.events()[0].error, 'timeout');
  page.beacons.length = 0;
});

test('without a fallbackUrl, unavailable has fallback_url null and go() stays', async () => {
  const router = await load({ brand: 'acme', base: base + '/none' });
  assert.deepEqual(router.go({ zip: '90210', product: 'auto' }), { ok: false, error: 'unavailable', fallback_url: null });
  assert.deepEqual(page.assigned, []);
});

test('nonsense options and queries never throw', async () => {
  for (const o of [undefined, null, {}, { brand: 42, timeoutMs: 'x', base: {} }]) {
    const router = await load(o);
    assert.equal(router.ok, false);
    for (const q of [undefined, null, {}, { zip: {}, product: [], language: 7 }]) assert.equal(router.resolve(q).ok, false);
  }
});

test('the schema\'s own examples agree with the validator used here', () => {
  const dir = new URL('../schema/examples/', import.meta.url);
  for (const kind of ['valid', 'invalid'])
    for (const f of readdirSync(new URL(kind + '/', dir))) {
      const ev = JSON.parse(readFileSync(new URL(`${kind}/${f}`, dir)));
      assert.equal(valid(ev), kind === 'valid', f);
    }
});
