// Per-syscall decision DAGs. A syscall's first-match rule list, lowered to entries
// (conjunction of word atoms -> action), is compiled into tests on 32-bit argument words:
//  * an ordered/equality atom on word w splits w's possible values at every constant that
//    any remaining entry compares w with; consecutive intervals that leave the same residual
//    rule list form one group, and a weighted search tree over the groups replaces chains of
//    comparisons (`arg1 == A || arg1 == B || ...` costs log(n), not n);
//  * a mask atom (`&`, `in`) becomes one JSET.
// What the tests so far imply about each word (its interval, known bits) simplifies the
// rest: decided atoms disappear, so `in ~PROT_EXEC` needs only the low word and a high word
// is tested once for all the constants that share it. Residuals are memoized (across
// syscalls too) and nodes are hash-consed, so identical argument blocks exist once.
// A register tracker (`aWord`) avoids reloading the word A already holds.

import { Dag, NO_LOAD, OP_JSET } from './dag';
import { WordAtom, WOp, wordOffset, ATOM_TRUE, ATOM_FALSE, ATOM_OPEN } from './lower';
import { RangeSet, buildSearch } from './search';
import { RET_ALLOW, RET_LOG, RET_ACTION_FULL } from '../actions';
import { sortNumbers } from '../sortnum';

export const WORDS: i32 = 12;

/** `if all atoms hold -> action` (empty atoms: always). */
export class Entry {
  constructor(public atoms: WordAtom[], public action: u32) {}
}

/** What the tests on the path so far imply about each argument word. */
export class Knowledge {
  lo: StaticArray<u32> = new StaticArray<u32>(WORDS);
  hi: StaticArray<u32> = new StaticArray<u32>(WORDS);
  /** Bits known to be 0 / 1. */
  zero: StaticArray<u32> = new StaticArray<u32>(WORDS);
  one: StaticArray<u32> = new StaticArray<u32>(WORDS);
  /** (word, mask) pairs known to have some bit set: `(w & mask) != 0`. */
  nzWord: i32[] = [];
  nzMask: u32[] = [];

  constructor() {
    for (let w = 0; w < WORDS; w++) this.hi[w] = 0xffffffff;
  }

  /**
   * What is known about the words in `used` (a bit per word), as numbers: lo, hi, zero, one
   * per used word in word order, then (word << 32 | mask) of each nonzero fact on a used word
   * in the order they were learnt. Two states decide a residual alike iff their snapshots are
   * equal.
   */
  snapshot(used: i32): u64[] {
    const out = new Array<u64>();
    for (let w = 0; w < WORDS; w++) {
      if ((used & (1 << w)) == 0) continue;
      out.push((<u64>this.lo[w] << 32) | <u64>this.hi[w]);
      out.push((<u64>this.zero[w] << 32) | <u64>this.one[w]);
    }
    for (let i = 0; i < this.nzWord.length; i++) {
      if ((used & (1 << this.nzWord[i])) != 0) out.push((<u64>this.nzWord[i] << 32) | <u64>this.nzMask[i]);
    }
    return out;
  }

  /** `h` with the numbers of snapshot(used) folded in, without building the snapshot. */
  hashFor(h: u32, used: i32): u32 {
    for (let w = 0; w < WORDS; w++) {
      if ((used & (1 << w)) == 0) continue;
      h = mix(mix(h, unchecked(this.lo[w])), unchecked(this.hi[w]));
      h = mix(mix(h, unchecked(this.zero[w])), unchecked(this.one[w]));
    }
    for (let i = 0; i < this.nzWord.length; i++) {
      const w = unchecked(this.nzWord[i]);
      if ((used & (1 << w)) != 0) h = mix(mix(h, <u32>w), unchecked(this.nzMask[i]));
    }
    return h;
  }

  /** snapshot(used) equals `known`, compared without building it. */
  matches(known: u64[], used: i32): bool {
    let k = 0;
    const n = known.length;
    for (let w = 0; w < WORDS; w++) {
      if ((used & (1 << w)) == 0) continue;
      if (k + 2 > n) return false;
      if (unchecked(known[k++]) != ((<u64>unchecked(this.lo[w]) << 32) | <u64>unchecked(this.hi[w]))) return false;
      if (unchecked(known[k++]) != ((<u64>unchecked(this.zero[w]) << 32) | <u64>unchecked(this.one[w]))) return false;
    }
    for (let i = 0; i < this.nzWord.length; i++) {
      const w = unchecked(this.nzWord[i]);
      if ((used & (1 << w)) == 0) continue;
      if (k >= n || unchecked(known[k++]) != ((<u64>w << 32) | <u64>unchecked(this.nzMask[i]))) return false;
    }
    return k == n;
  }
}

