// Options shared by the policy subcommands (compile, disasm, simulate, verify, diff), and
// turning their input into a program.

import { Command, Option } from 'commander';
import { CompileOptions, CompileResult, PolicyError, archInfo, arches, compilePolicy, suggestNames } from '../policy/index';
import { fileResolver, parseIncludeMap } from '../policy-node/index';
import { UsageError } from './errors';
import { hostArch, readInput } from './io';

export interface PolicyOptions {
  arch?: string;
  includeMap?: string[];
  returnOnMatch?: boolean;
  defaultAction?: string;
  killThread?: boolean;
  verify?: boolean;
}

// No default given to commander, so --help does not print "(default: [])".
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * --arch and the options that change how a policy compiles. `--verify` only where a program is
 * emitted from the policy (compile, disasm, simulate): verify proves by itself, diff emits none.
 */
export function addPolicyOptions(cmd: Command, { verify = true } = {}): Command {
  cmd
    .option('-a, --arch <arch>', 'target architecture: x86_64, aarch64, arm, i386, riscv64 (default: this host\'s); where a program is made, also a comma-separated list (x86_64,i386) or all, for one multi-arch program')
    .option('--include-map <virtual=real>', 'read the @include/@frequency path VIRTUAL from REAL (repeatable; VIRTUAL ending in / maps a prefix)', collect)
    .option('--return-on-match', 'read `name: EXPR; return N` as compile_seccomp_policy does (errno N when EXPR holds) instead of minijail0 (allow when EXPR holds, else errno N)')
    .option('--default-action <action>', 'replace the policy\'s @default, in policy syntax: kill-process, kill-thread, trap, log, "return 1"...')
    .option('--kill-thread', 'make `kill` and the implicit default kill the thread, not the process');
  if (verify) cmd.addOption(new Option('--verify', 'also check the emitted program with the core\'s verifier'));
  return cmd;
}

/** The compile options every policy subcommand takes from its flags (usage errors checked here). */
export function policyCompileOptions(opts: PolicyOptions): Pick<CompileOptions, 'returnOnMatch' | 'killAction' | 'defaultAction'> {
  if (opts.defaultAction !== undefined && opts.defaultAction.trim() === '') {
    throw new UsageError('--default-action: empty; give an action in policy syntax (kill-process, trap, log, "return 1"...)');
  }
  return {
    returnOnMatch: !!opts.returnOnMatch,
    killAction: opts.killThread ? 'kill-thread' : 'kill-process',
    ...(opts.defaultAction !== undefined ? { defaultAction: opts.defaultAction } : {}),
  };
}

/** The arch to use, canonical; a usage error naming the choices when unknown. */
export async function resolveArch(arch: string | undefined): Promise<string> {
  const wanted = arch ?? hostArch();
  const known = await arches();
  if (known.includes(wanted)) return wanted;
  // The core also accepts aliases (amd64, arm64, x86...).
  const info = await archInfo(wanted);
  if (info) return info.name;
  const [hint] = await suggestNames(wanted, known);
  throw new UsageError(`unknown architecture "${wanted}"${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${known.join(', ')}`);
}

/**
 * --arch where a multi-arch program is possible: one arch (canonical, as resolveArch), a
 * comma-separated list (each canonical, repeats dropped, in the order given) or `all`.
 */
export async function resolveArchList(arch: string | undefined): Promise<string> {
  if (arch === undefined) return resolveArch(arch);
  if (arch.trim() === 'all') return 'all';
  if (!arch.includes(',')) return resolveArch(arch.trim());
  const names: string[] = [];
  for (const part of arch.split(',')) {
    if (part.trim() === '') throw new UsageError(`--arch ${arch}: an empty name in the list`);
    names.push(await resolveArch(part.trim()));
  }
  return [...new Set(names)].join(',');
}

/** The single arch a multi-arch --arch stands for where one is needed: the first listed; the host's for `all`. */
export async function firstArch(arch: string): Promise<string> {
  return arch === 'all' ? resolveArch(undefined) : arch.split(',')[0];
}

export function includeMapOf(opts: PolicyOptions) {
  try {
    return parseIncludeMap(opts.includeMap ?? []);
  } catch (e) {
    throw new UsageError(`--include-map: ${(e as Error).message}`);
  }
}

/** Compile policy text with the shared options; throws PolicyError when it has errors. */
export async function compileWithOptions(path: string, text: string, arch: string, opts: PolicyOptions): Promise<CompileResult> {
  const r = await compilePolicy(text, {
    arch,
    path,
    files: fileResolver(includeMapOf(opts)),
    verify: !!opts.verify,
    ...policyCompileOptions(opts),
  });
  if (!r.ok) throw new PolicyError(r.diagnostics);
  return r;
}

export interface LoadedProgram {
  program: Uint8Array;
  arch: string;
  from: 'policy' | 'bpf';
  path: string;
}

/** A program from a policy (compiled) or a .bpf file (taken as is). */
export async function loadProgram(input: string, opts: PolicyOptions): Promise<LoadedProgram> {
  const arch = await resolveArchList(opts.arch);
  includeMapOf(opts);
  const got = await readInput(input);
  if (got.kind === 'bpf') return { program: got.program, arch, from: 'bpf', path: got.path };
  const r = await compileWithOptions(got.path, got.text, arch, opts);
  return { program: r.program, arch: r.arch, from: 'policy', path: got.path };
}
