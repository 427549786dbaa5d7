/** The snippet budget: dist/formroute.min.js (rebuilt here) within its gzip budget, one IIFE that defines only the global `formroute`, runs the page's queued commands, and does nothing a second time on a page. */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { gzipSync } from 'node:zlib';
import vm from 'node:vm';

// Issue 14 sets 3,584 B gzip (-9) for the snippet: issue 14's lifecycle with the format-2 reader.
const BUDGET = 3584;
execFileSync(process.execPath, [new URL('../scripts/build.mjs', import.meta.url).pathname], { stdio: 'ignore' });
const min = readFileSync(new URL('../dist/formroute.min.js', import.meta.url));

test(`formroute.min.js is at most ${BUDGET} bytes gzipped (level 9)`, () => {
  const gz = gzipSync(min, { level: 9 }).length;
  assert.ok(gz <= BUDGET, `formroute.min.js is ${gz} bytes gzipped, over the budget of ${BUDGET}`);
});

/** Runs the snippet in a fresh fake window (`formroute` preset to `before`); returns the window and the listeners it added. */
function run(before, times = 1) {
  const listeners = [];
  const window = {
    document: { currentScript: null, readyState: 'loading' },
    addEventListener: (t) => listeners.push(t),
    crypto: globalThis.crypto,
    TextDecoder,
    console,
  };
  if (before) window.formroute = before;
  window.self = window;
  const ctx = vm.createContext(window);
  const keys = new Set(Object.keys(ctx));
  for (let i = 0; i < times; i++) vm.runInContext(min.toString(), ctx);
  return { ctx, listeners, added: Object.keys(ctx).filter((k) => !keys.has(k)) };
}

test('one IIFE that sets the global formroute with wire and push, and nothing else', () => {
  assert.match(min.toString(), /^\(\(\)=>\{[\s\S]*\}\)\(\);\s*$/);
  const { ctx, listeners, added } = run();
  assert.deepEqual(added, ['formroute']);
  assert.deepEqual(Object.keys(ctx.formroute).sort(), ['push', 'wire']);
  assert.deepEqual(listeners, ['DOMContentLoaded']);
});

test('commands queued before the snippet run with the global; later ones run at once', () => {
  const calls = [];
  const { ctx } = run([(f) => calls.push(['queued', typeof f.wire])]);
  ctx.formroute.push((f) => calls.push(['later', f === ctx.formroute]));
  assert.deepEqual(calls, [
    ['queued', 'function'],
    ['later', true],
  ]);
});

test('a second copy of the snippet on the page keeps the first global and adds no listener', () => {
  const once = run();
  const twice = run(undefined, 2);
  assert.deepEqual(twice.listeners, once.listeners);
});

test('the ESM build exports the small API and has no side effects on import', async () => {
  const m = await import('../dist/formroute.esm.js');
  assert.deepEqual(Object.keys(m).sort(), ['FORMAT_VERSION', 'fill', 'load', 'parseArtifact', 'parseArtifactV2', 'percentEncode', 'wire']);
});
