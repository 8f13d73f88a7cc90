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
   * What is known about the words in `used` (a bit per word) that atoms can observe, as
   * numbers: lo, hi, and the zero and one bits within `bits[w]` per used word in word order,
   * then (word << 32 | mask) of each nonzero fact on a used word whose mask lies within
   * `bits[w]`, in the order they were learnt. observedBits says which bits each word's atoms
   * can see; two states whose snapshots are equal decide the residual alike (its atoms and
   * every residual below it, whose atoms are a subset, evaluate alike, and what the tests
   * below add to the knowledge stays within those bits). Knowledge no atom can observe (the
   * zero bits left by an `in` mask that an unrelated mask test cannot use) would otherwise
   * tell apart states that decide the same, and a list of such tests would be built once
   * per path through it.
   */
  snapshot(used: i32, bits: StaticArray<u32>): u64[] {
    const out = new Array<u64>();
    for (let w = 0; w < WORDS; w++) {
      if ((used & (1 << w)) == 0) continue;
      const b = bits[w];
      out.push((<u64>this.lo[w] << 32) | <u64>this.hi[w]);
      out.push((<u64>(this.zero[w] & b) << 32) | <u64>(this.one[w] & b));
    }
    for (let i = 0; i < this.nzWord.length; i++) {
      const w = this.nzWord[i];
      if ((used & (1 << w)) != 0 && (this.nzMask[i] & ~bits[w]) == 0) out.push((<u64>w << 32) | <u64>this.nzMask[i]);
    }
    return out;
  }

  /** A knowledge with only the intervals of the words in `used`. */
  intervalsOf(used: i32): Knowledge {
    const K = new Knowledge();
    for (let w = 0; w < WORDS; w++) {
      if ((used & (1 << w)) == 0) continue;
      K.lo[w] = this.lo[w];
      K.hi[w] = this.hi[w];
    }
    return K;
  }

  /** `h` with the numbers of snapshot(used, bits) folded in, without building the snapshot. */
  hashFor(h: u32, used: i32, bits: StaticArray<u32>): u32 {
    for (let w = 0; w < WORDS; w++) {
      if ((used & (1 << w)) == 0) continue;
      const b = unchecked(bits[w]);
      h = mix(mix(h, unchecked(this.lo[w])), unchecked(this.hi[w]));
      h = mix(mix(h, unchecked(this.zero[w]) & b), unchecked(this.one[w]) & b);
    }
    for (let i = 0; i < this.nzWord.length; i++) {
      const w = unchecked(this.nzWord[i]);
      const m = unchecked(this.nzMask[i]);
      if ((used & (1 << w)) != 0 && (m & ~unchecked(bits[w])) == 0) h = mix(mix(h, <u32>w), m);
    }
    return h;
  }

  /** snapshot(used, bits) equals `known`, compared without building it. */
  matches(known: u64[], used: i32, bits: StaticArray<u32>): bool {
    let k = 0;
    const n = known.length;
    for (let w = 0; w < WORDS; w++) {
      if ((used & (1 << w)) == 0) continue;
      if (k + 2 > n) return false;
      const b = unchecked(bits[w]);
      if (unchecked(known[k++]) != ((<u64>unchecked(this.lo[w]) << 32) | <u64>unchecked(this.hi[w]))) return false;
      if (unchecked(known[k++]) != ((<u64>(unchecked(this.zero[w]) & b) << 32) | <u64>(unchecked(this.one[w]) & b))) return false;
    }
    for (let i = 0; i < this.nzWord.length; i++) {
      const w = unchecked(this.nzWord[i]);
      const m = unchecked(this.nzMask[i]);
      if ((used & (1 << w)) == 0 || (m & ~unchecked(bits[w])) != 0) continue;
      if (k >= n || unchecked(known[k++]) != ((<u64>w << 32) | <u64>m)) return false;
    }
    return k == n;
  }
}

/** No bits observed: snapshots of the intervals alone. */
const NO_BITS = new StaticArray<u32>(WORDS);

/**
 * Per word, the bits of known-zero/one knowledge the atoms of `res` can observe (into
 * `bits`): all of them for a word with an `==`/`!=` atom (evalAtom compares the constant
 * with both masks), the union of the masks of its mask atoms otherwise. Ordered atoms
 * observe only the interval.
 */
