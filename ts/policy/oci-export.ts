// Policy -> OCI runtime-spec seccomp profile, one arch at a time from the analyzed IR.
//
// The IR is ordered (the first rule that holds decides); a profile is not: libseccomp keeps
// no rule order, and when rules of one syscall with different actions overlap, which one
// decides depends on the shape of its decision tree (it may even drop a rule that a shorter
// one covers). So each rule is written as its own region: its condition minus every earlier
// condition with another action. Regions of different actions never overlap, and any order
// gives the policy's verdict. libseccomp takes one comparison per argument per rule, so a
// region that needs two on one argument (a range, a mask beside a bound) cannot be written.

import { analyzePolicy, IRAction, IRComparison, IRRule, PolicyIR } from './analyze';
import { Diagnostic } from './diagnostics';
import { JsonValue } from './oci-json';
import { PolicyFiles, PolicyOptions } from './request';
import { SourceRange } from './diagnostics';

export type OciOp = 'SCMP_CMP_EQ' | 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_GT' | 'SCMP_CMP_GE' | 'SCMP_CMP_MASKED_EQ';

/** One OCI argument condition: for MASKED_EQ, (arg & value) == valueTwo. */
export interface OciArg { index: number; value: bigint; valueTwo: bigint; op: OciOp }

export interface OciRule { names: string[]; action: string; errnoRet?: number; args?: OciArg[] }

export interface OciProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: OciRule[];
}

/** A rule of the policy that the profile cannot carry exactly. */
export interface OciExportProblem {
  syscall: string;
  rule: SourceRange;
  /** Why (e.g. two comparisons on arg1 in one region). */
  reason: string;
  /** With approximate: what the profile does instead. */
  approximation?: string;
}

export interface OciExportOptions extends PolicyOptions {
  /** Write inexact rules on the side of denying instead of refusing. */
  approximate?: boolean;
}

export interface OciExportResult {
  ok: boolean;
  arch: string;
  profile: OciProfile | null;
  /** The policy's own diagnostics (errors make ok false). */
  diagnostics: Diagnostic[];
  /** What could not be written exactly (refused unless approximate). */
  problems: OciExportProblem[];
}

/** libseccomp's arch names per tsjail arch (a profile's architectures/archMap), for export and import. */
export const SCMP_ARCH: Record<string, string> = {
  x86_64: 'SCMP_ARCH_X86_64', aarch64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM', i386: 'SCMP_ARCH_X86', riscv64: 'SCMP_ARCH_RISCV64',
};

/** Strictness for --approximate: a higher rank denies more. */
const STRICTNESS: Record<string, number> = {
  allow: 0, log: 1, trace: 2, 'user-notify': 3, errno: 4, trap: 5, 'kill-thread': 6, 'kill-process': 7,
};

function ociAction(a: IRAction): { action: string; errnoRet?: number } {
  const data = a.ret & 0xffff;
  switch (a.name) {
    case 'allow': return { action: 'SCMP_ACT_ALLOW' };
    case 'log': return { action: 'SCMP_ACT_LOG' };
    case 'errno': return { action: 'SCMP_ACT_ERRNO', errnoRet: data };
    case 'trace': return { action: 'SCMP_ACT_TRACE', errnoRet: data };
    case 'trap': return { action: 'SCMP_ACT_TRAP' };
    case 'kill-thread': return { action: 'SCMP_ACT_KILL_THREAD' };
    case 'kill-process': return { action: 'SCMP_ACT_KILL_PROCESS' };
    case 'user-notify': return { action: 'SCMP_ACT_NOTIFY' };
  }
}

/** One condition on one argument, in OCI terms. */
interface Cond { arg: number; op: OciOp; a: bigint; b: bigint }
/** A conjunction (null: it cannot be written, with the reason). */
type Conj = Cond[];

const bitsOf = (m: bigint): bigint[] => {
  const out: bigint[] = [];
  for (let b = 1n; b <= m; b <<= 1n) if (m & b) out.push(b);
  return out;
};

