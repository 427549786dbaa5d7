/** The errors of an unusable artifact, shared by every reader: "corrupt artifact", and FORMAT.md's message for a format version the reader does not read (the one home of that text on the JavaScript side). */

/**
 * Throws `Error("corrupt artifact")` unless `ok`. The snippet carries no per-check reasons (bytes);
 * the version check, which needs the user to act, has its own message (versionUnless).
 * @param {unknown} ok
 */
export const corruptUnless = (ok) => {
  if (!ok) throw Error('corrupt artifact');
};

/**
 * FORMAT.md's message for a file (or manifest) of format `version` given to a reader of `reads`
 * (e.g. "version 2"): it says what to do. The browser snippet says what is wrong and stops at the
 * colon: it fetches `<brand>.v2.frt`, which publish fills with version-2 files only, so only a
 * mistyped `data-artifact-url` meets another version there, and its `version` error and console line
 * say so (the client README says what to do).
 * @param {number} version
 * @param {string} reads
 */
export const versionMessage = (version, reads) => {
  let message = `artifact format version ${version} is not supported by this client (it reads ${reads})`;
  esm: message += ': update the formroute client, or rebuild the artifacts with a matching formroute builder';
  return message;
};

/**
 * Throws an Error with versionMessage (`code: 'version'`, the `error` a page logs) unless `version` is `reads`.
 * @param {number} version the file's
 * @param {number} reads the reader's
 */
export const versionUnless = (version, reads) => {
  if (version !== reads) throw Object.assign(Error(versionMessage(version, 'version ' + reads)), { code: 'version' });
};
