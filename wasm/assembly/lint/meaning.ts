// Questions about what one syscall's rules mean, answered with the verifier's exact region
// reasoning (verify/diff.ts diffIR over one-syscall IRs): does a rule change anything, can its
// condition hold, do earlier rules decide every call it matches, is some call with given
// argument bits allowed. Nothing here looks at text; an answer the diff could not complete
// (its budget) counts as "it may matter", so no finding is made from it.

import { PolicyIR, SyscallRules, Rule, Clause, Atom, Op } from '../ir';
import { diffIR, DiffResult } from '../verify/diff';
import { RET_ALLOW, RET_KILL_PROCESS } from '../actions';

/** The IR of `ir`'s arch and actions with one syscall whose rules are `rules`. */
export function oneSyscall(ir: PolicyIR, sc: SyscallRules, rules: Rule[], defaultAction: u32 = 0xffffffff): PolicyIR {
  const out = new PolicyIR(ir.arch, defaultAction == 0xffffffff ? ir.defaultAction : defaultAction, ir.badArchAction);
  const s = new SyscallRules(sc.nr, sc.name);
  s.rules = rules;
  out.syscalls = [s];
  return out;
}

/** Same outcome for every input, proven (an incomplete diff is not a proof). */
export function sameMeaning(a: PolicyIR, b: PolicyIR): bool {
  const d = diffIR(a, b);
  return d.complete && d.regions.length == 0;
}

/** A copy of `r` returning `action`. */
function withAction(r: Rule, action: u32): Rule {
  const c = new Rule(action, r.file, r.start, r.end);
  c.clauses = r.clauses;
  return c;
}

function without(rules: Rule[], skip: i32): Rule[] {
  const out = new Array<Rule>();
  for (let i = 0; i < rules.length; i++) if (i != skip) out.push(rules[i]);
  return out;
}

/** Two actions that differ from each other, the first also from `avoid`. */
function markers(avoid: u32): StaticArray<u32> {
  const m = new StaticArray<u32>(2);
  m[0] = avoid == RET_ALLOW ? RET_KILL_PROCESS : RET_ALLOW;
  m[1] = m[0] == RET_ALLOW ? RET_KILL_PROCESS : RET_ALLOW;
  return m;
}

/** Does removing rule `i` of `sc` change what the syscall gets for some call? */
export function ruleMatters(ir: PolicyIR, sc: SyscallRules, i: i32): bool {
  return !sameMeaning(oneSyscall(ir, sc, sc.rules), oneSyscall(ir, sc, without(sc.rules, i)));
}

/** Can the condition of `r` hold at all (arguments in the arch word)? */
export function canMatch(ir: PolicyIR, sc: SyscallRules, r: Rule): bool {
  if (r.unconditional) return true;
  const m = markers(0);
  // One rule with a marker action against nothing: any difference is a call it matches.
  return !sameMeaning(oneSyscall(ir, sc, [withAction(r, m[1])], m[0]), oneSyscall(ir, sc, [], m[0]));
}

/** Do the rules in `earlier` decide every call `r` matches (so `r` can never decide one)? */
export function coveredBy(ir: PolicyIR, sc: SyscallRules, earlier: Rule[], r: Rule): bool {
  const m = markers(0);
  const pre = new Array<Rule>();
  for (let i = 0; i < earlier.length; i++) pre.push(withAction(earlier[i], m[0]));
  const withR = pre.slice(0);
  withR.push(withAction(r, m[1]));
  return sameMeaning(oneSyscall(ir, sc, withR, m[0]), oneSyscall(ir, sc, pre, m[0]));
}

/**
 * Is some call of `sc` allowed while every atom of `guard` holds (an empty guard: any call)?
 * A rule with the guard, placed first with a non-allow action, changes exactly the calls the
 * guard matches; a changed region that was allowed is the answer.
 */
export function allowedWhen(ir: PolicyIR, sc: SyscallRules, guard: Atom[]): bool {
  const deny = new Rule(RET_KILL_PROCESS);
  const c = new Clause();
  for (let i = 0; i < guard.length; i++) c.atoms.push(guard[i]);
  if (guard.length > 0) deny.clauses = [c];
  const rules = new Array<Rule>();
  rules.push(deny);
  for (let i = 0; i < sc.rules.length; i++) rules.push(sc.rules[i]);
  const base = oneSyscall(ir, sc, sc.rules);
  const d: DiffResult = diffIR(base, oneSyscall(ir, sc, rules));
  for (let i = 0; i < d.regions.length; i++) if (d.regions[i].oldAction == RET_ALLOW) return true;
  return false;
}

/** Is every call of `sc` allowed, whatever its arguments? */
export function alwaysAllowed(ir: PolicyIR, sc: SyscallRules): bool {
  return sameMeaning(oneSyscall(ir, sc, sc.rules), oneSyscall(ir, sc, [new Rule(RET_ALLOW)]));
}

/** An atom `argN & bits` (some of the bits set). */
export function anyBit(arg: i32, bits: u64): Atom {
  return new Atom(arg, Op.SET, bits);
}