// @ts-ignore: decorator
@inline function mix(h: u32, v: u32): u32 { return (h ^ v) * 0x01000193; }

/** One memoized decision: the residual, the word in A and the knowledge it was built under. */
class MemoEntry {
  constructor(public res: Residual, public aWord: i32, public known: u64[], public node: i32, public next: MemoEntry | null) {}
}

function someBitSet(w: i32, m: u32, K: Knowledge): i32 {
  const lo = K.lo[w];
  const hi = K.hi[w];
  if (lo == hi) return (lo & m) != 0 ? ATOM_TRUE : ATOM_FALSE;
  if ((m & ~K.zero[w]) == 0) return ATOM_FALSE;
  if ((m & K.one[w]) != 0) return ATOM_TRUE;
  // Bits above the highest bit where lo and hi differ are the same for the whole interval.
  const free: u32 = 0xffffffff >> <u32>clz(lo ^ hi);
  if ((m & free) == 0) return (lo & m) != 0 ? ATOM_TRUE : ATOM_FALSE;
  if ((lo & m & ~free) != 0) return ATOM_TRUE;
  for (let i = 0; i < K.nzWord.length; i++) {
    if (K.nzWord[i] == w && (K.nzMask[i] & ~m) == 0) return ATOM_TRUE;
  }
  return ATOM_OPEN;
}

function not(r: i32): i32 { return r == ATOM_OPEN ? r : r == ATOM_TRUE ? ATOM_FALSE : ATOM_TRUE; }

/** Decide a word atom from knowledge alone, or ATOM_OPEN. */
export function evalAtom(a: WordAtom, K: Knowledge): i32 {
  const w = a.w;
  const lo = K.lo[w];
  const hi = K.hi[w];
  const k = a.k;
  switch (a.op) {
    case WOp.EQ: case WOp.NE: {
      let r = ATOM_OPEN;
      if (k < lo || k > hi) r = ATOM_FALSE;
      else if (lo == hi) r = ATOM_TRUE;
      else if ((k & K.zero[w]) != 0 || (~k & K.one[w]) != 0) r = ATOM_FALSE;
      return a.op == WOp.EQ ? r : not(r);
    }
    case WOp.LT: return hi < k ? ATOM_TRUE : lo >= k ? ATOM_FALSE : ATOM_OPEN;
    case WOp.LE: return hi <= k ? ATOM_TRUE : lo > k ? ATOM_FALSE : ATOM_OPEN;
    case WOp.GT: return lo > k ? ATOM_TRUE : hi <= k ? ATOM_FALSE : ATOM_OPEN;
    case WOp.GE: return lo >= k ? ATOM_TRUE : hi < k ? ATOM_FALSE : ATOM_OPEN;
    case WOp.SET: return someBitSet(w, k, K);
    case WOp.CLR: return not(someBitSet(w, k, K));
  }
  return ATOM_OPEN;
}

/** A rule list after simplification: entries (first match wins), then `def`. */
export class Residual {
  /** Bit per word some atom reads. */
  used: i32 = 0;
  constructor(public entries: Entry[], public def: u32) {}

  /** Hash of the rule list (memo buckets; equality is `same`). */
  get hash(): u32 {
    let h = mix(0x811c9dc5, this.def);
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = unchecked(entries[i]);
      h = mix(mix(h, e.action), <u32>e.atoms.length);
      for (let j = 0; j < e.atoms.length; j++) {
        const a = unchecked(e.atoms[j]);
        h = mix(mix(mix(h, <u32>a.w), <u32>a.op), a.k);
      }
    }
    return h;
  }

  /** Same rule list (atoms are shared objects after lowering, so mostly reference checks). */
  same(o: Residual): bool {
    if (this.def != o.def || this.entries.length != o.entries.length) return false;
    for (let i = 0; i < this.entries.length; i++) {
      const a = this.entries[i];
      const b = o.entries[i];
      if (a === b) continue;
      if (a.action != b.action || a.atoms.length != b.atoms.length) return false;
      for (let j = 0; j < a.atoms.length; j++) {
        const x = a.atoms[j];
        const y = b.atoms[j];
        if (x !== y && (x.w != y.w || x.op != y.op || x.k != y.k)) return false;
      }
    }
    return true;
  }
}

