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

const T: i32 = 1, F: i32 = 0, MIXED: i32 = 2;

/** Tri-state result of an atom or clause over a region, with the split to make when mixed. */
class Tri {
  constructor(public v: i32, public split: Split | null = null) {}
}

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
    let anyMixed: Split | null = null;
    let anyTrue = false;
    for (let c = 0; c < rule.clauses.length && !anyTrue; c++) {
      const atoms = rule.clauses[c].atoms;
      let clause = T;
      let clauseSplit: Split | null = null;
      for (let a = 0; a < atoms.length; a++) {
        const t = atomOver(atoms[a], r, bits);
        if (t.v == F) { clause = F; break; }
        if (t.v == MIXED && clause == T) { clause = MIXED; clauseSplit = t.split; }
      }
      if (clause == T) anyTrue = true;
      else if (clause == MIXED && anyMixed == null) anyMixed = clauseSplit;
    }
    // First match: a rule that surely holds decides; a rule that may hold must be split first.
    if (anyTrue) return Decision.of(rule.action, found, ri);
    if (anyMixed != null) return Decision.splitting(anyMixed);
  }
  return Decision.of(ir.defaultAction, found, -1);
}

function atomOver(atom: Atom, r: Region, bits: i32): Tri {
  const v = atom.value;
  const loW = argLoWord(atom.arg);
  const hiW = argHiWord(atom.arg);
  const lo = r.words[loW];
  const hi = r.words[hiW];
  const cl = <u32>(v & 0xffffffff);
  const ch = <u32>(v >> 32);
  const is32 = bits == 32;
  switch (atom.op) {
    case Op.EQ: return eqOver(lo, hi, loW, hiW, cl, ch, is32);
    case Op.NE: return negate(eqOver(lo, hi, loW, hiW, cl, ch, is32));
    case Op.GT: return gtOver(lo, hi, loW, hiW, cl, ch, is32, false);
    case Op.GE: return gtOver(lo, hi, loW, hiW, cl, ch, is32, true);
    case Op.LE: return negate(gtOver(lo, hi, loW, hiW, cl, ch, is32, false));
    case Op.LT: return negate(gtOver(lo, hi, loW, hiW, cl, ch, is32, true));
    case Op.SET: {
      // (x & v) != 0: any bit of the low mask, or (64-bit) any bit of the high mask.
      const tl = anyBitOver(lo, loW, cl);
      if (is32 || tl.v == T) return tl;
      const th = anyBitOver(hi, hiW, ch);
      if (th.v == T) return th;
      if (tl.v == F && th.v == F) return new Tri(F);
      return tl.v == MIXED ? tl : th;
    }
    case Op.IN: {
      // (x & ~v) == 0: no bit outside the mask, in each word.
      const tl = negate(anyBitOver(lo, loW, ~cl));
      if (is32 || tl.v == F) return tl;
      const th = negate(anyBitOver(hi, hiW, ~ch));
      if (th.v == F) return th;
      if (tl.v == T && th.v == T) return new Tri(T);
      return tl.v == MIXED ? tl : th;
    }
  }
  return new Tri(F);
}

function negate(t: Tri): Tri {
  if (t.v == T) return new Tri(F);
  if (t.v == F) return new Tri(T);
  return t;
}

/** Does word domain d hold only c (T), never c (F), or both (split {c} / rest)? */
function wordEq(d: Domain, w: i32, c: u32): Tri {
  if (!d.contains(c)) return new Tri(F);
  if (d.singleton) return new Tri(T);
  return new Tri(MIXED, new Split(w, [d.withValue(c), d.without(c)]));
}

function eqOver(lo: Domain, hi: Domain, loW: i32, hiW: i32, cl: u32, ch: u32, is32: bool): Tri {
  const tl = wordEq(lo, loW, cl);
  if (is32 || tl.v == F) return tl;
  const th = wordEq(hi, hiW, ch);
  if (th.v == F) return th;
  if (tl.v == T && th.v == T) return new Tri(T);
  return th.v == MIXED ? th : tl;
}

/** x > c (or >= with inclusive) on one word: T, F, or a split at the boundary. */
function wordGt(d: Domain, w: i32, c: u32, inclusive: bool): Tri {
  const mn = d.min, mx = d.max;
  const cc: i64 = <i64>c;
  if (inclusive) {
    if (mn >= cc) return new Tri(T);
    if (mx < cc) return new Tri(F);
    return new Tri(MIXED, new Split(w, [d.withRange(0, c - 1), d.withRange(c, 0xffffffff)]));
  }
  if (mn > cc) return new Tri(T);
  if (mx <= cc) return new Tri(F);
  return new Tri(MIXED, new Split(w, [d.withRange(0, c), d.withRange(c + 1, 0xffffffff)]));
}

function gtOver(lo: Domain, hi: Domain, loW: i32, hiW: i32, cl: u32, ch: u32, is32: bool, inclusive: bool): Tri {
  if (is32) return wordGt(lo, loW, cl, inclusive);
  // Lexicographic on (hi, lo): decide on hi unless hi can equal ch.
  const above = wordGt(hi, hiW, ch, false); // hi > ch
  if (above.v == T) return new Tri(T);
  const atLeast = wordGt(hi, hiW, ch, true); // hi >= ch
  if (atLeast.v == F) return new Tri(F);
  if (!hi.singleton) {
    // hi spans ch: split into below / equal / above.
    const parts = new Array<Domain>();
    if (ch > 0) { const p = hi.withRange(0, ch - 1); if (!p.empty) parts.push(p); }
    const e = hi.withValue(ch); if (!e.empty) parts.push(e);
    if (ch < 0xffffffff) { const p = hi.withRange(ch + 1, 0xffffffff); if (!p.empty) parts.push(p); }
    return new Tri(MIXED, new Split(hiW, parts));
  }
  return wordGt(lo, loW, cl, inclusive); // hi == ch exactly
}

/** (w & m) != 0 over d. */
function anyBitOver(d: Domain, w: i32, m: u32): Tri {
  if (m == 0) return new Tri(F);
  const none = d.withBits(m, 0);
  if (none.empty) return new Tri(T);
  const some = d.splitAnyBit(m);
  if (some.length == 0) return new Tri(F);
  const parts = new Array<Domain>();
  for (let i = 0; i < some.length; i++) parts.push(some[i]);
  parts.push(none);
  return new Tri(MIXED, new Split(w, parts));
}
