/** Beacons: batched bodies within SPEC's limits, sendBeacon first and fetch keepalive when it refuses, flushed on pagehide/visibilitychange, and nothing without a URL. */

import assert from 'node:assert/strict';
import test from 'node:test';
import { fakePage } from './helpers/page.js';

const page = fakePage();
const { beaconQueue, PER_REQUEST, cut, pv } = await import('../src/beacon.js');

test('the largest possible event, 16 times, fits SPEC\'s 64 KiB; 16 <= 100 events', () => {
  const worst = {
    id: pv + '-' + 1e15,
    type: 'resolve',
    ts: Date.now(),
    brand: cut('b'.repeat(100), 64),
    page: cut('https://www.acme.example/' + 'p'.repeat(4000), 2048),
    pv,
    zip: cut('\u0001'.repeat(100), 64), // 6 bytes each once escaped
    product: cut('😀'.repeat(100), 64), // 4 bytes each
    language: cut('\u0000'.repeat(100), 64),
    ok: false,
    error: 'unknown_product',
    ms: 1234.5678901234,
    av: 'ffffffff',
  };
  const body = JSON.stringify({ events: Array(PER_REQUEST).fill(worst) });
  assert.ok(new TextEncoder().encode(body).length <= 65536, `${body.length}`);
  assert.ok(PER_REQUEST <= 100);
});

test('cut counts code points and never splits a surrogate pair', () => {
  assert.equal(cut('😀'.repeat(70), 64), '😀'.repeat(64));
  assert.equal(cut('abc', 64), 'abc');
});

test('events wait, then go in bodies of at most 16 events, as text via sendBeacon, on flush', () => {
  const q = beaconQueue('https://log.example/v1/events', 'acme');
  for (let i = 0; i < 40; i++) q.add('load', { ms: i });
  assert.equal(page.beacons.length, 0);
  q.flush();
  assert.deepEqual(
    page.beacons.map((b) => JSON.parse(b.body).events.length),
    [16, 16, 8],
  );
  assert.ok(page.beacons.every((b) => b.url === 'https://log.example/v1/events' && typeof b.body === 'string'));
  const ev = JSON.parse(page.beacons[0].body).events[0];
  assert.deepEqual(Object.keys(ev), ['id', 'type', 'ts', 'brand', 'page', 'pv', 'ms']);
  assert.equal(ev.page, 'https://www.acme.example/get-a-quote');
  assert.match(ev.id, /^[A-Za-z0-9_-]{8,64}$/);
  const ids = page.events().map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length);
  page.beacons.length = 0;
});

test('pagehide and visibilitychange flush what waits', () => {
  const q = beaconQueue('https://log.example/v1/events', 'acme');
  q.add('load', { ms: 1 });
  page.fire('visibilitychange');
  assert.equal(page.beacons.length, 1);
  q.add('load', { ms: 2 });
  page.fire('pagehide');
  assert.equal(page.beacons.length, 2);
  page.beacons.length = 0;
});

test('when sendBeacon refuses, fetch with keepalive sends the same body, without a preflight-causing header', async () => {
  const refusing = fakePage({ accept: false });
  const { beaconQueue: q2 } = await import('../src/beacon.js?refusing');
  const q = q2('https://log.example/v1/events', 'acme');
  q.add('load', { ms: 1 });
  q.flush();
  assert.equal(refusing.fetches.length, 1);
  assert.equal(refusing.fetches[0].keepalive, true);
  assert.equal(refusing.fetches[0].method, 'POST');
  assert.equal(refusing.fetches[0].headers, undefined);
  assert.equal(JSON.parse(refusing.fetches[0].body).events.length, 1);
});

test('without a beacon URL nothing is queued or sent', () => {
  const p = fakePage();
  const q = beaconQueue(undefined, 'acme');
  q.add('load', { ms: 1 });
  q.flush();
  p.fire('pagehide');
  assert.equal(p.beacons.length + p.fetches.length, 0);
});
