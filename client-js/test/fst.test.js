/** FST reader: every key of FSTs written by the fst crate 0.4.7 is found with its value, absent keys are absent, damaged FSTs are refused. */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { openFst } from '../src/fst.js';
import { fixture } from './helpers/artifact-writer.js';

// fst's COMMON_INPUTS_INV[0..63], for keys that are not digits.
const FULL = 'te/oasripcnw.hlm-du012g=:bf3y5&_4v9678k%?xCDASFIBEjPTzRNM+LOqHG';

/** The fixture's keys (hex) and values, as given to the fst crate's builder. */
const keys = (name) =>
  new Map(
    readFileSync(new URL(`fixtures/${name}.keys.txt`, import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l.includes(' '))
      .map((l) => {
        const [k, v] = l.split(' ');
        return [Buffer.from(k, 'hex').toString('latin1'), Number(v)];
      }),
  );

for (const name of ['zips', 'mini', 'wide', 'bytes']) {
  test(`${name}.fst: every key gives its value, with the full common-input table`, () => {
    const fst = openFst(fixture(`${name}.fst`), 1, FULL);
    for (const [k, v] of keys(name)) assert.equal(fst(k), v, JSON.stringify(k));
  });
}

test('wide.fst covers the node kinds: 256 transitions, the >32 index, the empty key, outputs above 2^32', () => {
  const m = keys('wide');
  assert.equal(m.size, 343);
  assert.equal(m.get(''), 7);
  assert.ok([...m.values()].some((v) => v > 2 ** 16));
  assert.ok(keys('bytes').has(''));
  assert.ok([...keys('bytes').values()].some((v) => v > 2 ** 32));
});

test('absent keys are absent: prefixes, extensions and neighbours of real keys', () => {
  for (const name of ['zips', 'wide', 'bytes']) {
    const fst = openFst(fixture(`${name}.fst`), 1, FULL);
    const m = keys(name);
    for (const k of m.keys()) {
      for (const probe of [k.slice(0, -1), k + '0', k + '\u00ff', k.slice(0, -1) + String.fromCharCode((k.charCodeAt(k.length - 1) + 1) & 255)]) {
        if (!m.has(probe)) assert.equal(fst(probe), undefined, `${name}: ${JSON.stringify(probe)}`);
      }
    }
  }
});

test('with `prefixes`, the value of the longest key that is a prefix of the probe (format 2\'s lookup), for keys, their extensions and neighbours', () => {
  for (const name of ['zips', 'wide', 'bytes']) {
    const fst = openFst(fixture(`${name}.fst`), 1, FULL);
    const m = keys(name);
    const longest = (probe) => {
      for (let n = probe.length; n >= 0; n--) if (m.has(probe.slice(0, n))) return m.get(probe.slice(0, n));
    };
    for (const k of [...m.keys()].slice(0, 2000))
      for (const probe of [k, k.slice(0, -1), k + '0', k + '\u00ff', k.slice(0, -1) + String.fromCharCode((k.charCodeAt(k.length - 1) + 1) & 255)])
        assert.equal(fst(probe, true), longest(probe), `${name}: ${JSON.stringify(probe)}`);
  }
});

test('with the snippet\'s short table, 5-digit keys answer exactly', () => {
  const fst = openFst(fixture('zips.fst'));
  const m = keys('zips');
  for (let z = 0; z < 100000; z += 7) {
    const k = String(z).padStart(5, '0');
    assert.equal(fst(k), m.get(k), k);
  }
});

test('with the short table, keys that are not digits are never given a wrong value', () => {
  const fst = openFst(fixture('bytes.fst'));
  for (const [k, v] of keys('bytes')) assert.ok([v, undefined].includes(fst(k)), JSON.stringify(k));
});

test('an FST without keys opens and finds nothing', () => {
  const fst = openFst(fixture('empty.fst'));
  assert.equal(fst('12345'), undefined);
  assert.equal(fst(''), undefined);
});

test('a wrong type, a wrong version, a flipped byte anywhere, or a cut file is refused', () => {
  assert.throws(() => openFst(fixture('wide-type7.fst')), /corrupt artifact/);
  const good = fixture('mini.fst');
  const v4 = good.slice();
  v4[0] = 4;
  assert.throws(() => openFst(v4), /corrupt artifact/);
  for (let i = 0; i < good.length; i++) {
    const bad = good.slice();
    bad[i] ^= 0x10;
    assert.throws(() => openFst(bad), /corrupt artifact/, `byte ${i}`);
  }
  for (let n = 0; n < good.length; n++) assert.throws(() => openFst(good.subarray(0, n)), /corrupt artifact/, `${n} bytes`);
});
