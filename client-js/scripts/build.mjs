/** `npm run build`: writes dist/formroute.min.js (IIFE, global `formroute`) and dist/formroute.esm.js with esbuild (the snippet then through terser), and prints their sizes. */

import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { minify } from 'terser';

const root = fileURLToPath(new URL('..', import.meta.url));
// Browsers: ES2021 syntax (`||=`, `??`, `?.`), which every browser released since 2020 runs: Chrome
// and Edge 85, Firefox 79, Safari 14 (client-js/README.md, "Browsers"). Lowering to ES2020 would
// only make the snippet longer.
const common = { bundle: true, minify: true, target: 'es2021', legalComments: 'none', absWorkingDir: root, logLevel: 'warning' };
// `dropLabels: ['esm']`: statements labelled `esm:` are in the ESM build only, what a declarative
// page does not need (a Node timer's unref, the what-to-do half of FORMAT.md's version message).
const snippet = await build({ ...common, entryPoints: ['src/snippet.js'], format: 'iife', write: false, dropLabels: ['esm'] });
// terser after esbuild: a second pass of compression (about 3% of the gzipped snippet). `hoist_funs`
// lifts the function declarations to the top of the IIFE (where JavaScript hoists them anyway), which
// gzip compresses better here. Deterministic: same input, same bytes.
const { code } = await minify(snippet.outputFiles[0].text, { ecma: 2020, compress: { passes: 3, hoist_funs: true } });
writeFileSync(`${root}dist/formroute.min.js`, code);
await build({ ...common, entryPoints: ['src/index.js'], format: 'esm', outfile: 'dist/formroute.esm.js' });
for (const f of ['formroute.min.js', 'formroute.esm.js']) {
  const b = readFileSync(`${root}dist/${f}`);
  const br = brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  process.stderr.write(`dist/${f}: ${b.length} bytes, ${gzipSync(b, { level: 9 }).length} gzipped (level 9), ${br} brotli (quality 11)\n`);
}
