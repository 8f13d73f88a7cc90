// `tsjail run [options] -- PROGRAM [ARGS]`: minijail0's command line over the jail runtime.
//
// Phases, each failing with its own exit status before the next starts:
//   parse (run-parse over run-options: flags, --config) -> usage error, 2
//   resolve (run-spec: users, files, policy)            -> 2, 125 (policy), 126/127 (program)
//   validate (ts/jail validateSpec)                     -> 2, nothing forked yet
//   spawn (ts/jail spawnJail)                           -> 125 naming the step and errno
//   wait                                                -> the program's status, 128+N for signal N
// The first three are specFromArgs (run-command.ts), shared with pack-jail; the statuses are
// in run-status.ts, documented in run-help.ts (EXIT_STATUS_HELP) and docs/cli-run.md.

import { constants as osConstants } from 'os';
import type { Command } from 'commander';
import { JailError } from '../jail/errors';
import { SpecError } from '../jail/validate';
import { specErrorLine } from './run-fields';
import { nodeDecideHost, preloadHiddenBy } from '../jail/decide';
import * as fs from 'fs';
import { JailExit, JailProcess, JailViolation, describeViolation, spawnJail } from '../jail/spawn';
import { describeFsError } from '../node/system-errors';
import { formatViolation } from '../policy/explain';
import type { JailSpec } from '../jail/spec';
import { FORWARDED_SIGNALS } from '../jail/signals';
import { UsageError } from './errors';
import type { RunRequest } from './run-options';
import { runHelp } from './run-help';
import { RunIo, addRunStyleCommand, specFromArgs } from './run-command';
import { EXIT_SETUP_FAILED, describeJailError } from './run-status';
import { saveJailFile } from './pack-jail';

// The flags -> JailSpec step on its own, for callers that launch the spec themselves (the
// attack suite's Node API launcher builds its jails from the same flags as tsjail run).
export { specFromArgs } from './run-command';

/** Signals tsjail passes on to the jail (its init forwards them to the program). */
const FORWARDED = FORWARDED_SIGNALS;

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A byte count the way people wrote it: "32 MiB" (1024-based units, whole numbers only). */
function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}

/** Run the jail and wait: the status tsjail should exit with. */
/** The lines after `seccomp violation: NAME (NR)`: the call, the rule, the suggestion (none without the core). */
function violationDetail(v: JailViolation): string[] {
  if (!v.args || !v.rawArgs || !v.rule || !v.suggestion || !v.arch || !v.verdict) return [];
  return formatViolation({ nr: v.nr, arch: v.arch, syscall: v.syscall ?? null, args: v.args, rawArgs: v.rawArgs.map((a) => BigInt(a)), verdict: v.verdict,
    rule: v.rule, ruleText: v.ruleText, suggestion: v.suggestion }).slice(1);
}

/** --log's warning: said before the program runs, so that nobody mistakes the run for a jailed one. */
export const LOG_MODE_WARNING =
  'tsjail: WARNING: --log: the program is NOT contained by its seccomp policy; calls the policy denies run and are recorded '
  + '(namespaces, mounts, Landlock, capabilities and limits stay on)';

/** The summary at exit: each kind of call the policy would have denied, with count, a call's arguments and the fix. */
function logSummary(exit: JailExit): string[] {
  const would = exit.wouldDeny ?? [];
  const total = would.reduce((n, w) => n + w.count, 0) + (exit.wouldDenyDropped ?? 0);
  if (total === 0) return ['tsjail: --log: the policy would have denied nothing'];
  const out = [`tsjail: --log: the policy would have denied ${total} call${total === 1 ? '' : 's'} (${would.length} kind${would.length === 1 ? '' : 's'}):`];
  for (const w of [...would].sort((a, b) => b.count - a.count)) {
    const d = violationDetail(w);
    out.push(`tsjail:   ${w.syscall ?? `syscall ${w.nr}`} (${w.nr}) x${w.count}`);
    for (const line of d) out.push(`tsjail:   ${line}`);
  }
  if (exit.wouldDenyDropped) out.push(`tsjail:   and ${exit.wouldDenyDropped} more calls of kinds beyond the record's 512`);
  return out;
}

/** --log-file: the record as JSON (JailExit is JSON-safe). */
function writeLogFile(file: string, exit: JailExit, program: string[]): string | undefined {
  const record = { program, code: exit.code, signal: exit.signal, wouldDeny: exit.wouldDeny ?? [], dropped: exit.wouldDenyDropped ?? 0 };
  try {
    fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
    return undefined;
  } catch (e) {
    return `tsjail: --log-file ${file}: cannot write: ${describeFsError(e)}`;
  }
}

