/** Test helper: writes artifacts from FORMAT.md alone (container, MessagePack with smallest encodings), to build hand-made and damaged files. */

import { readFileSync } from 'node:fs';
import { crc32c } from '../../src/crc32c.js';

const enc = new TextEncoder();

/** MessagePack of arrays, strings and non-negative integers, smallest encoding each (as rmp-serde writes). */
export function msgpack(v) {
  const out = [];
  const be = (n, k) => {
    for (let i = k; i--; ) out.push(Math.floor(n / 2 ** (8 * i)) & 255);
  };
  const w = (v) => {
    if (typeof v === 'number') {
      if (v < 128) out.push(v);
      else if (v < 256) out.push(0xcc, v);
      else if (v < 65536) out.push(0xcd), be(v, 2);
      else out.push(0xce), be(v, 4);
    } else if (typeof v === 'string') {
      const b = enc.encode(v);
      if (b.length < 32) out.push(0xa0 | b.length);
      else if (b.length < 256) out.push(0xd9, b.length);
      else if (b.length < 65536) out.push(0xda), be(b.length, 2);
      else out.push(0xdb), be(b.length, 4);
      out.push(...b);
    } else {
      if (v.length < 16) out.push(0x90 | v.length);
      else if (v.length < 65536) out.push(0xdc), be(v.length, 2);
      else out.push(0xdd), be(v.length, 4);
      v.forEach(w);
    }
  };
  w(v);
  return Uint8Array.from(out);
}

/**
 * The artifact bytes for `fst` (bytes) and `tables` (the 10-field array of FORMAT.md, or raw bytes),
 * with header fields overridable to build damaged files.
 */
export function artifact(fst, tables, { version = 1, flags = 0 } = {}) {
  const t = tables instanceof Uint8Array ? tables : msgpack(tables);
  const b = new Uint8Array(20 + fst.length + t.length);
  const dv = new DataView(b.buffer);
  b.set([0x46, 0x52, 0x54, 0x41]);
  dv.setUint16(4, version, true);
  dv.setUint16(6, flags, true);
  dv.setUint32(8, fst.length, true);
  dv.setUint32(12, t.length, true);
  b.set(fst, 16);
  b.set(t, 16 + fst.length);
  dv.setUint32(16 + fst.length + t.length, crc32c(b, 0, 16 + fst.length + t.length), true);
  return b;
}

/** Rewrites the container CRC after a test edited bytes (to reach the checks behind it). */
export function reseal(b) {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  dv.setUint32(b.length - 4, crc32c(b, 0, b.length - 4), true);
  return b;
}

export const fixture = (name) => new Uint8Array(readFileSync(new URL(`../fixtures/${name}`, import.meta.url)));

/**
 * A hand-made brand over test/fixtures/mini.fst (made by the fst crate 0.4.7; mini.keys.txt lists it):
 * class 0 = NY (auto direct, home agent), 1 = NY with an override (auto partner, home not served),
 * 2 = CA (auto direct, home direct), 3 = PR (auto not served, home direct).
 * Forms: auto/direct en+es, auto/partner en, home/agent en, home/direct en+es.
 */
export const MINI_TABLES = [
  'acme',
  'Acme Insurance',
  'en',
  'https://acme.example/{language}/fallback?zip={zip}&p={product}&b={brand}',
  ['auto', 'home'],
  ['agent', 'direct', 'partner'],
  ['en', 'es'],
  ['CA', 'NY', 'PR'],
  [
    [1, 2, 1],
    [1, 3, 0],
    [0, 2, 2],
    [2, 0, 2],
  ],
  [
    [0, 1, 0, 'https://acme.example/en/auto?zip={zip}&state={state}&ft={form_type}&l={language}&b={brand}&p={product}'],
    [0, 1, 1, 'https://acme.example/es/auto?zip={zip}&state={state}'],
    [0, 2, 0, 'https://partner.example/acme/{product}?z={zip}'],
    [1, 0, 0, 'https://acme.example/agents?zip={zip}&st={state}'],
    [1, 1, 0, 'https://acme.example/en/home?zip={zip}'],
    [1, 1, 1, 'https://acme.example/es/home?zip={zip}'],
  ],
];

export const mini = () => artifact(fixture('mini.fst'), MINI_TABLES);

