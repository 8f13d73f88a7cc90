// What the run-style subcommands (`run`, `pack-jail`) share: commander hands them their
// arguments exactly as given (addRunStyleCommand), and specFromArgs turns those into a
// validated JailSpec against the real system (cliSpecHost), failing with run's usage and
// setup statuses before anything forks. run.ts then spawns the jail; pack-jail.ts writes it.

import * as fs from 'fs';
import type { Command } from 'commander';
import { compilePolicy, formatDiagnostics, syscallNames, syscallNumber } from '../policy/index';
import { policyFromOciFile } from './convert-from';
import { SpecError, validateSpec } from '../jail/validate';
import type { JailSpec } from '../jail/spec';
import { ExitStatus, PolicyFailure, UsageError } from './errors';
import { hostSeccompArch, looksLikeBpf, policyText } from './io';
import { badPolicyByte } from '../policy-node/index';
import { describeFsError } from '../node/system-errors';
import { fileResolver } from '../policy-node/index';
import { RunRequest, RunUsageError } from './run-options';
import { specErrorLine } from './run-fields';
import { parseRunArgs } from './run-parse';
import { PolicyCompileError, ProgramError, SpecHost, buildSpec, nodeSpecHost } from './run-spec';
import { EXIT_SETUP_FAILED } from './run-status';
import { ioUringCallsAllowed, ioUringRisk } from '../jail/io-uring';

export interface RunIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/** The policy core's name for the arch tsjail (and so the jailed program) runs on. */
function hostArch(): string {
  const arch = hostSeccompArch();
  if (!arch) throw new UsageError(`run: no seccomp arch known for this machine (${process.arch})`);
  return arch;
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
        const bytes = fs.readFileSync(file);
        // A compiled program given where policy text belongs: the user meant the other flag.
        if (looksLikeBpf(file, bytes) && badPolicyByte(bytes)) {
          throw new UsageError(`run: -S ${file} is a compiled BPF program, not policy text: pass it with --seccomp-bpf-binary ${file}`);
        }
        text = policyText(file, bytes);
      } catch (e) {
        if (e instanceof UsageError) throw e;
        if (e instanceof PolicyFailure) throw new UsageError(`run: -S ${e.message}`);
        throw new UsageError(`run: -S ${file}: cannot read: ${describeFsError(e)}`);
      }
      const options = { arch: hostArch(), path: file, files: fileResolver() };
      const r = await compilePolicy(text, options);
      if (!r.ok) {
        const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
        throw new PolicyCompileError(formatDiagnostics(r.diagnostics), errors);
      }
      return { bpf: r.program, arch: r.arch, source: { text, options } };
    },
    async compileOciProfile(file, caps, kernel) {
      let policy: string;
      try {
        ({ policy } = await policyFromOciFile(file, { arch: hostArch(), caps, kernel }));
      } catch (e) {
        if (e instanceof PolicyFailure) throw new UsageError(`run: --seccomp-oci ${e.message}`);
        throw e;
      }
      const r = await compilePolicy(policy, { arch: hostArch(), path: `${file} (as a policy)`, files: {} });
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
  let built: JailSpec | undefined;
  try {
    built = await buildSpec(request, host);
    spec = validateSpec(built);
  } catch (e) {
    if (e instanceof RunUsageError) throw new UsageError(`run: ${e.message}`);
    if (e instanceof SpecError) throw new UsageError(`run: ${specErrorLine(e, built)}`);
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
  // Allowed on purpose (--allow-io-uring): still one line, so a log shows what ran.
  const uring = spec.seccomp ? ioUringCallsAllowed(spec.seccomp.bpf) : [];
  if (uring.length) io.stderr.write(`tsjail: warning: ${ioUringRisk(uring)} (--allow-io-uring)\n`);
  return { request, spec };
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
