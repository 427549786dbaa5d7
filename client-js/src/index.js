/** The package's ESM entry: a small, tree-shakable API with no side effects on import. */

export { load } from './load.js';
export { wire } from './form.js';
export { parseArtifact, FORMAT_VERSION } from './artifact.js';
export { parseArtifactV2 } from './artifact_v2.js';
export { fill, percentEncode } from './template.js';