/** The rule list under knowledge K; `steps` counts work for the caller's budget. */
export function simplify(entries: Entry[], def: u32, K: Knowledge, steps: Int32Array): Residual {
  const out: Entry[] = [];
  let work = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    let atoms: WordAtom[] | null = null;
    let dead = false;
    work += e.atoms.length + 1;
    for (let j = 0; j < e.atoms.length; j++) {
      const r = evalAtom(e.atoms[j], K);
      if (r == ATOM_FALSE) { dead = true; break; }
      if (r == ATOM_TRUE) {
        if (atoms == null) atoms = e.atoms.slice(0, j);
      } else if (atoms != null) {
        atoms.push(e.atoms[j]);
      }
    }
    if (dead) continue;
    const kept = atoms == null ? e : new Entry(atoms, e.action);
    out.push(kept);
    if (kept.atoms.length == 0) break;
  }
  steps[0] += work;
  return finishResidual(out, def);
}

function finishResidual(out: Entry[], def: u32): Residual {
  let eff = def;
  // An entry that always matches is the new default; entries that end in the default anyway
  // change nothing.
  if (out.length > 0 && out[out.length - 1].atoms.length == 0) eff = out.pop().action;
  while (out.length > 0 && out[out.length - 1].action == eff) out.pop();
  const res = new Residual(out, eff);
  let used = 0;
  for (let i = 0; i < out.length; i++) {
    const atoms = out[i].atoms;
    for (let j = 0; j < atoms.length; j++) used |= 1 << atoms[j].w;
  }
  res.used = used;
  return res;
}

/** Atoms simplifyEntry evaluated (plus one per entry): the work measure of simplifyWord. */
let entryWork: i32 = 0;

/**
 * Entry `e` after the knowledge about word `w` changed: `e` itself, a copy without the atoms
 * now true, or null when an atom is now false (only atoms on w need evaluating: see
 * simplifyWord). Adds the atoms evaluated, plus one, to entryWork.
 */
// @ts-ignore: decorator
@inline function simplifyEntry(e: Entry, K: Knowledge, w: i32): Entry | null {
  const atoms = e.atoms;
  let kept: WordAtom[] | null = null;
  let work = 1;
  for (let j = 0; j < atoms.length; j++) {
    const a = unchecked(atoms[j]);
    if (a.w != w) { if (kept != null) kept.push(a); continue; }
    work++;
    const r = evalAtom(a, K);
    if (r == ATOM_FALSE) { entryWork += work; return null; }
    if (r == ATOM_TRUE) {
      if (kept == null) kept = atoms.slice(0, j);
    } else if (kept != null) {
      kept.push(a);
    }
  }
  entryWork += work;
  return kept == null ? e : new Entry(kept, e.action);
}

/**
 * simplify() after the knowledge about one word `w` changed: every atom of `entries` is
 * undecided under the previous knowledge (residuals are always simplified under the
 * knowledge they are built with), so only atoms on w need evaluating.
 */
export function simplifyWord(entries: Entry[], def: u32, K: Knowledge, w: i32, steps: Int32Array): Residual {
  const out: Entry[] = [];
  entryWork = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = simplifyEntry(unchecked(entries[i]), K, w);
    if (entry == null) continue;
    out.push(entry);
    if (entry.atoms.length == 0) break;
  }
  steps[0] += entryWork;
  return finishResidual(out, def);
}

/** The constant of the first atom on w in `e` (there is one). */
function firstConstantOn(e: Entry, w: i32): u32 {
  const atoms = e.atoms;
  for (let j = 0; j < atoms.length; j++) if (atoms[j].w == w) return atoms[j].k;
  return 0;
}

/**
 * simplifyWord for each interval of w in turn (ascending, disjoint), in time about the
 * entries that can survive rather than all entries per interval. An entry whose first atom
 * on w is `w == k` is dead on every interval without k (evalAtom: false as soon as k is
 * outside [lo, hi]), after evaluating exactly that atom: simplifyWord would count 2 for it.
 * Those entries are evaluated only on the interval holding k; the others on every interval.
 * Outputs and the work counted are simplifyWord's, interval by interval.
 */
class IntervalSimplifier {
  /** Entries whose first atom on w is not an equality: evaluated on every interval. */
  general: i32[] = [];
  /** Equality-first entries by (k, index). */
  eqIndex: i32[] = [];
  eqK: u32[] = [];
  /** eqBefore[i]: equality-first entries among entries[0..i-1]. */
  eqBefore: Int32Array;
  /** Next eqIndex position whose k is not below the current interval. */
  cursor: i32 = 0;
  cand: i32[] = [];

