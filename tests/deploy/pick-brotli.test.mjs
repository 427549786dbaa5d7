/** cdn/pick-brotli.js, the CDN's viewer-request function: which requests it sends to the brotli object, and that template.yaml inlines exactly this file. */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import vm from 'node:vm';

const ROOT = new URL('../../', import.meta.url).pathname;
const CODE = readFileSync(`${ROOT}cdn/pick-brotli.js`, 'utf8');

/** The function as CloudFront runs it: a script whose global `handler` gets the event. */
function handler() {
  const context = {};
  vm.runInNewContext(CODE, context);
  return context.handler;
}

/** The URI CloudFront fetches for a viewer request of `uri` with this Accept-Encoding (or none). */
function fetched(uri, acceptEncoding) {
  const headers = acceptEncoding === undefined ? {} : { 'accept-encoding': { value: acceptEncoding } };
  return handler()({ version: '1.0', request: { method: 'GET', uri, headers, querystring: {}, cookies: {} } }).uri;
}

test('a browser accepting br gets the .br object of a format-2 pointer or hashed file', () => {
  assert.equal(fetched('/routes/acme.v2.frt', 'gzip, deflate, br, zstd'), '/routes/acme.v2.frt.br');
  assert.equal(fetched('/routes/a/acme.0123456789abcdef.v2.frt', 'br'), '/routes/a/acme.0123456789abcdef.v2.frt.br');
  assert.equal(fetched('/routes/acme.v2.frt', 'gzip;q=1.0, BR;q=0.5'), '/routes/acme.v2.frt.br');
});

test('without br (absent, refused with q=0, or only gzip) the gzip object is fetched', () => {
  assert.equal(fetched('/routes/acme.v2.frt', 'gzip, deflate'), '/routes/acme.v2.frt');
  assert.equal(fetched('/routes/acme.v2.frt', 'gzip, br;q=0'), '/routes/acme.v2.frt');
  assert.equal(fetched('/routes/acme.v2.frt', 'gzip, br;q=0.000'), '/routes/acme.v2.frt');
  assert.equal(fetched('/routes/acme.v2.frt', 'brotli'), '/routes/acme.v2.frt');
  assert.equal(fetched('/routes/acme.v2.frt', ''), '/routes/acme.v2.frt');
  assert.equal(fetched('/routes/acme.v2.frt'), '/routes/acme.v2.frt');
});

test('other paths are left alone: format 1, the manifest, the snippet, a .br asked for directly', () => {
  for (const uri of ['/routes/acme.frt', '/routes/manifest.json', '/routes/formroute.min.js', '/routes/acme.v2.frt.br', '/v1/events']) {
    assert.equal(fetched(uri, 'gzip, br'), uri);
  }
});

test('template.yaml inlines cdn/pick-brotli.js byte for byte and runs it on viewer requests', () => {
  const template = readFileSync(`${ROOT}template.yaml`, 'utf8');
  const lines = template.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'FunctionCode: |');
  assert.ok(start > 0, 'template.yaml has a FunctionCode block');
  const indent = lines[start].search(/\S/) + 2;
  const body = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== '' && line.search(/\S/) < indent) break;
    body.push(line.slice(indent));
  }
  while (body.length && body[body.length - 1] === '') body.pop();
  assert.equal(`${body.join('\n')}\n`, CODE, 'the template\'s function code is cdn/pick-brotli.js: copy the file into it');
  assert.match(template, /Runtime: cloudfront-js-2\.0/);
  assert.match(template, /EventType: viewer-request\n\s+FunctionARN: !GetAtt PickBrotliFunction\.FunctionMetadata\.FunctionARN/);
});
