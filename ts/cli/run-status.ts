// How `tsjail run` and `tsjail pack-jail` end when tsjail itself, not the program, fails: their
// own exit statuses (documented in run-help.ts, EXIT_STATUS_HELP, and docs/cli-run.md) and the
// one line that reports a failed jail setup step.

import type { JailError } from '../jail/errors';
import { strerror } from '../node/system-errors';
import { flagForField, inFlagWords } from './run-fields';
import type { JailSpec } from '../jail/spec';
import { nodeDecideHost, preloadHiddenMessage } from '../jail/decide';

/** tsjail itself could not set the jail up (like env(1)'s 125 for its own failures). */
export const EXIT_SETUP_FAILED = 125;
/** PROGRAM exists but cannot be executed (env(1)'s 126). */
export const EXIT_NOT_EXECUTABLE = 126;
/** PROGRAM was not found (env(1)'s 127). */
export const EXIT_NOT_FOUND = 127;
/** `--save-jail` / `pack-jail`: the jail file could not be written. */
export const EXIT_WRITE_FAILED = 1;

/**
 * One line for a failed setup step: the step, the errno in words, the runtime's detail and
 * advice; with the spec, a failed preload step also says when the jail's own mounts hid the
 * preload library.
 */
export function describeJailError(e: JailError, spec?: JailSpec, library: string = nodeDecideHost().preloadLibrary()): string {
  const hidden = spec && e.step === 'preload'
    ? preloadHiddenMessage(spec, library, { mount: (i) => flagForField(`filesystem.mounts[${i}]`, spec) ?? `mount #${i}`, newRoot: '-C/-P' })
    : undefined;
  if (hidden !== undefined) return `jail setup failed at preload: ${hidden}`;
  const what = e.errno ? `${strerror(e.errno)} (${e.code})` : e.code;
  let line = `jail setup failed at ${e.step}: ${what}`;
  if (e.detail) line += ` (${e.detail})`;
  // The advice speaks the API's field names; here the user set them with flags.
  if (e.hint) line += `: ${inFlagWords(e.hint)}`;
  return line;
}
