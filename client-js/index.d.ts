/** Types of the formroute client (hand-written; the package ships no TypeScript sources): the ESM API, the snippet's global `window.formroute`, and the `formroute:*` events. */

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
  /** Folder URL of the artifacts: `${base}/${brand}.v2.frt` (format version 2) is fetched. Default `.` (the snippet: its own folder). */
  base?: string;
  /** Full artifact URL, instead of `base`. */
  artifactUrl?: string;
  /** The logger's `/v1/events` URL; without it no event is sent. */
  beaconUrl?: string;
  /**
   * The longest a visitor waits for the artifact after asking (submit, `go()`, `ready()`), in ms
   * (default 1500). It never limits the download, which goes on in the background and is retried.
   */
  timeoutMs?: number | string;
  /**
   * Where `unavailable` answers send the visitor (default: none, `fallback_url: null`). May use
   * `{zip}`, `{product}`, `{language}`, `{brand}`, filled percent-encoded as in the brand's fallback.
   */
  fallbackUrl?: string;
}

/** Settings of a declarative form: LoadOptions from `data-*` attributes (the form's, else the snippet tag's), plus the message of a mistyped ZIP. */
export interface FormSettings extends Partial<LoadOptions> {
  /** `data-zip-message`: shown on the ZIP field when the ZIP is invalid or unknown (default "Please check this ZIP code."). */
  zipMessage?: string;
}

export interface Router {
  /** Whether a usable artifact is there (it may arrive after load() resolved); until then answers are `unavailable`. */
  readonly ok: boolean;
  /** The loaded artifact's CRC-32C in hex, its version id in events (`av`). */
  readonly version: string | undefined;
  /** Resolves now and logs a `resolve` event (`{ log: false }`: no event, e.g. for a preview while typing). Never throws. */
  resolve(q?: Query, options?: { log?: boolean }): Result;
  /** Waits until the artifact is usable (true), the download gave up (false) or `ms` passed (default: timeoutMs). Skips a wait between retries. */
  ready(ms?: number): Promise<boolean>;
  /**
   * Waits at most `timeoutMs` for the artifact, resolves and logs (or takes an answer already computed,
   * logging nothing more), fires the cancelable `formroute:resolve` on the window, sends waiting events,
   * and navigates to the URL or fallback, if there is one and no listener canceled.
   */
  go(q?: Query | Result): Promise<Result>;
}

/** Starts (once per artifact URL and page) the brand's download; resolves once it is usable, gave up, or `timeoutMs` passed. Never rejects. */
export function load(options: LoadOptions): Promise<Router>;

/**
 * Wires every `<form data-formroute="BRAND">` under `root` (idempotent; forms added later work
 * too): the artifact starts loading, and on submit the form's `zip`, `product` (or the clicked
 * button's value) and `language` (else the nearest `lang`) are resolved and the visitor sent on.
 * Settings come from the form's data attributes, else `defaults` (ESM build only), else the
 * snippet's tag.
 */
export function wire(root?: ParentNode, defaults?: FormSettings): void;

/** A parsed, checked artifact (FORMAT.md). */
export interface Artifact {
  brand: string;
  version: string;
  /** SPEC steps 1-6 (step 0, the brand, is the caller's). Throws only if the file proves damaged at this lookup. */
  resolve(q: Query): Result;
}

/**
 * Parses and checks the bytes of a format-version-1 artifact (`<brand>.<hash>.frt`, FORMAT.md "Version 1");
 * throws `Error` ("corrupt artifact", or FORMAT.md's format-version message, with `code: 'version'`).
 * Kept while version 1 is published; load() and the snippet read version 2.
 */
export function parseArtifact(bytes: Uint8Array): Artifact;

/**
 * Parses and checks the bytes of a format-version-2 artifact (`<brand>.<hash>.v2.frt` or `<brand>.v2.frt`,
 * FORMAT.md "Version 2"), the format load() and the snippet fetch; throws as parseArtifact (a version-1
 * file: "artifact format version 1 is not supported by this client (it reads version 2): ...").
 */
export function parseArtifactV2(bytes: Uint8Array): Artifact;

/** The artifact format version parseArtifact reads (parseArtifactV2 reads 2). */
export const FORMAT_VERSION: 1;

/** Every UTF-8 byte outside `A-Z a-z 0-9 - . _ ~` as `%XX` (Rust `template::percent_encode`). */
export function percentEncode(value: string): string;

/** Fills `{zip}`, `{state}`, `{product}`, `{language}`, `{brand}`, `{form_type}`, percent-encoding each value (Rust `template::fill`). */
export function fill(template: string, values: Partial<Record<'zip' | 'state' | 'product' | 'language' | 'brand' | 'form_type', string>>): string;

/** `detail` of `formroute:ready` (on the window): the brand's artifact is usable. */
export interface ReadyDetail {
  brand: string;
  /** ms since the download started. */
  ms: number;
  /** The artifact's version (`av` in events). */
  av: string;
  source?: 'network' | 'cache';
}

/** `detail` of `formroute:error` (on the window): an attempt at the download failed. */
export interface ErrorDetail {
  brand: string;
  error: 'network' | 'cors' | 'timeout' | 'http' | 'corrupt' | 'version' | 'brand';
  /** Whether another attempt follows. */
  retry: boolean;
}

/** `detail` of `formroute:resolve` (on the form, bubbling; on the window for `go()`): cancel it to keep the visitor on the page. */
export interface ResolveDetail {
  brand: string;
  result: Result;
  /** What was asked (absent when `go()` got an answer already computed). */
  query?: Query;
}

/** A command for the queue: called with the global once the snippet runs. */
export type FormrouteCommand = (formroute: FormrouteGlobal) => void;

/** The snippet's global (`dist/formroute.min.js`). `load()` is in the ESM build. */
export interface FormrouteGlobal {
  /** wire() without `defaults`: a declarative page's settings are its forms' and the snippet tag's data attributes. */
  wire(root?: ParentNode): void;
  /** Runs each command now (before the snippet, `window.formroute` is an array of them). */
  push(...commands: FormrouteCommand[]): void;
}

declare global {
  interface Window {
    /** The snippet's global, or, before it ran, the page's queue: `window.formroute = window.formroute || []; formroute.push(f)`. */
    formroute: FormrouteGlobal | FormrouteCommand[];
  }
  // eslint-disable-next-line no-var
  var formroute: FormrouteGlobal | FormrouteCommand[];
  interface WindowEventMap {
    'formroute:ready': CustomEvent<ReadyDetail>;
    'formroute:error': CustomEvent<ErrorDetail>;
    'formroute:resolve': CustomEvent<ResolveDetail>;
  }
  interface HTMLElementEventMap {
    'formroute:resolve': CustomEvent<ResolveDetail>;
  }
  interface DocumentEventMap {
    'formroute:resolve': CustomEvent<ResolveDetail>;
  }
}
