// IR -> classic BPF. The pipeline, one module per job (wasm/assembly/codegen/):
//   lower.ts    64-bit argument atoms -> DNF over 32-bit words
//   decide.ts   per-syscall decision DAG over argument words (search over values, JSET masks)
//   chain.ts    linear fallback for a syscall whose decision DAG exceeds its budget
//   search.ts   weighted search trees over ranges of one word (dispatch and arguments)
//   dispatch.ts the syscall dispatch over ranges of nr (x32 folded in)
//   dag.ts      hash-consed code nodes (identical blocks and RETs shared)
//   layout.ts   linearization, long-jump trampolines
// The program: `A = arch; if (A != AUDIT_ARCH) return bad-arch; A = nr; <dispatch>`, where
// each dispatch leaf is a RET (no argument loaded, so the kernel's action cache applies) or
// a syscall's argument decision. See docs/codegen.md.

import { Diagnostics, Code } from './diagnostics';
import { PolicyIR, SyscallRules } from './ir';
import { Insn, BPF_MAXINSNS, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR } from './bpf/insn';
import { Dag, OP_JEQ } from './codegen/dag';
import { lowerClause } from './codegen/lower';
import { Entry, Decider, Knowledge, simplify } from './codegen/decide';
import { chainRules } from './codegen/chain';
import { DispatchEntry, buildDispatch } from './codegen/dispatch';
import { layout } from './codegen/layout';
import { RET_ACTION_FULL, RET_ALLOW, RET_LOG } from './actions';
import { sortNumbers } from './sortnum';

/** Word clauses one IR clause may lower to before the syscall falls back to chain code. */
const CLAUSE_LOWERING_LIMIT: i32 = 64;
/** Lowered entries per syscall before falling back. */
const ENTRY_LIMIT: i32 = 2048;
/** Simplification work per syscall (atom evaluations) before falling back. */
const DECIDE_BUDGET: i32 = 200000;
/** Code nodes for the whole program: far beyond any program the kernel accepts. */
const NODE_LIMIT: i32 = 200000;

/** Lowered entries of one syscall's rules, or null when they exceed the limits. */
function lowerRules(sc: SyscallRules, bits: i32): Entry[] | null {
  const entries: Entry[] = [];
  for (let r = 0; r < sc.rules.length; r++) {
    const rule = sc.rules[r];
    if (rule.unconditional) { entries.push(new Entry([], rule.action)); break; }
    for (let c = 0; c < rule.clauses.length; c++) {
      const dnf = lowerClause(rule.clauses[c].atoms, bits, CLAUSE_LOWERING_LIMIT);
      if (dnf == null) return null;
      for (let d = 0; d < dnf.length; d++) entries.push(new Entry(dnf[d], rule.action));
      if (entries.length > ENTRY_LIMIT) return null;
    }
  }
  return entries;
}

/** The code for one syscall's rule list, entered with A holding nr. */
function syscallNode(dag: Dag, decider: Decider, sc: SyscallRules, ir: PolicyIR): i32 {
  if (sc.rules.length == 0) return dag.ret(ir.defaultAction);
  // Most syscalls: one unconditional rule, no argument code at all.
  if (sc.rules[0].unconditional) return dag.ret(sc.rules[0].action);
  const bits = ir.arch.bits;
  const entries = lowerRules(sc, bits);
  if (entries != null) {
    const steps = new Int32Array(1);
    const res = simplify(entries, ir.defaultAction, new Knowledge(), steps);
    const node = decider.run(res, <i32>SECCOMP_DATA_NR, DECIDE_BUDGET);
    if (!decider.failed) return node;
  }
  return chainRules(dag, sc.rules, ir.defaultAction, bits);
}

/** Sort by nr as unsigned; keep the first entry of a duplicated number (as evalIR does). */
function sortedSyscalls(ir: PolicyIR): SyscallRules[] {
  // (nr << 32 | position): a stable order without a capturing comparator.
  const keys = new Array<u64>(ir.syscalls.length);
  for (let i = 0; i < keys.length; i++) keys[i] = (<u64>(<u32>ir.syscalls[i].nr) << 32) | <u64>i;
  sortNumbers(keys);
  const out: SyscallRules[] = [];
  for (let i = 0; i < keys.length; i++) {
    const sc = ir.syscalls[<i32>(keys[i] & 0xffffffff)];
    if (out.length > 0 && out[out.length - 1].nr == sc.nr) continue;
    out.push(sc);
  }
  return out;
}

/**
 * Dispatch weight of a syscall by what its code does, on top of @frequency. Calls with
 * argument rules are the hot ones in practice (mmap, mprotect, futex, ioctl, fcntl...) and
 * already the longest paths; listed rejections are rarely worth a shallow place.
 */
export const CONDITIONAL_WEIGHT: f64 = 4.0;
export const REJECT_WEIGHT: f64 = 0.5;

function classWeight(dag: Dag, node: i32): f64 {
  if (!dag.isRet(node)) return CONDITIONAL_WEIGHT;
  const kind = dag.k[node] & RET_ACTION_FULL;
  return kind == RET_ALLOW || kind == RET_LOG ? 1.0 : REJECT_WEIGHT;
}

/** The DAG root for the whole filter, or -1 when the DAG grew past NODE_LIMIT. */
export function buildProgramDag(dag: Dag, ir: PolicyIR): i32 {
  const decider = new Decider(dag);
  const list = sortedSyscalls(ir);
  const entries: DispatchEntry[] = [];
  for (let i = 0; i < list.length; i++) {
    const sc = list[i];
    const node = syscallNode(dag, decider, sc, ir);
    if (dag.size > NODE_LIMIT) return -1;
    const w = sc.weight > 0 && isFinite(sc.weight) ? sc.weight : 1.0;
    entries.push(new DispatchEntry(<u32>sc.nr, node, w * classWeight(dag, node)));
  }
  const bad = dag.ret(ir.badArchAction);
  const dispatch = buildDispatch(dag, entries, dag.ret(ir.defaultAction), ir.arch.x32Check ? bad : -1);
  return dag.test(<i32>SECCOMP_DATA_ARCH, OP_JEQ, ir.arch.auditArch, dispatch, bad);
}

/** The filter for `ir`, or null with an error in `diags` (program too long). */
export function generate(ir: PolicyIR, diags: Diagnostics): Insn[] | null {
  const dag = new Dag();
  const root = buildProgramDag(dag, ir);
  if (root < 0) {
    diags.error(Code.ProgramTooLong, null, ['more than ' + NODE_LIMIT.toString()]);
    return null;
  }
  const prog = layout(dag, root);
  if (prog.length > BPF_MAXINSNS) {
    diags.error(Code.ProgramTooLong, null, [prog.length.toString()]);
    return null;
  }
  return prog;
}
