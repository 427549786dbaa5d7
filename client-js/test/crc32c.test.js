/** CRC-32C: the standard check value, and ranges. */

import assert from 'node:assert/strict';
import test from 'node:test';
import { crc32c } from '../src/crc32c.js';

test('CRC-32C of "123456789" is the Castagnoli check value 0xE3069283', () => {
  const b = new TextEncoder().encode('123456789');
  assert.equal(crc32c(b, 0, b.length), 0xe3069283);
});

test('CRC-32C of a range equals that of the same bytes alone; of nothing it is 0', () => {
  const b = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255);
  assert.equal(crc32c(b, 10, 250), crc32c(b.slice(10, 250), 0, 240));
  assert.equal(crc32c(b, 5, 5), 0);
});
