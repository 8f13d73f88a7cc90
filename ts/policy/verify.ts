// verifyPolicy / diffPolicies: the core's symbolic verifier and semantic diff, with the same
// include collection and options as compilePolicy. Browser-safe.

import { withCore } from './core';
import { Diagnostic, InvalidProgramError } from './diagnostics';
import { PolicyOptions, prepareRequest, requestFlags } from './request';
import { ArgCondition, ArgNamer, ArgRegion, CoreWord, argRegion, mergeRegions } from './diff-regions';
import { tables } from './tables';

export interface Counterexample {
  /** seccomp_data.arch (AUDIT_ARCH_*). */
  arch: number;
  nr: number;
  /** Syscall name on the policy's arch, '' when the number has none. */
  syscall: string;
  /** Six u64 arguments. */
  args: bigint[];
  ip: bigint;
  /** What the program returns ("allow", "errno 1", ...) and its raw SECCOMP_RET_* value. */
  programAction: string;
  programRet: number;
  /** What the policy means for this input. */
  policyAction: string;
  policyRet: number;
  /** The policy rule that decides this input (null: the default or arch action). */
  rule: { file: string; line: number; column: number; text: string } | null;
}

export interface VerifyResult {
  /** proven: equal for every input; mismatch: `counterexample` differs; unproven: `reason`. */
  status: 'proven' | 'mismatch' | 'unproven' | 'error';
  reason?: string;
  counterexample?: Counterexample;
  /** Program paths and input regions the proof walked. */
  paths: number;
  regions: number;
  insns: number;
  diagnostics: Diagnostic[];
  /**
   * Multi-arch requests (`arch: 'x86_64,i386'` or `'all'`): the arch of the report above (the
   * first one not proven, else the first), and every arch's own report.
   */
  arch?: string;
  arches?: ArchVerifyReport[];
}

/** One arch's part of a multi-arch proof. */
export interface ArchVerifyReport {
  arch: string;
  status: 'proven' | 'mismatch' | 'unproven';
  reason?: string;
  counterexample?: Counterexample;
  paths: number;
  regions: number;
}

export interface VerifyOptions extends PolicyOptions {
  /** A program (sock_filter bytes) to check instead of tsjail's own output for the policy. */
  program?: Uint8Array;
}

interface CoreCounterexample extends Omit<Counterexample, 'args' | 'ip'> { args: string[]; ip: string }

function counterexample(ce: CoreCounterexample): Counterexample {
  return { ...ce, args: ce.args.map((a) => BigInt(a)), ip: BigInt(ce.ip) };
}

/**
 * Prove that a program (tsjail's own, or `options.program`) gives the policy's outcome for every
 * input. Throws InvalidProgramError when `options.program` is not a whole, non-empty number of
 * instructions (the core reads an empty program as "compile the policy yourself").
 */
export async function verifyPolicy(text: string, options: VerifyOptions): Promise<VerifyResult> {
  const given = options.program;
  if (given !== undefined && (given.length === 0 || given.length % 8 !== 0)) {
    throw new InvalidProgramError(given.length === 0
      ? 'not a seccomp program: it is empty (the kernel refuses a filter without instructions)'
      : `not a seccomp program: ${given.length} bytes is not a whole number of 8-byte instructions`);
  }
  const req = await prepareRequest('verifyPolicy', text, options, requestFlags(options));
  const core = req.core;
  if (!core) return { status: 'error', paths: 0, regions: 0, insns: 0, diagnostics: req.diagnostics };
  const program = options.program ?? new Uint8Array(0);
  const r = JSON.parse(await withCore((c) => c.verify(core.files, core.arch, core.flags, core.defaultAction, program)));
  const diagnostics: Diagnostic[] = [...req.diagnostics, ...r.diagnostics];
  if (!r.ok || r.verify === null) return { status: 'error', paths: 0, regions: 0, insns: 0, diagnostics };
  const v = r.verify;
  const out: VerifyResult = { status: v.status, paths: v.paths, regions: v.regions, insns: r.insns, diagnostics };
  if (v.reason) out.reason = v.reason;
  if (v.counterexample) out.counterexample = counterexample(v.counterexample);
  if (v.arch !== undefined) out.arch = v.arch;
  if (Array.isArray(v.arches)) {
    out.arches = (v.arches as Array<Omit<ArchVerifyReport, 'counterexample'> & { counterexample?: CoreCounterexample }>).map((a) => ({
      arch: a.arch, status: a.status, paths: a.paths, regions: a.regions,
      ...(a.reason ? { reason: a.reason } : {}),
      ...(a.counterexample ? { counterexample: counterexample(a.counterexample) } : {}),
    }));
  }
  return out;
}

export interface PolicyDifference {
  /** The arch this difference is on (canonical name). */
  arch: string;
  /** 'syscall' (one number), 'numbers' (a range of unlisted numbers) or 'foreign-arch'. */
  scope: 'syscall' | 'numbers' | 'foreign-arch';
  syscall: string;
  nr?: number;
  /**
   * The inputs concerned, per whole argument and with the constants that fit each argument:
   * `arg1 == O_RDONLY`, `arg0 >= 1`, `(arg2 & O_CREAT) == 0`; '' = every call. For the
   * 'numbers' and 'foreign-arch' scopes, a condition on `nr` or `arch`.
   */
  condition: string;
  /** The condition per constrained argument (scope 'syscall'; [] otherwise). */
  args: ArgCondition[];
  /** Outcome before and after, as text ("allow", "errno 1") and as action names. */
  old: string;
  new: string;
  oldAction: string;
  newAction: string;
  /** log2 of the number of argument values in the region (a size hint for large regions). */
  log2Count: number;
  /** One concrete call in the region (args as 0x-hex u64 strings). */
  example: { arch: number; nr: number; args: string[] };
}

