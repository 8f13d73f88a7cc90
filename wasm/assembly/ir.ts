// The policy IR: what a policy means, independent of how it is written or compiled.
// For each syscall an ordered rule list evaluated first-match; each rule is a condition in
// DNF over 64-bit arguments and the action it returns. Semantics (also what `verify` proves):
//   arch != ir.arch.auditArch              -> ir.badArchAction
//   x86_64 and nr & 0x40000000 (x32)        -> ir.badArchAction
//   nr listed: first rule whose condition holds -> its action; none -> ir.defaultAction
//   nr not listed                           -> ir.defaultAction
// On 32-bit arches only the low 32 bits of an argument are compared; resolve has already
// truncated every constant to the arch word.

import { Span } from './span';
import { Arch } from './tables/index';

export const enum Op {
  EQ = 0, // arg == v
  NE = 1, // arg != v
  LT = 2, // arg <  v (unsigned)
  LE = 3, // arg <= v
  GT = 4, // arg >  v
  GE = 5, // arg >= v
  SET = 6, // (arg & v) != 0        policy `&`
  IN = 7, // (arg & ~v) == 0       policy `in`
}

export function opText(op: Op): string {
  switch (op) {
    case Op.EQ: return '==';
    case Op.NE: return '!=';
    case Op.LT: return '<';
    case Op.LE: return '<=';
    case Op.GT: return '>';
    case Op.GE: return '>=';
    case Op.SET: return '&';
    case Op.IN: return 'in';
  }
  return '?';
}

/** One comparison of argument `arg` (0..5) with a constant. */
export class Atom {
  constructor(public arg: i32, public op: Op, public value: u64, public span: Span | null = null) {}
}

/** A conjunction of atoms; an empty clause is true. */
export class Clause {
  atoms: Atom[] = [];
}

/** Shared by every unconditional rule until one is given its own list (never pushed to). */
const NO_CLAUSES: Clause[] = [];

/** `condition -> action`. An empty clause list means the rule is unconditional. */
export class Rule {
  /** Assign a new list to add clauses: the default is shared (most rules are unconditional). */
  clauses: Clause[] = NO_CLAUSES;
  /** Where the rule was written (file -1: nowhere, e.g. rules the host adds); Span on demand. */
  constructor(public action: u32, public file: i32 = -1, public start: i32 = 0, public end: i32 = 0) {}
  get span(): Span | null { return this.file < 0 ? null : new Span(this.file, this.start, this.end); }
  get unconditional(): bool { return this.clauses.length == 0; }
}

/** All rules for one syscall number, in file order, plus its @frequency weight. */
/** Shared by SyscallRules until their first rule (then replaced, never pushed to). */
const NO_RULES: Rule[] = [];

export class SyscallRules {
  /** Assign a new list to add the first rule (the default is shared). */
  rules: Rule[] = NO_RULES;
  /** Relative call frequency from @frequency files; 1 when none is given. */
  weight: f64 = 1.0;
  constructor(public nr: i32, public name: string) {}
}

export class PolicyIR {
  /** Sorted by nr, one entry per listed syscall. */
  syscalls: SyscallRules[] = [];
  constructor(public arch: Arch, public defaultAction: u32, public badArchAction: u32) {}
}

/** What the IR gives one input, and which rule decided it (-1: the default or bad-arch action). */
export class Verdict {
  constructor(public action: u32, public syscallIndex: i32 = -1, public ruleIndex: i32 = -1) {}
}

/** Evaluate the IR on one input: the reference meaning that codegen must match. */
export function evalIR(ir: PolicyIR, arch: u32, nr: u32, args: StaticArray<u64>): u32 {
  return decideCall(ir, arch, nr, args).action;
}

/** evalIR, naming the rule that decides (simulatePolicy's provenance). */
export function decideCall(ir: PolicyIR, arch: u32, nr: u32, args: StaticArray<u64>): Verdict {
  if (arch != ir.arch.auditArch) return new Verdict(ir.badArchAction);
  if (ir.arch.x32Check && (nr & 0x40000000) != 0) return new Verdict(ir.badArchAction);
  for (let i = 0; i < ir.syscalls.length; i++) {
    const sc = ir.syscalls[i];
    if (<u32>sc.nr != nr) continue;
    for (let r = 0; r < sc.rules.length; r++) {
      const rule = sc.rules[r];
      if (rule.unconditional) return new Verdict(rule.action, i, r);
      for (let c = 0; c < rule.clauses.length; c++) {
        if (clauseHolds(rule.clauses[c], args, ir.arch.bits)) return new Verdict(rule.action, i, r);
      }
    }
    return new Verdict(ir.defaultAction);
  }
  return new Verdict(ir.defaultAction);
}

export function clauseHolds(clause: Clause, args: StaticArray<u64>, bits: i32): bool {
  for (let a = 0; a < clause.atoms.length; a++) {
    if (!atomHolds(clause.atoms[a], args[clause.atoms[a].arg], bits)) return false;
  }
  return true;
}

export function atomHolds(atom: Atom, argValue: u64, bits: i32): bool {
  const x: u64 = bits == 32 ? argValue & 0xffffffff : argValue;
  const v = atom.value;
  switch (atom.op) {
    case Op.EQ: return x == v;
    case Op.NE: return x != v;
    case Op.LT: return x < v;
    case Op.LE: return x <= v;
    case Op.GT: return x > v;
    case Op.GE: return x >= v;
    case Op.SET: return (x & v) != 0;
    case Op.IN: {
      const mask: u64 = bits == 32 ? (~v) & 0xffffffff : ~v;
      return (x & mask) == 0;
    }
  }
  return false;
}
