/** Demo page logic: fills the brand/product/language pickers, previews each answer with the client's router (ESM build, not logged) and the dev explain endpoint, and logs and follows the answer on submit only. */
'use strict';

const $ = (id) => document.getElementById(id);
let brands = {};
let router = null;
let load = null;

function options(select, values, selected) {
  select.replaceChildren(...values.map((v) => new Option(v, v, false, v === selected)));
}

function query() {
  return { zip: $('zip').value, product: $('product').value, language: $('language').value };
}

// Loads the chosen brand's artifact through the client, exactly as a brand's page does.
async function pickBrand() {
  const b = brands[$('brand').value];
  options($('product'), b.products);
  options($('language'), b.languages, b.default_language);
  router = null;
  if (!load) return;
  router = await load({ brand: $('brand').value, base: '/', beaconUrl: '/v1/events' });
  preview();
}

// Shows what the browser resolves (a preview: not logged, so typing 1, 10, 100 counts nothing), and
// which row of the rule database decided it.
async function preview() {
  if (!$('zip').value) return;
  if (router) $('answer').textContent = JSON.stringify(router.resolve(query(), { log: false }), null, 2);
  const params = new URLSearchParams({ brand: $('brand').value, ...query() });
  const res = await fetch('/dev/explain?' + params);
  const e = await res.json();
  $('explain').textContent = (e.decided_by || 'no rule: see the answer') + '\n' + JSON.stringify(e.result);
}

async function start() {
  try {
    ({ load } = await import('/formroute.esm.js'));
  } catch {
    $('snippet-missing').hidden = false;
  }
  const res = await fetch('/dev/brands');
  brands = (await res.json()).brands;
  options($('brand'), Object.keys(brands));
  $('brand').addEventListener('change', pickBrand);
  for (const id of ['product', 'language', 'zip']) $(id).addEventListener('input', preview);
  // The artifact arrived after the first preview: preview again.
  addEventListener('formroute:ready', preview);
  $('quote').addEventListener('submit', (e) => {
    e.preventDefault();
    $('go').disabled = true;
    if (router) router.go(query()); // resolves, logs one event, navigates (to the fallback if needed)
  });
  // Back from the back/forward cache: the button works again.
  addEventListener('pageshow', () => ($('go').disabled = false));
  await pickBrand();
}

start();
