// `tsjail run [options] -- PROGRAM [ARGS]`: minijail0's command line over the jail runtime.
//
// Phases, each failing with its own exit status before the next starts:
//   parse (run-options: flags, --config)       -> usage error, 2
//   resolve (run-spec: users, files, policy)    -> 2, 125 (policy), 126/127 (program)
//   validate (ts/jail validateSpec)             -> 2, nothing forked yet
//   spawn (ts/jail spawnJail)                   -> 125 naming the step and errno
//   wait                                        -> the program's status, 128+N for signal N
// The exit statuses are documented in run-help.ts (EXIT_STATUS_HELP) and docs/cli-run.md.

import * as fs from 'fs';
import { getSystemErrorMap } from 'util';
import { constants as osConstants } from 'os';
import type { Command } from 'commander';
import { compilePolicy, formatDiagnostics, syscallNames, syscallNumber } from '../policy/index';
import { JailError } from '../jail/errors';
import { SpecError, validateSpec } from '../jail/validate';
import { JailProcess, spawnJail } from '../jail/spawn';
import type { JailSpec } from '../jail/spec';
import { FORWARDED_SIGNALS } from '../jail/signals';
import { ExitStatus, PolicyFailure, UsageError } from './errors';
import { hostSeccompArch, policyText } from './io';
import { describeFsError } from '../policy-node/index';
import { RunRequest, RunUsageError } from './run-options';
import { parseRunArgs } from './run-parse';
import { PolicyCompileError, ProgramError, SpecHost, buildSpec, nodeSpecHost } from './run-spec';
import { runHelp } from './run-help';
import { saveJailFile } from './pack-jail';

/** tsjail itself could not set the jail up (like env(1)'s 125 for its own failures). */
export const EXIT_SETUP_FAILED = 125;
export const EXIT_NOT_EXECUTABLE = 126;
export const EXIT_NOT_FOUND = 127;

/** Signals tsjail passes on to the jail (its init forwards them to the program). */
const FORWARDED = FORWARDED_SIGNALS;

export interface RunIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

function strerror(errno: number): string {
  return getSystemErrorMap().get(-Math.abs(errno))?.[1] ?? `error ${errno}`;
}

/** One line (plus advice when the runtime knows some) for a failed setup step. */
export function describeJailError(e: JailError): string {
  // JailError's message is "jail setup failed at step 'S': CODE[ (detail)][: advice]"; keep
  // what follows the code, and put the strerror text in front of it.
  const head = `jail setup failed at step '${e.step}': ${e.code}`;
  const tail = e.message.startsWith(head) ? e.message.slice(head.length) : '';
  const what = e.errno ? `${strerror(e.errno)} (${e.code})` : e.code;
  return `jail setup failed at ${e.step}: ${what}${tail}`;
}

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The policy core's name for the arch tsjail (and so the jailed program) runs on. */
function hostArch(): string {
  const arch = hostSeccompArch();
  if (!arch) throw new UsageError(`run: no seccomp arch known for this machine (${process.arch})`);
  return arch;
}

/** @include files from disk; a missing one is reported by the core at the @include line. */
async function readInclude(file: string): Promise<string | undefined> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new UsageError(`run: cannot read ${file}: ${describeFsError(e)}`);
  }
}

async function namesFor(arch: string): Promise<Record<number, string>> {
  const names: Record<number, string> = {};
  for (const name of await syscallNames(arch)) {
    const nr = await syscallNumber(arch, name);
    if (nr !== undefined && names[nr] === undefined) names[nr] = name;
  }
  return names;
}

/** The real system, with the policy core wired in. */
export function cliSpecHost(): SpecHost {
  return nodeSpecHost({
    arch: hostArch,
    syscallNames: namesFor,
    async compilePolicy(file) {
      let text: string;
      try {
        text = policyText(file, fs.readFileSync(file));
      } catch (e) {
        if (e instanceof PolicyFailure) throw new UsageError(`run: -S ${e.message}`);
        throw new UsageError(`run: -S ${file}: cannot read: ${describeFsError(e)}`);
      }
      const r = await compilePolicy(text, { arch: hostArch(), path: file, files: readInclude });
      if (!r.ok) {
        const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
        throw new PolicyCompileError(formatDiagnostics(r.diagnostics), errors);
      }
      return { bpf: r.program, arch: r.arch };
    },
  });
}

