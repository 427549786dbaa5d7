/** Test helper for the Chromium tests and the slow-profile bench: one shared headless Debian Chromium (playwright-core), a local site that serves the snippet, pages, artifacts that arrive late, fail or come from another origin, and collects beacons; CDP network throttling. */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ROOT = new URL('../../../', import.meta.url).pathname;
export const BIN = process.env.FORMROUTE_BIN || ['target/debug/formroute', 'target/release/formroute'].map((p) => join(ROOT, p)).find((p) => existsSync(p));
/** Why the browser tests cannot run here, or false. In CI (CI set), a missing Chromium or builder fails instead. */
export const missing = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM} (apt-get install -y chromium)` : !BIN ? 'no target/debug/formroute (cargo build -p formroute)' : false;
if (missing && process.env.CI) throw Error(`browser tests cannot run in CI: ${missing}`);

/** The slow phone of issue 14: 400 kbps both ways, 400 ms round trip. */
export const SLOW = { offline: false, latency: 400, downloadThroughput: 400_000 / 8, uploadThroughput: 400_000 / 8 };

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Starts the site and the browser. Artifact URLs: `/art/MODE/BRAND.v2.frt` (format version 2, what the snippet fetches), MODE one of
 * `ok`; `delay-MS` (the body after MS ms); `fail-N` (503 for the first N requests of that path);
 * `hang` (never answers); `nocors404` (404 without CORS headers); `other` (solis's file for any brand); `v1` (the brand's format-1 file).
 * Artifacts carry `Access-Control-Allow-Origin: *` and go gzip-compressed when accepted, as from the CDN.
 * The page origin is http://127.0.0.1:PORT; http://localhost:PORT is a second origin (the "CDN").
 */
export async function startSite() {
  const dir = mkdtempSync(join(tmpdir(), 'formroute-browser-'));
  const out = join(dir, 'build');
  const built = spawnSync(BIN, ['build', '--data', join(ROOT, 'data'), '--out', out], { encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  const files = Object.fromEntries(Object.entries(manifest.brands).map(([b, e]) => [b, readFileSync(join(out, e.artifact_v2))]));
  const filesV1 = Object.fromEntries(Object.entries(manifest.brands).map(([b, e]) => [b, readFileSync(join(out, e.artifact))]));
  const snippet = readFileSync(process.env.FORMROUTE_SNIPPET || new URL('../../dist/formroute.min.js', import.meta.url));
  const pages = new Map();
  const hits = {};
  const events = [];
  const contentTypes = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const path = url.pathname;
    hits[path] = (hits[path] || 0) + 1;
    if (req.method === 'POST' && path === '/v1/events') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        events.push(...JSON.parse(body).events);
        contentTypes.push(req.headers['content-type']);
        res.writeHead(202).end('{}');
      });
      return;
    }
    const art = /^\/art\/([a-z0-9-]+)\/([a-z0-9-]+)\.v2\.frt$/.exec(path);
    if (art) {
      const [, mode, brand] = art;
      const cors = { 'access-control-allow-origin': '*', 'timing-allow-origin': '*' };
      if (mode === 'hang') return;
      if (mode === 'nocors404') return res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>');
      if (mode.startsWith('fail-') && hits[path] <= +mode.slice(5)) return res.writeHead(503, cors).end();
      const body = mode === 'v1' ? filesV1[brand] : files[mode === 'other' ? 'solis' : brand];
      if (!body) return res.writeHead(404, cors).end();
      const gz = /gzip/.test(req.headers['accept-encoding'] || '');
      const send = () =>
        res.writeHead(200, { ...cors, 'content-type': 'application/octet-stream', 'cache-control': 'max-age=60', ...(gz && { 'content-encoding': 'gzip' }) }).end(gz ? gzipSync(body) : body);
      return mode.startsWith('delay-') ? setTimeout(send, +mode.slice(6)) : send();
    }
    if (path === '/formroute.min.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(snippet);
    // Other content of the page, N KB of it (an image the browser fetches beside the artifact).
    const filler = /^\/filler\/(\d+)\.bin$/.exec(path);
    if (filler) return res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' }).end(Buffer.alloc(+filler[1] * 1024, 7));
    if (pages.has(path)) return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(pages.get(path));
    // Landing pages: the page fallback, the form's action, anything else local.
    if (/^\/(fallback|quote|landing)/.test(path)) return res.writeHead(200, { 'content-type': 'text/html' }).end(`<title>${path}</title><p>${path}`);
    res.writeHead(404).end();
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const port = server.address().port;
  const origin = `http://127.0.0.1:${port}`;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Playwright turns the back/forward cache off; the pages here need it (issue 14, defect 3).
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let pageNumber = 0;
  const site = {
    origin,
    /** The second origin (the CDN of the artifacts). */
    cdn: `http://localhost:${port}`,
    files,
    hits,
    events,
    /** The Content-Type of each beacon request. */
    contentTypes,
    browser,
    /** Serves `html` at a new path; returns its URL. */
    page(html) {
      const path = `/p/${++pageNumber}.html`;
      pages.set(path, html);
      return origin + path;
    },
    /** A new browser context and tab, throttled to `network` (CDP) if given; https form URLs answer "form". */
    async tab(network) {
      const ctx = await browser.newContext();
      await ctx.route('https://**/*', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>form</title><p>form' }));
      const tab = await ctx.newPage();
      tab.errors = [];
      tab.on('pageerror', (e) => tab.errors.push(e.message + (process.env.BROWSER_STACKS ? e.stack : '')));
      if (network) {
        const cdp = await ctx.newCDPSession(tab);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', network);
      }
      return tab;
    },
    /** Waits until `n` beacon events arrived (or `ms` passed); returns the events. */
    async eventsAfter(n, ms = 5000) {
      for (let t = 0; t < ms && events.length < n; t += 50) await sleep(50);
      return events;
    },
    async close() {
      await browser.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return site;
}

/**
 * A page with the snippet and one declarative form of `brand` (the snippet's beacon URL and
 * fallback as on a brand's site), with `form` attributes and `fields`, and `head` extra.
 */
export const quotePage = ({ artifacts = '/art/ok/', script = '', form = '', fields = '', head = '', body = '', brand = 'acme', lang = 'en', formLang } = {}) => `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Get a quote</title>
${head}<script src="/formroute.min.js" data-base="${artifacts}" data-beacon-url="/v1/events" data-fallback-url="/fallback.html" ${script} async></script>
</head><body>${formLang ? `<div lang="${formLang}">` : ''}
<form data-formroute="${brand}" ${form} action="/quote">
  ${fields || `<label>ZIP code <input name="zip" autocomplete="postal-code" inputmode="numeric" required></label>
  <label>Product <select name="product"><option value="auto">Auto</option><option value="home">Home</option></select></label>
  <button>Get my quote</button>`}
</form>${formLang ? '</div>' : ''}${body}</body></html>`;
