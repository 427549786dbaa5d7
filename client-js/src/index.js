/** The package's ESM entry: a small, tree-shakable API with no side effects on import. */

export { load } from './load.js';
export { wire } from './form.js';
export { parseArtifact, FORMAT_VERSION } from './artifact.js';
export { fill, percentEncode } from './template.js';
