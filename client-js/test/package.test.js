/** The package's shape: ESM, no side effects, types first in exports, no runtime dependencies, and index.d.ts declaring exactly what src/index.js exports. */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import * as api from '../src/index.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

test('ESM, sideEffects false, "types" first in every export, no runtime dependencies', () => {
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.sideEffects, false);
  for (const [k, v] of Object.entries(pkg.exports)) if (typeof v === 'object') assert.equal(Object.keys(v)[0], 'types', k);
  assert.equal(pkg.dependencies, undefined);
});

test('index.d.ts declares exactly the exports of src/index.js', () => {
  const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8');
  const declared = [...dts.matchAll(/^export (?:function|const) (\w+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(declared, Object.keys(api).sort());
});
