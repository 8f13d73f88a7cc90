// How every tsjail subcommand fails: one readable message and an exit status, never a stack.
//   UsageError       -> exit 2 (bad flags or arguments; the message says what to fix)
//   PolicyFailure    -> exit 1 (the input is wrong: a policy with errors, an unreadable file)
//   PolicyError      -> exit 1 with every diagnostic formatted (file:line:col, source line, caret)
//   ExitStatus       -> that status, nothing printed (e.g. `run` passing on the child's status)
//   anything else    -> 'tsjail: internal error: ...' and exit 70 (EX_SOFTWARE)

import { CommanderError } from 'commander';
import { Diagnostic, InvalidProgramError, PolicyError, formatDiagnostics } from '../policy/index';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;

/** The command line is wrong. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The input is wrong. With diagnostics, they are printed formatted instead of the message. */
export class PolicyFailure extends Error {
  readonly diagnostics: readonly Diagnostic[];

  constructor(message: string, diagnostics: readonly Diagnostic[] = []) {
    super(message);
    this.name = 'PolicyFailure';
    this.diagnostics = diagnostics;
  }
}

/** Leave with this status without printing anything more. */
export class ExitStatus extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
    this.name = 'ExitStatus';
  }
}

export interface ErrorSink {
  write(text: string): unknown;
}

/** Print `err` the way the CLI reports it and return the exit status to use. */
export function reportError(err: unknown, stderr: ErrorSink = process.stderr): number {
  if (err instanceof ExitStatus) return err.status;
  if (err instanceof CommanderError) {
    // Commander has already printed its message, the help or the version. A non-zero status
    // (unknown option, missing argument, no subcommand) is a usage error.
    return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (err instanceof UsageError) {
    stderr.write(`tsjail: ${err.message}\nTry 'tsjail --help' or 'tsjail COMMAND --help'.\n`);
    return EXIT_USAGE;
  }
  if (err instanceof PolicyError || (err instanceof PolicyFailure && err.diagnostics.length > 0)) {
    stderr.write(formatDiagnostics(err.diagnostics) + '\n');
    return EXIT_FAILURE;
  }
  if (err instanceof PolicyFailure || err instanceof InvalidProgramError) {
    stderr.write(`tsjail: ${err.message}\n`);
    return EXIT_FAILURE;
  }
  const msg = err instanceof Error ? err.message : String(err);
  stderr.write(`tsjail: internal error: ${msg.split('\n')[0]}\n`);
  return EXIT_INTERNAL;
}
