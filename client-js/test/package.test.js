/** The package's shape: installable (not private), ESM, no side effects, types first in exports, no runtime dependencies, index.d.ts declaring exactly what src/index.js exports, and `tsc --noEmit` accepting a web team's usage of it (the global, the queue, the events). */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import * as api from '../src/index.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

test('installable: not private, ESM, sideEffects false, "types" first in every export, no runtime dependencies', () => {
  assert.equal(pkg.private, undefined);
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.sideEffects, false);
  for (const [k, v] of Object.entries(pkg.exports)) if (typeof v === 'object') assert.equal(Object.keys(v)[0], 'types', k);
  assert.equal(pkg.dependencies, undefined);
});

test('a small public surface: index.d.ts declares exactly the exports of src/index.js', () => {
  const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8');
  const declared = [...dts.matchAll(/^export (?:function|const) (\w+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(declared, Object.keys(api).sort());
  assert.deepEqual(Object.keys(api).sort(), ['FORMAT_VERSION', 'fill', 'load', 'parseArtifact', 'parseArtifactV2', 'percentEncode', 'wire']);
});

test('tsc --noEmit accepts test/types/usage.ts (the global, its command queue, the events, the ESM API)', () => {
  const tsc = new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname;
  execFileSync(process.execPath, [tsc, '-p', new URL('./types/', import.meta.url).pathname], { encoding: 'utf8' });
});
