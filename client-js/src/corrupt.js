/** The one error an unusable artifact raises, shared by the container, FST and MessagePack readers. */

/**
 * Throws `Error("corrupt artifact")` unless `ok`. The snippet carries no per-check reasons (bytes);
 * the version check, which needs the user to act, has its own message (artifact.js).
 * @param {unknown} ok
 */
export const corruptUnless = (ok) => {
  if (!ok) throw Error('corrupt artifact');
};