/** Flags -> validated JailSpec. Throws UsageError, or ExitStatus after printing the reason. */
export async function specFromArgs(args: string[], io: RunIo, host: SpecHost = cliSpecHost()): Promise<{ request: RunRequest; spec?: JailSpec }> {
  let request: RunRequest;
  try {
    request = parseRunArgs(args, { readConfig: (p) => fs.readFileSync(p, 'utf8') });
  } catch (e) {
    if (e instanceof RunUsageError) throw new UsageError(`run: ${e.message}`);
    throw e;
  }
  if (request.help) return { request };
  let spec: JailSpec;
  try {
    spec = validateSpec(await buildSpec(request, host));
  } catch (e) {
    if (e instanceof RunUsageError) throw new UsageError(`run: ${e.message}`);
    if (e instanceof SpecError) throw new UsageError(`run: ${e.message}`);
    if (e instanceof ProgramError) {
      io.stderr.write(`tsjail: ${e.message}\n`);
      throw new ExitStatus(e.status);
    }
    if (e instanceof PolicyCompileError) {
      io.stderr.write(`${e.formatted}\ntsjail: ${e.message}; nothing was run\n`);
      throw new ExitStatus(EXIT_SETUP_FAILED);
    }
    throw e;
  }
  return { request, spec };
}

/** Run the jail and wait: the status tsjail should exit with. */
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
  try {
    jail = spawnJail(spec, { stdio: ['inherit', 'inherit', 'inherit'] });
  } catch (e) {
    stopForwarding();
    if (e instanceof JailError) {
      io.stderr.write(`tsjail: ${describeJailError(e)}\n`);
      return EXIT_SETUP_FAILED;
    }
    if (e instanceof SpecError) throw new UsageError(`run: ${e.message}`);
    // The addon missing or failing to load: tsjail's own failure, not the program's.
    io.stderr.write(`tsjail: jail setup failed: ${String((e as Error).message ?? e).replace(/^tsjail: /, '').split('\n')[0]}\n`);
    return EXIT_SETUP_FAILED;
  }
  for (const sig of pending) jail.kill(sig);
  try {
    const exit = await jail.exited;
    if (exit.violation) {
      const name = exit.violation.syscall ?? 'unknown syscall';
      io.stderr.write(`tsjail: seccomp violation: ${name} (${exit.violation.nr})\n`);
      return 128 + osConstants.signals.SIGSYS;
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
 * The arguments after the subcommand (`run`, `pack-jail`) exactly as given. Commander drops a
 * `--` that directly follows the subcommand, which would turn `run -- -prog` into an option;
 * the root's rawArgs still have it.
 */
function rawSubcommandArgs(cmd: Command, parsed: string[]): string[] {
  // rawArgs is public in commander's JavaScript but missing from its typings.
  const raw: string[] = (cmd.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? [];
  const at = raw.indexOf(cmd.name(), 2);
  if (at < 0) return parsed;
  const rest = raw.slice(at + 1);
  const tail = rest.slice(rest.length - parsed.length);
  return tail.every((a, i) => a === parsed[i]) ? rest : parsed;
}

/**
 * Adds a subcommand that takes `run`'s arguments: commander parses none of them (they are
 * minijail0's flags, then the program's), `command` gets them as given and returns the status.
 */
export function addRunStyleCommand(program: Command, name: string, description: string, usage: string,
  command: (args: string[]) => Promise<number>): void {
  program
    .command(name)
    .description(description)
    .usage(usage)
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .passThroughOptions(true)
    .argument('[args...]')
    .action(async (args: string[], _opts: unknown, cmd: Command) => {
      const status = await command(rawSubcommandArgs(cmd, args));
      if (status !== 0) throw new ExitStatus(status);
    });
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
