/** Format 2 (FORMAT.md "Version 2") from the Rust builder: it answers as format 1 does, refuses a version-1 file with FORMAT.md's message, and every damage fails cleanly. */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { parseArtifact } from '../src/artifact.js';
import { parseArtifactV2 } from '../src/artifact_v2.js';
import { crc32c } from '../src/crc32c.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = process.env.FORMROUTE_BIN || ['target/debug/formroute', 'target/release/formroute'].map((p) => join(ROOT, p)).find((p) => existsSync(p));
const VERSION_1 =
  'artifact format version 1 is not supported by this client (it reads version 2): update the formroute client, or rebuild the artifacts with a matching formroute builder';

/** data/'s build: brand -> [format 1 bytes, format 2 bytes, products]. */
function build() {
  assert.ok(BIN, 'no formroute binary: cargo build -p formroute (or set FORMROUTE_BIN)');
  const dir = mkdtempSync(join(tmpdir(), 'formroute-v2-'));
  try {
    const b = spawnSync(BIN, ['build', '--data', join(ROOT, 'data'), '--out', dir], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const read = (f) => new Uint8Array(readFileSync(join(dir, f)));
    return Object.fromEntries(Object.entries(m.brands).map(([k, e]) => [k, [read(e.artifact), read(e.artifact_v2), e.products]]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const built = build();
const [v1, v2, products] = built.acme;

/** The CRC trailer made right again, so the checks after it are what refuses a change. */
const reseal = (b) => {
  new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32c(b, 0, b.length - 4), true);
  return b;
};

test('every five-digit ZIP answers in format 2 exactly as in format 1', () => {
  for (const [brand, [a, b, prods]] of Object.entries(built)) {
    const [r1, r2] = [parseArtifact(a), parseArtifactV2(b)];
    assert.equal(r2.brand, brand);
    for (let z = 0; z < 100000; z += 3) {
      const zip = String(z).padStart(5, '0');
      for (const product of prods) {
        const q = { zip, product, language: z & 1 ? 'es-MX' : '' };
        assert.deepEqual(r2.resolve(q), r1.resolve(q), `${brand} ${zip} ${product}`);
      }
    }
  }
});

test('a version-1 file is refused with the message of FORMAT.md, and the version-1 reader refuses version 2', () => {
  assert.throws(() => parseArtifactV2(v1), { message: VERSION_1 });
  assert.throws(() => parseArtifact(v2), /artifact format version 2 is not supported by this client \(it reads version 1\)/);
});

test('every truncation, and every flipped bit outside the bitmap (and some inside), fails cleanly', () => {
  for (let n = 0; n < v2.length; n++) assert.throws(() => parseArtifactV2(v2.subarray(0, n)), Error, `${n} bytes`);
  for (let i = 0; i < v2.length; i++) {
    if (i >= 20 && i < 12520 && i % 251) continue;
    for (let bit = 0; bit < 8; bit++) {
      const bad = v2.slice();
      bad[i] ^= 1 << bit;
      assert.throws(() => parseArtifactV2(bad), /corrupt artifact|not supported/, `byte ${i} bit ${bit}`);
    }
  }
});

test('the bitmap decides whether a ZIP exists; the FST never answers for an absent one', () => {
  const bad = v2.slice();
  const n = 10001;
  bad[20 + (n >> 3)] &= ~(1 << (n & 7));
  const r = parseArtifactV2(reseal(bad)).resolve({ zip: '10001', product: products[0] });
  assert.equal(r.error, 'unknown_zip');
  const good = parseArtifactV2(v2).resolve({ zip: '10001', product: products[0] });
  assert.notEqual(good.error, 'unknown_zip');
});

test('a bitmap of another size, with a valid CRC, is refused', () => {
  const bad = v2.slice();
  const dv = new DataView(bad.buffer);
  dv.setUint32(8, 12499, true);
  dv.setUint32(16, dv.getUint32(16, true) + 1, true);
  assert.throws(() => parseArtifactV2(reseal(bad)), /corrupt artifact/);
});
