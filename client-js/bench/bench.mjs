/** `npm run bench`: bytes on the wire per brand, artifact bytes to ready, heap after load and resolve() ns/op, for format 1, format 2 and the naive JSON map + rules a web developer would write, in one run; plus the build time of the 200-brand synthetic database. */

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { parseCsv } from '../bin/csv.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = process.env.FORMROUTE_BIN || ['target/release/formroute', 'target/debug/formroute'].map((p) => join(ROOT, p)).find((p) => existsSync(p));
if (!BIN) throw Error('no formroute binary: cargo build -p formroute (or set FORMROUTE_BIN)');
if (!globalThis.gc) throw Error('run with node --expose-gc (npm run bench does)');

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const br = (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const gz = (b) => gzipSync(b, { level: 9 }).length;
const kb = (n) => (n / 1024).toFixed(1) + ' KiB';

/** Median ms of `f()` over `runs` runs (after 20 warm-up runs). */
function time(f, runs = 200) {
  for (let i = 0; i < 20; i++) f();
  const ts = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

/** Heap (JS heap + array buffers) kept by `make()`'s result, per copy, averaged over `n` copies. */
function heap(make, n = 20) {
  const mem = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = mem();
  const keep = Array.from({ length: n }, make);
  const after = mem();
  keep.length = 0;
  return (after - before) / n;
}

/** Median ns per call of `f(i)` in batches of `batch` calls. */
function nsPerOp(f, batch = 100_000, rounds = 15) {
  for (let i = 0; i < batch; i++) f(i);
  const ts = [];
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) f(i);
    ts.push(Number(process.hrtime.bigint() - t) / batch);
  }
  return median(ts);
}

