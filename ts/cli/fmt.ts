// tsjail fmt POLICY...: the canonical layout (docs/fmt.md). Prints the formatted policy;
// --check names the files that would change (exit 1 if any); -w rewrites them in place, through
// a temporary file renamed over the original, so an error never leaves a half-written policy.

import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { formatDiagnostics, formatPolicy } from '../policy/index';
import { describeFsError } from '../node/system-errors';
import { writeFileAtomically } from '../node/atomic-write';
import { EXIT_FAILURE, ExitStatus, PolicyFailure, UsageError } from './errors';
import { readBytes, policyText, writeOutput } from './io';

interface FmtCliOptions {
  check?: boolean;
  write?: boolean;
}

/** Replace `file` with `text` atomically (ts/node/atomic-write.ts), keeping its mode. */
export function writeAtomically(file: string, text: string): void {
  let mode = 0o644;
  try {
    mode = fs.statSync(path.resolve(file)).mode & 0o7777;
  } catch {
    /* a new file: the default mode */
  }
  try {
    writeFileAtomically(file, text, mode, 'fmt');
  } catch (e) {
    throw new PolicyFailure(`cannot write ${file}: ${describeFsError(e)}`);
  }
}

async function run(files: string[], opts: FmtCliOptions): Promise<void> {
  if (opts.check && opts.write) throw new UsageError('fmt: --check and -w exclude each other');
  if (opts.write && files.includes('-')) throw new UsageError('fmt: -w cannot write to stdin; give file names');
  if (!opts.check && !opts.write && files.length > 1) throw new UsageError('fmt: one file at a time on stdout; use -w or --check for several');
  let failed = false;
  for (const file of files) {
    const shown = file === '-' ? '<stdin>' : file;
    const text = policyText(shown, await readBytes(file));
    const r = await formatPolicy(text, { path: shown });
    if (!r.ok) {
      // One file's syntax errors do not stop the others; they are reported and the status is 1.
      process.stderr.write(formatDiagnostics(r.diagnostics) + '\n');
      failed = true;
      continue;
    }
    if (opts.check) {
      if (r.changed) {
        process.stdout.write(`${shown}\n`);
        failed = true;
      }
    } else if (opts.write) {
      if (r.changed) writeAtomically(file, r.text);
    } else {
      await writeOutput(undefined, r.text);
    }
  }
  if (failed) throw new ExitStatus(EXIT_FAILURE);
}

export function registerFmt(program: Command): void {
  program
    .command('fmt')
    .summary('lay policies out canonically (comments kept, meaning unchanged)')
    .description('Print a policy in canonical layout: one space around comparisons, || and &&, and after ' +
      '":", "," and ";"; none inside constants (A|B) and [arch=...]; comments, @include lines and line ' +
      'breaks kept; runs of blank lines collapsed to one. The meaning never changes, and formatting ' +
      'twice changes nothing.\n\n' +
      'Exit 0; 1 when a file has syntax errors (not formatted) or, with --check, when a file would change.')
    .argument('<policy...>', 'policy files (- for stdin)')
    .option('--check', 'print the names of the files that are not in canonical layout; exit 1 if any')
    .option('-w, --write', 'rewrite the files in place (atomically: a temporary file renamed over each)')
    .action((files: string[], opts: FmtCliOptions) => run(files, opts));
}
