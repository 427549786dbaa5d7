/** `npm run bench:browser`: in headless Chromium on the slow profile (400 kbps, 400 ms RTT), submit-to-navigation time with the artifact already loaded and with it still arriving (with and without the preload hint), and the snippet's gzip/brotli bytes. Medians of RUNS (default 5) runs. */

import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { SLOW, missing, quotePage, startSite } from '../test/helpers/browser.js';

if (missing) throw Error(missing);
const RUNS = +process.env.RUNS || 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const snippet = readFileSync(new URL('../dist/formroute.min.js', import.meta.url));
const site = await startSite();
const expected = 'https://quotes.partner-auto.example/acme/auto?zip=10001&state=NY';
const preload = (path) => `<link rel="preload" href="${path}acme.v2.frt" as="fetch" crossorigin>`;

/** One run: ms from the click to the form URL's navigation; `wait` says when to click. */
async function run(html, wait) {
  const tab = await site.tab(SLOW);
  await tab.goto(site.page(html), { waitUntil: 'commit' });
  await tab.waitForSelector('input[name=zip]');
  await tab.fill('input[name=zip]', '10001');
  await wait(tab);
  const t0 = Date.now();
  await Promise.all([tab.waitForURL(expected, { timeout: 20000, waitUntil: 'commit' }), tab.click('button')]);
  const ms = Date.now() - t0;
  await tab.context().close();
  return ms;
}
const loaded = (tab) => tab.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/acme.v2.frt') && e.responseEnd > 0), null, { timeout: 20000 });
const atOnce = async (tab) => tab.waitForFunction(() => window.formroute && window.formroute.wire);
const cases = [
  ['artifact already loaded', quotePage(), loaded],
  ['artifact still arriving (submit as soon as the snippet runs)', quotePage(), atOnce],
  ['artifact still arriving, with the preload hint', quotePage({ head: preload('/art/ok/') }), atOnce],
];
console.log(`Chromium, 400 kbps / 400 ms RTT (CDP), medians of ${RUNS}. Command: cd client-js && npm run bench:browser`);
console.log(`snippet dist/formroute.min.js: ${snippet.length} B raw, ${gzipSync(snippet, { level: 9 }).length} B gzip -9, ${brotliCompressSync(snippet, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length} B brotli 11`);
for (const [what, html, wait] of cases) {
  const ms = [];
  for (let i = 0; i < RUNS; i++) ms.push(await run(html, wait));
  console.log(`submit to navigation, ${what}: ${median(ms)} ms (runs: ${ms.join(', ')})`);
}
await site.close();
