// Entry of the `tsjail` binary (bin/tsjail loads the bundle of this file, dist/cli.cjs).
// Every failure ends here: reportError prints one readable message and picks the status.

import { createProgram } from './program';
import { EXIT_FAILURE, reportError } from './errors';
import { describeFsError } from '../node/system-errors';

// A failed write to stdout (a full disk, a closed pipe) is an 'error' event on the stream;
// unhandled, Node prints a stack and exits. Report it once, as one line (silently for EPIPE:
// the reader is gone), and fail.
let stdoutFailed = false;
function onStdoutError(e: NodeJS.ErrnoException): void {
  if (stdoutFailed) return;
  stdoutFailed = true;
  if (e.code !== 'EPIPE') process.stderr.write(`tsjail: cannot write to stdout: ${describeFsError(e)}\n`);
  process.exitCode = EXIT_FAILURE;
}

// The handler goes on when something first uses process.stdout, not before: creating the
// stream makes a pipe on fd 1 non-blocking, and `run` shares fd 1 with the jailed program
// (`cat` would then fail with EAGAIN). So process.stdout's lazy getter is wrapped once.
function guardStdoutOnFirstUse(): void {
  const lazy = Object.getOwnPropertyDescriptor(process, 'stdout');
  if (!lazy?.get || !lazy.configurable) return;
  const get = lazy.get;
  Object.defineProperty(process, 'stdout', {
    configurable: true,
    enumerable: lazy.enumerable,
    get() {
      const stream = get.call(process) as NodeJS.WriteStream;
      Object.defineProperty(process, 'stdout', lazy);
      stream.on('error', onStdoutError);
      return stream;
    },
  });
}
guardStdoutOnFirstUse();

async function main(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    return reportError(e);
  }
}

main(process.argv).then(
  (status) => { process.exitCode = stdoutFailed && status === 0 ? EXIT_FAILURE : status; },
  (e) => { process.stderr.write(`tsjail: internal error: ${String(e)}\n`); process.exitCode = 70; },
);
