/** FST reader: in FSTs of digit keys (the fst crate's 0.4.7 files, and ones written from FORMAT.md), every ZIP gets the value of its longest key prefix; absent keys are absent; a wrong header or footer is refused. */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { openFst } from '../src/fst.js';
import { fixture, fstOf } from './helpers/artifact-writer.js';

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

const zip = (n) => String(n).padStart(5, '0');

/** The value of the longest key of `m` that is a prefix of `probe`, as FORMAT.md defines the lookup. */
const longest = (m, probe) => {
  for (let n = probe.length; n >= 0; n--) if (m.has(probe.slice(0, n))) return m.get(probe.slice(0, n));
};

for (const name of ['zips', 'mini']) {
  test(`${name}.fst (the crate's, five-digit keys as in format 1): every key gives its value, and every other ZIP none`, () => {
    const fst = openFst(fixture(`${name}.fst`), 1);
    const m = keys(name);
    for (const [k, v] of m) assert.equal(fst(k), v, k);
    for (let z = 0; z < 100000; z += name == 'zips' ? 1 : 97) assert.equal(fst(zip(z)), m.get(zip(z)), zip(z));
  });
}

test('zips.fst covers the node kinds of digit keys: one transition (with and without output), up to ten transitions, final nodes', () => {
  const b = fixture('zips.fst');
  const states = new Set(b.subarray(16, b.length - 20));
  assert.ok([...states].some((s) => s >= 192) && [...states].some((s) => s >= 128 && s < 192));
  assert.ok([...states].some((s) => s < 128 && (s & 63) == 10));
});

test('prefix keys of 0 to 5 digits (format 2): every ZIP gets the value of its longest key prefix', () => {
  // A deterministic pseudo-random set of keys of every length, the empty key among them.
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const m = new Map([['', 3]]);
  for (let i = 0; i < 400; i++) {
    const len = 1 + (next() % 5);
    m.set(zip(next() % 100000).slice(0, len), next() % 300);
  }
  const sorted = [...m].sort(([a], [b]) => (a < b ? -1 : a > b));
  const fst = openFst(fstOf(sorted), 2);
  for (let z = 0; z < 100000; z++) assert.equal(fst(zip(z)), longest(m, zip(z)), zip(z));
  // Again, in another order and with shorter probes between: the ESM build answers from each
  // two-digit prefix's walk, kept since its first ZIP; the keys of up to two digits end walks in it.
  for (let z = 99999; z >= 0; z -= 7) {
    assert.equal(fst(zip(z)), longest(m, zip(z)), zip(z));
    const short = zip(z).slice(0, z % 3);
    assert.equal(fst(short), longest(m, short), short);
  }
});

test('values of 32 bits are found exactly, again and again (the ESM build keeps no walk it cannot hold)', () => {
  const fst = openFst(fstOf([['', 1], ['1', 2 ** 31], ['12', 2 ** 32 - 1], ['45', 5]]), 2);
  for (let round = 0; round < 3; round++) {
    assert.equal(fst('19999'), 2 ** 31);
    assert.equal(fst('12345'), 2 ** 32 - 1);
    assert.equal(fst('45000'), 5);
    assert.equal(fst('99999'), 1);
  }
});

test('the FST of the empty key alone (36 bytes, root at address 0) maps every ZIP to class 0 in format 2, and is refused in format 1', () => {
  const only = fstOf([['', 0]]);
  assert.equal(only.length, 36);
  assert.equal(openFst(only, 2)('12345'), 0);
  assert.throws(() => openFst(only, 1), /corrupt artifact/);
});

test('an FST without keys opens and finds nothing', () => {
  const fst = openFst(fixture('empty.fst'), 1);
  assert.equal(fst('12345'), undefined);
  assert.equal(fst(''), undefined);
});

test('a wrong type, a wrong fst version, a root address that does not match the length, or a cut file is refused', () => {
  assert.throws(() => openFst(fixture('wide-type7.fst'), 1), /corrupt artifact/);
  const good = fixture('mini.fst');
  assert.throws(() => openFst(good, 2), /corrupt artifact/);
  const v4 = good.slice();
  v4[0] = 4;
  assert.throws(() => openFst(v4, 1), /corrupt artifact/);
  const moved = good.slice();
  moved[good.length - 12] ^= 1;
  assert.throws(() => openFst(moved, 1), /corrupt artifact/);
  for (let n = 0; n < good.length; n++) assert.throws(() => openFst(good.subarray(0, n), 1), /corrupt artifact/, `${n} bytes`);
});
