/** Test helper: the few browser globals load.js and beacon.js touch (location, navigator.sendBeacon, window events), faked in Node for unit tests. */

/** Installs the fakes; returns what they recorded (`sendBeacon` accepts every body). */
export function fakePage() {
  const rec = { beacons: [], fetches: [], assigned: [], dispatched: [] };
  globalThis.location = {
    origin: 'https://www.acme.example',
    pathname: '/get-a-quote',
    assign: (u) => rec.assigned.push(u),
  };
  Object.defineProperty(globalThis, 'navigator', {
    configurable: true,
    value: { sendBeacon: (url, body) => (rec.beacons.push({ url, body }), true) },
  });
  // The window: an EventTarget (page events and formroute:* events), as `self`.
  const window = new EventTarget();
  globalThis.self = globalThis;
  globalThis.addEventListener = window.addEventListener.bind(window);
  globalThis.removeEventListener = window.removeEventListener.bind(window);
  globalThis.dispatchEvent = (e) => (rec.dispatched.push(e), window.dispatchEvent(e));
  const realFetch = rec.fetch || globalThis.fetch;
  rec.fetch = realFetch;
  globalThis.fetch = (url, init) => {
    if (init && init.keepalive) {
      rec.fetches.push({ url, ...init });
      return Promise.resolve(new Response(null, { status: 202 }));
    }
    return realFetch(url, init);
  };
  /** Fires a window event, as the browser does on leaving the page (`props`: e.g. { persisted: true }). */
  rec.fire = (type, props) => window.dispatchEvent(Object.assign(new Event(type), props));
  /** Every event sent so far, from sendBeacon and fetch bodies. */
  rec.events = () => [...rec.beacons, ...rec.fetches].flatMap((b) => JSON.parse(b.body).events);
  /** Forgets what was sent and navigated to. */
  rec.clear = () => {
    rec.beacons.length = rec.fetches.length = rec.assigned.length = rec.dispatched.length = 0;
  };
  return rec;
}
