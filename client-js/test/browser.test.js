/** In headless Debian Chromium (playwright-core), one browser for all: a visitor on a slow phone reaches the right form (issue 14's eight defects, each on a throttled network or a late, failing or foreign artifact server), the page gets events and a command queue, and beacons match the shared schema. */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { parseArtifactV2 } from '../src/artifact_v2.js';
import { BIN, CHROMIUM, SLOW, missing, quotePage, startSite } from './helpers/browser.js';

const schema = JSON.parse(readFileSync(new URL('../schema/event.schema.json', import.meta.url)));
const valid = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

test('the snippet in Chromium', { skip: missing, timeout: 240_000 }, async (t) => {
  const site = await startSite();
  t.after(() => site.close());
  const { origin, events, hits } = site;
  const answer = (brand, zip, product, language) => parseArtifactV2(new Uint8Array(site.files[brand])).resolve({ zip, product, language });
  const resolves = () => events.filter((e) => e.type === 'resolve');
  // Each part starts with no beacons; checks what the page sent, all valid per the schema.
  // (BROWSER_ONLY=regex runs the parts whose name matches, when working on one.)
  const only = process.env.BROWSER_ONLY && new RegExp(process.env.BROWSER_ONLY);
  const part = (name, f) =>
    t.test(name, { skip: only && !only.test(name) && 'BROWSER_ONLY' }, async () => {
      events.length = 0;
      for (const k in hits) delete hits[k];
      await f();
      for (const e of events) assert.ok(valid(e), `${JSON.stringify(e)}: ${JSON.stringify(valid.errors)}`);
    });
  const submit = async (tab, selector = 'button') => tab.click(selector);

  await part('typing a ZIP and submitting lands on the Rust-compatible URL, and the beacons reach the logger as text', async () => {
    const expected = answer('acme', '10001', 'home', 'en');
    const tab = await site.tab();
    await tab.goto(site.page(quotePage()));
    await tab.fill('input[name=zip]', ' 10001-0001 ');
    await tab.selectOption('select[name=product]', 'home');
    await Promise.all([tab.waitForURL(expected.url), submit(tab)]);
    const sent = await site.eventsAfter(2);
    assert.deepEqual(sent.map((e) => e.type), ['load', 'resolve']);
    assert.match(site.contentTypes.at(-1), /^text\/plain/);
    assert.equal(sent[1].zip, ' 10001-0001 ');
    assert.equal(sent[1].state, expected.state);
    assert.ok(sent[0].ms >= 0 && sent[0].av);
    assert.deepEqual(tab.errors, []);
    await tab.context().close();
  });

  await part('the load event says where the artifact came from: network first, then the HTTP cache', async () => {
    // A context without request routing (Playwright turns the HTTP cache off while it routes).
    const ctx = await site.browser.newContext();
    const tab = await ctx.newPage();
    const url = site.page(quotePage({ artifacts: '/art/ok/' }).replace('data-formroute="acme"', 'data-formroute="lakeside"'));
    const source = async () => {
      events.length = 0;
      await tab.goto(url);
      await tab.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('.frt') && e.responseEnd > 0));
      await sleep(100); // the file is checked, the load event queued
      await tab.goto(origin + '/landing.html'); // leaving sends the load event
      return (await site.eventsAfter(1)).find((e) => e.type === 'load').source;
    };
    assert.equal(await source(), 'network');
    assert.equal(await source(), 'cache');
    assert.equal(hits['/art/ok/lakeside.v2.frt'], 1);
    await ctx.close();
  });

  // ---- 1. The time-out bounds the visitor's wait after submitting, never the download.
  await part('1. slow phone (400 kbps, 400 ms RTT) with other content on the page: a visitor who submits once the file is there lands on the form', async () => {
    const expected = answer('acme', '10001', 'auto', 'en');
    const tab = await site.tab(SLOW);
    // 500 KB of the page's other content, fetched beside the artifact (format 2: about 10 KB gzip): its download takes longer than the 1.5 s time-out.
    const other = '<script>for (let i = 0; i < 5; i++) fetch("/filler/100.bin?" + i);</script>';
    await tab.goto(site.page(quotePage({ head: other })), { waitUntil: 'commit' });
    await tab.fill('input[name=zip]', '10001');
    const download = await tab.waitForFunction(() => performance.getEntriesByType('resource').find((e) => e.name.endsWith('/acme.v2.frt') && e.responseEnd > 0), null, { timeout: 15000 });
    const took = await download.evaluate((e) => e.responseEnd - e.startTime);
    assert.ok(took > 1500, `the artifact took ${took} ms: the test needs it slower than the time-out`);
    const t1 = Date.now();
    await Promise.all([tab.waitForURL(expected.url, { timeout: 5000 }), submit(tab)]);
    console.log(`# slow profile: the artifact took ${Math.round(took)} ms to download; submit to navigation with the file loaded: ${Date.now() - t1} ms`);
    await tab.context().close();
  });

  await part('1. a download that fails is retried while the visitor types: the visitor lands on the form', async () => {
    const expected = answer('acme', '10001', 'auto', 'en');
    const tab = await site.tab();
    await tab.goto(site.page(quotePage({ artifacts: '/art/fail-1/' })));
    await tab.fill('input[name=zip]', '10001');
    await sleep(1500); // the retry runs 1 s after the failure
    await Promise.all([tab.waitForURL(expected.url, { timeout: 5000 }), submit(tab)]);
    assert.equal(hits['/art/fail-1/acme.v2.frt'], 2);
    const sent = await site.eventsAfter(3);
    assert.deepEqual(sent.map((e) => [e.type, e.error]), [['error', 'http'], ['load', undefined], ['resolve', undefined]]);
    await tab.context().close();
  });

  await part('1. unavailable is answered only once the visitor has waited timeoutMs after submitting', async () => {
    const tab = await site.tab();
    await tab.goto(site.page(quotePage({ artifacts: '/art/hang/', form: 'data-timeout-ms="700"' })));
    await tab.fill('input[name=zip]', '10001');
    await sleep(1000); // longer than the time-out, before submitting
    const t0 = Date.now();
    await Promise.all([tab.waitForURL(origin + '/fallback.html', { timeout: 5000 }), submit(tab)]);
    const waited = Date.now() - t0;
    assert.ok(waited >= 650 && waited < 2000, `waited ${waited} ms`);
    assert.deepEqual((await site.eventsAfter(1)).map((e) => [e.type, e.error]), [['resolve', 'unavailable']]);
    await tab.context().close();
  });

  // ---- 2. wire() is idempotent; one download per brand and page; later forms use the snippet's settings.
  await part('2. wire() 20 times and on a container: one fetch, each form wired once, a new form routed and logged with the snippet settings', async () => {
    const expected = answer('acme', '10001', 'home', 'en');
    const tab = await site.tab();
    await tab.goto(site.page(quotePage({ artifacts: '/art/ok/', body: '<div id="later"></div>' })));
    await tab.waitForFunction(() => window.formroute && window.formroute.wire);
    await tab.evaluate(() => {
      for (let i = 0; i < 20; i++) window.formroute.wire();
      const later = document.getElementById('later');
      later.innerHTML = '<form data-formroute="acme" action="/quote" id="f2"><input name="zip" value="10001"><input name="product" value="home"><button id="b2">Go</button></form>';
      window.formroute.wire(later);
    });
    await Promise.all([tab.waitForURL(expected.url), submit(tab, '#b2')]);
    assert.equal(hits['/art/ok/acme.v2.frt'] || 0, 1, 'one artifact request');
    assert.deepEqual((await site.eventsAfter(2)).map((e) => e.type), ['load', 'resolve']);
    await tab.context().close();
  });

  await part('2. a form added later without wire() is routed with the snippet settings', async () => {
    const expected = answer('acme', '10001', 'home', 'en');
    const tab = await site.tab();
    await tab.goto(site.page(quotePage({ artifacts: '/art/ok/', fields: '<p>no form yet</p>' }).replace(/<form[\s\S]*<\/form>/, '<div id="later"></div>')));
    await tab.waitForFunction(() => window.formroute && window.formroute.wire);
    await tab.evaluate(() => {
      document.getElementById('later').innerHTML =
        '<form data-formroute="acme" action="/quote"><input name="zip"><input name="product" value="home"><button>Go</button></form>';
    });
    await tab.fill('input[name=zip]', '10001');
    await Promise.all([tab.waitForURL(expected.url), submit(tab)]);
    assert.deepEqual((await site.eventsAfter(2)).map((e) => e.type).sort(), ['load', 'resolve']);
    await tab.context().close();
  });

  await part('2. two copies of the snippet on a page: one download, one load event, one resolve event', async () => {
    const expected = answer('acme', '10001', 'auto', 'en');
    const tab = await site.tab();
    const twice = '<script src="/formroute.min.js?copy" data-base="/art/ok/" data-beacon-url="/v1/events" async></script>';
    await tab.goto(site.page(quotePage({ artifacts: '/art/ok/', head: twice })));
    await tab.fill('input[name=zip]', '10001');
    await sleep(300);
    await Promise.all([tab.waitForURL(expected.url), submit(tab)]);
    await sleep(300);
    assert.deepEqual((await site.eventsAfter(2)).map((e) => e.type), ['load', 'resolve']);
    await tab.context().close();
  });

  // ---- 3. A busy state; no double submit; reset from the back/forward cache with a new page view.
  await part('3. after a click the form is busy (aria-busy, button disabled, data-formroute-state) and a double click gives one answer and one navigation', async () => {
    const expected = answer('acme', '10001', 'auto', 'en');
    const tab = await site.tab();
    const navigations = [];
    tab.on('request', (r) => r.isNavigationRequest() && navigations.push(r.url()));
    await tab.goto(site.page(quotePage({ artifacts: '/art/delay-800/' })));
    await tab.fill('input[name=zip]', '10001');
    assert.equal(await tab.evaluate(() => document.forms[0].dataset.formrouteState), 'idle');
    await tab.evaluate(() => {
      const b = document.querySelector('button');
      b.click();
      window.busyAfterClick = [document.forms[0].getAttribute('aria-busy'), b.disabled, document.forms[0].dataset.formrouteState];
      b.click(); // the second click of a double click, and Enter in the field
      document.forms[0].requestSubmit();
    });
    assert.deepEqual(await tab.evaluate(() => window.busyAfterClick), ['true', true, 'busy']);
    await tab.waitForURL(expected.url, { timeout: 5000 });
    await sleep(300);
    assert.deepEqual(navigations.slice(1), [expected.url]);
    assert.equal((await site.eventsAfter(2)).filter((e) => e.type === 'resolve').length, 1);
    await tab.context().close();
  });

  await part('3. back from the back/forward cache: the form is usable again and the page view has a new id', async () => {
    const tab = await site.tab();
    // No artifact for this brand: the page's fallback, a page of the same site.
    await tab.goto(site.page(quotePage({ brand: 'nobrand', form: 'data-timeout-ms="300" data-fallback-url="/landing.html"' })));
    await tab.evaluate(() => addEventListener('pageshow', (e) => (window.restored = e.persisted)));
    await tab.fill('input[name=zip]', '10001');
    await Promise.all([tab.waitForURL(origin + '/landing.html', { timeout: 5000 }), submit(tab)]);
    const first = (await site.eventsAfter(1)).find((e) => e.type === 'resolve');
    await tab.goBack({ waitUntil: 'commit' });
    await tab.waitForFunction(() => window.restored !== undefined);
    assert.equal(await tab.evaluate(() => window.restored), true, 'restored from the back/forward cache');
    const state = () => tab.evaluate(() => [document.forms[0].getAttribute('aria-busy'), document.querySelector('button').disabled, document.forms[0].dataset.formrouteState]);
    assert.deepEqual(await state(), ['false', false, 'idle']);
    events.length = 0;
    await Promise.all([tab.waitForURL(origin + '/landing.html', { timeout: 5000 }), submit(tab)]);
    const second = (await site.eventsAfter(1)).find((e) => e.type === 'resolve');
    assert.ok(first && second);
    assert.notEqual(second.pv, first.pv);
    await tab.context().close();
  });

  // ---- 4. A mistyped ZIP keeps the visitor on the page.
  await part('4. ZIP 1000 keeps the visitor on the form, the field invalid with a message the page can set, logged once on submit; a fixed ZIP then routes', async () => {
    const expected = answer('acme', '10001', 'auto', 'en');
    const tab = await site.tab();
    await tab.goto(site.page(quotePage()));
    for (const z of ['1', '10', '100', '1000']) await tab.fill('input[name=zip]', z);
    await submit(tab);
    await sleep(400);
    assert.equal(new URL(tab.url()).pathname.startsWith('/p/'), true, tab.url());
    assert.deepEqual(await tab.evaluate(() => [document.querySelector('[name=zip]').matches(':invalid'), document.querySelector('[name=zip]').validationMessage, document.forms[0].dataset.formrouteState]), [
      true,
      'Please check this ZIP code.',
      'invalid',
    ]);
    await tab.evaluate(() => (document.forms[0].dataset.zipMessage = 'Unknown ZIP.')); // the page's own message (data-zip-message)
    await tab.fill('input[name=zip]', '99999'); // a ZIP of no state: kept too
    await submit(tab);
    await sleep(400);
    assert.equal(await tab.evaluate(() => document.querySelector('[name=zip]').validationMessage), 'Unknown ZIP.');
    await tab.fill('input[name=zip]', '10001');
    await Promise.all([tab.waitForURL(expected.url), submit(tab)]);
    const sent = await site.eventsAfter(4);
    assert.deepEqual(resolves().map((e) => [e.zip, e.error]), [['1000', 'invalid_zip'], ['99999', 'unknown_zip'], ['10001', undefined]]);
    assert.equal(sent.length, 4);
    await tab.context().close();
  });

  // ---- 5. The page's fallback keeps what the visitor typed.
  await part("5. the page's fallback URL gets {zip}, {product}, {language} and {brand}, percent-encoded", async () => {
    const tab = await site.tab();
    const fallback = 'data-fallback-url="/fallback.html?zip={zip}&amp;p={product}&amp;l={language}&amp;b={brand}"';
    await tab.goto(site.page(quotePage({ artifacts: '/art/hang/', form: `data-timeout-ms="300" ${fallback}`, lang: 'es-MX' })));
    await tab.fill('input[name=zip]', '10001-1234');
    await tab.selectOption('select[name=product]', 'home');
    await Promise.all([tab.waitForURL(origin + '/fallback.html?zip=10001&p=home&l=es&b=acme', { timeout: 5000 }), submit(tab)]);
    await tab.context().close();
  });

  // ---- 6. Form details: the clicked button's value, the nearest lang, a field named submit.
  await part('6. the clicked button names the product, the nearest lang picks the language', async () => {
    const expected = answer('acme', '10001', 'home', 'es');
    assert.equal(expected.language, 'es');
    const tab = await site.tab();
    const fields = '<input name="zip" value="10001"><button name="product" value="auto">Auto</button><button name="product" value="home" id="home">Hogar</button>';
    await tab.goto(site.page(quotePage({ fields, formLang: 'es' })));
    await Promise.all([tab.waitForURL(expected.url), submit(tab, '#home')]);
    await tab.context().close();
  });

  await part('6. nowhere to go (no usable file, no page fallback) and a field named "submit": the form submits natively to its action with its fields', async () => {
    const tab = await site.tab();
    const fields = '<input name="zip" value="10001"><input type="hidden" name="submit" value="x"><button name="product" value="home" id="home">Home</button>';
    await tab.goto(site.page(quotePage({ artifacts: '/art/other/', fields }).replace('data-fallback-url="/fallback.html" ', '')));
    await Promise.all([tab.waitForURL(origin + '/quote?zip=10001&submit=x', { timeout: 5000 }), submit(tab, '#home')]);
    assert.deepEqual(tab.errors, []);
    await tab.context().close();
  });

  // ---- 7. Errors named as they are.
  await part('7. a cross-origin 404 without CORS headers is named cors; another brand\'s file is named brand', async () => {
    for (const [artifacts, error] of [
      [site.cdn + '/art/nocors404/', 'cors'],
      ['/art/other/', 'brand'],
    ]) {
      events.length = 0;
      const tab = await site.tab();
      await tab.goto(site.page(quotePage({ artifacts })));
      await sleep(300);
      await tab.fill('input[name=zip]', '10001');
      await Promise.all([tab.waitForURL(/fallback/, { timeout: 5000 }), submit(tab)]);
      const sent = await site.eventsAfter(2);
      assert.deepEqual(sent.filter((e) => e.type === 'error').map((e) => e.error)[0], error);
      await tab.context().close();
    }
  });

  await part('7. a version-1 file where version 2 is due: named version, what is wrong on the console (FORMAT.md\'s message up to its colon), the visitor sent to the fallback', async () => {
    const tab = await site.tab();
    const warnings = [];
    tab.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    await tab.goto(site.page(quotePage({ artifacts: '/art/v1/' })));
    await tab.fill('input[name=zip]', '10001');
    await Promise.all([tab.waitForURL(/fallback/, { timeout: 5000 }), submit(tab)]);
    assert.deepEqual((await site.eventsAfter(2)).map((e) => [e.type, e.error]), [['error', 'version'], ['resolve', 'unavailable']]);
    assert.equal(hits['/art/v1/acme.v2.frt'], 1, 'not retried: it would come back the same');
    assert.ok(
      warnings.some((w) => w.includes('artifact format version 1 is not supported by this client (it reads version 2)')),
      warnings.join('\n'),
    );
    await tab.context().close();
  });

  await part('7. a visitor leaving mid-download (here: reloading the page) logs no error', async () => {
    const tab = await site.tab(SLOW);
    await tab.goto(site.page(quotePage({ artifacts: '/art/delay-1500/' })));
    await sleep(300);
    await tab.reload({ waitUntil: 'commit' });
    // The reloaded page's own download ends with its load event.
    const sent = await site.eventsAfter(1, 8000);
    assert.deepEqual(sent.map((e) => [e.type, e.error]), [['load', undefined]]);
    await tab.context().close();
  });


  // ---- 8. Only submits are logged: the demo page of `formroute serve` previews without logging.
  await part('8. the demo page (formroute serve) logs nothing while a ZIP is typed, and one resolve on submit', async () => {
    const work = mkdtempSync(join(tmpdir(), 'formroute-demo-'));
    const spool = join(work, 'events.ndjson');
    const root = new URL('../../', import.meta.url).pathname;
    const serve = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', join(root, 'data'), '--client', join(root, 'client-js/dist'), '--work', work, '--spool', spool], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const url = await new Promise((ok, fail) => {
        serve.stdout.on('data', (d) => /http:\/\/\S+/.test(d) && ok(/http:\/\/\S+/.exec(d)[0]));
        serve.on('exit', (code) => fail(Error(`formroute serve exited with ${code}`)));
      });
      const tab = await site.tab();
      await tab.goto(url);
      await tab.waitForFunction(() => document.getElementById('brand').options.length > 0);
      await tab.selectOption('#brand', 'acme');
      await tab.waitForFunction(() => document.getElementById('product').options.length > 0);
      await tab.selectOption('#product', 'auto');
      for (const z of ['1', '10', '100', '1000', '1000']) await tab.fill('#zip', z);
      await tab.waitForFunction(() => document.getElementById('answer').textContent.includes('invalid_zip'));
      await tab.fill('#zip', '10001');
      await tab.waitForFunction(() => document.getElementById('answer').textContent.includes('"ok": true'));
      await Promise.all([tab.waitForURL(/^https:/), tab.click('#go')]);
      const logged = () => (existsSync(spool) ? readFileSync(spool, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
      for (let i = 0; i < 50 && !logged().some((e) => e.type === 'resolve'); i++) await sleep(100);
      assert.deepEqual(logged().filter((e) => e.type === 'resolve').map((e) => e.zip), ['10001']);
      await tab.context().close();
    } finally {
      serve.kill();
    }
  });

  await part('staging: a page on https://staging.acme.example logs through `formroute serve --allow-origin`, and is refused without it', async () => {
    const root = new URL('../../', import.meta.url).pathname;
    // `formroute serve` (artifacts, snippet, logger) on a free port, with `args`; its spool file's events.
    const serve = async (args) => {
      const work = mkdtempSync(join(tmpdir(), 'formroute-staging-'));
      const spool = join(work, 'events.ndjson');
      const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', join(root, 'data'), '--client', join(root, 'client-js/dist'), '--work', work, '--spool', spool, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const url = await new Promise((ok, fail) => {
        child.stdout.on('data', (d) => /http:\/\/\S+/.test(d) && ok(/http:\/\/\S+/.exec(d)[0]));
        child.on('exit', (code) => fail(Error(`formroute serve exited with ${code}: ${stderr}`)));
      });
      const logged = () => (existsSync(spool) ? readFileSync(spool, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
      return { url, logged, stderr: () => stderr, stop: () => child.kill() };
    };
    const expected = answer('acme', '10001', 'auto', 'en');
    // The staging site's page, served by the browser context's routing; snippet, artifact and logger from `formroute serve`.
    // A browser of its own: an https page reaching loopback services needs Chromium's local-network
    // checks off (as tests/e2e/system.test.mjs does), which the other parts must not have.
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests'],
    });
    t.after(() => browser.close());
    const visit = async (logger) => {
      const ctx = await browser.newContext();
      const beacons = [];
      ctx.on('request', (r) => r.url().endsWith('/v1/events') && beacons.push(r.method()));
      const page = quotePage({ artifacts: logger.url }).replace('src="/formroute.min.js"', `src="${logger.url}formroute.min.js"`).replace('data-beacon-url="/v1/events"', `data-beacon-url="${logger.url}v1/events"`);
      await ctx.route('https://staging.acme.example/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: page }));
      await ctx.route('https://quotes.partner-auto.example/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<p>form' }));
      const tab = await ctx.newPage();
      await tab.goto('https://staging.acme.example/quote');
      await tab.fill('input[name=zip]', '10001');
      await Promise.all([tab.waitForURL(expected.url), submit(tab)]);
      for (let i = 0; i < 50 && beacons.length < 1; i++) await sleep(100);
      await ctx.close();
      return beacons;
    };
    const refusing = await serve([]);
    try {
      assert.ok((await visit(refusing)).length > 0, 'the page sent its beacons');
      await sleep(300);
      assert.deepEqual(refusing.logged(), [], 'refused: the origin is in no brand\'s origins');
    } finally {
      refusing.stop();
    }
    const staging = await serve(['--allow-origin', 'https://staging.acme.example']);
    try {
      assert.match(staging.stderr(), /also accepting beacons for every brand from https:\/\/staging\.acme\.example \(--allow-origin\)/);
      assert.ok((await visit(staging)).length > 0, 'the page sent its beacons');
      for (let i = 0; i < 50 && staging.logged().length < 2; i++) await sleep(100);
      const got = staging.logged();
      assert.deepEqual(got.map((e) => [e.type, e.page]).sort(), [
        ['load', 'https://staging.acme.example/quote'],
        ['resolve', 'https://staging.acme.example/quote'],
      ]);
    } finally {
      staging.stop();
    }
  });

  // ---- Events and the command queue.
  await part('events: formroute:ready on the window, formroute:resolve on the form (bubbling), cancelable to keep the visitor on the page', async () => {
    const tab = await site.tab();
    const queue = `<script>window.formroute = window.formroute || []; formroute.push((f) => { window.pushed = typeof f.wire; });
      window.seen = []; for (const n of ['ready', 'error', 'resolve']) addEventListener('formroute:' + n, (e) => seen.push([n, e.target === window ? 'window' : e.target.tagName, e.detail.result ? e.detail.result.ok : e.detail.brand]));
      document.addEventListener('formroute:resolve', (e) => e.preventDefault());</script>`;
    await tab.goto(site.page(quotePage({ head: queue })));
    await tab.waitForFunction(() => window.seen.length > 0);
    await tab.fill('input[name=zip]', '10001');
    await submit(tab);
    await tab.waitForFunction(() => window.seen.length > 1);
    await sleep(200);
    assert.equal(new URL(tab.url()).pathname.startsWith('/p/'), true);
    assert.deepEqual(await tab.evaluate(() => [window.pushed, window.seen, document.forms[0].dataset.formrouteState]), [
      'function',
      [
        ['ready', 'window', 'acme'],
        ['resolve', 'FORM', true],
      ],
      'idle',
    ]);
    await tab.evaluate(() => formroute.push(() => (window.pushedLater = true)));
    assert.equal(await tab.evaluate(() => window.pushedLater), true);
    await tab.context().close();
  });
});
