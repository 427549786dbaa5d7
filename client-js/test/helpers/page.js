/** Test helper: the few browser globals load.js and beacon.js touch (location, navigator.sendBeacon, window events), faked in Node for unit tests. */

/** Installs the fakes; returns what they recorded. `sendBeacon` answers `accept` (false: the queue is full). */
export function fakePage({ accept = true } = {}) {
  const rec = { beacons: [], fetches: [], assigned: [], listeners: {} };
  globalThis.location = {
    origin: 'https://www.acme.example',
    pathname: '/get-a-quote',
    assign: (u) => rec.assigned.push(u),
  };
  Object.defineProperty(globalThis, 'navigator', {
    configurable: true,
    value: { sendBeacon: (url, body) => (rec.beacons.push({ url, body }), accept) },
  });
  globalThis.addEventListener = (type, f) => (rec.listeners[type] ||= []).push(f);
  globalThis.document = { hidden: false };
  const realFetch = globalThis.fetch;
  rec.fetch = realFetch;
  globalThis.fetch = (url, init) => {
    if (init && init.keepalive) {
      rec.fetches.push({ url, ...init });
      return Promise.resolve(new Response(null, { status: 202 }));
    }
    return realFetch(url, init);
  };
  /** Fires a window event, as the browser does on leaving the page. */
  rec.fire = (type) => (rec.listeners[type] || []).forEach((f) => f());
  /** Every event sent so far, from sendBeacon and fetch bodies. */
  rec.events = () => [...rec.beacons, ...rec.fetches].flatMap((b) => JSON.parse(b.body).events);
  return rec;
}
