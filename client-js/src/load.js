/** The browser API: `load()` fetches and checks a brand's artifact within a time-out and returns a router whose `resolve`/`go` never throw. */

import { parseArtifact } from './artifact.js';
import { check } from './corrupt.js';
import { beaconQueue, cut, since } from './beacon.js';

/**
 * Loads `${base}/${brand}.frt` (or `artifactUrl`) and returns a router. Never rejects: on a network
 * error, a time-out (`timeoutMs`, default 1500), an HTTP error or an unusable file, the router
 * answers every query `{ ok: false, error: "unavailable", fallback_url: fallbackUrl ?? null }`.
 * @param {import('../index.d.ts').LoadOptions} o
 * @returns {Promise<import('../index.d.ts').Router>}
 */
export async function load(o) {
  const t0 = performance.now();
  o = o || {};
  const brand = '' + o.brand;
  const b = beaconQueue(o.beaconUrl, brand);
  const log = b.add;
  let art;
  let error = 'network';
  try {
    // The time-out covers the body too. (Browsers from 2022 on; before, AbortSignal.timeout is missing:
    // the TypeError lands below, and the page gets its fallback.)
    const res = await fetch(o.artifactUrl || (o.base || '.').replace(/\/?$/, '/') + brand + '.frt', {
      signal: AbortSignal.timeout(+o.timeoutMs || 1500),
    });
    error = 'http';
    if (!res.ok) throw Error(res.status);
    const bytes = new Uint8Array(await res.arrayBuffer());
    error = 'corrupt';
    const a = parseArtifact(bytes);
    check(a.brand === brand); // a file of another brand is no answer for this one
    art = a;
    // Where the bytes came from, by the fetch's Resource Timing entry: nothing transferred for a body
    // => the HTTP cache; a 304 transfers its headers => network. A cross-origin file without
    // Timing-Allow-Origin reports zeros, as does a missing entry: `source` is left out (unknown).
    const rt = performance.getEntriesByName(res.url).pop();
    log('load', { ms: since(t0), av: a.version, source: rt?.decodedBodySize ? (rt.transferSize ? 'network' : 'cache') : undefined });
  } catch (e) {
    if (e.name === 'TimeoutError') error = 'timeout';
    log('error', { error, ms: since(t0) });
    console.warn('formroute', brand, error, e);
  }
  const router = {
    ok: !!art,
    version: art?.version,
    resolve(q) {
      const t = performance.now();
      q = q || {};
      let r;
      try {
        r = art.resolve(q);
      } catch {
        // No artifact (or a value the file should not hold): nothing is resolved from it.
        r = { ok: false, error: 'unavailable', fallback_url: o.fallbackUrl || null };
      }
      // At most 64 characters of a query value; `or` when it is missing.
      const s = (v, or) => (v == null ? or : cut(String(v), 64));
      // The event: what was asked, and the answer's ok, state, form_type, language (as language_used)
      // or error. JSON.stringify leaves out undefined fields: language when not asked, av without an artifact.
      log('resolve', {
        ...r,
        url: undefined,
        fallback_url: undefined,
        zip: s(q.zip, ''),
        product: s(q.product, ''),
        language: s(q.language),
        language_used: r.language,
        ms: since(t),
        av: art?.version,
      });
      return r;
    },
    go(q) {
      const r = router.resolve(q);
      const to = r.url || r.fallback_url; // an answer has one of the two
      b.flush();
      if (to) location.assign(to);
      return r;
    },
  };
  return router;
}
