/** SPEC's resolution, sentence by sentence, over a hand-made artifact (test/helpers/artifact-writer.js: MINI_TABLES). */

import assert from 'node:assert/strict';
import test from 'node:test';
import { parseArtifact } from '../src/artifact.js';
import { fill, percentEncode } from '../src/template.js';
import { mini } from './helpers/artifact-writer.js';

const a = parseArtifact(mini());
const r = (zip, product, language) => a.resolve({ zip, product, language });
const fb = (zip, product, language) => `https://acme.example/${language}/fallback?zip=${zip}&p=${product}&b=acme`;

test('ok answers carry url, state, form_type and language, keys in SPEC order', () => {
  assert.deepEqual(r('90210', 'auto', 'en'), {
    ok: true,
    url: 'https://acme.example/en/auto?zip=90210&state=CA&ft=direct&l=en&b=acme&p=auto',
    state: 'CA',
    form_type: 'direct',
    language: 'en',
  });
  assert.deepEqual(Object.keys(r('90210', 'auto', 'en')), ['ok', 'url', 'state', 'form_type', 'language']);
  assert.deepEqual(Object.keys(r('x', 'auto', 'en')), ['ok', 'error', 'fallback_url']);
});

test('step 1: ZIP, ZIP+4 with and without the dash, after trimming the five ASCII white spaces', () => {
  for (const z of ['90210', '90210-1234', '902101234', ' 90210', '\t90210\n', '\r\n\f90210-0000 ']) assert.equal(r(z, 'auto').state, 'CA', z);
});

test('step 1: every other shape is invalid_zip, and the fallback has an empty {zip}', () => {
  for (const z of ['', '9021', '902100', '9021a', '90210-123', '90210 1234', '90210_1234', '9021012345', '90210-', '\u000b90210', '\u00a090210', '９０２１０', '٩٠٢١٠', 'abcde', null, undefined]) {
    assert.deepEqual(r(z, 'auto', 'en'), { ok: false, error: 'invalid_zip', fallback_url: fb('', 'auto', 'en') }, String(z));
  }
});

test('step 2: a ZIP absent from the data is unknown_zip, its five digits in the fallback', () => {
  assert.deepEqual(r('55555-1234', 'auto'), { ok: false, error: 'unknown_zip', fallback_url: fb('55555', 'auto', 'en') });
});

test('step 3: product trimmed and lowercased (A-Z only); anything else is unknown_product', () => {
  assert.equal(r('90210', ' AUTO\t').ok, true);
  assert.equal(r('90210', 'Home').form_type, 'direct');
  assert.deepEqual(r('90210', 'boat'), { ok: false, error: 'unknown_product', fallback_url: fb('90210', 'boat', 'en') });
  // The Kelvin sign lowercases to k in Unicode, not in SPEC; an A with grave stays.
  assert.equal(r('90210', '\u212Auto').error, 'unknown_product');
  assert.equal(r('90210', 'ÀUTO').fallback_url, fb('90210', '%C3%80uto', 'en'));
});

test('step 4: the class gives the form type; 0 is not_served', () => {
  assert.equal(r('10001', 'auto').form_type, 'partner'); // the override class
  assert.equal(r('00501', 'auto').form_type, 'direct');
  assert.equal(r('00501', 'home').form_type, 'agent');
  assert.deepEqual(r('10001', 'home', 'es'), { ok: false, error: 'not_served', fallback_url: fb('10001', 'home', 'es') });
  assert.equal(r('00601', 'auto').error, 'not_served');
});

test('step 5: language trimmed, lowercased, cut at - or _; the default when the brand lacks that form', () => {
  assert.equal(r('90210', 'auto', 'es-MX').language, 'es');
  assert.equal(r('90210', 'auto', ' ES_us ').url, 'https://acme.example/es/auto?zip=90210&state=CA');
  assert.equal(r('10001', 'auto', 'es').language, 'en'); // no Spanish partner form
  assert.equal(r('90210', 'auto', 'fr').language, 'en');
  assert.equal(r('90210', 'auto', '').language, 'en');
  assert.equal(r('90210', 'auto').language, 'en');
  assert.equal(r('90210', 'auto', '-es').language, 'en');
  // Trimmed again once cut (Rust trims, cuts, then trims and lowercases): 'es -MX' is Spanish.
  assert.equal(r('90210', 'auto', 'es -MX').language, 'es');
  assert.equal(r('90210', 'auto', ' ES\t_us').language, 'es');
});

test('fallback {language}: the normalised asked one if the brand has any form in it, else the default', () => {
  assert.equal(r('x', 'auto', 'ES-419').fallback_url, fb('', 'auto', 'es'));
  assert.equal(r('x', 'auto', 'de').fallback_url, fb('', 'auto', 'en'));
  assert.equal(r('x', 'auto', 'es -MX').fallback_url, fb('', 'auto', 'es'));
});

test('step 6: every value is percent-encoded, UTF-8 bytes in upper-case hex, only A-Z a-z 0-9 - . _ ~ kept', () => {
  assert.equal(percentEncode("aZ09-._~ !'()*/?&=+%é😀"), 'aZ09-._~%20%21%27%28%29%2A%2F%3F%26%3D%2B%25%C3%A9%F0%9F%98%80');
  assert.equal(r('x', '  a b&c=d  ').fallback_url, fb('', 'a%20b%26c%3Dd', 'en'));
  assert.equal(fill('{zip}{state}{nope}{ZIP}{form_type}{zip}', { zip: '1' }), '1{nope}{ZIP}1');
  // fill percent-encodes what it puts in, as Rust's template::fill does.
  assert.equal(fill('https://x.example/{language}/q?zip={zip}&p={product}', { zip: '1 0', product: 'a&b=ü', language: 'es' }), 'https://x.example/es/q?zip=1%200&p=a%26b%3D%C3%BC');
});

test('numbers are taken as their text', () => {
  assert.equal(a.resolve({ zip: 90210, product: 'auto' }).state, 'CA');
  assert.match(a.resolve({ zip: 90210, product: 'auto' }).url, /zip=90210&/);
  assert.equal(a.resolve({ zip: 902101234, product: 'auto' }).state, 'CA');
  assert.equal(a.resolve({ zip: 9021, product: 'auto' }).error, 'invalid_zip');
});
