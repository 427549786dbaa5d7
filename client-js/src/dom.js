/** Declarative mode: wires every `<form data-formroute="BRAND">` so that submitting it resolves its zip/product/language fields and navigates. */

import { load } from './load.js';

/**
 * Wires the forms under `root`. Load options come from the form's data attributes (`data-base`,
 * `data-beacon-url`, `data-fallback-url`, `data-timeout-ms`, `data-artifact-url`), else from
 * `defaults`. Loading starts at once. Without a `language` field the page's `<html lang>` is used. With no URL to go
 * to at all (no artifact and no fallback), the form submits as it would without formroute.
 * @param {ParentNode} [root]
 * @param {object} [defaults] load options
 */
export function wire(root = document, defaults) {
  for (const form of root.querySelectorAll('form[data-formroute]')) {
    const d = form.dataset;
    // Loading starts at once: the artifact is usually there before the visitor has typed a ZIP.
    const router = load({ ...defaults, ...d, brand: d.formroute }); // (spreading undefined or null adds nothing)
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const f = new FormData(form);
      router
        .then((r) => {
          const res = r.go({ zip: f.get('zip'), product: f.get('product'), language: f.get('language') ?? document.documentElement.lang });
          if (!(res.ok || res.fallback_url)) throw 0; // nowhere to go: submit as usual
        })
        .catch(() => form.submit());
    });
  }
}
