#!/usr/bin/env node
/** `node client-js/bin/resolve.mjs`: the command-line contract of `formroute resolve` (SPEC), answering from the same artifacts with the JavaScript reader. */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArtifact } from '../src/artifact.js';
import { parseArtifactV2 } from '../src/artifact_v2.js';
import { versionMessage } from '../src/corrupt.js';
import { parseCsv } from './csv.mjs';

const USAGE = `usage: resolve.mjs --artifacts DIR [--artifact-format N] --brand B --zip Z --product P [--language L]
       resolve.mjs --artifacts DIR [--artifact-format N] --batch FILE     (CSV with header brand,zip,product,language; - reads stdin)
       --artifact-format 1|2: the artifact format version to read (default: the newest built)`;

/** A usage error: printed with the usage, exit status 2 (as clap does). */
class UsageError extends Error {}

/** Parses `--name value` and `--name=value`; values may start with `-` (as clap's allow_hyphen_values). */
function parseArgs(argv) {
  const known = ['artifacts', 'brand', 'zip', 'product', 'language', 'batch', 'artifact-format'];
  const a = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z]+(?:-[a-z]+)*)(?:=(.*))?$/s.exec(argv[i]);
    if (!m || !known.includes(m[1])) throw new UsageError(`unexpected argument '${argv[i]}'`);
    if (m[1] in a) throw new UsageError(`--${m[1]} given twice`);
    const v = m[2] ?? argv[++i];
    if (v === undefined) throw new UsageError(`--${m[1]} needs a value`);
    a[m[1]] = v;
  }
  if (a.artifacts === undefined) throw new UsageError('--artifacts is required');
  if (a['artifact-format'] !== undefined && !['1', '2'].includes(a['artifact-format']))
    throw new UsageError(`--artifact-format ${a['artifact-format']}: expected 1 or 2`);
  if (a.batch !== undefined) {
    for (const k of ['brand', 'zip', 'product', 'language'])
      if (k in a) throw new UsageError(`--${k} cannot be used with --batch`);
  } else {
    for (const k of ['brand', 'zip', 'product']) if (!(k in a)) throw new UsageError(`--${k} is required without --batch`);
  }
  return a;
}

/**
 * Opens a build folder as the Rust ArtifactSet does: manifest.json (its format version must be 1),
 * then each brand's artifact of format `format` (undefined: the newest listed, 2 when built),
 * checked against the manifest's SHA-256 and by that version's reader. A brand whose artifact is
 * unusable answers `unavailable` (with a warning on stderr).
 * @returns {Map<string, ReturnType<typeof parseArtifact> | null>}
 */
function openSet(dir, format) {
  const path = join(dir, 'manifest.json');
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw Error(`${path}: ${e.message}`);
  }
  if (manifest.format_version !== 1)
    throw Error(`${path}: ${versionMessage(manifest.format_version, 'version 1')}`);
  const set = new Map();
  for (const [brand, entry] of Object.entries(manifest.brands || {})) {
    const v2 = format !== '1' && entry.artifact_v2 !== undefined;
    const file = join(dir, v2 ? entry.artifact_v2 : entry.artifact);
    try {
      if (format === '2' && !v2) throw Error('the build has no format-version-2 artifact for this brand: rebuild with a builder that writes it');
      const bytes = readFileSync(file);
      if (createHash('sha256').update(bytes).digest('hex') !== (v2 ? entry.artifact_v2_sha256 : entry.artifact_sha256))
        throw Error('SHA-256 does not match manifest.json: the file changed after the build');
      set.set(brand, (v2 ? parseArtifactV2 : parseArtifact)(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)));
    } catch (e) {
      process.stderr.write(`resolve.mjs: warning: brand \`${brand}\` is unavailable (its queries answer \`unavailable\`): ${file}: ${e.message}\n`);
      set.set(brand, null);
    }
  }
  return set;
}

/**
 * The NDJSON line of SPEC: keys in order, no spaces. JSON.stringify escapes strings exactly as
 * serde_json does (", \, \b \f \n \r \t, other C0 controls as lowercase \u00xx, nothing else;
 * test/cli.test.js checks every code point that matters).
 */
function line(r) {
  return r.ok
    ? `{"ok":true,"url":${JSON.stringify(r.url)},"state":${JSON.stringify(r.state)},"form_type":${JSON.stringify(r.form_type)},"language":${JSON.stringify(r.language)}}`
    : `{"ok":false,"error":${JSON.stringify(r.error)},"fallback_url":${JSON.stringify(r.fallback_url)}}`;
}

/** SPEC step 0, then the artifact's own resolver (damage found at lookup answers `unavailable`, as a page would). */
function answer(set, brand, zip, product, language) {
  if (!set.has(brand)) return { ok: false, error: 'unknown_brand', fallback_url: null };
  const a = set.get(brand);
  try {
    if (a) return a.resolve({ zip, product, language });
  } catch {}
  return { ok: false, error: 'unavailable', fallback_url: null };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const set = openSet(args.artifacts, args['artifact-format']);
  const out = [];
  if (args.batch === undefined) {
    out.push(line(answer(set, args.brand, args.zip, args.product, args.language ?? '')));
  } else {
    const file = args.batch === '-' ? 0 : args.batch;
    const name = args.batch === '-' ? '<stdin>' : args.batch;
    // Bytes that are not UTF-8 become U+FFFD, as Rust's from_utf8_lossy does.
    const records = parseCsv(new TextDecoder().decode(readFileSync(file)));
    const header = records.shift();
    const col = (k) => (header ? header.fields.indexOf(k) : -1);
    const [b, z, p, l] = ['brand', 'zip', 'product', 'language'].map(col);
    if (b < 0 || z < 0 || p < 0) {
      throw Error(`${name}:1: the header must name the columns brand,zip,product,language (language may be left out)`);
    }
    for (const { fields: f, line: at } of records) {
      if (f.length !== header.fields.length) {
        process.stdout.write(out.join(''));
        throw Error(`${name}:${at}: found record with ${f.length} fields, but the previous record has ${header.fields.length} fields`);
      }
      out.push(line(answer(set, f[b], f[z], f[p], l < 0 ? '' : f[l])) + '\n');
      if (out.length > 4096) process.stdout.write(out.splice(0).join(''));
    }
    process.stdout.write(out.join(''));
    return;
  }
  process.stdout.write(out.join('\n') + '\n');
}

try {
  main();
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`resolve.mjs: ${e.message}\n${USAGE}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`resolve.mjs: ${e.message}\n`);
    process.exitCode = 1;
  }
}
