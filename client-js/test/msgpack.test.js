/** MessagePack reader: exactly the subset of FORMAT.md, every encoding of it, and nothing else. */

import assert from 'node:assert/strict';
import test from 'node:test';
import { reader } from '../src/msgpack.js';
import { msgpack } from './helpers/artifact-writer.js';

const read = (bytes) => reader(Uint8Array.from(bytes));

test('integers: positive fixint, uint 8, 16 and 32', () => {
  for (const v of [0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1]) {
    const [uint, , , done] = reader(msgpack(v));
    assert.equal(uint(), v);
    done();
  }
});

test('strings: fixstr, str 8, 16 and 32, UTF-8', () => {
  for (const s of ['', 'é', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(300), '√'.repeat(30000)]) {
    const [, str, , done] = reader(msgpack(s));
    assert.equal(str(), s);
    done();
  }
  const [, str] = read([0xdb, 0, 0, 0, 2, 0x68, 0x69]); // str 32
  assert.equal(str(), 'hi');
});

test('arrays: fixarray, array 16 and 32', () => {
  const [, , arr] = read([0xdd, 0, 0, 0, 1, 5]);
  assert.equal(arr(), 1);
  for (const n of [0, 15, 16, 70000]) {
    const [uint, , arr, done] = reader(msgpack(Array(n).fill(1)));
    assert.equal(arr(), n);
    for (let i = 0; i < n; i++) uint();
    done();
  }
});

test('every other type is refused: nil, booleans, negative and signed integers, uint 64, floats, bin, ext, maps', () => {
  for (const t of [0xc0, 0xc2, 0xc3, 0xe0, 0xff, 0xd0, 0xd1, 0xd2, 0xd3, 0xcf, 0xca, 0xcb, 0xc4, 0xc5, 0xc6, 0xc7, 0xd4, 0x80, 0xde, 0xdf]) {
    const [uint, str, arr] = read([t, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.throws(uint, /corrupt artifact/, t.toString(16));
    assert.throws(str, /corrupt artifact/, t.toString(16));
    assert.throws(arr, /corrupt artifact/, t.toString(16));
  }
});

test('a value of the wrong kind is refused', () => {
  assert.throws(read([0xa1, 0x41])[0], /corrupt artifact/); // a string where a uint is due
  assert.throws(read([0x05])[1], /corrupt artifact/); // a uint where a string is due
  assert.throws(read([0x91, 0x01])[1], /corrupt artifact/); // an array where a string is due
});

test('truncation, lengths beyond the input, invalid UTF-8 and trailing bytes are refused', () => {
  assert.throws(read([0xcd, 0x01])[0], /corrupt artifact/);
  assert.throws(read([0xa3, 0x41])[1], /corrupt artifact/);
  assert.throws(read([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01])[2], /corrupt artifact/);
  assert.throws(read([0xa2, 0xc3, 0x28])[1], /TypeError|encoded data|invalid/i);
  const [uint, , , done] = read([0x01, 0x02]);
  uint();
  assert.throws(done, /corrupt artifact/);
  const [uintPastEnd, , , end] = read([]);
  uintPastEnd();
  assert.throws(end, /corrupt artifact/);
  assert.throws(read([])[1], /corrupt artifact/);
  assert.throws(read([])[2], /corrupt artifact/);
});