/** A comparison (or its negation) as a DNF of OCI conditions. */
function toDnf(c: IRComparison, negate: boolean): Conj[] {
  const one = (op: OciOp, a: bigint, b = 0n): Conj[] => [[{ arg: c.arg, op, a, b }]];
  const perBit = (m: bigint): Conj[] => bitsOf(m).map((bit) => [{ arg: c.arg, op: 'SCMP_CMP_MASKED_EQ' as OciOp, a: bit, b: bit }]);
  switch (c.op) {
    case '==': return one(negate ? 'SCMP_CMP_NE' : 'SCMP_CMP_EQ', c.value);
    case '!=': return one(negate ? 'SCMP_CMP_EQ' : 'SCMP_CMP_NE', c.value);
    case '<': return one(negate ? 'SCMP_CMP_GE' : 'SCMP_CMP_LT', c.value);
    case '<=': return one(negate ? 'SCMP_CMP_GT' : 'SCMP_CMP_LE', c.value);
    case '>': return one(negate ? 'SCMP_CMP_LE' : 'SCMP_CMP_GT', c.value);
    case '>=': return one(negate ? 'SCMP_CMP_LT' : 'SCMP_CMP_GE', c.value);
    case '&': { // (arg & mask) != 0
      const m = c.mask ?? c.value;
      return negate ? one('SCMP_CMP_MASKED_EQ', m, 0n) : perBit(m);
    }
    case 'in': { // (arg & mask) == 0
      const m = c.mask!;
      return negate ? perBit(m) : one('SCMP_CMP_MASKED_EQ', m, 0n);
    }
  }
}

function holds(c: Cond, v: bigint): boolean {
  switch (c.op) {
    case 'SCMP_CMP_EQ': return v === c.a;
    case 'SCMP_CMP_NE': return v !== c.a;
    case 'SCMP_CMP_LT': return v < c.a;
    case 'SCMP_CMP_LE': return v <= c.a;
    case 'SCMP_CMP_GT': return v > c.a;
    case 'SCMP_CMP_GE': return v >= c.a;
    case 'SCMP_CMP_MASKED_EQ': return (v & c.a) === c.b;
  }
}

type Simplified = { conj: Conj } | { empty: true } | { reason: string };

