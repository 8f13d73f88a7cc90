// analyzePolicy: what a policy means and what is wrong with it, for tools (lint and its fixes,
// the language service, OCI profile export): one call into the core's `analyze`, which returns
// the diagnostics (full ranges, suggestions) and the IR with the source span of every rule and
// comparison. This layer only moves the result into typed objects (u64 values become bigints).

import type { ActionName } from './abi';
import { archNoted } from './compile';
import { withCore } from './core';
import { Diagnostic, SourceRange } from './diagnostics';
import { PolicyFiles, PolicyOptions, prepareRequest, requestFlags } from './request';

export interface AnalyzeOptions extends PolicyOptions {
  /** Diagnostics only, `ir` null: the cheapest check (e.g. on every keystroke). */
  checkOnly?: boolean;
}

/** An action as the filter returns it. */
export interface IRAction {
  /** The 32-bit SECCOMP_RET_* value (action bits and data). */
  ret: number;
  name: ActionName;
  /** `allow`, `errno 13`, `trace 5`, `kill-process`. */
  text: string;
}

export type ComparisonOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&' | 'in';

/**
 * One argument comparison. Arguments are unsigned words of the arch (64 bits, or the low 32 on
 * arm and i386); `value` is already in that word (`-1` is 2^64-1 or 2^32-1).
 */
export interface IRComparison {
  /** 0..5. */
  arg: number;
  op: ComparisonOp;
  value: bigint;
  /**
   * For `&` and `in`, the bits tested: `&` holds when (arg & mask) != 0 (mask = value), `in`
   * when (arg & mask) == 0 (mask = ~value in the arch word).
   */
  mask?: bigint;
  /** The comparison's text, `argN OP value`. */
  span: SourceRange;
}

export interface IRRule {
  action: IRAction;
  /**
   * The filter the rule comes from: the text after the colon, or one item of a `{...}` list.
   * minijail0's `EXPR; return N` gives two rules: allow-if-EXPR spanning the whole filter, then
   * the unconditional errno rule spanning `return N`.
   */
  span: SourceRange;
  /** The condition in DNF: the rule applies when every comparison of some clause holds; [] = always. */
  clauses: IRComparison[][];
}

export interface IRSyscall {
  nr: number;
  /** The name the policy used (as the arch's table spells it). */
  name: string;
  /** Relative call frequency from @frequency files (1 when none is given); orders the code's search. */
  weight: number;
  /** First match wins; none matching = the default action. */
  rules: IRRule[];
}

/** What a policy means for one arch (the meaning every compiled program is verified against). */
export interface PolicyIR {
  arch: string;
  /** AUDIT_ARCH_* as seen in seccomp_data.arch. */
  auditArch: number;
  bits: 32 | 64;
  /** For unlisted syscalls and calls no rule matches. */
  defaultAction: IRAction;
  /** For another arch's calls (and x32 calls on x86_64). */
  badArchAction: IRAction;
  /** Sorted by number, one entry per listed syscall. */
  syscalls: IRSyscall[];
}

export interface PolicyAnalysis {
  /** No errors (warnings allowed). */
  ok: boolean;
  /** Canonical arch name ('' when the arch is unknown: see the diagnostics); several arches: their names, comma-separated. */
  arch: string;
  /** Paths of every file read, the main policy first. */
  files: string[];
  /**
   * Errors and warnings: file order, host problems (unreadable files) first. Several arches:
   * each distinct diagnostic once, its `arch` naming the arches that report it.
   */
  diagnostics: Diagnostic[];
  /**
   * The IR; with errors, what resolved (the statements with errors are left out). null for an
   * unknown arch, with `checkOnly`, when the input never reached the core, and for several
   * arches (see `arches`).
   */
  ir: PolicyIR | null;
  /** Several arches (`arch: 'x86_64,aarch64'` or `'all'`, which here keeps every arch): each one's IR, in order. */
  arches?: Array<{ arch: string; ir: PolicyIR | null }>;
}

/** [start, end, line, column, endLine, endColumn], as wasm/assembly/irdump.ts writes spans. */
type CoreSpan = [number, number, number, number, number, number];
interface CoreComparison { arg: number; op: ComparisonOp; value: string; mask?: string; span: CoreSpan }
interface CoreRule { action: number; file: number; span: CoreSpan; clauses: CoreComparison[][] }
/** The IR as the core's analyze export writes it (wasm/assembly/irdump.ts). */
export interface CoreIR extends Omit<PolicyIR, 'syscalls'> { files: string[]; actions: IRAction[]; syscalls: Array<Omit<IRSyscall, 'rules'> & { rules: CoreRule[] }> }
interface CoreAnalysis { ok: boolean; arch: string; ir: CoreIR | null; arches?: Array<{ arch: string; ir: CoreIR | null }>; diagnostics: Diagnostic[] }

function range(file: string, s: CoreSpan): SourceRange {
  return { file, start: s[0], end: s[1], line: s[2], column: s[3], endLine: s[4], endColumn: s[5] };
}

function comparison(file: string, c: CoreComparison): IRComparison {
  const out: IRComparison = { arg: c.arg, op: c.op, value: BigInt(c.value), span: range(file, c.span) };
  if (c.mask !== undefined) out.mask = BigInt(c.mask);
  return out;
}

/** The core's IR JSON as the typed PolicyIR (for hosts that call the core's analyze export themselves: tests, benchmarks). */
export function typedIR(ir: CoreIR): PolicyIR {
  return {
    arch: ir.arch,
    auditArch: ir.auditArch,
    bits: ir.bits,
    defaultAction: ir.defaultAction,
    badArchAction: ir.badArchAction,
    syscalls: ir.syscalls.map((sc) => ({
      nr: sc.nr,
      name: sc.name,
      weight: sc.weight,
      rules: sc.rules.map((r) => {
        const file = ir.files[r.file];
        return { action: ir.actions[r.action], span: range(file, r.span), clauses: r.clauses.map((clause) => clause.map((c) => comparison(file, c))) };
      }),
    })),
  };
}

/**
 * Analyze a policy: its diagnostics (with ranges and suggested fixes) and its IR (with spans),
 * without generating code. `source` is the main policy's text (its @include/@frequency files
 * come from options.files, as for compilePolicy), or the complete file set as [path, text]
 * pairs, the main policy first. Never throws on a bad policy.
 */
export async function analyzePolicy(source: string | PolicyFiles, options: AnalyzeOptions): Promise<PolicyAnalysis> {
  const req = await prepareRequest('analyzePolicy', source, options, requestFlags(options));
  const core = req.core;
  if (!core) return { ok: false, arch: '', files: req.files, diagnostics: req.diagnostics, ir: null };
  const r = JSON.parse(await withCore((c) => c.analyze(core.files, core.arch, core.flags, core.defaultAction))) as CoreAnalysis;
  const diagnostics = [...req.diagnostics, ...r.diagnostics.map((d) => archNoted(d, r.arch))];
  const out: PolicyAnalysis = {
    ok: r.ok && !diagnostics.some((d) => d.severity === 'error'),
    arch: r.arch,
    files: req.files,
    diagnostics,
    ir: r.ir ? typedIR(r.ir) : null,
  };
  if (r.arches) out.arches = r.arches.map((a) => ({ arch: a.arch, ir: a.ir ? typedIR(a.ir) : null }));
  return out;
}
