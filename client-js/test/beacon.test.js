/** Beacons: the queue's request bodies stay within SPEC's limits for the largest events, go by sendBeacon, flush on pagehide/visibilitychange, stop while the page is left, and get a new page-view id after the back/forward cache. */

import assert from 'node:assert/strict';
import test from 'node:test';
import { fakePage } from './helpers/page.js';

const page = fakePage();
const beacon = await import('../src/beacon.js');
const { log, flush, cut } = beacon;
const URL_ = 'https://log.example/v1/events';
const bodies = () => page.beacons.map((b) => b.body);

test("the queue's requests stay within SPEC's 64 KiB and 100 events, even for 200 of the largest events", () => {
  // Every field at its longest, in the characters that take the most bytes once in JSON.
  const fields = {
    zip: '\u0001'.repeat(100), // 6 bytes each once escaped
    product: '😀'.repeat(100), // 4 bytes each
    language: '\u0000'.repeat(100),
    ok: false,
    error: 'unknown_product',
    ms: 1234.5678901234,
    av: 'ffffffff',
  };
  location.pathname = '/' + 'p'.repeat(4000);
  try {
    for (let i = 0; i < 200; i++)
      log(URL_, 'b'.repeat(100), 'resolve', { ...fields, zip: cut(fields.zip, 64), product: cut(fields.product, 64), language: cut(fields.language, 64) });
  } finally {
    location.pathname = '/get-a-quote';
  }
  flush();
  assert.ok(page.beacons.length >= 2);
  let sent = 0;
  for (const body of bodies()) {
    const events = JSON.parse(body).events;
    sent += events.length;
    assert.ok(new TextEncoder().encode(body).length <= 65536, `${body.length} bytes`);
    assert.ok(events.length <= 100);
    assert.equal(events[0].page.length, 2048);
  }
  assert.equal(sent, 200);
  page.clear();
});

test('cut counts code points and never splits a surrogate pair', () => {
  assert.equal(cut('😀'.repeat(70), 64), '😀'.repeat(64));
  assert.equal(cut('abc', 64), 'abc');
});

test('events wait, then go in bodies of at most 16 events, as text via sendBeacon, on flush, per logger URL', () => {
  for (let i = 0; i < 40; i++) log(URL_, 'acme', 'load', { ms: i });
  log('https://other.example/v1/events', 'acme', 'load', { ms: 1 });
  assert.equal(page.beacons.length, 0);
  flush();
  assert.deepEqual(
    page.beacons.map((b) => [b.url, JSON.parse(b.body).events.length]),
    [[URL_, 16], [URL_, 16], [URL_, 8], ['https://other.example/v1/events', 1]],
  );
  assert.ok(page.beacons.every((b) => typeof b.body === 'string'));
  const ev = JSON.parse(page.beacons[0].body).events[0];
  assert.deepEqual(Object.keys(ev), ['id', 'type', 'ts', 'brand', 'page', 'pv', 'ms']);
  assert.equal(ev.page, 'https://www.acme.example/get-a-quote');
  assert.match(ev.id, /^[A-Za-z0-9_-]{8,64}$/);
  const ids = page.events().map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length);
  page.clear();
});

test('pagehide and visibilitychange flush what waits; nothing is queued after pagehide until the page is shown again', () => {
  log(URL_, 'acme', 'load', { ms: 1 });
  page.fire('visibilitychange');
  assert.equal(page.beacons.length, 1);
  log(URL_, 'acme', 'load', { ms: 2 });
  page.fire('pagehide');
  assert.equal(page.beacons.length, 2);
  log(URL_, 'acme', 'error', { error: 'network', ms: 3 }); // the page going away fails its fetches: not an error
  flush();
  assert.equal(page.beacons.length, 2);
  page.fire('pageshow', { persisted: false });
  log(URL_, 'acme', 'load', { ms: 4 });
  flush();
  assert.equal(page.beacons.length, 3);
  page.clear();
});

test('a page restored from the back/forward cache is a new page view: a new pv', () => {
  log(URL_, 'acme', 'load', { ms: 1 });
  page.fire('pagehide', { persisted: true });
  page.fire('pageshow', { persisted: true });
  log(URL_, 'acme', 'load', { ms: 2 });
  flush();
  const [before, after] = page.events();
  assert.notEqual(before.pv, after.pv);
  assert.equal(after.pv, beacon.pv);
  assert.ok(after.id.startsWith(after.pv + '-'));
  page.clear();
});

test('without a beacon URL nothing is queued or sent', async () => {
  const p = fakePage();
  const { log: log3, flush: flush3 } = await import('../src/beacon.js?none');
  log3(undefined, 'acme', 'load', { ms: 1 });
  flush3();
  p.fire('pagehide');
  assert.equal(p.beacons.length + p.fetches.length, 0);
});