/** Per argument, at most one condition: merge what merges, drop what is implied, detect contradictions. */
function simplify(conj: Conj, max: bigint): Simplified {
  const byArg = new Map<number, Cond[]>();
  for (const c of conj) {
    const l = byArg.get(c.arg) ?? [];
    if (!l.some((x) => x.op === c.op && x.a === c.a && x.b === c.b)) l.push(c);
    byArg.set(c.arg, l);
  }
  const out: Conj = [];
  for (const [arg, conds] of [...byArg.entries()].sort((x, y) => x[0] - y[0])) {
    if (conds.length === 1) { out.push(conds[0]); continue; }
    const eq = conds.find((c) => c.op === 'SCMP_CMP_EQ');
    if (eq) {
      if (!conds.every((c) => holds(c, eq.a))) return { empty: true };
      out.push(eq);
      continue;
    }
    // Interval from the bounds, the masks merged, the NE values.
    let lo = 0n;
    let hi = max;
    let mask = 0n;
    let val = 0n;
    const ne: bigint[] = [];
    for (const c of conds) {
      switch (c.op) {
        case 'SCMP_CMP_LT': if (c.a - 1n < hi) hi = c.a - 1n; break;
        case 'SCMP_CMP_LE': if (c.a < hi) hi = c.a; break;
        case 'SCMP_CMP_GT': if (c.a + 1n > lo) lo = c.a + 1n; break;
        case 'SCMP_CMP_GE': if (c.a > lo) lo = c.a; break;
        case 'SCMP_CMP_NE': ne.push(c.a); break;
        case 'SCMP_CMP_MASKED_EQ':
          if (((val ^ c.b) & mask & c.a) !== 0n || (c.b & ~c.a) !== 0n) return { empty: true };
          mask |= c.a;
          val |= c.b;
          break;
        default: break;
      }
    }
    if (lo > hi) return { empty: true };
    const ranged = lo !== 0n || hi !== max;
    if (mask !== 0n) {
      // Values with the masked bits fixed: NEs and bounds that every such value meets are implied.
      const minV = val;
      const maxV = val | (max & ~mask);
      if (maxV < lo || minV > hi) return { empty: true };
      if (minV === maxV) { // fully determined
        if (ne.includes(minV) || minV < lo || minV > hi) return { empty: true };
        out.push({ arg, op: 'SCMP_CMP_EQ', a: minV, b: 0n });
        continue;
      }
      if (ranged && !(minV >= lo && maxV <= hi)) return { reason: `arg${arg}: a mask test and a bound in one region` };
      if (ne.some((v) => (v & mask) === val)) return { reason: `arg${arg}: a mask test and '!=' in one region` };
      out.push({ arg, op: 'SCMP_CMP_MASKED_EQ', a: mask, b: val });
      continue;
    }
    const live = ne.filter((v) => v >= lo && v <= hi);
    if (lo === hi) {
      if (live.length > 0) return { empty: true };
      out.push({ arg, op: 'SCMP_CMP_EQ', a: lo, b: 0n });
      continue;
    }
    if (!ranged) {
      if (live.length === 1) { out.push({ arg, op: 'SCMP_CMP_NE', a: live[0], b: 0n }); continue; }
      if (live.length === 2 && live[0] === 0n && live[1] === max) return { reason: `arg${arg}: two '!=' in one region` };
      return { reason: `arg${arg}: ${live.length} '!=' comparisons in one region` };
    }
    // A bound with NEs at its edge shrinks the bound.
    let l = lo;
    let h = hi;
    let rest = [...live];
    for (let changed = true; changed;) {
      changed = false;
      if (rest.includes(l)) { rest = rest.filter((v) => v !== l); l++; changed = true; }
      if (rest.includes(h)) { rest = rest.filter((v) => v !== h); h--; changed = true; }
      if (l > h) return { empty: true };
    }
    if (l === h && rest.length === 0) { out.push({ arg, op: 'SCMP_CMP_EQ', a: l, b: 0n }); continue; }
    if (rest.length > 0) return { reason: `arg${arg}: a bound and '!=' in one region` };
    if (l !== 0n && h !== max) return { reason: `arg${arg}: a range (${l} to ${h}) needs two comparisons` };
    out.push(l === 0n ? { arg, op: 'SCMP_CMP_LE', a: h, b: 0n } : { arg, op: 'SCMP_CMP_GE', a: l, b: 0n });
  }
  return { conj: out };
}

/** Bound on the DNF size of one rule's region, so a pathological policy fails rather than hangs. */
const MAX_TERMS = 4096;

interface Region { action: IRAction; rule: IRRule; conjs: Conj[] }

/** The order-free regions of one syscall, or the problems that keep them from being written. */
function regions(rules: IRRule[], def: IRAction, max: bigint, problems: (r: IRRule, reason: string, dropped: boolean) => boolean): Region[] {
  const out: Region[] = [];
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    // Its own condition, as OCI DNF.
    let terms: Conj[] = [];
    const clauses = r.clauses.length === 0 ? [[]] : r.clauses;
    for (const cl of clauses) {
      let acc: Conj[] = [[]];
      for (const c of cl) {
        const d = toDnf(c, false);
        const next: Conj[] = [];
        for (const x of acc) for (const y of d) next.push([...x, ...y]);
        acc = next;
      }
      terms.push(...acc);
    }
    // Minus every earlier condition with another action.
    let tooBig = false;
    for (let j = 0; j < i && !tooBig; j++) {
      const e = rules[j];
      if (e.action.ret === r.action.ret) continue;
      const eClauses = e.clauses.length === 0 ? [[]] : e.clauses;
      for (const cl of eClauses) {
        // not(c1 && c2 ...) = not c1 || not c2 ...
        const neg: Conj[] = [];
        for (const c of cl) neg.push(...toDnf(c, true));
        const next: Conj[] = [];
        for (const t of terms) for (const n of neg) {
          const s = simplify([...t, ...n], max);
          if ('empty' in s) continue;
          next.push([...t, ...n]);
        }
        terms = next;
        if (terms.length > MAX_TERMS) { tooBig = true; break; }
      }
    }
    if (tooBig) {
      if (r.action.ret !== def.ret && !problems(r, `the region left by the earlier rules needs more than ${MAX_TERMS} OCI rules`, STRICTNESS[def.name] >= STRICTNESS[r.action.name])) return [];
      continue;
    }
    if (r.action.ret === def.ret) continue; // the default covers it
    const conjs: Conj[] = [];
    for (const t of terms) {
      const s = simplify(t, max);
      if ('empty' in s) continue;
      if ('reason' in s) {
        if (!problems(r, s.reason, STRICTNESS[def.name] >= STRICTNESS[r.action.name])) return [];
        continue;
      }
      const key = (c: Conj) => c.map((x) => `${x.arg}${x.op}${x.a}/${x.b}`).join('&');
      if (!conjs.some((c) => key(c) === key(s.conj))) conjs.push(s.conj);
    }
    // An unconditional region makes the others of its action redundant.
    if (conjs.some((c) => c.length === 0)) out.push({ action: r.action, rule: r, conjs: [[]] });
    else if (conjs.length > 0) out.push({ action: r.action, rule: r, conjs });
  }
  return out;
}

