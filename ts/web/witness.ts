// Calls that reach each rule: for every rule of a syscall, argument values for which that rule
// is the first that holds (the policy's meaning as the IR states it). The page runs these calls
// through the compiled program to link each rule to the instructions that decide it and to
// measure what each rule costs. The search tries the comparison constants and their neighbours,
// which is enough for the rules real policies write; a rule it cannot reach is reported as such.

import type { IRComparison, IRRule, IRSyscall } from '../policy/index';
import { comparisonHolds } from '../policy/explain';

/** Argument values (six, in the arch's word) that make rule `rule` decide; rule -1 = no rule matches. */
export interface Witness {
  rule: number;
  args: bigint[];
}

/** How many argument combinations one rule's search may try. */
const SEARCH_LIMIT = 512;

export function ruleHolds(rule: IRRule, args: readonly bigint[]): boolean {
  return rule.clauses.length === 0 || rule.clauses.some((clause) => clause.every((c) => comparisonHolds(c, args[c.arg] ?? 0n)));
}

/** The index of the first rule that holds, -1 when none does (the default action). */
export function decidingRule(sc: IRSyscall, args: readonly bigint[]): number {
  return sc.rules.findIndex((r) => ruleHolds(r, args));
}

/** Values worth trying for each argument: 0, the word's maximum, each constant and its neighbours. */
function candidates(sc: IRSyscall, bits: number): bigint[][] {
  const max = (1n << BigInt(bits)) - 1n;
  const out: Array<Set<bigint>> = Array.from({ length: 6 }, () => new Set([0n]));
  for (const rule of sc.rules) {
    for (const clause of rule.clauses) {
      for (const c of clause) {
        const set = out[c.arg];
        const mask = c.mask ?? c.value;
        for (const v of [c.value, c.value + 1n, c.value - 1n, mask, mask & -mask, max & ~mask]) {
          if (v >= 0n && v <= max) set.add(v);
        }
      }
    }
  }
  // An argument no rule tests stays 0: varying it cannot change the outcome.
  for (const set of out) if (set.size > 1) set.add(max);
  return out.map((s) => [...s]);
}

/** One witness per reachable rule, and one for "no rule matches" when that can happen. */
export function ruleWitnesses(sc: IRSyscall, bits: number): Witness[] {
  const values = candidates(sc, bits);
  const found: Witness[] = [];
  const targets = [...sc.rules.keys(), -1];
  for (const target of targets) {
    const args = search(sc, values, target);
    if (args) found.push({ rule: target, args });
    // Rules after an unconditional one are unreachable, and so is "no rule matches".
    if (target >= 0 && sc.rules[target].clauses.length === 0) break;
  }
  return found;
}

function search(sc: IRSyscall, values: bigint[][], target: number): bigint[] | undefined {
  // Try each of the target's clauses with the values that satisfy it first (a rule with hundreds
  // of ioctl numbers before it would otherwise use up the search on values that cannot match).
  const clauses = target >= 0 && sc.rules[target].clauses.length > 0 ? sc.rules[target].clauses : [[]];
  for (const clause of clauses) {
    const choices = values.map((vs, arg) => {
      const tests = clause.filter((c) => c.arg === arg);
      if (tests.length === 0) return vs;
      const fit = (v: bigint) => tests.every((c) => comparisonHolds(c, v));
      return [...vs.filter(fit), ...vs.filter((v) => !fit(v))];
    });
    const found = enumerate(sc, choices, target);
    if (found) return found;
  }
  return undefined;
}

/** Argument vectors in mixed-radix order over `choices` (argument 0 fastest), up to SEARCH_LIMIT. */
function enumerate(sc: IRSyscall, choices: bigint[][], target: number): bigint[] | undefined {
  const radix = choices.map((c) => c.length);
  const args = new Array<bigint>(6).fill(0n);
  const digits = new Array<number>(6).fill(0);
  for (let n = 0; n < SEARCH_LIMIT; n++) {
    for (let i = 0; i < 6; i++) args[i] = choices[i][digits[i]];
    if (decidingRule(sc, args) === target) return [...args];
    let i = 0;
    while (i < 6) {
      digits[i]++;
      if (digits[i] < radix[i]) break;
      digits[i] = 0;
      i++;
    }
    if (i === 6) return undefined;
  }
  return undefined;
}
