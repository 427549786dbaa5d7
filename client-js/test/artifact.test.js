/** Artifact container and tables: a good file opens; corrupt, truncated, padded and wrong-version files fail cleanly, with FORMAT.md's message for the version. */

import assert from 'node:assert/strict';
import test from 'node:test';
import { parseArtifact } from '../src/artifact.js';
import { MINI_TABLES, artifact, fixture, mini, reseal } from './helpers/artifact-writer.js';

const VERSION_2 =
  'artifact format version 2 is not supported by this client (it reads version 1): update the formroute client, or rebuild the artifacts with a matching formroute builder';

test('a good artifact opens; its version is its CRC-32C in hex', () => {
  const b = mini();
  const a = parseArtifact(b);
  assert.equal(a.brand, 'acme');
  assert.equal(a.version, new DataView(b.buffer).getUint32(b.length - 4, true).toString(16));
  assert.equal(a.resolve({ zip: '90210', product: 'auto' }).ok, true);
});

test('an unknown format version is refused with the message of FORMAT.md', () => {
  assert.throws(() => parseArtifact(artifact(fixture('mini.fst'), MINI_TABLES, { version: 2 })), { message: VERSION_2 });
});

test('magic, flags, length and CRC are each checked', () => {
  const magic = mini();
  magic[0] = 0x47;
  assert.throws(() => parseArtifact(reseal(magic)), /corrupt artifact/);
  assert.throws(() => parseArtifact(artifact(fixture('mini.fst'), MINI_TABLES, { flags: 1 })), /corrupt artifact/);
  const padded = new Uint8Array(mini().length + 1);
  padded.set(mini());
  assert.throws(() => parseArtifact(padded), /corrupt artifact/);
});

test('every truncation of a good file fails cleanly', () => {
  const b = mini();
  for (let n = 0; n < b.length; n++) assert.throws(() => parseArtifact(b.subarray(0, n)), Error, `${n} bytes`);
});

test('every single-bit flip of a good file fails cleanly', () => {
  const b = mini();
  for (let i = 0; i < b.length; i++)
    for (let bit = 0; bit < 8; bit++) {
      const bad = b.slice();
      bad[i] ^= 1 << bit;
      assert.throws(() => parseArtifact(bad), Error, `byte ${i} bit ${bit}`);
    }
});

test('tables with an index out of range, a wrong shape or a wrong type fail, even with a correct CRC', () => {
  const fst = fixture('mini.fst');
  const edit = (f) => {
    const t = structuredClone(MINI_TABLES);
    f(t);
    return () => parseArtifact(artifact(fst, t));
  };
  assert.throws(edit((t) => (t[8][0][0] = 3)), /corrupt artifact/); // state index
  assert.throws(edit((t) => (t[8][0][1] = 4)), /corrupt artifact/); // form type 4 of 3
  assert.throws(edit((t) => t[8][0].push(0)), /corrupt artifact/); // class too long
  assert.throws(edit((t) => (t[9][0][0] = 2)), /corrupt artifact/); // product index
  assert.throws(edit((t) => (t[9][0][2] = 2)), /corrupt artifact/); // language index
  assert.throws(edit((t) => t[9][0].pop()), /corrupt artifact/); // form of 3 fields
  assert.throws(edit((t) => (t[4][0] = 7)), /corrupt artifact/); // a number for a product
  assert.throws(edit((t) => t.push('extra')), /corrupt artifact/); // 11 fields
  assert.throws(edit((t) => (t[0] = ['acme'])), /corrupt artifact/);
});

test('an FST value that is no class makes that lookup throw (the page answers unavailable), never answer', () => {
  const t = structuredClone(MINI_TABLES);
  t[8].pop(); // class 3 (PR) gone: 00601 now points past the classes
  const a = parseArtifact(artifact(fixture('mini.fst'), t));
  assert.throws(() => a.resolve({ zip: '00601', product: 'home' }), /corrupt artifact/);
  assert.equal(a.resolve({ zip: '90210', product: 'home' }).ok, true);
});
