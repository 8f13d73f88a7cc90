// `tsjail run ... --save-jail FILE -- PROGRAM` and `tsjail pack-jail ... -- PROGRAM`: the jail
// `tsjail run` would start, resolved now (users, files, the policy compiled) and written as a
// jail file for tsjail-exec (docs/jailfile.md) instead of being run.
//
// The file is written next to its final name and renamed into place, so a service never reads
// half a file, and never group- or world-writable (tsjail-exec refuses such a file).

import type { Command } from 'commander';
import { JailError } from '../jail/errors';
import { SpecError } from '../jail/validate';
import { specErrorLine } from './run-fields';
import { encodeJailFile } from '../jail/jailfile';
import { carriedPolicyJson } from '../jail/violation-record';
import type { JailSpec } from '../jail/spec';
import { UsageError } from './errors';
import type { RunRequest } from './run-options';
import { RunIo, addRunStyleCommand, specFromArgs } from './run-command';
import { EXIT_SETUP_FAILED, EXIT_WRITE_FAILED, describeJailError } from './run-status';
import { runHelp } from './run-help';
import { describeFsError } from '../node/system-errors';
import { writeFileAtomically } from '../node/atomic-write';

/** Encode and write; the status tsjail should exit with. */
export async function saveJailFile(file: string, spec: JailSpec, request: RunRequest, io: RunIo): Promise<number> {
  let bytes: Uint8Array;
  try {
    // The policy rides along so that `tsjail explain` can report a tsjail-exec violation in full.
    const policySource = await carriedPolicyJson(spec);
    bytes = encodeJailFile(spec, { forwardSignals: request.forwardSignals, policySource });
  } catch (e) {
    if (e instanceof JailError) {
      io.stderr.write(`tsjail: ${describeJailError(e)}\n`);
      return EXIT_SETUP_FAILED;
    }
    if (e instanceof SpecError) throw new UsageError(`run: ${specErrorLine(e, spec)}`);
    io.stderr.write(`tsjail: --save-jail ${file}: ${(e as Error).message}\n`);
    return EXIT_WRITE_FAILED;
  }
  // The umask may remove more, never less: group/other write bits are always off.
  const mode = 0o644 & ~process.umask();
  try {
    writeFileAtomically(file, bytes, mode);
  } catch (e) {
    io.stderr.write(`tsjail: --save-jail ${file}: cannot write: ${describeFsError(e)}\n`);
    return EXIT_WRITE_FAILED;
  }
  return 0;
}

/** pack-jail's arguments -> run's: `-o FILE` / `--output FILE` become `--save-jail FILE`. */
function toRunArgs(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return out.concat(args.slice(i));
    if (a === '-o' || a === '--output') {
      if (i + 1 >= args.length) throw new UsageError(`pack-jail: ${a} needs a FILE`);
      out.push('--save-jail', args[++i]);
    } else if (a.startsWith('--output=')) {
      out.push('--save-jail', a.slice('--output='.length));
    } else {
      out.push(a);
    }
  }
  return out;
}

export async function packJailCommand(args: string[], io: RunIo = process): Promise<number> {
  const { request, spec } = await specFromArgs(toRunArgs(args), io);
  if (request.help || !spec) {
    io.stdout.write('Usage: tsjail pack-jail [run options] -o FILE [--] PROGRAM [ARGS...]\n' +
      'Write the jail `tsjail run` would start to FILE, for tsjail-exec (see `tsjail exec-path`).\n\n' + runHelp());
    return 0;
  }
  if (request.saveJail === undefined) throw new UsageError('pack-jail: say where to write the jail file (-o FILE)');
  return saveJailFile(request.saveJail, spec, request, io);
}

export function registerPackJail(program: Command): void {
  addRunStyleCommand(program, 'pack-jail', "write a jail file for tsjail-exec: `tsjail run`'s options, plus -o FILE",
    '[run options] -o FILE [--] PROGRAM [ARGS...]', (args) => packJailCommand(args));
}
