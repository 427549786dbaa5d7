/** The browser API: `load()` and the router. A brand's artifact is downloaded once per page, in the background, retried with backoff; answers wait at most `timeoutMs` after a visitor asks. */

import { parseArtifactV2 } from './artifact_v2.js';
import { cut, flush, log as logEvent, since } from './beacon.js';
import { queryValues } from './resolve.js';
import { fillParts, percentEncode, split } from './template.js';

// Attempts at a download, at most, and the wait before the next after a failure: 1 s, 3 s, 9 s. A
// visitor who submits during a wait starts the next attempt at once.
const ATTEMPTS = 4;
const retryMs = (failed) => 1000 * 3 ** (failed - 1);
// An attempt that has not finished after this long (a stalled connection) is given up and retried.
// Far beyond what the file takes on a slow phone (about 3 s at 400 kbps): it only catches hangs.
const ATTEMPT_MS = 30000;

/**
 * Fires `formroute:NAME` (a CustomEvent with `detail`) on `target`, bubbling (so a form's reach the
 * window). Returns false if a listener canceled it.
 */
export const emit = (name, detail, target = self, cancelable) =>
  target.dispatchEvent(new CustomEvent('formroute:' + name, { detail, bubbles: true, cancelable }));

// The downloads of this page, by artifact URL: one per URL, whatever the forms and load() calls.
const downloads = { __proto__: null };

/**
 * Downloads `url` (`brand`'s artifact) into `d` (`d.artifact` once usable; `d.kick()`, a visitor is
 * waiting, ends a wait between attempts); settles once the file is usable or the download gave up.
 * Its `load` and `error` events go to the logger at `beaconUrl`, and `formroute:ready` /
 * `formroute:error` to the window.
 */
async function download(d, url, brand, beaconUrl) {
  const started = performance.now();
  for (let attempts = 1; ; attempts++) {
    // What failed, named by how far the attempt got.
    let error = 'network';
    // Failures before the body is read are worth another attempt: the network, a hang, an HTTP error,
    // a server answering without CORS headers (often a CDN's error page while a deploy lands). A
    // damaged file, one of another format version or of another brand would come back the same.
    let retry = attempts < ATTEMPTS;
    try {
      // (No time limit in browsers before 2022, which lack AbortSignal.timeout.)
      const res = await fetch(url, { signal: AbortSignal.timeout?.(ATTEMPT_MS) });
      error = 'http';
      if (!res.ok) throw res.status;
      const bytes = new Uint8Array(await res.arrayBuffer());
      error = 'corrupt';
      retry = false;
      const artifact = parseArtifactV2(bytes);
      error = 'brand'; // a file of another brand is no answer for this one
      if (artifact.brand != brand) throw artifact.brand;
      d.artifact = artifact;
      // Where the bytes came from, by the fetch's Resource Timing entry: nothing transferred for a body
      // => the HTTP cache; a 304 transfers its headers => network. A cross-origin file without
      // Timing-Allow-Origin reports zeros, as does a missing entry: `source` is left out (unknown).
      const timing = performance.getEntriesByName(res.url).pop();
      const ready = { ms: since(started), av: artifact.version, source: timing?.decodedBodySize ? (timing.transferSize ? 'network' : 'cache') : undefined };
      logEvent(beaconUrl, brand, 'load', ready);
      return emit('ready', { brand, ...ready });
    } catch (e) {
      const ms = since(started);
      // The time limit above (a DOMException, whose legacy `code` is a number), else corrupt.js's
      // 'version', else how far the attempt got.
      error = e.name == 'TimeoutError' ? 'timeout' : e.code || error;
      // A fetch that fails as the network does, though a no-cors request to the same URL is answered:
      // the server answered without CORS headers (a 403 or 404 error page, usually). The browser
      // tells the page no more than that.
      if (error == 'network')
        await fetch(url, { mode: 'no-cors', method: 'HEAD' }).then(
          () => (error = 'cors'),
          () => 0,
        );
      // The wait before the next attempt; the failure is reported when that attempt starts: a page
      // being left also fails its downloads, and never gets that far. (In Node, the ESM build on a
      // server, the timer does not keep the process alive.)
      if (retry)
        await new Promise((ok) => {
          const wait = setTimeout((d.kick = ok), retryMs(attempts));
          esm: wait.unref?.(); // (label `esm`: ESM build only, not in the browser snippet: scripts/build.mjs)
        });
      logEvent(beaconUrl, brand, 'error', { error, ms });
      emit('error', { brand, error, retry });
      console.warn('formroute', brand, error, e);
      if (!retry) return;
    }
  }
}

