// One syscall's rules restricted to a region of inputs: what is left of the IR once the
// region has fixed arch and nr. Clauses that are false everywhere in the region are gone,
// atoms that are true everywhere are gone, and a clause left with no atom ends the list
// (first match). For inputs in the region the residual means exactly what the IR means, so
// the verifier can carry it along a path and refine it word by word instead of evaluating
// the whole IR again at every step, and (more important) two paths that reach the same
// instruction with the same residual and the same values on the words still read afterwards
// have the same outcome: symbolic.ts proves such a state once.

import { PolicyIR, Atom, Op } from '../ir';
import { Region, Split, argLoWord, argHiWord } from './region';
import { Decision, atomState, atomSplit, T, F, MIXED } from './ireval';
import { sortNumbers } from '../sortnum';

/** A syscall's first-match clause list, flattened (a rule's clauses in order; an unconditional rule is one clause without atoms). */
export class ClauseTable {
  clauseRule: i32[] = [];
  /** Atoms of clause c: atoms[atomStart[c] .. atomStart[c + 1]). */
  atomStart: i32[] = [0];
  atoms: Atom[] = [];

  constructor(public ir: PolicyIR, public sc: i32) {
    const rules = ir.syscalls[sc].rules;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r];
      if (rule.unconditional) {
        this.clauseRule.push(r);
        this.atomStart.push(this.atoms.length);
        break; // nothing after an unconditional rule is reachable
      }
      for (let c = 0; c < rule.clauses.length; c++) {
        const atoms = rule.clauses[c].atoms;
        for (let a = 0; a < atoms.length; a++) this.atoms.push(atoms[a]);
        this.clauseRule.push(r);
        this.atomStart.push(this.atoms.length);
      }
    }
  }

  get clauses(): i32 { return this.clauseRule.length; }

  /** Region words the atoms of clauses `first`.. read. */
  wordsFrom(first: i32): i32 {
    const bits = this.ir.arch.bits;
    let words = 0;
    for (let i = this.atomStart[first]; i < this.atoms.length; i++) words |= atomWords(this.atoms[i], bits);
    return words;
  }
}

/** Residual of syscall `sc` (-1: no syscall, the constant `def`). */
export class Residual {
  /**
   * Per remaining clause: its index, the count n of its atoms still open, then those atom
   * indices. A clause with n = 0 holds everywhere and is the last item.
   */
  items: Int32Array;
  /** Bit per region word the open atoms read. */
  words: i32 = 0;

  constructor(public sc: i32, public def: u32, items: Int32Array) {
    this.items = items;
  }

  static constant(action: u32): Residual { return new Residual(-1, action, new Int32Array(0)); }
}

/** Region words atom `a` reads. */
function atomWords(a: Atom, bits: i32): i32 {
  const lo = 1 << argLoWord(a.arg);
  return bits == 32 ? lo : lo | (1 << argHiWord(a.arg));
}

// Scratch for building items (at most every atom and two numbers per clause).
let scratch = new Int32Array(0);

function ensureScratch(n: i32): void {
  if (scratch.length >= n) return;
  scratch = new Int32Array(max(n, scratch.length << 1));
  // Reused by later steps and calls: permanent (the verifier's work stacks free as they pop).
  arenaKeep();
}

/** The residual of clause table `t` on region `r`, from scratch. */
export function residualOf(t: ClauseTable, r: Region): Residual { return residualFrom(t, 0, r); }

/** The residual of the clauses `first`.. of table `t` on region `r` (the earlier ones taken as false). */
export function residualFrom(t: ClauseTable, first: i32, r: Region): Residual {
  const bits = t.ir.arch.bits;
  ensureScratch(2 * t.clauses + t.atoms.length);
  let n = 0;
  let words = 0;
  for (let c = first; c < t.clauses; c++) {
    const head = n;
    scratch[n++] = c;
    scratch[n++] = 0;
    let dead = false;
    for (let i = t.atomStart[c]; i < t.atomStart[c + 1]; i++) {
      const s = atomState(t.atoms[i], r, bits);
      if (s == F) { dead = true; break; }
      if (s == MIXED) { scratch[n++] = i; scratch[head + 1]++; }
    }
    if (dead) { n = head; continue; }
    if (scratch[head + 1] == 0) break;
    for (let x = head + 2; x < n; x++) words |= atomWords(t.atoms[scratch[x]], bits);
  }
  return finish(t, n, words);
}

function finish(t: ClauseTable, n: i32, words: i32): Residual {
  const items = new Int32Array(n);
  for (let i = 0; i < n; i++) items[i] = scratch[i];
  const res = new Residual(t.sc, t.ir.defaultAction, items);
  res.words = words;
  return res;
}