export async function runJail(request: RunRequest, spec: JailSpec, io: RunIo): Promise<number> {
  // Handlers go in before the spawn: the program may already be running (and its parent be
  // signalled) before spawnJail returns, and a default-action SIGTERM would kill tsjail and
  // orphan the jail. Node runs the handlers only after spawnJail returns, when `jail` is set.
  let jail: JailProcess | undefined;
  const pending: NodeJS.Signals[] = [];
  const forward = (sig: NodeJS.Signals) => (jail ? jail.kill(sig) : pending.push(sig));
  const stopForwarding = () => {
    if (request.forwardSignals) for (const s of FORWARDED) process.off(s, forward);
  };
  if (request.forwardSignals) for (const s of FORWARDED) process.on(s, forward);
  if (spec.seccomp?.logMode) io.stderr.write(`${LOG_MODE_WARNING}\n`);
  try {
    jail = spawnJail(spec, { stdio: ['inherit', 'inherit', 'inherit'] });
  } catch (e) {
    stopForwarding();
    if (e instanceof JailError) {
      io.stderr.write(`tsjail: ${describeJailError(e, spec)}\n`);
      // A kill in the preload window: the same explanation as any other violation (not when
      // the library was hidden: the loader's complaint about it is what got killed).
      const hidden = e.step === 'preload' && preloadHiddenBy(spec, nodeDecideHost().preloadLibrary()) !== undefined;
      if (e.rawViolation && !hidden) for (const line of violationDetail(await describeViolation(spec, e.rawViolation))) io.stderr.write(`tsjail: ${line}\n`);
      return EXIT_SETUP_FAILED;
    }
    if (e instanceof SpecError) throw new UsageError(`run: ${specErrorLine(e, spec)}`);
    // The addon missing or failing to load: tsjail's own failure, not the program's.
    io.stderr.write(`tsjail: jail setup failed: ${String((e as Error).message ?? e).replace(/^tsjail: /, '').split('\n')[0]}\n`);
    return EXIT_SETUP_FAILED;
  }
  for (const sig of pending) jail.kill(sig);
  try {
    const exit = await jail.exited;
    if (spec.seccomp?.logMode) {
      for (const line of logSummary(exit)) io.stderr.write(`${line}\n`);
      if (request.logFile !== undefined) {
        const err = writeLogFile(request.logFile, exit, request.program);
        if (err) io.stderr.write(`${err}\n`);
      }
    }
    if (exit.violation) {
      const v = exit.violation;
      const name = v.syscall ?? 'unknown syscall';
      io.stderr.write(`tsjail: seccomp violation: ${name} (${v.nr})\n`);
      for (const line of violationDetail(v)) io.stderr.write(`tsjail: ${line}\n`);
      // A kill-thread verdict ended one thread; the program went on and its status is its own.
      if (exit.reason === 'violation') return 128 + osConstants.signals.SIGSYS;
    }
    if (exit.signal === 'SIGSYS') {
      // The kernel's own kill (no supervisor, or a call only the preload's exact filter denies):
      // the dying process alone learns the syscall.
      io.stderr.write('tsjail: seccomp violation: syscall not known (the program died of SIGSYS)\n');
      return 128 + osConstants.signals.SIGSYS;
    }
    if (exit.signal) {
      const n = osConstants.signals[exit.signal] ?? 0;
      // The runtime enforces the limit and says when it was the cause.
      if (exit.reason === 'time-limit') {
        io.stderr.write(`tsjail: time limit of ${formatDuration(spec.timeLimitMs!)} reached; the jail was killed\n`);
      } else if (exit.reason === 'memory-limit') {
        io.stderr.write(`tsjail: memory limit of ${formatBytes(spec.cgroup?.memory ?? 0)} reached (oom kill); the jail was killed\n`);
      }
      return 128 + n;
    }
    return exit.code ?? 0;
  } finally {
    stopForwarding();
  }
}

/** The whole subcommand on raw arguments (those after `run`): its exit status. */
export async function runCommand(args: string[], io: RunIo = process): Promise<number> {
  const { request, spec } = await specFromArgs(args, io);
  if (request.help || !spec) {
    io.stdout.write(runHelp());
    return 0;
  }
  if (request.saveJail !== undefined) return saveJailFile(request.saveJail, spec, request, io);
  return runJail(request, spec, io);
}

/**
 * Adds `run` to the tsjail program. It also turns on positional options for the root command:
 * everything after `run` belongs to the jail and the jailed program (`tsjail run -- prog -V`
 * must not print tsjail's version), so root options are only recognised before a subcommand.
 */
export function registerRun(program: Command): void {
  program.enablePositionalOptions();
  addRunStyleCommand(program, 'run', 'run a program in a jail (minijail0-compatible flags; see tsjail run --help)',
    '[options] [--] PROGRAM [ARGS...]', (args) => runCommand(args));
}