/**
 * The core of a router for `options.brand`, at once: `resolve(query, log)` and `ready(ms)` (see
 * index.d.ts, Router; `log` false: no event). Its download starts now, or is the one already
 * running for that artifact URL.
 * @param {import('../index.d.ts').LoadOptions} options
 */
export function router(options) {
  const o = options || {};
  const brand = '' + o.brand;
  const url = o.artifactUrl || ('' + (o.base || '.')).replace(/\/?$/, '/') + brand + '.v2.frt';
  const d = (downloads[url] ||= {});
  d.done ||= download(d, url, brand, o.beaconUrl);
  return {
    d,
    brand,
    ready(ms = +o.timeoutMs || 1500) {
      d.kick?.(); // (a wait already over: nothing)
      return Promise.race([d.done, new Promise((ok) => setTimeout(ok, ms))]).then(() => !!d.artifact);
    },
    resolve(query, log) {
      const t0 = performance.now();
      // No artifact (or a value the file should not hold): nothing is resolved from it. The page's
      // fallback (SPEC: "the fallback URL that the page configured") gets its {zip}, {product},
      // {language} and {brand} filled as the brand's would be, from what the query says (the
      // language as asked, normalised: without the file, the brand's languages are unknown). A value
      // no URL can hold (a lone surrogate) leaves it null.
      let answer = { ok: false, error: 'unavailable', fallback_url: null };
      try {
        answer = d.artifact.resolve(query);
      } catch {
        try {
          if (o.fallbackUrl) answer.fallback_url = fillParts(split('' + o.fallbackUrl), queryValues(query, brand), percentEncode);
        } catch {}
      }
      // At most 64 characters of a query value; `or` when it is missing.
      const asked = (v, or) => (v == null ? or : cut('' + v, 64));
      // The event: what was asked, and the answer's ok, state, form_type, language (as language_used)
      // or error. JSON.stringify leaves out undefined fields: language when not asked, av without an artifact.
      if (log)
        logEvent(o.beaconUrl, brand, 'resolve', {
          ...answer,
          url: undefined,
          fallback_url: undefined,
          language_used: answer.language,
          zip: asked(query.zip, ''),
          product: asked(query.product, ''),
          language: asked(query.language),
          ms: since(t0),
          av: d.artifact?.version,
        });
      return answer;
    },
  };
}

/**
 * Loads `${base}/${brand}.v2.frt` (format version 2; or `artifactUrl`) and resolves to its router once the file is usable,
 * the download gave up, or `timeoutMs` passed. Never rejects. Until (or unless) a usable file
 * arrives, the router answers `unavailable` with the page's `fallbackUrl` (or null). (ESM build only:
 * a declarative page needs none of it.)
 * @param {import('../index.d.ts').LoadOptions} options
 * @returns {Promise<import('../index.d.ts').Router>}
 */
export async function load(options) {
  const { d, brand, ready, resolve: answer } = router(options);
  const resolve = (query, options) => answer(query || {}, options?.log !== false);
  const r = {
    get ok() {
      return !!d.artifact;
    },
    get version() {
      return d.artifact?.version;
    },
    ready,
    resolve,
    async go(queryOrAnswer) {
      const given = typeof queryOrAnswer?.ok == 'boolean';
      if (!given) await ready();
      const answer = given ? queryOrAnswer : resolve(queryOrAnswer);
      const to = answer.url || answer.fallback_url; // one of the two, or neither (unavailable without a page fallback)
      flush();
      if (emit('resolve', { brand, result: answer, query: given ? undefined : queryOrAnswer }, self, true) && to) location.assign(to);
      return answer;
    },
  };
  await ready();
  return r;
}
