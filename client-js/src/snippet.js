/** Entry of the IIFE snippet: sets the global `formroute` ({ load, wire }) and wires declarative forms once the document is parsed. */

import { wire } from './dom.js';
import { load } from './load.js';

// Defaults for declarative forms are the snippet's own <script> data attributes (data-base,
// data-beacon-url, data-fallback-url, data-timeout-ms); the base defaults to the snippet's folder.
const s = document.currentScript || {};
const go = () => wire(document, { base: (s.src || '').replace(/[^/]*$/, '') || '.', ...s.dataset });
self.formroute = { load, wire };
if (document.readyState === 'loading') addEventListener('DOMContentLoaded', go);
else go();
