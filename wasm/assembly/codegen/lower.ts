// Lowering: a 64-bit argument comparison becomes a small DNF over 32-bit seccomp_data words,
// the only thing classic BPF can compare. Words are numbered 2*arg (low half) and 2*arg+1
// (high half); on 32-bit arches only the low half exists.

import { Atom, Op } from '../ir';
import { SECCOMP_DATA_ARGS } from '../bpf/insn';

/** Comparisons of one 32-bit word with a constant. CLR is `(w & k) == 0`. */
export const enum WOp { EQ = 0, NE = 1, LT = 2, LE = 3, GT = 4, GE = 5, SET = 6, CLR = 7 }

export class WordAtom {
  constructor(public w: i32, public op: WOp, public k: u32) {}
  get isMask(): bool { return this.op == WOp.SET || this.op == WOp.CLR; }
}

/** seccomp_data offset of word `w`. */
export function wordOffset(w: i32): i32 { return <i32>SECCOMP_DATA_ARGS + 4 * w; }

export function loWord(arg: i32): i32 { return 2 * arg; }
export function hiWord(arg: i32): i32 { return 2 * arg + 1; }

/** Word atoms that hold for every value / for none, normalized out by `normalize`. */
export const ATOM_TRUE: i32 = 1;
export const ATOM_FALSE: i32 = 0;
export const ATOM_OPEN: i32 = -1;

/** Constant-decide an atom on its own, or -1. Also rewrites full-mask tests to (in)equality. */
export function normalize(a: WordAtom): i32 {
  switch (a.op) {
    case WOp.LT: if (a.k == 0) return ATOM_FALSE; break;
    case WOp.GE: if (a.k == 0) return ATOM_TRUE; break;
    case WOp.GT: if (a.k == 0xffffffff) return ATOM_FALSE; break;
    case WOp.LE: if (a.k == 0xffffffff) return ATOM_TRUE; break;
    case WOp.SET:
      if (a.k == 0) return ATOM_FALSE;
      if (a.k == 0xffffffff) { a.op = WOp.NE; a.k = 0; }
      break;
    case WOp.CLR:
      if (a.k == 0) return ATOM_TRUE;
      if (a.k == 0xffffffff) { a.op = WOp.EQ; a.k = 0; }
      break;
    default: break;
  }
  return ATOM_OPEN;
}

/** A conjunction of word atoms; null stands for "false" while building. */
export type WordClause = WordAtom[];

function clause1(a: WordAtom): WordClause[] {
  const d = normalize(a);
  if (d == ATOM_FALSE) return [];
  if (d == ATOM_TRUE) return [[]];
  return [[a]];
}

function clause2(a: WordAtom, b: WordAtom): WordClause[] {
  const da = normalize(a);
  const db = normalize(b);
  if (da == ATOM_FALSE || db == ATOM_FALSE) return [];
  const c: WordAtom[] = [];
  if (da == ATOM_OPEN) c.push(a);
  if (db == ATOM_OPEN) c.push(b);
  return [c];
}

function or(x: WordClause[], y: WordClause[]): WordClause[] {
  for (let i = 0; i < y.length; i++) x.push(y[i]);
  return x;
}

/**
 * One IR atom as a DNF over word atoms: [] is false, [[]] is true. At most two clauses of
 * at most two atoms each. The low word comes first in conjunctions: it is the one that
 * usually tells values apart, and the shared high-word check then follows once.
 */
export function lowerAtom(atom: Atom, bits: i32): WordClause[] {
  const L = loWord(atom.arg);
  const H = hiWord(atom.arg);
  const v = atom.value;
  const l = <u32>(v & 0xffffffff);
  if (bits == 32) {
    switch (atom.op) {
      case Op.EQ: return clause1(new WordAtom(L, WOp.EQ, l));
      case Op.NE: return clause1(new WordAtom(L, WOp.NE, l));
      case Op.LT: return clause1(new WordAtom(L, WOp.LT, l));
      case Op.LE: return clause1(new WordAtom(L, WOp.LE, l));
      case Op.GT: return clause1(new WordAtom(L, WOp.GT, l));
      case Op.GE: return clause1(new WordAtom(L, WOp.GE, l));
      case Op.SET: return clause1(new WordAtom(L, WOp.SET, l));
      case Op.IN: return clause1(new WordAtom(L, WOp.CLR, ~l));
    }
    return [];
  }
  const h = <u32>(v >> 32);
  switch (atom.op) {
    case Op.EQ: return clause2(new WordAtom(L, WOp.EQ, l), new WordAtom(H, WOp.EQ, h));
    case Op.NE: return or(clause1(new WordAtom(L, WOp.NE, l)), clause1(new WordAtom(H, WOp.NE, h)));
    // x < v  <=>  hi < vh  or  (hi == vh and lo < vl); the other orders alike.
    case Op.LT: return or(clause1(new WordAtom(H, WOp.LT, h)), clause2(new WordAtom(L, WOp.LT, l), new WordAtom(H, WOp.EQ, h)));
    case Op.LE: return or(clause1(new WordAtom(H, WOp.LT, h)), clause2(new WordAtom(L, WOp.LE, l), new WordAtom(H, WOp.EQ, h)));
    case Op.GT: return or(clause1(new WordAtom(H, WOp.GT, h)), clause2(new WordAtom(L, WOp.GT, l), new WordAtom(H, WOp.EQ, h)));
    case Op.GE: return or(clause1(new WordAtom(H, WOp.GT, h)), clause2(new WordAtom(L, WOp.GE, l), new WordAtom(H, WOp.EQ, h)));
    case Op.SET: return or(clause1(new WordAtom(L, WOp.SET, l)), clause1(new WordAtom(H, WOp.SET, h)));
    case Op.IN: return clause2(new WordAtom(L, WOp.CLR, ~l), new WordAtom(H, WOp.CLR, ~h));
  }
  return [];
}

/**
 * A conjunction of IR atoms as word DNF (the product of the atoms' DNFs), or null when it
 * would have more than `limit` clauses.
 */
export function lowerClause(atoms: Atom[], bits: i32, limit: i32): WordClause[] | null {
  let acc: WordClause[] = [[]];
  for (let i = 0; i < atoms.length; i++) {
    const d = lowerAtom(atoms[i], bits);
    if (d.length == 0) return [];
    if (d.length == 1 && d[0].length == 0) continue;
    if (acc.length * d.length > limit) return null;
    const next: WordClause[] = [];
    for (let x = 0; x < acc.length; x++) {
      for (let y = 0; y < d.length; y++) {
        const c = acc[x].slice(0);
        const add = d[y];
        for (let z = 0; z < add.length; z++) c.push(add[z]);
        next.push(c);
      }
    }
    acc = next;
  }
  return acc;
}
