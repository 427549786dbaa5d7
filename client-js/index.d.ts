/** Types of the formroute client (hand-written; the package ships no TypeScript sources). */

/** A visitor's question. Missing values count as empty; numbers are taken as their text. */
export interface Query {
  zip?: string | number | null;
  product?: string | null;
  /** The page's language, e.g. `es-MX`; empty or missing means the brand's default. */
  language?: string | null;
}

/** SPEC's answer: a form URL, or a reason and the brand's (or the page's) fallback URL. */
export type Result =
  | { ok: true; url: string; state: string; form_type: string; language: string }
  | {
      ok: false;
      error: 'invalid_zip' | 'unknown_zip' | 'unknown_product' | 'not_served' | 'unknown_brand' | 'unavailable';
      fallback_url: string | null;
    };

export interface LoadOptions {
  /** The brand's slug. */
  brand: string;
  /** Folder URL of the artifacts: `${base}/${brand}.frt` is fetched. Default `.` (the snippet: its own folder). */
  base?: string;
  /** Full artifact URL, instead of `base`. */
  artifactUrl?: string;
  /** The logger's `/v1/events` URL; without it no event is sent. */
  beaconUrl?: string;
  /** Time allowed for fetching and checking the artifact, in ms (default 1500). */
  timeoutMs?: number | string;
  /** Where `unavailable` answers send the visitor (default: none, `fallback_url: null`). */
  fallbackUrl?: string;
}

export interface Router {
  /** Whether a usable artifact was loaded; if not, every answer is `unavailable`. */
  ok: boolean;
  /** The loaded artifact's CRC-32C in hex, its version id in events (`av`). */
  version: string | undefined;
  /** Resolves (and logs a `resolve` event). Never throws. */
  resolve(q?: Query): Result;
  /** Resolves, logs, sends waiting events, and navigates to the URL or fallback (if there is one). */
  go(q?: Query): Result;
}

/** Fetches and checks the brand's artifact. Never rejects. */
export function load(options: LoadOptions): Promise<Router>;

/**
 * Wires every `<form data-formroute="BRAND">` under `root`: on submit, its `zip`, `product` and
 * `language` fields (else `<html lang>`) are resolved and the visitor sent on. Options come from
 * the form's `data-base`, `data-beacon-url`, `data-fallback-url`, `data-timeout-ms`,
 * `data-artifact-url`, else `defaults`.
 */
export function wire(root?: ParentNode, defaults?: Partial<LoadOptions>): void;

/** A parsed, checked artifact (FORMAT.md). */
export interface Artifact {
  brand: string;
  version: string;
  /** SPEC steps 1-6 (step 0, the brand, is the caller's). Throws only if the file proves damaged at this lookup. */
  resolve(q: Query): Result;
}

/** Parses and checks artifact bytes; throws `Error` ("corrupt artifact", or FORMAT.md's version message). */
export function parseArtifact(bytes: Uint8Array): Artifact;

/** The artifact format version this client reads. */
export const FORMAT_VERSION: 1;

/** Builds a resolver over decoded tables (what parseArtifact uses). */
export function resolver(
  brand: string,
  defaultLanguage: string,
  fallbackUrl: string,
  products: string[],
  formTypes: string[],
  languages: string[],
  states: string[],
  classes: number[][],
  urls: (string | undefined)[],
  cls: (zip: string) => number | undefined,
): (q: Query) => Result;

/** Every UTF-8 byte outside `A-Z a-z 0-9 - . _ ~` as `%XX`. */
export function percentEncode(s: string): string;

/** Fills `{zip}`, `{state}`, `{product}`, `{language}`, `{brand}`, `{form_type}` with percent-encoded values. */
export function fill(template: string, values: Partial<Record<'zip' | 'state' | 'product' | 'language' | 'brand' | 'form_type', string>>): string;

/** Opens an FST of the fst crate 0.4.7 (format 3, type 1) for lookups; `common` is its common-input table. */
export function openFst(bytes: Uint8Array, common?: string): { get(key: string): number | undefined };

/** Reads FORMAT.md's MessagePack subset: `[uint, str, arr, end]`. */
export function msgpackReader(bytes: Uint8Array): [() => number, () => string, () => number, () => void];

/** CRC-32C of `bytes[start..end)`. */
export function crc32c(bytes: Uint8Array, start: number, end: number): number;

/** Events per beacon request (within SPEC's 100 events and 64 KiB). */
export const PER_REQUEST: number;

/** A beacon queue for one brand's page (what load() uses). */
export function beaconQueue(
  url: string | undefined,
  brand: string,
): { add(type: 'resolve' | 'load' | 'error', fields: object): void; flush(): void };
