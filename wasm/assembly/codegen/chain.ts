// The simple, linear fallback: rules, clauses and atoms tested in file order, every word test
// with its own load. Used when the decision builder (decide.ts) would exceed its budget, e.g.
// a clause whose lowering multiplies out, or thousands of atoms on one syscall. Its size is
// linear in the number of atoms, so no IR can blow it up.

import { Dag, OP_JEQ, OP_JGT, OP_JGE, OP_JSET } from './dag';
import { WordAtom, WOp, wordOffset, lowerAtom } from './lower';
import { Rule } from '../ir';
import { Entry } from './decide';

/** `[A = word] if (word atom) goto t else goto f`. */
export function wordTest(dag: Dag, a: WordAtom, t: i32, f: i32): i32 {
  const load = wordOffset(a.w);
  switch (a.op) {
    case WOp.EQ: return dag.test(load, OP_JEQ, a.k, t, f);
    case WOp.NE: return dag.test(load, OP_JEQ, a.k, f, t);
    case WOp.GT: return dag.test(load, OP_JGT, a.k, t, f);
    case WOp.LE: return dag.test(load, OP_JGT, a.k, f, t);
    case WOp.GE: return dag.test(load, OP_JGE, a.k, t, f);
    case WOp.LT: return dag.test(load, OP_JGE, a.k, f, t);
    case WOp.SET: return dag.test(load, OP_JSET, a.k, t, f);
    case WOp.CLR: return dag.test(load, OP_JSET, a.k, f, t);
  }
  return f;
}

/** The rule list of one syscall as a linear chain ending in `defaultAction`. */
export function chainRules(dag: Dag, rules: Rule[], defaultAction: u32, bits: i32): i32 {
  // Everything after the first unconditional rule is unreachable.
  let end = rules.length;
  for (let r = 0; r < rules.length; r++) if (rules[r].unconditional) { end = r + 1; break; }
  let next = dag.ret(defaultAction);
  for (let r = end - 1; r >= 0; r--) {
    const rule = rules[r];
    const hit = dag.ret(rule.action);
    if (rule.unconditional) { next = hit; continue; }
    for (let c = rule.clauses.length - 1; c >= 0; c--) {
      const atoms = rule.clauses[c].atoms;
      let t = hit;
      for (let i = atoms.length - 1; i >= 0; i--) {
        // Atom i holds -> t; fails -> next. Its DNF: any word clause whose atoms all hold.
        const dnf = lowerAtom(atoms[i], bits);
        let f = next;
        for (let d = dnf.length - 1; d >= 0; d--) {
          const wc = dnf[d];
          let tt = t;
          for (let j = wc.length - 1; j >= 0; j--) tt = wordTest(dag, wc[j], tt, f);
          f = tt;
        }
        t = f;
      }
      next = t;
    }
  }
  return next;
}

/** Lowered entries (first match wins) as a linear chain that ends in `next` when none matches. */
export function chainEntries(dag: Dag, entries: Entry[], next: i32): i32 {
  for (let i = entries.length - 1; i >= 0; i--) {
    const atoms = entries[i].atoms;
    let t = dag.ret(entries[i].action);
    for (let j = atoms.length - 1; j >= 0; j--) t = wordTest(dag, atoms[j], t, next);
    next = t;
  }
  return next;
}
