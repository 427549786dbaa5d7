/** Beacon events (SPEC "Beacon events"): built per the shared schema, batched, sent with sendBeacon as text/plain JSON, flushed when the page hides. */

/**
 * Page-view id, random per page load: 128 random bits as four decimal u32s, 4 to 40 digits (fewer
 * than 8 only if all four are below 10: odds of 1 in 10^37). Event ids are `pv-N`, at most 64 characters.
 */
export const pv = crypto.getRandomValues(new Uint32Array(4)).join('');
let seq = 0;

/** At most `n` characters (code points, as the schema counts them; a cut surrogate pair is not valid JSON text for Rust). */
export const cut = (s, n) => (s.length > n ? [...s].slice(0, n).join('') : s);

/** Milliseconds since `t0` (a `performance.now()`), as an event's `ms` (browsers coarsen the clock themselves). */
export const since = (t0) => performance.now() - t0;

/**
 * Events per request. SPEC allows 100 events and 64 KiB: an event is at most about 3.9 KB (page 2,048
 * ASCII characters; zip, product and language 64 characters of up to 4 UTF-8 bytes, or 6 bytes for
 * an escaped control character; id 64; brand 64; short fixed fields), so 16 always fit in 64 KiB
 * (test/beacon.test.js builds the largest event and checks).
 */
export const PER_REQUEST = 16;

/**
 * A queue of beacon events for one brand's page, posting to `url` (none: events are dropped): sent in batches 3 s after the
 * first waiting event, on `flush()`, and when the page is hidden or left.
 * @param {string} url the logger's `/v1/events` URL
 * @param {string} brand
 */
export function beaconQueue(url, brand) {
  let q = [];
  let timer;
  const post = (body) => {
    try {
      // A string body goes as text/plain;charset=UTF-8: a "simple" request, no CORS preflight.
      if (navigator.sendBeacon(url, body)) return;
    } catch {}
    fetch(url, { method: 'POST', body, keepalive: true }).catch(() => {});
  };
  // A timer left pending by an earlier flush finds the queue empty, or flushes early: both harmless.
  const flush = () => {
    timer = 0;
    for (let i = 0; i < q.length; i += PER_REQUEST) post(JSON.stringify({ events: q.slice(i, i + PER_REQUEST) }));
    q = [];
  };
  // Hidden (and, harmlessly, shown again) or left: send what waits, while the page still can.
  addEventListener('pagehide', flush);
  addEventListener('visibilitychange', flush);
  return {
    flush,
    /**
     * Queues one event of `type` with `fields` beyond the common id, type, ts, brand, page and pv.
     * @param {'resolve' | 'load' | 'error'} type
     * @param {object} fields
     */
    add(type, fields) {
      if (!url) return;
      q.push({ id: pv + '-' + ++seq, type, ts: Date.now(), brand: cut(brand, 64), page: cut(location.origin + location.pathname, 2048), pv, ...fields });
      timer ||= setTimeout(flush, 3000);
    },
  };
}
