// `tsjail learn [run options] [-o POLICY] [--frequency FILE] -- PROGRAM [ARGS]`: run the
// program jailed as `tsjail run` would (the same options), under a policy that allows nothing,
// in permissive mode (`--log`): every call it and its threads and children make runs and is
// recorded by the supervisor; tsjail/policy's writeLearnedPolicy turns the record into a policy.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Command } from 'commander';
import { spawnJail } from '../jail/spawn';
import { JailError } from '../jail/errors';
import { ObservedCall, callsNotAllowed, writeLearnedPolicy } from '../policy/learn';
import { fileResolver } from '../policy-node/index';
import { StraceLogError, parseStraceLog } from '../policy/strace';
import { describeFsError } from '../node/system-errors';
import { UsageError } from './errors';
import { hostSeccompArch } from './io';
import { RunIo, addRunStyleCommand, specFromArgs } from './run-command';
import { runHelp } from './run-help';
import { EXIT_SETUP_FAILED, describeJailError } from './run-status';

const USAGE = 'Usage: tsjail learn [run options] [-o POLICY] [--frequency FILE] [--] PROGRAM [ARGS...]\n';

/** A policy that allows nothing: in permissive mode every call is recorded. */
const NOTHING = 'exit_group: kill\n';

interface LearnArgs {
  fromStrace?: string;
  merge?: string;
  output?: string;
  frequency?: string;
  run: string[];
}

function splitArgs(args: string[]): LearnArgs {
  const r: LearnArgs = { run: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      r.run.push(...args.slice(i));
      break;
    }
    const value = (flag: string): string => {
      if (i + 1 >= args.length) throw new UsageError(`learn: ${flag} needs a FILE`);
      return args[++i];
    };
    if (a === '-o' || a === '--output') r.output = value(a);
    else if (a === '--frequency') r.frequency = value(a);
    else if (a === '--from-strace') r.fromStrace = value(a);
    else if (a === '--merge') r.merge = value(a);
    else if (a === '-S' || a === '--seccomp-bpf-binary' || a === '--log' || a === '--log-file') {
      throw new UsageError(`learn: ${a} is not for learn (it records every call against a policy that allows nothing)`);
    } else r.run.push(a);
  }
  return r;
}

