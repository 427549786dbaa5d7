/** The package's ESM entry: every part, tree-shakable, with no side effects on import. */

export { load } from './load.js';
export { wire } from './dom.js';
export { resolver, percentEncode, fill } from './resolve.js';
export { parseArtifact, FORMAT_VERSION } from './artifact.js';
export { openFst } from './fst.js';
export { reader as msgpackReader } from './msgpack.js';
export { crc32c } from './crc32c.js';
export { beaconQueue, PER_REQUEST } from './beacon.js';