  constructor(public entries: Entry[], public def: u32, public w: i32) {
    const n = entries.length;
    this.eqBefore = new Int32Array(n + 1);
    const eq: i32[] = [];
    for (let i = 0; i < n; i++) {
      const atoms = entries[i].atoms;
      let first = -1;
      for (let j = 0; j < atoms.length; j++) if (atoms[j].w == w) { first = j; break; }
      const isEq = first >= 0 && atoms[first].op == WOp.EQ;
      this.eqBefore[i + 1] = this.eqBefore[i] + (isEq ? 1 : 0);
      if (isEq) eq.push(i);
      else this.general.push(i);
    }
    // By (k, index), packed in one u64 key.
    const pairs: u64[] = [];
    for (let x = 0; x < eq.length; x++) pairs.push((<u64>firstConstantOn(entries[eq[x]], w) << 32) | <u64>eq[x]);
    sortNumbers(pairs);
    for (let x = 0; x < pairs.length; x++) {
      this.eqK.push(<u32>(pairs[x] >> 32));
      this.eqIndex.push(<i32>(pairs[x] & 0xffffffff));
    }
  }

  /** The residual on the interval K.lo[w]..K.hi[w] (not below any earlier call's). */
  next(K: Knowledge, steps: Int32Array): Residual {
    const w = this.w;
    const lo = K.lo[w];
    const hi = K.hi[w];
    const entries = this.entries;
    while (this.cursor < this.eqK.length && this.eqK[this.cursor] < lo) this.cursor++;
    // The equality-first entries alive here, by index.
    const cand = this.cand;
    cand.length = 0;
    for (let p = this.cursor; p < this.eqK.length && this.eqK[p] <= hi; p++) cand.push(this.eqIndex[p]);
    sortNumbers(cand);
    const general = this.general;
    const out: Entry[] = [];
    entryWork = 0;
    let gi = 0;
    let ci = 0;
    // Entries from `limit` on are never looked at (an entry with no atoms left ends the list).
    let limit = entries.length;
    while (gi < general.length || ci < cand.length) {
      let i: i32;
      if (ci >= cand.length || (gi < general.length && general[gi] < cand[ci])) i = general[gi++];
      else i = cand[ci++];
      const entry = simplifyEntry(entries[i], K, w);
      if (entry == null) continue;
      out.push(entry);
      if (entry.atoms.length == 0) { limit = i; break; }
    }
    // The dead equality-first entries before `limit`: 2 each.
    let candBefore = 0;
    for (let x = 0; x < cand.length; x++) if (cand[x] < limit) candBefore++;
    entryWork += 2 * (this.eqBefore[limit] - candBefore);
    steps[0] += entryWork;
    return finishResidual(out, this.def);
  }
}

/** Groups that can end in these actions are the ones worth reaching quickly. */
function allowLike(a: u32): bool {
  const k = a & RET_ACTION_FULL;
  return k == RET_ALLOW || k == RET_LOG;
}

function mayAllow(r: Residual): bool {
  if (allowLike(r.def)) return true;
  for (let i = 0; i < r.entries.length; i++) if (allowLike(r.entries[i].action)) return true;
  return false;
}

/** Most tests on one path of a decision DAG before falling back to chain code. */
const MAX_DEPTH: i32 = 200;

/** Relative weight of an argument group that cannot allow (rejections are rare in practice). */
const DENY_GROUP_WEIGHT: f64 = 0.1;

/** Builds decision DAGs into a shared Dag; one instance per compile. */
export class Decider {
  /** Decisions already built, by hash of (residual, word in A, knowledge); chained. */
  private memo: Map<u32, MemoEntry> = new Map<u32, MemoEntry>();
  steps: Int32Array = new Int32Array(1);
  /** Recursion depth (tests on one path); bounded so no IR can exhaust the wasm stack. */
  private depth: i32 = 0;
  budget: i32 = 0;
  failed: bool = false;

  constructor(public dag: Dag) {}

  /**
   * The node deciding `res` when A holds `aWord` (a seccomp_data offset). Sets `failed` (and
   * returns a placeholder) when the work exceeds `budget` steps; callers then fall back to
   * the linear code of chain.ts for this syscall.
   */
  run(res: Residual, aWord: i32, budget: i32): i32 {
    this.steps[0] = 0;
    this.budget = budget;
    this.failed = false;
    this.depth = 0;
    return this.build(res, new Knowledge(), aWord);
  }

  private build(res: Residual, K: Knowledge, aWord: i32): i32 {
    if (res.entries.length == 0) return this.dag.ret(res.def);
    if (this.failed || this.steps[0] > this.budget || this.depth >= MAX_DEPTH) { this.failed = true; return this.dag.ret(res.def); }
    this.depth++;
    const node = this.buildMemo(res, K, aWord);
    this.depth--;
    return node;
  }

