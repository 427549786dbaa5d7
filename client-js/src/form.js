/** Declarative mode: a `<form data-formroute="BRAND">` resolves its zip, product and language on submit and sends the visitor on, with a busy state, field validity for a mistyped ZIP, and events. */

import { flush } from './beacon.js';
import { emit, router } from './load.js';

const FORMS = 'form[data-formroute]';
const STATE = 'data-formroute-state';
// Per-form state: wire()'s defaults, the buttons disabled while busy, a native resubmission under way.
// (Symbol.for: the same key for every copy of the client on the page.)
const KEY = Symbol.for('formroute');
const own = (form) => (form[KEY] ||= {});

// The snippet's <script data-*> settings (snippet.js), under every form's own.
let snippetSettings = {};
/** Sets the settings every form starts from (the snippet's tag). */
export const setSnippetSettings = (settings) => (snippetSettings = settings);

// A form's settings: its own data-* attributes, over wire()'s `defaults`, over the snippet's.
const settingsOf = (form) => ({ ...snippetSettings, ...own(form).defaults, ...form.dataset, brand: form.dataset.formroute });

// The form's busy state: aria-busy, its enabled submit buttons disabled, data-formroute-state for stylesheets.
const setState = (form, state) => {
  const busy = state == 'busy';
  form.setAttribute(STATE, state);
  form.setAttribute('aria-busy', busy);
  if (busy) own(form).disabled = [...form.querySelectorAll('button:not([type]),[type=submit],[type=image]')].filter((b) => !b.disabled);
  for (const b of own(form).disabled || []) b.disabled = busy;
};

// The answers that keep the visitor on the page, the ZIP field marked invalid (message: data-zip-message):
// invalid_zip and unknown_zip, the two errors that name the ZIP.
const ZIP_ERRORS = /zip/;

async function submitted(e) {
  const form = e.target;
  // Not ours, or the page's own handler canceled it; or our own native resubmission (below).
  if (!form.matches?.(FORMS) || e.defaultPrevented || (own(form).native && !(own(form).native = 0))) return;
  e.preventDefault();
  if (form.getAttribute(STATE) == 'busy') return; // a double click: one answer, one navigation
  const submitter = e.submitter;
  const fields = new FormData(form);
  // The clicked button's value counts (a name="product" button), as the browser would send it.
  if (submitter?.name) fields.set(submitter.name, submitter.value);
  const query = {
    zip: fields.get('zip'),
    product: fields.get('product'),
    // A `language` field, else the nearest lang: the form's or an ancestor's, before <html lang>.
    language: fields.get('language') ?? form.closest('[lang]')?.lang,
  };
  const settings = settingsOf(form);
  const r = router(settings);
  setState(form, 'busy');
  await r.ready();
  const answer = r.resolve(query); // logged: once per submit
  const to = answer.url || answer.fallback_url;
  const zipField = form.querySelector('[name=zip]');
  flush();
  // Canceled: the page keeps the visitor and shows its own state.
  if (!emit('resolve', { brand: settings.brand, result: answer, query }, form, true)) return setState(form, 'idle');
  if (ZIP_ERRORS.test(answer.error) && zipField?.willValidate) {
    // A mistyped or unknown ZIP keeps the visitor here, the field marked invalid until it changes.
    setState(form, 'invalid');
    zipField.setCustomValidity(settings.zipMessage || 'Please check this ZIP code.');
    zipField.reportValidity();
    zipField.addEventListener('input', () => zipField.setCustomValidity(''), { once: true });
  } else if (to) location.assign(to); // busy until the page goes (and reset if it comes back from the cache)
  else {
    // Nowhere to go (no file, no page fallback): the form submits as it would without formroute,
    // the clicked button included (the prototype's requestSubmit: a field named "submit" or "requestSubmit" cannot shadow it).
    // In a task of its own: an answer at hand comes in a microtask of this submit event, while the
    // browser ignores new submissions of the form.
    setState(form, 'idle');
    own(form).native = 1;
    setTimeout(() => HTMLFormElement.prototype.requestSubmit.call(form, submitter));
  }
}

let listening;

/**
 * Wires the `<form data-formroute>` forms under `root` (default: the document): each brand's artifact
 * starts loading (once per page), and submitting resolves and navigates. Idempotent: one submit
 * listener on the document serves every form, including forms added later (whose artifact starts
 * loading when a field first gets focus). Settings come from the form's data attributes, else
 * `defaults`, else the snippet's <script data-*> tag.
 * @param {ParentNode} [root]
 * @param {object} [defaults] load options
 */
export function wire(root = document, defaults) {
  if (!listening) {
    listening = 1;
    document.addEventListener('submit', submitted);
    document.addEventListener('focusin', (e) => {
      const form = e.target.closest?.(FORMS);
      if (form) router(settingsOf(form));
    });
    // Back from the back/forward cache: forms left busy by the navigation are usable again.
    addEventListener('pageshow', (e) => {
      if (e.persisted) for (const form of document.querySelectorAll(FORMS)) setState(form, 'idle');
    });
  }
  for (const form of root.querySelectorAll(FORMS)) {
    if (defaults) own(form).defaults = defaults;
    if (!form.hasAttribute(STATE)) form.setAttribute(STATE, 'idle');
    router(settingsOf(form)); // the artifact starts loading now: it is usually there before a ZIP is typed
  }
}