/**
 * An FST (fst crate on-disk version 3) of `type` for `entries` ([key, value] with keys of digits),
 * written from FORMAT.md and fst's node layout alone: an unminimised trie whose nodes are all "any
 * transitions" nodes (2-byte address deltas, 4-byte outputs). As the crate does, a key that ends in
 * a leaf has its value on the transition into it (the leaf is the empty final node, address 0), and
 * a key that ends at a node with transitions has it as that node's final output. Readers do not
 * depend on the crate's compression, so this is a valid FST for them; the crate's own files
 * (fixtures, builds) cover the other node kinds.
 */
export function fstOf(entries, type = 2) {
  const root = { children: new Map() };
  for (const [key, value] of entries) {
    let node = root;
    for (const ch of key) {
      if (!node.children.has(ch)) node.children.set(ch, { children: new Map() });
      node = node.children.get(ch);
    }
    node.value = value;
  }
  const out = [];
  const le = (n, k) => {
    for (let i = 0; i < k; i++) out.push(Math.floor(n / 2 ** (8 * i)) & 255);
  };
  le(3, 8);
  le(type, 8);
  // Writes `node` after its children; returns its address (its state byte), 0 for a leaf (the empty
  // final node: its value is on the transition into it).
  const write = (node) => {
    const kids = [...node.children].map(([ch, child]) => [ch.charCodeAt(0), write(child), child.children.size ? 0 : child.value]);
    const final = node.value !== undefined;
    if (!kids.length && (node !== root || node.value === 0)) return 0;
    const lowest = out.length;
    if (final) le(node.value, 4);
    // Transition i sits at the i-th place counted from the top: written last transition first.
    const rev = [...kids].reverse();
    for (const [, , value] of rev) le(value, 4); // transition outputs
    for (const [, addr] of rev) le(addr ? lowest - addr : 0, 2); // deltas: the target is the lowest byte minus the delta
    for (const [input] of rev) out.push(input);
    out.push((2 << 4) | 4); // pack sizes: address 2 bytes, output 4 bytes
    if (kids.length === 0 || kids.length > 63) out.push(kids.length === 256 ? 1 : kids.length);
    out.push((final ? 64 : 0) | (kids.length > 0 && kids.length <= 63 ? kids.length : 0));
    return out.length - 1;
  };
  const rootAddr = write(root);
  le(entries.length, 8);
  le(rootAddr, 8);
  const b = Uint8Array.from(out);
  const crc = crc32c(b, 0, b.length);
  const masked = (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
  const withCrc = new Uint8Array(b.length + 4);
  withCrc.set(b);
  new DataView(withCrc.buffer).setUint32(b.length, masked, true);
  return withCrc;
}

/** A format-version-2 artifact (FORMAT.md "Version 2"): presence bitmap of `zips`, the FST bytes `fst`, the tables. */
export function artifactV2(zips, fst, tables, { version = 2, flags = 0 } = {}) {
  const t = tables instanceof Uint8Array ? tables : msgpack(tables);
  const P = 12500;
  const b = new Uint8Array(24 + P + fst.length + t.length);
  const dv = new DataView(b.buffer);
  b.set([0x46, 0x52, 0x54, 0x41]);
  dv.setUint16(4, version, true);
  dv.setUint16(6, flags, true);
  dv.setUint32(8, P, true);
  dv.setUint32(12, fst.length, true);
  dv.setUint32(16, t.length, true);
  for (const z of zips) b[20 + (+z >> 3)] |= 1 << (+z & 7);
  b.set(fst, 20 + P);
  b.set(t, 20 + P + fst.length);
  dv.setUint32(b.length - 4, crc32c(b, 0, b.length - 4), true);
  return b;
}

/** mini()'s brand in format 2: the same ZIPs (mini.keys.txt) and classes, the empty key in class 0. */
export const MINI_ZIPS = readFileSync(new URL('../fixtures/mini.keys.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.includes(' '))
  .map((l) => {
    const [k, v] = l.split(' ');
    return [Buffer.from(k, 'hex').toString('latin1'), Number(v)];
  });
export const mini2 = (tables = MINI_TABLES) => artifactV2(MINI_ZIPS.map(([z]) => z), fstOf([['', 0], ...MINI_ZIPS]), tables);
