/** `npm run build`: writes dist/formroute.min.js (IIFE, global `formroute`) and dist/formroute.esm.js with esbuild, and prints their gzipped sizes. */

import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const common = { bundle: true, minify: true, target: 'es2020', legalComments: 'none', absWorkingDir: root, logLevel: 'warning' };
await build({ ...common, entryPoints: ['src/snippet.js'], format: 'iife', outfile: 'dist/formroute.min.js' });
await build({ ...common, entryPoints: ['src/index.js'], format: 'esm', outfile: 'dist/formroute.esm.js' });
for (const f of ['formroute.min.js', 'formroute.esm.js']) {
  const b = readFileSync(`${root}dist/${f}`);
  process.stderr.write(`dist/${f}: ${b.length} bytes, ${gzipSync(b, { level: 9 }).length} gzipped\n`);
}
