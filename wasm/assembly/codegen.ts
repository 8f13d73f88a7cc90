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
import { Entry, Decider, Knowledge, Residual, FALLTHROUGH, simplify } from './codegen/decide';
import { chainRules, chainEntries } from './codegen/chain';
import { DispatchEntry, buildDispatch } from './codegen/dispatch';
import { layout } from './codegen/layout';
import { dispatchWeights, CLASS_ALLOW, CLASS_CONDITIONAL, CLASS_REJECT } from './codegen/weights';
import { RET_ACTION_FULL, RET_ALLOW, RET_LOG } from './actions';
import { sortNumbers } from './sortnum';

/** Word clauses one IR clause may lower to before the syscall falls back to chain code. */
const CLAUSE_LOWERING_LIMIT: i32 = 64;
/** Lowered entries per syscall before falling back (the work budget is what bounds time). */
const ENTRY_LIMIT: i32 = 65536;
/**
 * Work (atoms evaluated, residuals hashed) for one syscall's decision before falling back:
 * a base plus an allowance per lowered atom, so long lists of values compile as searches
 * while a decision that blows up (one that keeps meeting large residuals under different
 * knowledge) stops after time linear in its input. The corpus needs less than 1000.
 */
const DECIDE_BUDGET: i32 = 20000;
const DECIDE_BUDGET_PER_ATOM: i32 = 32;

function budgetFor(entries: Entry[]): i32 {
  let atoms = 0;
  for (let i = 0; i < entries.length; i++) atoms += entries[i].atoms.length;
  return DECIDE_BUDGET + DECIDE_BUDGET_PER_ATOM * min(atoms, 1 << 22);
}
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
    const res = simplify(entries, <u64>ir.defaultAction, new Knowledge(), steps);
    const node = decider.run(res, <i32>SECCOMP_DATA_NR, budgetFor(res.entries));
    if (!decider.failed) return node;
    return decideSegments(dag, decider, res);
  }
  return chainRules(dag, sc.rules, ir.defaultAction, bits);
}

/**
 * A long rule list whose decision exceeds the budget at once, as segments decided one after
 * another (each falls through to the next when none of its entries matches). The usual cause
 * is thousands of entries on different arguments: every cell of a search over one argument
 * carries all the entries on the others. Within a run of entries with the same action the
 * order does not matter (the first match is any match), so a run is regrouped by the
 * argument its entries test first, in order of first appearance; each group is a segment,
 * a search over one argument. A segment over its own budget becomes a chain.
 */
function decideSegments(dag: Dag, decider: Decider, res: Residual): i32 {
  const entries = res.entries;
  const segs: Entry[][] = [];
  let i = 0;
  while (i < entries.length) {
    let j = i;
    while (j < entries.length && entries[j].action == entries[i].action) j++;
    const keys: i32[] = [];
    const groups: Entry[][] = [];
    for (let x = i; x < j; x++) {
      // simplify() left no entry without atoms (an entry that always matches ends the list).
      const key = entries[x].atoms[0].w >> 1;
      let g = keys.indexOf(key);
      if (g < 0) { g = keys.length; keys.push(key); groups.push([]); }
      groups[g].push(entries[x]);
    }
    for (let g = 0; g < groups.length; g++) segs.push(groups[g]);
    i = j;
  }
  // res.def is an action: FALLTHROUGH only ever enters below.
  let next = dag.ret(<u32>res.def);
  const steps = new Int32Array(1);
  for (let s = segs.length - 1; s >= 0; s--) {
    const seg = simplify(segs[s], FALLTHROUGH, new Knowledge(), steps);
    // Entered from the previous segment with A holding anything: built as if A held nr, so
    // its first test loads its word.
    let node = decider.run(seg, <i32>SECCOMP_DATA_NR, budgetFor(seg.entries), next);
    if (decider.failed) node = chainEntries(dag, segs[s], next);
    next = node;
  }
  return next;
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

function syscallClass(dag: Dag, node: i32): i32 {
  if (!dag.isRet(node)) return CLASS_CONDITIONAL;
  const kind = dag.k[node] & RET_ACTION_FULL;
  return kind == RET_ALLOW || kind == RET_LOG ? CLASS_ALLOW : CLASS_REJECT;
}

/** The DAG root for the whole filter, or -1 when the DAG grew past NODE_LIMIT. */
export function buildProgramDag(dag: Dag, ir: PolicyIR): i32 {
  const decider = new Decider(dag);
  const list = sortedSyscalls(ir);
  const nrs = new Array<i32>(list.length);
  const nodes = new Array<i32>(list.length);
  const classes = new Array<i32>(list.length);
  const freq = new Array<f64>(list.length);
  let hasFrequency = false;
  for (let i = 0; i < list.length; i++) {
    const sc = list[i];
    const node = syscallNode(dag, decider, sc, ir);
    if (dag.size > NODE_LIMIT) return -1;
    nrs[i] = sc.nr;
    nodes[i] = node;
    classes[i] = syscallClass(dag, node);
    freq[i] = sc.weight > 0 && isFinite(sc.weight) ? sc.weight : 1.0;
    if (sc.weight != 1.0) hasFrequency = true;
  }
  const weights = dispatchWeights(ir.arch, nrs, classes, freq, hasFrequency);
  const entries: DispatchEntry[] = [];
  for (let i = 0; i < list.length; i++) entries.push(new DispatchEntry(<u32>nrs[i], nodes[i], weights[i]));
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