/** `res` after the region's word `w` was narrowed to `r`'s (only atoms reading w change). */
export function refineResidual(t: ClauseTable, res: Residual, r: Region, w: i32): Residual {
  if (res.sc < 0 || (res.words & (1 << w)) == 0) return res;
  const bits = t.ir.arch.bits;
  const items = res.items;
  ensureScratch(items.length);
  let n = 0;
  let words = 0;
  let k = 0;
  while (k < items.length) {
    const c = items[k];
    const count = items[k + 1];
    const head = n;
    scratch[n++] = c;
    scratch[n++] = 0;
    let dead = false;
    for (let x = k + 2; x < k + 2 + count; x++) {
      const i = items[x];
      const a = t.atoms[i];
      const s = (atomWords(a, bits) & (1 << w)) != 0 ? atomState(a, r, bits) : MIXED;
      if (s == F) { dead = true; break; }
      if (s == MIXED) { scratch[n++] = i; scratch[head + 1]++; }
    }
    k += 2 + count;
    if (dead) { n = head; continue; }
    if (scratch[head + 1] == 0) break;
    for (let x = head + 2; x < n; x++) words |= atomWords(t.atoms[scratch[x]], bits);
  }
  return finish(t, n, words);
}

/**
 * The residual's meaning on region `r`: one action, or a split of one word. As decideIR: a
 * rule with a clause that holds on all of `r` decides; otherwise its first clause that may
 * hold is split on its first undecided atom.
 */
export function decideResidual(t: ClauseTable | null, res: Residual, r: Region): Decision {
  if (t == null || res.sc < 0) return Decision.of(res.def);
  const bits = t.ir.arch.bits;
  const items = res.items;
  const rules = t.ir.syscalls[t.sc].rules;
  let k = 0;
  let pending: Atom | null = null;
  let pendingRule = -1;
  while (k < items.length) {
    const c = items[k];
    const count = items[k + 1];
    const rule = t.clauseRule[c];
    if (pending != null && rule != pendingRule) break;
    let state = T;
    let first: Atom | null = null;
    for (let x = k + 2; x < k + 2 + count; x++) {
      const a = t.atoms[items[x]];
      const s = atomState(a, r, bits);
      if (s == F) { state = F; break; }
      if (s == MIXED && state == T) { state = MIXED; first = a; }
    }
    if (state == T) return Decision.of(rules[rule].action, t.sc, rule);
    if (state == MIXED && pending == null) { pending = first; pendingRule = rule; }
    k += 2 + count;
  }
  if (pending != null) {
    const s = atomSplit(pending, r, bits);
    const m = medianSplit(t, res, r, s.word);
    return Decision.splitting(m != null ? m : s);
  }
  return Decision.of(res.def, t.sc, -1);
}

/** Below this many equality constants on one word, splits go one constant at a time. */
const MEDIAN_MIN: i32 = 16;

/**
 * A long list of equalities on one word (`arg0 == 0 || ... || arg0 == 9999`) split one
 * constant at a time re-reads the whole list for every constant: quadratic, 13 s for 10,000.
 * Instead the word is cut at the median of the residual's equality constants it still holds,
 * so each half keeps half the list (n log n). Both halves hold a constant, so the cut makes
 * progress; null when there are too few constants to matter.
 */
function medianSplit(t: ClauseTable, res: Residual, r: Region, w: i32): Split | null {
  if (w < argLoWord(0) || ((w - argLoWord(0)) & 1) != 0) return null; // argument low words only
  const d = r.words[w];
  const items = res.items;
  const cs = new Array<u32>();
  let k = 0;
  while (k < items.length) {
    const count = items[k + 1];
    for (let x = k + 2; x < k + 2 + count; x++) {
      const a = t.atoms[items[x]];
      if ((a.op != Op.EQ && a.op != Op.NE) || argLoWord(a.arg) != w) continue;
      const c = <u32>(a.value & 0xffffffff);
      if (d.contains(c)) cs.push(c);
    }
    k += 2 + count;
  }
  if (cs.length < MEDIAN_MIN) return null;
  sortNumbers(cs);
  let n = 0;
  for (let i = 0; i < cs.length; i++) if (n == 0 || cs[i] != cs[n - 1]) cs[n++] = cs[i];
  if (n < MEDIAN_MIN) return null;
  const m = cs[(n >> 1) - 1];
  return new Split(w, [d.withRange(0, m), d.withRange(m + 1, 0xffffffff)]);
}