// ---- The naive alternative: {zip: state} plus the brand's rules as JSON, resolved at run time.
const rows = (file) => {
  const text = readFileSync(join(ROOT, 'data', file), 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('\n');
  const [head, ...rest] = parseCsv(text).map((r) => r.fields);
  return rest.map((f) => Object.fromEntries(head.map((h, i) => [h, f[i]])));
};
const zipJson = JSON.stringify(Object.fromEntries(rows('zips.csv').map((r) => [r.zip, r.state])));
const naiveRules = (brand) =>
  JSON.stringify({
    brand: rows('brands.csv').find((b) => b.brand === brand),
    forms: rows('forms.csv').filter((r) => r.brand === brand),
    rules: rows('rules.csv').filter((r) => r.brand === brand),
    overrides: rows('zip_overrides.csv').filter((r) => r.brand === brand),
  });
/** The resolve a web developer would write over the naive JSON (precedence evaluated per call). */
const naiveResolve = (zips, rules) => (q) => {
  const zip = String(q.zip).trim().slice(0, 5);
  const state = zips[zip];
  if (!state) return { ok: false, error: 'unknown_zip' };
  const product = String(q.product).trim().toLowerCase();
  let best;
  for (const o of rules.overrides)
    if ((o.product === product || o.product === '*') && zip.startsWith(o.zip_prefix))
      if (!best || o.zip_prefix.length > best.zip_prefix.length || (o.zip_prefix.length === best.zip_prefix.length && o.product !== '*')) best = o;
  const rule =
    best ||
    [
      [product, state],
      [product, '*'],
      ['*', state],
      ['*', '*'],
    ]
      .map(([p, s]) => rules.rules.find((r) => r.product === p && r.state === s))
      .find(Boolean);
  if (!rule || rule.form_type === 'none') return { ok: false, error: 'not_served' };
  const lang = String(q.language || '').toLowerCase().split(/[-_]/)[0];
  const form =
    rules.forms.find((f) => f.product === product && f.form_type === rule.form_type && f.language === lang) ||
    rules.forms.find((f) => f.product === product && f.form_type === rule.form_type && f.language === rules.brand.default_language);
  return { ok: true, url: form.url.replace('{zip}', zip).replace('{state}', state), state, form_type: rule.form_type };
};

const zips = rows('zips.csv').map((r) => r.zip);
const lines = [];
const say = (s) => {
  lines.push(s);
  console.log(s);
};
const pad = (v, n) => String(v).padStart(n);
/** Heap rounds run interpreted, with bytecode kept: the JIT's code and its feedback, tiered up at
 * times of its own, moved the figure by ±15 KiB between rounds (what the artifact keeps does not). */
const HEAP_FLAGS = ['--no-opt', '--no-maglev', '--no-sparkplug', '--no-flush-bytecode'];

/** One row's figures, measured in this process: `heap` (KiB kept per loaded copy, median of 3 rounds of 20) or the rest. */
async function measure({ kind, file, products, brand }, part) {
  const src = process.env.FORMROUTE_SRC ? pathToFileURL(process.env.FORMROUTE_SRC.replace(/\/?$/, '/')) : new URL('../src/', import.meta.url);
  let bytes, parse;
  if (kind === 'naive') {
    const rulesJson = naiveRules(brand);
    bytes = new Uint8Array(Buffer.from(zipJson + rulesJson));
    parse = () => ({ resolve: naiveResolve(JSON.parse(zipJson), JSON.parse(rulesJson)) });
  } else {
    bytes = new Uint8Array(readFileSync(file));
    parse = kind === 'v1' ? (await import(new URL('artifact.js', src))).parseArtifact : (await import(new URL('artifact_v2.js', src))).parseArtifactV2;
  }
  if (part === 'heap') return { mem: median([0, 1, 2].map(() => heap(() => parse(bytes.slice())))) };
  const ready = time(() => parse(bytes));
  const a = parse(bytes);
  const langs = ['', 'en', 'es-MX'];
  const queries = Array.from({ length: 4096 }, (_, i) => ({
    zip: zips[(i * 7919) % zips.length],
    product: products[i % products.length],
    language: langs[i % 3],
  }));
  const ns = nsPerOp((i) => a.resolve(queries[i & 4095]));
  return { raw: bytes.length, gz: gz(bytes), br: br(bytes), ready, ns };
}
/** Runs `measure(spec, part)` in a node process of its own (fresh JIT state and heap: no row shapes another's figures). */
function child(spec, part, flags = []) {
  const r = spawnSync(process.execPath, ['--expose-gc', ...flags, fileURLToPath(import.meta.url)], {
    encoding: 'utf8',
    env: { ...process.env, FORMROUTE_BENCH_ROW: JSON.stringify([spec, part]) },
  });
  if (r.status) throw Error(r.stderr);
  return JSON.parse(r.stdout);
}
/** One table row (FORMROUTE_BENCH_ONLY: a regular expression the labels must match): what a visitor downloads and what the page pays to read it and to answer. */
function row(spec) {
  if (!new RegExp(process.env.FORMROUTE_BENCH_ONLY || '').test(spec.label)) return;
  const { raw, gz, br, ready, ns } = child(spec, 'time');
  const { mem } = child(spec, 'heap', HEAP_FLAGS);
  say(
    `${spec.label.padEnd(22)} | ${pad(raw, 7)} / ${pad(gz, 6)} / ${pad(br, 6)} B | ${ready.toFixed(3).padStart(8)} ms | ` +
      `${kb(mem).padStart(10)} | ${ns.toFixed(0).padStart(5)} ns`,
  );
}
/** The rows of one build folder: format 1 and 2 of each brand (or of the one named), then the naive JSON. */
function brands(out, data, only) {
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  for (const [brand, entry] of Object.entries(manifest.brands)) {
    if (only && brand !== only) continue;
    const products = entry.products;
    row({ label: `${brand} v1`, kind: 'v1', file: join(out, entry.artifact), products });
    row({ label: `${brand} v2`, kind: 'v2', file: join(out, entry.artifact_v2), products });
    if (data === join(ROOT, 'data')) row({ label: `${brand} naive JSON`, kind: 'naive', brand, products });
  }
}

if (process.env.FORMROUTE_BENCH_ROW) {
  console.log(JSON.stringify(await measure(...JSON.parse(process.env.FORMROUTE_BENCH_ROW))));
  process.exit(0);
}

// ---- The compiled artifacts, from data/ by the Rust builder.
const dir = mkdtempSync(join(tmpdir(), 'formroute-bench-'));
const out = join(dir, 'out');
const built = spawnSync(BIN, ['build', '--data', join(ROOT, 'data'), '--out', out], { encoding: 'utf8' });
if (built.status) throw Error(built.stderr);
const snippet = readFileSync(new URL('../dist/formroute.min.js', import.meta.url));

say(`node ${process.version}, ${zips.length} ZIPs; medians. Command: cd client-js && npm run bench (binary: ${BIN})`);
// (A shared machine's load inflates the ns and ms columns: said with the figures.)
say(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
say(`snippet dist/formroute.min.js: ${snippet.length} B raw, ${gz(snippet)} B gzip -9, ${br(snippet)} B brotli 11`);
say('');
say('artifact               |     raw /   gzip / brotli   | bytes->ready |  heap     | resolve()');
brands(out, join(ROOT, 'data'));

// ---- The 200-brand synthetic database (builder/cli/examples/synth.rs): 10 products, overrides of
// 2-5 digits. Build times of the binary above (new folder, unchanged rebuild, one-line edit), and
// the largest brand's rows.
// FORMROUTE_SYNTH selects it: a synth binary (default: the workspace's, or the one beside
// FORMROUTE_BIN), a data folder to build instead (one synth wrote, say), or `none`.
const given = process.env.FORMROUTE_SYNTH;
const SYNTH =
  given ||
  ['target/release/examples/synth', 'target/debug/examples/synth']
    .map((p) => join(ROOT, p))
    .concat(join(dirname(BIN), 'examples/synth'))
    .find((p) => existsSync(p));
if (SYNTH && SYNTH !== 'none') {
  let data = SYNTH;
  if (!existsSync(join(SYNTH, 'brands.csv'))) {
    data = join(dir, 'synth');
    const made = spawnSync(SYNTH, [data, '200', join(ROOT, 'data/zips.csv')], { encoding: 'utf8' });
    if (made.status) throw Error(made.error || made.stderr);
  }
  // The same database with one brand's first override removed: a data analyst's one-line edit.
  const edited = join(dir, 'synth-edited');
  cpSync(data, edited, { recursive: true });
  const overrides = readFileSync(join(edited, 'zip_overrides.csv'), 'utf8').split('\n');
  writeFileSync(join(edited, 'zip_overrides.csv'), [overrides[0], ...overrides.slice(2)].join('\n'));
  // Milliseconds of `formroute build --data from --out to`.
  const build = (from, to) => {
    const t = performance.now();
    // (200 brands' coverage warnings overflow spawnSync's default 1 MiB buffer.)
    const b = spawnSync(BIN, ['build', '--data', from, '--out', to], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (b.status !== 0) throw Error(b.error || b.stderr);
    return performance.now() - t;
  };
  // Medians of 5: into a new folder; again into the same folder, nothing changed (every file is kept
  // from the previous build); into it after the one-line edit (the edited brand's files are written).
  const synthOut = join(dir, 'synth-out');
  const fresh = [];
  const again = [];
  const edit = [];
  for (let i = 0; i < 5; i++) {
    rmSync(synthOut, { recursive: true, force: true });
    fresh.push(build(data, synthOut));
    again.push(build(data, synthOut));
    build(edited, synthOut);
    edit.push(build(data, synthOut));
  }
  say('');
  say(
    `synthetic database ${data}: formroute build (formats 1 and 2, medians of 5) into a new folder ${median(fresh).toFixed(0)} ms, ` +
      `again unchanged ${median(again).toFixed(0)} ms, after a one-line edit ${median(edit).toFixed(0)} ms; largest brand:`,
  );
  const m = JSON.parse(readFileSync(join(synthOut, 'manifest.json'), 'utf8'));
  const largest = Object.entries(m.brands).sort((a, b) => b[1].artifact_v2_bytes - a[1].artifact_v2_bytes)[0][0];
  brands(synthOut, data, largest);
} else if (!SYNTH) say('(no synth example binary: cargo build --release -p formroute --example synth, or FORMROUTE_SYNTH, for the synthetic rows)');
rmSync(dir, { recursive: true, force: true });
