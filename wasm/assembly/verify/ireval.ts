// The IR's meaning over a region: either one action for every input in the region, or a
// split of one word that gets closer to deciding it. This is evalIR (ir.ts) lifted to sets;
// the verifier and `diff` both refine regions with it until every piece is decided.

import { PolicyIR, Atom, Op } from '../ir';
import { Domain } from './domain';
import { Region, Split, WORD_NR, WORD_ARCH, argLoWord, argHiWord } from './region';

export class Decision {
  constructor(public decided: bool, public action: u32, public split: Split | null,
              /** index of the syscall entry and rule that decided it, for reports (-1 = default/arch). */
              public syscallIndex: i32 = -1, public ruleIndex: i32 = -1) {}
  static of(action: u32, sc: i32 = -1, rule: i32 = -1): Decision { return new Decision(true, action, null, sc, rule); }
  static splitting(s: Split): Decision { return new Decision(false, 0, s); }
}

export const T: i32 = 1, F: i32 = 0, MIXED: i32 = 2;

export function decideIR(ir: PolicyIR, r: Region): Decision {
  // Arch check.
  const arch = r.words[WORD_ARCH];
  const aa = ir.arch.auditArch;
  if (!arch.contains(aa)) return Decision.of(ir.badArchAction);
  if (!arch.singleton) return Decision.splitting(new Split(WORD_ARCH, [arch.withValue(aa), arch.without(aa)]));
  // x32 numbers.
  const nr = r.words[WORD_NR];
  if (ir.arch.x32Check) {
    const bit: u32 = 0x40000000;
    const withBit = nr.withBits(bit, bit);
    const withoutBit = nr.withBits(bit, 0);
    if (withoutBit.empty) return Decision.of(ir.badArchAction);
    if (!withBit.empty) return Decision.splitting(new Split(WORD_NR, [withoutBit, withBit]));
  }
  // Which listed syscalls can the nr word hold?
  const scs = ir.syscalls;
  let found = -1;
  for (let i = 0; i < scs.length; i++) {
    if (nr.contains(<u32>scs[i].nr)) { found = i; break; }
  }
  if (found < 0) return Decision.of(ir.defaultAction);
  const n = <u32>scs[found].nr;
  if (!nr.singleton) return Decision.splitting(new Split(WORD_NR, [nr.withValue(n), nr.without(n)]));
  // One syscall: first-match over its rules.
  const sc = scs[found];
  const bits = ir.arch.bits;
  for (let ri = 0; ri < sc.rules.length; ri++) {
    const rule = sc.rules[ri];
    if (rule.unconditional) return Decision.of(rule.action, found, ri);
    let mixed: Atom | null = null;
    let anyTrue = false;
    for (let c = 0; c < rule.clauses.length && !anyTrue; c++) {
      const atoms = rule.clauses[c].atoms;
      let clause = T;
      let first: Atom | null = null;
      for (let a = 0; a < atoms.length; a++) {
        const t = atomState(atoms[a], r, bits);
        if (t == F) { clause = F; break; }
        if (t == MIXED && clause == T) { clause = MIXED; first = atoms[a]; }
      }
      if (clause == T) anyTrue = true;
      else if (clause == MIXED && mixed == null) mixed = first;
    }
    // First match: a rule that surely holds decides; a rule that may hold must be split first.
    if (anyTrue) return Decision.of(rule.action, found, ri);
    if (mixed != null) return Decision.splitting(atomSplit(mixed, r, bits));
  }
  return Decision.of(ir.defaultAction, found, -1);
}

function not(t: i32): i32 { return t == T ? F : t == F ? T : t; }

/** Does d hold only c (T), never c (F), or both? */
function eqState(d: Domain, c: u32): i32 {
  if (!d.contains(c)) return F;
  return d.singleton ? T : MIXED;
}

/** x > c (or >= with inclusive) over d. */
function gtState(d: Domain, c: u32, inclusive: bool): i32 {
  const mn = d.min, mx = d.max;
  const cc: i64 = <i64>c;
  if (inclusive) return mn >= cc ? T : mx < cc ? F : MIXED;
  return mn > cc ? T : mx <= cc ? F : MIXED;
}

/** (x & m) != 0 over d. */
function anyBitState(d: Domain, m: u32): i32 {
  if (m == 0) return F;
  if (!d.someWithBits(m, 0)) return T;
  return d.someWithAnyBit(m) ? MIXED : F;
}

/**
 * Whether an IR atom holds on every input of the region (T), on none (F), or on some
 * (MIXED: atomSplit then gives the split that brings it closer to a decision). 64-bit
 * atoms combine their two words: ordered comparisons are lexicographic on (hi, lo).
 */