export interface DiffResult {
  ok: boolean;
  /** The arch (canonical name) or, for several, the arches compared, comma-separated. */
  arch: string;
  /** False when the analysis hit its budget (the differences listed are real, the list may be partial). */
  complete: boolean;
  differences: PolicyDifference[];
  diagnosticsOld: Diagnostic[];
  diagnosticsNew: Diagnostic[];
}

type CoreDifference = Omit<PolicyDifference, 'arch' | 'args'> & { words: CoreWord[] };

/**
 * The core's regions as whole-argument conditions: regions that differ in one argument only
 * are joined (the core splits each argument into 32-bit words), then named.
 */
async function readableDifferences(arch: string, core: CoreDifference[]): Promise<PolicyDifference[]> {
  const t = await tables(arch);
  if (!t) throw new RangeError(`diffPolicies: unknown architecture "${arch}"`);
  type Item = ArgRegion & { d: CoreDifference };
  const groups = new Map<string, Item[]>();
  const order: string[] = [];
  for (const d of core) {
    // Only regions of one syscall number are joined; the others keep the core's nr/arch condition.
    const g = d.scope === 'syscall' ? `${d.nr}:${d.old}:${d.new}` : `#${order.length}`;
    if (!groups.has(g)) {
      groups.set(g, []);
      order.push(g);
    }
    groups.get(g)!.push({ ...argRegion(d.words, t.bits, d.log2Count), d });
  }
  const out: PolicyDifference[] = [];
  const namers = new Map<string, Promise<ArgNamer>>();
  for (const g of order) {
    const items = groups.get(g)!;
    const merged = items[0].d.scope === 'syscall' ? mergeRegions(items) : items;
    for (const m of merged) {
      const { words: _, ...rest } = m.d;
      if (m.d.scope !== 'syscall') {
        out.push({ ...rest, arch: t.name, args: [], log2Count: m.log2Count });
        continue;
      }
      let namer = namers.get(m.d.syscall);
      if (!namer) namers.set(m.d.syscall, (namer = ArgNamer.create(t, m.d.syscall)));
      const args = await (await namer).conditions(m);
      out.push({ ...rest, arch: t.name, condition: args.map((a) => a.text).join(' && '), args, log2Count: m.log2Count });
    }
  }
  return out;
}

/** The exact set of calls whose outcome changes from `oldText` to `newText` (same arch and options). */
export async function diffPolicies(oldText: string, newText: string, options: PolicyOptions & { oldPath?: string; newPath?: string }): Promise<DiffResult> {
  const flags = requestFlags(options);
  if (typeof options.arch === 'string' && (options.arch.trim() === 'all' || options.arch.includes(','))) {
    return diffPerArch(oldText, newText, options, flags);
  }
  const a = await prepareRequest('diffPolicies', oldText, options, flags, options.oldPath ?? options.path ?? 'old.policy');
  const b = await prepareRequest('diffPolicies', newText, options, flags, options.newPath ?? options.path ?? 'new.policy');
  const oldCore = a.core, newCore = b.core;
  const arch = (await tables(options.arch))?.name ?? options.arch;
  if (!oldCore || !newCore) return { ok: false, arch, complete: false, differences: [], diagnosticsOld: a.diagnostics, diagnosticsNew: b.diagnostics };
  const r = JSON.parse(await withCore((c) => c.diff(oldCore.files, newCore.files, oldCore.arch, flags, oldCore.defaultAction)));
  return {
    ok: r.ok,
    arch,
    complete: r.diff ? r.diff.complete : false,
    differences: r.diff ? await readableDifferences(arch, r.diff.differences) : [],
    diagnosticsOld: [...a.diagnostics, ...r.diagnosticsOld],
    diagnosticsNew: [...b.diagnostics, ...r.diagnosticsNew],
  };
}

/**
 * diffPolicies for several arches: each arch diffed on its own, the differences tagged with
 * their arch. `all` is every arch on which either policy resolves (as compile's `all`).
 */
async function diffPerArch(oldText: string, newText: string, options: PolicyOptions & { oldPath?: string; newPath?: string }, flags: number): Promise<DiffResult> {
  let arches: string[];
  if (options.arch.trim() === 'all') {
    const found = new Set<string>();
    for (const [text, p] of [[oldText, options.oldPath ?? options.path ?? 'old.policy'], [newText, options.newPath ?? options.path ?? 'new.policy']] as const) {
      const req = await prepareRequest('diffPolicies', text, { ...options, arch: 'all' }, flags, p);
      const core = req.core;
      if (!core) continue;
      const r = JSON.parse(await withCore((c) => c.compile(core.files, 'all', flags, core.defaultAction))) as { arch: string };
      for (const a of r.arch.split(',')) if (a !== '') found.add(a);
    }
    arches = [...found];
  } else {
    arches = [...new Set(options.arch.split(',').map((a) => a.trim()))];
  }
  const out: DiffResult = { ok: true, arch: arches.join(','), complete: true, differences: [], diagnosticsOld: [], diagnosticsNew: [] };
  for (const arch of arches) {
    const r = await diffPolicies(oldText, newText, { ...options, arch });
    out.ok &&= r.ok;
    out.complete &&= r.complete;
    out.differences.push(...r.differences);
    out.diagnosticsOld.push(...r.diagnosticsOld.map((d) => ({ ...d, arch })));
    out.diagnosticsNew.push(...r.diagnosticsNew.map((d) => ({ ...d, arch })));
  }
  if (arches.length === 0) out.ok = false;
  return out;
}
