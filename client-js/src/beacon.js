/** Beacon events (SPEC "Beacon events", builder/core/src/beacon.rs): built per the shared schema, queued per logger URL, sent with sendBeacon as text/plain JSON, flushed when the page hides. */

/**
 * Page-view id, random per page view: 128 random bits as four decimal u32s, 4 to 40 digits (fewer
 * than 8 only if all four are below 10: odds of 1 in 10^37). Event ids are `pv-N`, at most 64
 * characters. Drawn with the first event; a page restored from the back/forward cache is a new page
 * view, with a new id.
 */
export let pv;
let sequence = 0;

/** At most `n` characters (code points, as the schema counts them; a cut surrogate pair is not valid JSON text for Rust). */
export const cut = (s, n) => [...s].slice(0, n).join('');

/** Milliseconds since `t0` (a `performance.now()`), as an event's `ms` (browsers coarsen the clock themselves). */
export const since = (t0) => performance.now() - t0;

/**
 * Events per request. SPEC allows 100 events and 64 KiB: an event is at most about 3.9 KB (page 2,048
 * ASCII characters; zip, product and language 64 characters of up to 4 UTF-8 bytes, or 6 bytes for
 * an escaped control character; id 64; brand 64; short fixed fields), so 16 always fit in 64 KiB
 * (test/beacon.test.js builds the largest event and checks).
 */
export const PER_REQUEST = 16;

// Waiting events by logger URL; one timer and one set of page listeners for the whole page, added
// with the first event.
let waiting = { __proto__: null };
let timer;
// From pagehide until the page is shown again: what fails now is the page going away, not worth an event.
let leaving;

/** Sends every waiting event now, at most PER_REQUEST per request. */
export const flush = () => {
  clearTimeout(timer);
  timer = 0;
  for (const url in waiting)
    for (let i = 0, events = waiting[url]; i < events.length; ) {
      const body = JSON.stringify({ events: events.slice(i, (i += PER_REQUEST)) });
      // A string body goes as text/plain;charset=UTF-8: a "simple" request, no CORS preflight.
      // sendBeacon refuses a body only when the page's in-flight keepalive bytes would pass 64 KiB
      // (Fetch's "inflight keepalive bytes", which fetch with keepalive counts too, so it would be
      // refused as well: no fallback), and throws only on a URL that fetch would refuse too.
      try {
        navigator.sendBeacon(url, body);
      } catch {}
    }
  waiting = { __proto__: null };
};

/** Starts a new page view: a new `pv`. */
const renewPageView = () => (pv = crypto.getRandomValues(new Uint32Array(4)).join(''));

/**
 * Queues one event of `type` for `brand`'s page to the logger at `url` (none: nothing is queued), with
 * `fields` beyond the common id, type, ts, brand, page and pv. Sent 3 s after the first waiting
 * event, on flush(), and when the page is hidden or left. Nothing is queued while the page is being left.
 * @param {string | undefined} url the logger's `/v1/events` URL
 * @param {string} brand
 * @param {'resolve' | 'load' | 'error'} type
 * @param {object} fields
 */
export const log = (url, brand, type, fields) => {
  if (!pv) {
    renewPageView();
    // Hidden (and, harmlessly, shown again) or left: send what waits, while the page still can.
    addEventListener('visibilitychange', flush);
    addEventListener('pagehide', () => {
      leaving = 1;
      flush();
    });
    addEventListener('pageshow', (e) => {
      leaving = 0;
      // Back from the back/forward cache: a new page view.
      if (e.persisted) renewPageView();
    });
  }
  if (!url || leaving) return;
  (waiting[url] ||= []).push({ id: pv + '-' + ++sequence, type, ts: Date.now(), brand: cut(brand, 64), page: cut(location.origin + location.pathname, 2048), pv, ...fields });
  timer ||= setTimeout(flush, 3000);
};