  private buildMemo(res: Residual, K: Knowledge, aWord: i32): i32 {
    // The knowledge is hashed and compared in place; its snapshot is built only to store.
    const hash = K.hashFor(mix(res.hash, <u32>aWord), res.used);
    let e: MemoEntry | null = this.memo.has(hash) ? this.memo.get(hash) : null;
    while (e != null) {
      if (e.aWord == aWord && K.matches(e.known, res.used) && e.res.same(res)) return e.node;
      e = e.next;
    }
    const first = res.entries[0].atoms;
    let pick = first[0];
    for (let j = 0; j < first.length; j++) {
      if (wordOffset(first[j].w) == aWord) { pick = first[j]; break; }
    }
    const node = pick.isMask ? this.branchMask(res, K, aWord, pick) : this.branchIntervals(res, K, aWord, pick.w);
    // Looked up again: building may have added entries to this bucket.
    if (!this.failed) this.memo.set(hash, new MemoEntry(res, aWord, K.snapshot(res.used), node, this.memo.has(hash) ? this.memo.get(hash) : null));
    return node;
  }

  private branchMask(res: Residual, K: Knowledge, aWord: i32, a: WordAtom): i32 {
    const w = a.w;
    const m = a.k;
    const off = wordOffset(w);
    const savedZero = K.zero[w];
    const savedOne = K.one[w];
    K.nzWord.push(w);
    K.nzMask.push(m);
    if (popcnt(m) == 1) K.one[w] |= m;
    const t = this.build(simplifyWord(res.entries, res.def, K, w, this.steps), K, off);
    K.nzWord.pop();
    K.nzMask.pop();
    K.one[w] = savedOne;
    K.zero[w] |= m;
    const f = this.build(simplifyWord(res.entries, res.def, K, w, this.steps), K, off);
    K.zero[w] = savedZero;
    return this.dag.test(aWord == off ? NO_LOAD : off, OP_JSET, m, t, f);
  }

  private branchIntervals(res: Residual, K: Knowledge, aWord: i32, w: i32): i32 {
    const lo = K.lo[w];
    const hi = K.hi[w];
    const off = wordOffset(w);
    // Every value where some ordered/equality atom on w changes its truth.
    const cuts: u32[] = [];
    for (let i = 0; i < res.entries.length; i++) {
      const atoms = res.entries[i].atoms;
      for (let j = 0; j < atoms.length; j++) {
        const a = atoms[j];
        if (a.w != w || a.isMask) continue;
        const k = a.k;
        if (a.op == WOp.EQ || a.op == WOp.NE) {
          cuts.push(k);
          if (k != 0xffffffff) cuts.push(k + 1);
        } else if (a.op == WOp.LT || a.op == WOp.GE) {
          cuts.push(k);
        } else if (k != 0xffffffff) {
          cuts.push(k + 1);
        }
      }
    }
    sortNumbers(cuts);
    const starts: u32[] = [lo];
    for (let i = 0; i < cuts.length; i++) {
      const c = cuts[i];
      if (c > lo && c <= hi && c != starts[starts.length - 1]) starts.push(c);
    }
    // Residual per interval; consecutive equal residuals form one group.
    const groupStart: u32[] = [];
    const groupRes: Residual[] = [];
    const intervals = new IntervalSimplifier(res.entries, res.def, w);
    for (let i = 0; i < starts.length; i++) {
      K.lo[w] = starts[i];
      K.hi[w] = i + 1 < starts.length ? starts[i + 1] - 1 : hi;
      const r = intervals.next(K, this.steps);
      if (this.steps[0] > this.budget) {
        this.failed = true;
        K.lo[w] = lo;
        K.hi[w] = hi;
        return this.dag.ret(res.def);
      }
      if (groupRes.length > 0 && groupRes[groupRes.length - 1].same(r)) continue;
      groupStart.push(starts[i]);
      groupRes.push(r);
    }
    const ranges = new RangeSet();
    for (let g = 0; g < groupRes.length; g++) {
      K.lo[w] = groupStart[g];
      K.hi[w] = g + 1 < groupStart.length ? groupStart[g + 1] - 1 : hi;
      const r = groupRes[g];
      const child = this.build(r, K, off);
      ranges.add(groupStart[g], child, mayAllow(r) ? 1.0 : DENY_GROUP_WEIGHT);
    }
    K.lo[w] = lo;
    K.hi[w] = hi;
    return buildSearch(this.dag, ranges, hi, aWord == off ? NO_LOAD : off);
  }
}