function observedBits(res: Residual, bits: StaticArray<u32>): void {
  for (let w = 0; w < WORDS; w++) unchecked(bits[w] = 0);
  const entries = res.entries;
  for (let i = 0; i < entries.length; i++) {
    const atoms = unchecked(entries[i]).atoms;
    for (let j = 0; j < atoms.length; j++) {
      const a = unchecked(atoms[j]);
      if (a.isMask) unchecked(bits[a.w] |= a.k);
      else if (a.op == WOp.EQ || a.op == WOp.NE) unchecked(bits[a.w] = 0xffffffff);
    }
  }
}

// @ts-ignore: decorator
@inline function mix(h: u32, v: u32): u32 { return (h ^ v) * 0x01000193; }

/** One memoized decision: the residual, the word in A and the knowledge it was built under. */
class MemoEntry {
  constructor(public res: Residual, public aWord: i32, public fall: i32, public known: u64[], public node: i32, public next: MemoEntry | null) {}
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

/**
 * A residual's default that is no action: "go on with the code after this decision" (a
 * segment of a long rule list falls through to the next segment, see codegen.ts). Actions
 * are u32 RET values, so this u64 can be none of them.
 */
export const FALLTHROUGH: u64 = <u64>1 << 32;

/** A rule list after simplification: entries (first match wins), then `def` (an action or FALLTHROUGH). */
export class Residual {
  /** Bit per word some atom reads. */
  used: i32 = 0;
  /** Entries plus atoms: the work of hashing or copying it. */
  size: i32 = 0;
  constructor(public entries: Entry[], public def: u64) {}

