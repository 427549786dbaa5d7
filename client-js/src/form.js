/** Declarative mode: a `<form data-formroute="BRAND">` resolves its zip, product and language on submit and sends the visitor on, with a busy state, field validity for a mistyped ZIP, and events. */

import { flush } from './beacon.js';
import { emit, router } from './load.js';

const FORMS = 'form[data-formroute]';
const STATE = 'data-formroute-state';

/** The settings every form starts from, under its own: the snippet's <script data-*> tag (snippet.js fills it). */
export const snippetSettings = {};

// wire()'s `defaults`, by form.
const defaults = new WeakMap();

// A form's router: its settings are its own data-* attributes, over wire()'s `defaults`, over the snippet's.
const routerOf = (form) => {
  const settings = { ...snippetSettings };
  esm: Object.assign(settings, defaults.get(form));
  Object.assign(settings, form.dataset, { brand: form.dataset.formroute });
  return [router(settings), settings];
};

async function submitted(e) {
  const form = e.target;
  // Not ours, or the page's own handler canceled it.
  if (!form.matches?.(FORMS) || e.defaultPrevented) return;
  e.preventDefault();
  if (form.getAttribute(STATE) == 'busy') return; // a double click: one answer, one navigation
  const submitter = e.submitter;
  // The form's state: data-formroute-state for stylesheets, aria-busy, and while busy the clicked
  // button disabled (where it was not already: it could not have been clicked).
  const set = (state) => {
    form.setAttribute(STATE, state);
    form.setAttribute('aria-busy', state == 'busy');
    if (submitter) submitter.disabled = state == 'busy';
  };
  // The clicked button's value counts (a name="product" button), as the browser would send it
  // (FormData's second argument: Chrome 112, Firefox 111, Safari 16.4; older ones ignore it and
  // send the form's fields only). Read before the button is disabled: a disabled one is not sent.
  const fields = new FormData(form, submitter);
  set('busy');
  const query = {
    zip: fields.get('zip'),
    product: fields.get('product'),
    // A `language` field, else the nearest lang: the form's or an ancestor's, before <html lang>.
    language: fields.get('language') ?? form.closest('[lang]')?.lang,
  };
  const [r, settings] = routerOf(form);
  await r.ready();
  const answer = r.resolve(query, true); // logged: once per submit
  const to = answer.url || answer.fallback_url;
  const zipField = form.elements.zip; // (several fields of that name: no willValidate)
  flush();
  // Canceled: the page keeps the visitor and shows its own state.
  if (emit('resolve', { brand: r.brand, result: answer, query }, form, true)) {
    if (/zip/.test(answer.error) && zipField?.willValidate) {
      // invalid_zip and unknown_zip, the two errors that name the ZIP: a mistyped or unknown ZIP keeps
      // the visitor here, the field marked invalid until it changes.
      zipField.setCustomValidity(settings.zipMessage || 'Please check this ZIP code.');
      zipField.reportValidity();
      zipField.addEventListener('input', () => zipField.setCustomValidity(''), { once: true });
      return set('invalid');
    }
    if (to) {
      // Busy until the page goes; usable again if it comes back from the back/forward cache (the
      // only pageshow after this).
      location.assign(to);
      return addEventListener('pageshow', () => set('idle'), { once: true });
    }
    // Nowhere to go (no file, no page fallback): the form submits natively, to its `action`, with
    // its fields (the prototype's submit: a field named "submit" cannot shadow it; it fires no
    // submit event, so neither this handler nor the page's runs again). The clicked button is not
    // among the fields sent, as with any script's submit(); requestSubmit(submitter) would send it,
    // but costs bytes and needs Safari 16. (submit() works inside a submit event too, unlike
    // requestSubmit: an answer at hand comes in a microtask of this one.)
    else HTMLFormElement.prototype.submit.call(form);
  }
  set('idle');
}

// Starts the download of a form's artifact when one of its fields gets focus (forms added later).
const focused = (e) => {
  const form = e.target.closest(FORMS);
  if (form) routerOf(form);
};

/**
 * Wires the `<form data-formroute>` forms under `root` (default: the document): each brand's artifact
 * starts loading (once per page), and submitting resolves and navigates. Idempotent: one submit
 * listener on the document serves every form, including forms added later (whose artifact starts
 * loading when a field first gets focus). Settings come from the form's data attributes, else
 * `defaults`, else the snippet's <script data-*> tag.
 * @param {ParentNode} [root]
 * @param {object} [settings] load options, the forms' defaults
 */
export function wire(root = document, settings) {
  // (The same listener added again is not added twice.)
  document.addEventListener('submit', submitted);
  document.addEventListener('focusin', focused);
  for (const form of root.querySelectorAll(FORMS)) {
    esm: if (settings) defaults.set(form, settings); // (the snippet's global wire(root) takes no settings: a declarative page has its data-* attributes)
    if (!form.hasAttribute(STATE)) form.setAttribute(STATE, 'idle');
    routerOf(form); // the artifact starts loading now: it is usually there before a ZIP is typed
  }
}