/** Convert an analyzed policy's IR to a profile. */
export function irToOci(ir: PolicyIR, approximate = false): { profile: OciProfile | null; problems: OciExportProblem[] } {
  const problems: OciExportProblem[] = [];
  const max = ir.bits === 64 ? (1n << 64n) - 1n : (1n << 32n) - 1n;
  const def = ociAction(ir.defaultAction);
  const profile: OciProfile = { defaultAction: def.action, architectures: [SCMP_ARCH[ir.arch]], syscalls: [] };
  if (def.errnoRet !== undefined) profile.defaultErrnoRet = def.errnoRet;
  // Unconditional rules with the same action share one entry, as profiles are usually written.
  const plain = new Map<string, OciRule>();
  const conditional: OciRule[] = [];
  for (const sc of ir.syscalls) {
    const regs = regions(sc.rules, ir.defaultAction, max, (r, reason, denyward) => {
      const p: OciExportProblem = { syscall: sc.name, rule: r.span, reason };
      if (approximate && denyward) p.approximation = `left out: these calls get the default action (${ir.defaultAction.text}), which denies more than ${r.action.text}`;
      problems.push(p);
      return approximate && denyward;
    });
    for (const reg of regs) {
      const a = ociAction(reg.action);
      for (const conj of reg.conjs) {
        if (conj.length === 0) {
          const key = a.action + '/' + (a.errnoRet ?? '');
          const e = plain.get(key) ?? { names: [], ...a };
          e.names.push(sc.name);
          plain.set(key, e);
          continue;
        }
        conditional.push({
          names: [sc.name], ...a,
          args: conj.map((c) => ({ index: c.arg, value: c.a, valueTwo: c.b, op: c.op })),
        });
      }
    }
  }
  profile.syscalls = [...plain.values(), ...conditional];
  const refused = problems.some((p) => p.approximation === undefined);
  return { profile: refused ? null : profile, problems };
}

/** Export a policy for one arch as an OCI seccomp profile. */
export async function exportOciProfile(source: string | PolicyFiles, options: OciExportOptions): Promise<OciExportResult> {
  const a = await analyzePolicy(source, options);
  if (!a.ok || !a.ir) return { ok: false, arch: a.arch, profile: null, diagnostics: a.diagnostics, problems: [] };
  const { profile, problems } = irToOci(a.ir, options.approximate === true);
  return { ok: profile !== null, arch: a.arch, profile, diagnostics: a.diagnostics, problems };
}

/** The profile as JSON text (argument values exact, as unsigned 64-bit numbers). */
export function profileJson(p: OciProfile): JsonValue {
  const out: { [k: string]: JsonValue } = { defaultAction: p.defaultAction };
  if (p.defaultErrnoRet !== undefined) out.defaultErrnoRet = BigInt(p.defaultErrnoRet);
  out.architectures = p.architectures;
  out.syscalls = p.syscalls.map((r) => {
    const o: { [k: string]: JsonValue } = { names: r.names, action: r.action };
    if (r.errnoRet !== undefined) o.errnoRet = BigInt(r.errnoRet);
    if (r.args) o.args = r.args.map((x) => ({ index: BigInt(x.index), value: x.value, valueTwo: x.valueTwo, op: x.op }));
    return o;
  });
  return out;
}