  /** Hash of the rule list (memo buckets; equality is `same`). */
  get hash(): u32 {
    let h = mix(mix(0x811c9dc5, <u32>this.def), <u32>(this.def >> 32));
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
export function simplify(entries: Entry[], def: u64, K: Knowledge, steps: Int32Array): Residual {
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

function finishResidual(out: Entry[], def: u64): Residual {
  let eff = def;
  // An entry that always matches is the new default; entries that end in the default anyway
  // change nothing.
  if (out.length > 0 && out[out.length - 1].atoms.length == 0) eff = <u64>out.pop().action;
  while (out.length > 0 && <u64>out[out.length - 1].action == eff) out.pop();
  const res = new Residual(out, eff);
  let used = 0;
  let size = out.length;
  for (let i = 0; i < out.length; i++) {
    const atoms = out[i].atoms;
    size += atoms.length;
    for (let j = 0; j < atoms.length; j++) used |= 1 << atoms[j].w;
  }
  res.used = used;
  res.size = size;
  return res;
}

/** Atoms simplifyEntry evaluated (plus one per entry): the work measure of the simplifiers. */
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
export function simplifyWord(entries: Entry[], def: u64, K: Knowledge, w: i32, steps: Int32Array): Residual {
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

/**
 * The values of word w an entry can match at all: the intersection of its ordered and
 * equality atoms on w (lo > hi when empty). Mask and `!=` atoms do not narrow it.
 */
function supportOn(e: Entry, w: i32): u64 {
  let lo: u32 = 0;
  let hi: u32 = 0xffffffff;
  const atoms = e.atoms;
  for (let j = 0; j < atoms.length; j++) {
    const a = unchecked(atoms[j]);
    if (a.w != w) continue;
    const k = a.k;
    switch (a.op) {
      case WOp.EQ: { if (k > lo) lo = k; if (k < hi) hi = k; break; }
      case WOp.LT: { if (k == 0) return <u64>1 << 32; if (k - 1 < hi) hi = k - 1; break; }
      case WOp.LE: { if (k < hi) hi = k; break; }
      case WOp.GT: { if (k == 0xffffffff) return <u64>1 << 32; if (k + 1 > lo) lo = k + 1; break; }
      case WOp.GE: { if (k > lo) lo = k; break; }
      default: break;
    }
  }
  return (<u64>lo << 32) | <u64>hi;
}

/**
 * simplifyWord for each cell of w in turn, ascending. The cells are those of
 * branchIntervals: cut at every constant an ordered or equality atom on w compares with, so
 * each such atom is true or false on a whole cell. An entry is therefore dead on every cell
 * outside its support (supportOn: one of its atoms is false there) and alive-or-simplified
 * only on the cells inside it. Entries with a bounded support join the active set at their
 * first cell and leave it after their last; only the active ones and those with no bound on
 * w are looked at. A list of n equalities, or of disjoint ranges, costs O(n log n) for all
 * cells together, not O(n) per cell. The residuals are exactly simplifyWord's; `steps` gets
 * the work actually done (entries and atoms looked at), so the budget bounds real time.
 */
class CellSimplifier {
  /** Entries with the full support, by index: looked at on every cell. */
  general: i32[] = [];
  /** Bounded entries as (support start << 32 | index), ascending. */
  byStart: u64[] = [];
  /** Support end of each entry, by index. */
  ends: Uint32Array;
  /** Next byStart position not yet active. */
  nextStart: i32 = 0;
  /** Bounded entries whose support has begun and not yet ended. */
  active: i32[] = [];
  cand: i32[] = [];

  constructor(public entries: Entry[], public def: u64, public w: i32) {
    const n = entries.length;
    this.ends = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const s = supportOn(entries[i], w);
      const lo = <u32>(s >> 32);
      const hi = <u32>(s & 0xffffffff);
      if (lo > hi) continue; // no cell holds a value it can match
      if (lo == 0 && hi == 0xffffffff) { this.general.push(i); continue; }
      this.ends[i] = hi;
      this.byStart.push((<u64>lo << 32) | <u64>i);
    }
    sortNumbers(this.byStart);
  }

  /** The residual on the cell K.lo[w]..K.hi[w] (above every earlier call's cell). */
  next(K: Knowledge, steps: Int32Array): Residual {
    const w = this.w;
    const lo = K.lo[w];
    const hi = K.hi[w];
    const byStart = this.byStart;
    const active = this.active;
    while (this.nextStart < byStart.length && <u32>(unchecked(byStart[this.nextStart]) >> 32) <= hi) {
      active.push(<i32>(unchecked(byStart[this.nextStart]) & 0xffffffff));
      this.nextStart++;
    }
    // Drop the entries whose support ended below this cell; the rest contain it.
    const cand = this.cand;
    cand.length = 0;
    let keep = 0;
    for (let x = 0; x < active.length; x++) {
      const i = unchecked(active[x]);
      if (unchecked(this.ends[i]) < lo) continue;
      active[keep++] = i;
      cand.push(i);
    }
    active.length = keep;
    sortNumbers(cand);
    const general = this.general;
    const entries = this.entries;
    const out: Entry[] = [];
    entryWork = 1 + keep;
    let gi = 0;
    let ci = 0;
    while (gi < general.length || ci < cand.length) {
      let i: i32;
      if (ci >= cand.length || (gi < general.length && unchecked(general[gi]) < unchecked(cand[ci]))) i = unchecked(general[gi++]);
      else i = unchecked(cand[ci++]);
      const entry = simplifyEntry(unchecked(entries[i]), K, w);
      if (entry == null) continue;
      out.push(entry);
      if (entry.atoms.length == 0) break;
    }
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
  // Falling through may still allow.
  if (r.def == FALLTHROUGH || allowLike(<u32>r.def)) return true;
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
  /** By hash of (residual, word in A, intervals): node -1 = built once under fuller knowledge. */
  private weak: Map<u32, MemoEntry> = new Map<u32, MemoEntry>();
  steps: Int32Array = new Int32Array(1);
  /** Recursion depth (tests on one path); bounded so no IR can exhaust the wasm stack. */
  private depth: i32 = 0;
  budget: i32 = 0;
  failed: bool = false;
  /** The node FALLTHROUGH leads to in the current run (-1: none). */
  fall: i32 = -1;

  constructor(public dag: Dag) {}

  /** The code for a residual default. */
  private leaf(def: u64): i32 { return def == FALLTHROUGH ? this.fall : this.dag.ret(<u32>def); }

  /**
   * The node deciding `res` when A holds `aWord` (a seccomp_data offset). Sets `failed` (and
   * returns a placeholder) when the work exceeds `budget` steps; callers then fall back to
   * the linear code of chain.ts for this syscall. `fall` is the node FALLTHROUGH leads to
   * (entered with A holding anything: its first test must load its word).
   */
  run(res: Residual, aWord: i32, budget: i32, fall: i32 = -1): i32 {
    this.fall = fall;
    this.steps[0] = 0;
    this.budget = budget;
    this.failed = false;
    this.depth = 0;
    return this.build(res, new Knowledge(), aWord);
  }

  private build(res: Residual, K: Knowledge, aWord: i32): i32 {
    if (res.entries.length == 0) return this.leaf(res.def);
    if (this.failed || this.steps[0] > this.budget || this.depth >= MAX_DEPTH) { this.failed = true; return this.leaf(res.def); }
    this.depth++;
    const node = this.buildMemo(res, K, aWord);
    this.depth--;
    return node;
  }

  private buildMemo(res: Residual, K: Knowledge, aWord: i32): i32 {
    // Hashing (and storing) the residual is work too: a decision that keeps meeting large
    // residuals must run out of budget, not time.
    this.steps[0] += res.size;
    // The knowledge is hashed and compared in place; its snapshot is built only to store.
    // A residual that falls through is decided differently for each node it falls to.
    const fall = res.def == FALLTHROUGH ? this.fall : -1;
    const bits = new StaticArray<u32>(WORDS);
    observedBits(res, bits);
    const hash = K.hashFor(mix(mix(res.hash, <u32>aWord), <u32>fall), res.used, bits);
    let e: MemoEntry | null = this.memo.has(hash) ? this.memo.get(hash) : null;
    while (e != null) {
      if (e.aWord == aWord && e.fall == fall && K.matches(e.known, res.used, bits) && e.res.same(res)) return e.node;
      e = e.next;
    }
    // The same residual under the same intervals but other bit knowledge: built once more
    // with the intervals alone, and that decision then serves every later arrival. Less
    // knowledge only means possibly more tests, never a wrong answer, and it stops a list
    // of mask tests (`arg0 in A || arg0 in B || ...`, each failing either on its low or its
    // high word, with different zero bits left behind) from being built once per path.
    const whash = K.hashFor(mix(mix(res.hash, <u32>aWord), <u32>fall), res.used, NO_BITS);
    let w: MemoEntry | null = this.weak.has(whash) ? this.weak.get(whash) : null;
    while (w != null) {
      if (w.aWord == aWord && w.fall == fall && K.matches(w.known, res.used, NO_BITS) && w.res.same(res)) break;
      w = w.next;
    }
    if (w != null && w.node >= 0) return w.node;
    let node: i32;
    if (w == null) {
      node = this.branch(res, K, aWord);
      if (this.failed) return node;
      // Looked up again: building may have added entries to these buckets.
      this.memo.set(hash, new MemoEntry(res, aWord, fall, K.snapshot(res.used, bits), node, this.memo.has(hash) ? this.memo.get(hash) : null));
      this.weak.set(whash, new MemoEntry(res, aWord, fall, K.snapshot(res.used, NO_BITS), -1, this.weak.has(whash) ? this.weak.get(whash) : null));
    } else {
      node = this.branch(res, K.intervalsOf(res.used), aWord);
      if (!this.failed) w.node = node;
    }
    return node;
  }

  /** Decide `res` by testing a word of its first entry (the one A holds, if any). */
  private branch(res: Residual, K: Knowledge, aWord: i32): i32 {
    const first = res.entries[0].atoms;
    let pick = first[0];
    for (let j = 0; j < first.length; j++) {
      if (wordOffset(first[j].w) == aWord) { pick = first[j]; break; }
    }
    return pick.isMask ? this.branchMask(res, K, aWord, pick) : this.branchIntervals(res, K, aWord, pick.w);
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
    const cells = new CellSimplifier(res.entries, res.def, w);
    for (let i = 0; i < starts.length; i++) {
      K.lo[w] = starts[i];
      K.hi[w] = i + 1 < starts.length ? starts[i + 1] - 1 : hi;
      const r = cells.next(K, this.steps);
      if (this.steps[0] > this.budget) {
        this.failed = true;
        K.lo[w] = lo;
        K.hi[w] = hi;
        return this.leaf(res.def);
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
