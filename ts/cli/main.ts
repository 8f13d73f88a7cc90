// Entry of the `tsjail` binary (bin/tsjail loads the bundle of this file, dist/cli.cjs).
// Every failure ends here: reportError prints one readable message and picks the status.

import { createProgram } from './program';
import { reportError } from './errors';

async function main(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    return reportError(e);
  }
}

main(process.argv).then(
  (status) => { process.exitCode = status; },
  (e) => { process.stderr.write(`tsjail: internal error: ${String(e)}\n`); process.exitCode = 70; },
);
