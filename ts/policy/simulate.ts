// Run a compiled program on one syscall, as the kernel would: the core's simulator reads the
// exact bytes the kernel gets; this layer only builds struct seccomp_data. simulatePolicy does
// the same for a policy and names the rule that decided the call.

import { withCore } from './core';
import { Diagnostic, InvalidProgramError, SourceRange } from './diagnostics';
import { PolicyFiles, PolicyOptions, prepareRequest, requestFlags } from './request';
import type { ActionName } from './abi';
import { ArchName, suggestNames, tables } from './tables';
import { ArgValue, resolveArgValue } from './values';

export type { ActionName };

export interface SimulateOptions {
  arch: ArchName | (string & {});
  /** Syscall name (resolved on `arch`) or number. */
  syscall?: string | number;
  /** Syscall number; an alternative to `syscall`. */
  nr?: number;
  /**
   * Up to six arguments (missing ones are 0): bigints, safe integers, numeric strings (`0x40`,
   * `-100`) or constant names of the call's arch joined by `|` (`O_RDONLY|O_CLOEXEC`), as the
   * CLI's --args. Negative values are two's complement.
   */
  args?: ReadonlyArray<ArgValue>;
  /** Instruction pointer (seccomp_data.instruction_pointer), written as an argument is. */
  ip?: ArgValue;
  /** Also return the path: the index of every instruction executed (simulate only). */
  trace?: boolean;
}

export interface SimulateResult {
  action: ActionName;
  /** The action's data: errno for `errno`, the value for `trace`/`trap`, else 0. */
  data: number;
  /** Instructions executed. */
  insns: number;
  /** The raw 32-bit SECCOMP_RET_* value. */
  ret: number;
  /**
   * With `trace`: the index of each instruction executed, in order, from the core's own run
   * (so its length is `insns`, it starts at 0 and ends at the RET that gave `ret`).
   */
  path?: number[];
}

interface CoreSimulateJson {
  ok: boolean;
  ret: number;
  action: ActionName;
  data: number;
  insns: number;
  path?: number[];
  error?: string;
}

/** A value resolved on the call's arch; a bad one is a TypeError (wrong kind) or RangeError naming it. */
async function argValue(arch: string, v: ArgValue, what: string): Promise<bigint> {
  const r = await resolveArgValue(arch, v, what);
  if (r.ok) return r.value;
  throw typeof v === 'string' || typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)) ? new RangeError(r.message) : new TypeError(r.message);
}

/** struct seccomp_data: nr, arch, instruction_pointer, args[6]; little-endian on every target arch. */
export function seccompData(nr: number, auditArch: number, ip: bigint, args: readonly bigint[]): Uint8Array {
  const buf = new Uint8Array(64);
  const view = new DataView(buf.buffer);
  view.setInt32(0, nr, true);
  view.setUint32(4, auditArch >>> 0, true);
  view.setBigUint64(8, ip, true);
  for (let i = 0; i < 6; i++) view.setBigUint64(16 + 8 * i, args[i] ?? 0n, true);
  return buf;
}

/** struct seccomp_data for a call described by SimulateOptions; throws TypeError/RangeError on bad options. */
async function callData(caller: string, options: SimulateOptions): Promise<Uint8Array> {
  const t = await tables(options.arch);
  if (!t) throw new RangeError(`${caller}: unknown architecture "${options.arch}"`);
  let nr: number;
  const which = options.syscall ?? options.nr;
  if (typeof which === 'string') {
    const n = t.syscalls.get(which);
    if (n === undefined) {
      const [hint] = await suggestNames(which, t.syscalls.keys());
      throw new RangeError(`${caller}: unknown syscall "${which}" on ${t.name}${hint ? ` (did you mean "${hint}"?)` : ''}`);
    }
    nr = n;
  } else if (typeof which === 'number' && Number.isInteger(which) && which >= -(2 ** 31) && which < 2 ** 32) {
    nr = which | 0;
  } else {
    throw new TypeError(`${caller}: give options.syscall (a name or number) or options.nr (a 32-bit integer)`);
  }
  const rawArgs = options.args ?? [];
  if (rawArgs.length > 6) throw new RangeError(`${caller}: a syscall has at most 6 arguments, got ${rawArgs.length}`);
  // On 32-bit arches the kernel fills seccomp_data.args from 32-bit registers: the high words are 0.
  const mask = t.bits === 32 ? 0xffffffffn : 0xffffffffffffffffn;
  const args: bigint[] = [];
  for (let i = 0; i < rawArgs.length; i++) args.push((await argValue(t.name, rawArgs[i], `${caller}: args[${i}]`)) & mask);
  const ip = (await argValue(t.name, options.ip ?? 0, `${caller}: ip`)) & mask;
  return seccompData(nr, t.auditArch, ip, args);
}

