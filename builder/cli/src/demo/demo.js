/** Demo page logic: fills the brand/product/language pickers, previews each answer with the snippet's router and the dev explain endpoint, and follows the redirect on submit. */
/* global formroute */
'use strict';

const $ = (id) => document.getElementById(id);
let brands = {};
let router = null;

function missingSnippet() {
  $('snippet-missing').hidden = false;
}
window.missingSnippet = missingSnippet;

function options(select, values, selected) {
  select.replaceChildren(...values.map((v) => new Option(v, v, false, v === selected)));
}

function query() {
  return { zip: $('zip').value, product: $('product').value, language: $('language').value };
}

// Loads the chosen brand's artifact through the snippet, exactly as a brand's page does.
async function pickBrand() {
  const b = brands[$('brand').value];
  options($('product'), b.products);
  options($('language'), b.languages, b.default_language);
  router = null;
  if (!window.formroute) return missingSnippet();
  router = await formroute.load({ brand: $('brand').value, base: '/', beaconUrl: '/v1/events' });
  preview();
}

// Shows what the browser resolves, and which row of the rule database decided it.
async function preview() {
  if (!$('zip').value) return;
  if (router) $('answer').textContent = JSON.stringify(router.resolve(query()), null, 2);
  const params = new URLSearchParams({ brand: $('brand').value, ...query() });
  const res = await fetch('/dev/explain?' + params);
  const e = await res.json();
  $('explain').textContent = (e.decided_by || 'no rule: see the answer') + '\n' + JSON.stringify(e.result);
}

async function start() {
  const res = await fetch('/dev/brands');
  brands = (await res.json()).brands;
  options($('brand'), Object.keys(brands));
  $('brand').addEventListener('change', pickBrand);
  for (const id of ['product', 'language', 'zip']) $(id).addEventListener('input', preview);
  $('quote').addEventListener('submit', (e) => {
    e.preventDefault();
    if (router) router.go(query()); // resolves, logs a beacon, navigates (to the fallback if needed)
  });
  await pickBrand();
}

start();
