/** The snippet budget: dist/formroute.min.js (rebuilt here) is at most 3,072 bytes gzipped, one IIFE that defines only the global `formroute`. */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { gzipSync } from 'node:zlib';
import vm from 'node:vm';

const BUDGET = 3072;
execFileSync(process.execPath, [new URL('../scripts/build.mjs', import.meta.url).pathname], { stdio: 'ignore' });
const min = readFileSync(new URL('../dist/formroute.min.js', import.meta.url));

test(`formroute.min.js is at most ${BUDGET} bytes gzipped (level 9)`, () => {
  const gz = gzipSync(min, { level: 9 }).length;
  assert.ok(gz <= BUDGET, `formroute.min.js is ${gz} bytes gzipped, over the budget of ${BUDGET}`);
});

test('it is one IIFE that sets the global formroute with load and wire, and nothing else', () => {
  const text = min.toString();
  assert.match(text, /^\(\(\)=>\{[\s\S]*\}\)\(\);\s*$/);
  const listeners = [];
  const window = {
    document: { currentScript: null, readyState: 'loading' },
    addEventListener: (t) => listeners.push(t),
    crypto: globalThis.crypto,
    TextDecoder,
  };
  window.self = window;
  const ctx = vm.createContext(window);
  const before = new Set(Object.keys(ctx));
  vm.runInContext(text, ctx);
  assert.deepEqual(Object.keys(ctx).filter((k) => !before.has(k)), ['formroute']);
  assert.deepEqual(Object.keys(ctx.formroute).sort(), ['load', 'wire']);
  assert.deepEqual(listeners, ['DOMContentLoaded']);
});

test('the ESM build exports the API and has no side effects on import', async () => {
  const m = await import('../dist/formroute.esm.js');
  for (const k of ['load', 'wire', 'parseArtifact', 'resolver', 'openFst', 'crc32c']) assert.equal(typeof m[k], 'function', k);
});
