/** Entry of the IIFE snippet: the global `formroute` ({ wire, push }; load() is in the ESM build), running commands queued before it, and wiring declarative forms once the document is parsed. */

import { snippetSettings, wire } from './form.js';

const queued = self.formroute;
// A second copy of the snippet on the page finds the first one's global and does nothing (no double events).
if (!queued?.wire) {
  // Forms' settings default to the snippet's own <script> data attributes (data-base,
  // data-beacon-url, data-fallback-url, data-timeout-ms, ...); the base defaults to the snippet's folder.
  const script = document.currentScript;
  Object.assign(snippetSettings, { base: script?.src.replace(/[^/]*$/, '') || '.' }, script?.dataset);
  const api = {
    wire,
    /** Runs each command `f(formroute)` now (the async tag pattern: before the snippet, `formroute` is an array of them). */
    push: (...commands) => {
      for (const f of commands)
        try {
          f(api);
        } catch (e) {
          console.error(e);
        }
    },
  };
  self.formroute = api;
  // Commands queued by the page before this script ran (window.formroute = window.formroute || []; formroute.push(f)).
  if (Array.isArray(queued)) api.push(...queued);
  if (document.readyState == 'loading') addEventListener('DOMContentLoaded', () => wire());
  else wire();
}