export function atomState(atom: Atom, r: Region, bits: i32): i32 {
  const v = atom.value;
  const lo = r.words[argLoWord(atom.arg)];
  const cl = <u32>(v & 0xffffffff);
  const ch = <u32>(v >> 32);
  const is32 = bits == 32;
  switch (atom.op) {
    case Op.EQ: return eqAtom(lo, r.words[argHiWord(atom.arg)], cl, ch, is32);
    case Op.NE: return not(eqAtom(lo, r.words[argHiWord(atom.arg)], cl, ch, is32));
    case Op.GT: return gtAtom(lo, r.words[argHiWord(atom.arg)], cl, ch, is32, false);
    case Op.GE: return gtAtom(lo, r.words[argHiWord(atom.arg)], cl, ch, is32, true);
    case Op.LE: return not(gtAtom(lo, r.words[argHiWord(atom.arg)], cl, ch, is32, false));
    case Op.LT: return not(gtAtom(lo, r.words[argHiWord(atom.arg)], cl, ch, is32, true));
    case Op.SET: {
      // (x & v) != 0: any bit of the low mask, or (64-bit) any bit of the high mask.
      const tl = anyBitState(lo, cl);
      if (is32 || tl == T) return tl;
      const th = anyBitState(r.words[argHiWord(atom.arg)], ch);
      if (th == T) return T;
      return tl == F && th == F ? F : MIXED;
    }
    case Op.IN: {
      // (x & ~v) == 0: no bit outside the mask, in each word.
      const tl = not(anyBitState(lo, ~cl));
      if (is32 || tl == F) return tl;
      const th = not(anyBitState(r.words[argHiWord(atom.arg)], ~ch));
      if (th == F) return F;
      return tl == T && th == T ? T : MIXED;
    }
  }
  return F;
}

function eqAtom(lo: Domain, hi: Domain, cl: u32, ch: u32, is32: bool): i32 {
  const tl = eqState(lo, cl);
  if (is32 || tl == F) return tl;
  const th = eqState(hi, ch);
  if (th == F) return F;
  return tl == T && th == T ? T : MIXED;
}

function gtAtom(lo: Domain, hi: Domain, cl: u32, ch: u32, is32: bool, inclusive: bool): i32 {
  if (is32) return gtState(lo, cl, inclusive);
  // Lexicographic on (hi, lo): decided on hi unless hi can equal ch.
  if (gtState(hi, ch, false) == T) return T;
  if (gtState(hi, ch, true) == F) return F;
  if (!hi.singleton) return MIXED;
  return gtState(lo, cl, inclusive); // hi == ch exactly
}

/** For a MIXED atom: an exact partition of one word that brings the atom closer to a decision. */
export function atomSplit(atom: Atom, r: Region, bits: i32): Split {
  const v = atom.value;
  const loW = argLoWord(atom.arg);
  const hiW = argHiWord(atom.arg);
  const lo = r.words[loW];
  const hi = r.words[hiW];
  const cl = <u32>(v & 0xffffffff);
  const ch = <u32>(v >> 32);
  const is32 = bits == 32;
  switch (atom.op) {
    case Op.EQ: case Op.NE: {
      if (!is32 && eqState(hi, ch) == MIXED) return new Split(hiW, [hi.withValue(ch), hi.without(ch)]);
      return new Split(loW, [lo.withValue(cl), lo.without(cl)]);
    }
    case Op.GT: case Op.LE: case Op.GE: case Op.LT: {
      const inclusive = atom.op == Op.GE || atom.op == Op.LT;
      if (!is32 && !hi.singleton) {
        // hi spans ch: below / equal / above.
        const parts = new Array<Domain>();
        if (ch > 0) { const p = hi.withRange(0, ch - 1); if (!p.empty) parts.push(p); }
        const e = hi.withValue(ch); if (!e.empty) parts.push(e);
        if (ch < 0xffffffff) { const p = hi.withRange(ch + 1, 0xffffffff); if (!p.empty) parts.push(p); }
        return new Split(hiW, parts);
      }
      if (inclusive) return new Split(loW, [lo.withRange(0, cl - 1), lo.withRange(cl, 0xffffffff)]);
      return new Split(loW, [lo.withRange(0, cl), lo.withRange(cl + 1, 0xffffffff)]);
    }
    case Op.SET: {
      if (is32 || anyBitState(lo, cl) == MIXED) return bitSplit(lo, loW, cl);
      return bitSplit(hi, hiW, ch);
    }
    case Op.IN: {
      if (is32 || anyBitState(lo, ~cl) == MIXED) return bitSplit(lo, loW, ~cl);
      return bitSplit(hi, hiW, ~ch);
    }
  }
  return new Split(loW, [lo]);
}

/** {some bit of m set} / {none}: two parts, the first kept whole by the domain's nonzero masks. */
function bitSplit(d: Domain, w: i32, m: u32): Split {
  return new Split(w, [d.withAnyBit(m), d.withBits(m, 0)]);
}