/** What the program does for one syscall. Throws InvalidProgramError for bytes that are not a program. */
export async function simulate(program: Uint8Array, options: SimulateOptions): Promise<SimulateResult> {
  if (!(program instanceof Uint8Array)) throw new TypeError('simulate: program must be a Uint8Array');
  const data = await callData('simulate', options);
  const trace = options.trace === true;
  const r = JSON.parse(await withCore((c) => (trace ? c.simulateTraced(program, data) : c.simulate(program, data)))) as CoreSimulateJson;
  if (!r.ok) throw new InvalidProgramError(`not a valid seccomp program: ${r.error ?? 'rejected by the simulator'}`);
  return { action: r.action, data: r.data, insns: r.insns, ret: r.ret >>> 0, ...(trace ? { path: r.path ?? [] } : {}) };
}

export interface SimulatePolicyOptions extends PolicyOptions, Omit<SimulateOptions, 'arch' | 'trace'> {
  /**
   * The call's arch (seccomp_data.arch, and where `syscall` names resolve) when `arch` lists
   * several (`x86_64,i386`; a multi-arch program): default the first listed. Required for `all`.
   */
  callArch?: ArchName | (string & {});
}

/** The call's outcome when the policy compiled: simulate's result and the rule that decided it. */
export interface SimulatedCall extends SimulateResult {
  ok: true;
  /**
   * The rule that decided the call (its filter's text, as IRRule.span); null when no rule did:
   * the default action (unlisted syscall, or no rule matched) or the bad-arch action.
   */
  rule: SourceRange | null;
}

export type SimulatePolicyResult = (SimulatedCall | { ok: false }) & {
  /** Canonical arch name ('' when unknown). */
  arch: string;
  /** Errors and warnings of the policy (when !ok, why it did not run). */
  diagnostics: Diagnostic[];
  /** Paths of every file read, the main policy first. */
  files: string[];
};

/**
 * Compile a policy (text or a complete [path, text] file set, as analyzePolicy takes it) and run
 * its program on one call, naming the rule that decided it: "which line allowed this?". The
 * verdict is the program's (the bytes the kernel would get); the rule is the policy's first
 * rule that holds, which the program is built to agree with (the core reports an internal
 * error rather than name a rule the program did not follow). Never throws on a bad policy;
 * throws TypeError/RangeError on bad call options, as simulate does.
 */
export async function simulatePolicy(source: string | PolicyFiles, options: SimulatePolicyOptions): Promise<SimulatePolicyResult> {
  const multi = typeof options.arch === 'string' && (options.arch.trim() === 'all' || options.arch.includes(','));
  if (multi && options.arch.trim() === 'all' && options.callArch === undefined) throw new TypeError('simulatePolicy: options.callArch is required with arch "all"');
  const callArch = options.callArch ?? (multi ? options.arch.split(',')[0].trim() : options.arch);
  const data = await callData('simulatePolicy', { ...options, arch: callArch });
  const req = await prepareRequest('simulatePolicy', source, options, requestFlags(options));
  const core = req.core;
  if (!core) return { ok: false, arch: '', diagnostics: req.diagnostics, files: req.files };
  const r = JSON.parse(await withCore((c) => c.simulatePolicy(core.files, core.arch, core.flags, core.defaultAction, data))) as CoreSimulatePolicyJson;
  const diagnostics = [...req.diagnostics, ...r.diagnostics];
  const base = { arch: r.arch, diagnostics, files: req.files };
  if (!r.ok || r.ret === undefined || diagnostics.some((d) => d.severity === 'error')) return { ok: false, ...base };
  return { ok: true, action: r.action!, data: r.data!, insns: r.insns!, ret: r.ret >>> 0, rule: r.rule ?? null, ...base };
}

interface CoreSimulatePolicyJson {
  ok: boolean;
  arch: string;
  ret?: number;
  action?: ActionName;
  data?: number;
  insns?: number;
  rule?: SourceRange | null;
  diagnostics: Diagnostic[];
}