export async function learnCommand(args: string[], io: RunIo = process): Promise<number> {
  if (args.includes('--help') && !args.slice(0, args.indexOf('--help')).includes('--')) {
    io.stdout.write(USAGE + 'Run PROGRAM jailed as `tsjail run` would and write the policy it needs (to stdout without -o).\n'
      + 'While it is learned, the program is NOT contained by a seccomp policy (every other containment stays on).\n\n' + runHelp());
    return 0;
  }
  const la = splitArgs(args);
  const arch = hostSeccompArch();
  if (!arch) throw new UsageError(`learn: no seccomp arch known for this machine (${process.arch})`);
  if (la.fromStrace !== undefined) return fromStrace(la, arch, io);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-learn-'));
  try {
    const nothing = path.join(dir, 'nothing.policy');
    fs.writeFileSync(nothing, NOTHING);
    const { request, spec } = await specFromArgs(['--log', '-S', nothing, ...la.run], io);
    if (!spec) {
      io.stdout.write(USAGE);
      return 0;
    }
    io.stderr.write('tsjail: learn: the program is NOT contained by a seccomp policy while it is learned '
      + '(namespaces, mounts, Landlock, capabilities and limits stay on)\n');
    let exit;
    try {
      exit = await spawnJail(spec, { stdio: ['inherit', 'inherit', 'inherit'] }).exited;
    } catch (e) {
      if (e instanceof JailError) {
        io.stderr.write(`tsjail: ${describeJailError(e)}\n`);
        return EXIT_SETUP_FAILED;
      }
      throw e;
    }
    const calls = (exit.wouldDeny ?? []).map((w) => ({ nr: w.nr, arch: w.arch ?? '', args: w.rawArgs ?? [], count: w.count }));
    const learned = await policyText(la, calls, arch, `Learned by tsjail learn from: ${request.program.join(' ')}`);
    if (!writeLearned(la, learned, io)) return 1;
    if (exit.wouldDenyDropped) io.stderr.write(`tsjail: learn: warning: ${exit.wouldDenyDropped} calls of kinds beyond the record's 512 were not described; the policy lacks them\n`);
    const where = la.output ?? 'stdout';
    const status = exit.code ?? 128 + (exit.signal ? os.constants.signals[exit.signal] ?? 0 : 0);
    if (status !== 0) {
      const how = exit.code !== null ? `exit status ${exit.code}` : `signal ${exit.signal}`;
      io.stderr.write(`tsjail: learn: the program failed (${how}); wrote what it did until then to ${where} (${learned.count} syscalls)\n`);
      return status;
    }
    io.stderr.write(`tsjail: learn: wrote ${learned.count} syscalls to ${where}\n`);
    return 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Write the policy (-o FILE, else stdout) and --frequency FILE; false (reported) on a failed write. */
function writeLearned(la: LearnArgs, learned: { text: string; frequency: string }, io: RunIo): boolean {
  try {
    if (la.frequency !== undefined) fs.writeFileSync(la.frequency, learned.frequency);
    if (la.output !== undefined) fs.writeFileSync(la.output, learned.text);
    else io.stdout.write(learned.text);
    return true;
  } catch (e) {
    io.stderr.write(`tsjail: learn: cannot write the policy: ${describeFsError(e)}\n`);
    return false;
  }
}

/**
 * The policy text to write: the record alone, or with --merge EXISTING, EXISTING unchanged
 * followed by lines for the calls it does not allow yet (each checked by simulating EXISTING).
 */
async function policyText(la: LearnArgs, calls: ObservedCall[], arch: string, header: string): Promise<{ text: string; frequency: string; count: number }> {
  if (la.merge === undefined) {
    const l = await writeLearnedPolicy(calls, { arch, header: [header], frequencyPath: la.frequency });
    return { text: l.policy, frequency: l.frequency, count: l.syscalls.length };
  }
  let existing: string;
  try {
    existing = fs.readFileSync(la.merge, 'utf8');
  } catch (e) {
    throw new UsageError(`learn: --merge ${la.merge}: cannot read: ${describeFsError(e)}`);
  }
  let missing: ObservedCall[];
  try {
    missing = await callsNotAllowed(calls, existing, { arch, path: la.merge, files: fileResolver() });
  } catch (e) {
    throw new UsageError(`learn: --merge ${la.merge}: ${(e as Error).message}`);
  }
  const l = await writeLearnedPolicy(missing, { arch, header: [`${header}: the calls ${la.merge} did not allow`], noExecve: true });
  const body = l.policy.split('\n').filter((x) => !x.startsWith('# ') || x.startsWith('# review') || x.startsWith('# mmap') || x.startsWith('# mprotect') || x.startsWith('# Learned')).join('\n');
  const text = missing.length ? `${existing.replace(/\n*$/, '\n')}\n${body}` : existing;
  return { text, frequency: l.frequency, count: l.syscalls.length };
}

/** --from-strace LOG: the policy from a `strace -f` log instead of a run (nothing is started). */
async function fromStrace(la: LearnArgs, arch: string, io: RunIo): Promise<number> {
  const log = la.fromStrace!;
  if (la.run.length) throw new UsageError('learn: --from-strace reads a log; give no PROGRAM or run options with it');
  let text: string;
  try {
    text = fs.readFileSync(log, 'utf8');
  } catch (e) {
    throw new UsageError(`learn: --from-strace ${log}: cannot read: ${describeFsError(e)}`);
  }
  let calls;
  try {
    calls = await parseStraceLog(text, log, arch);
  } catch (e) {
    if (e instanceof StraceLogError) {
      io.stderr.write(`tsjail: learn: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const learned = await policyText(la, calls, arch, `Learned by tsjail learn from the strace log ${log}`);
  if (!writeLearned(la, learned, io)) return 1;
  io.stderr.write(`tsjail: learn: wrote ${learned.count} syscalls to ${la.output ?? 'stdout'}\n`);
  return 0;
}

export function registerLearn(program: Command): void {
  addRunStyleCommand(program, 'learn', 'run a program jailed, permissive, and write the seccomp policy it needs',
    '[run options] [-o POLICY] [--frequency FILE] [--] PROGRAM [ARGS...]', (args) => learnCommand(args));
}
