// Weighted search trees over a partition of one 32-bit word into ranges, each range leading to
// a node. Used twice: the syscall dispatch (ranges of `nr`) and the argument decisions (ranges
// of one argument word). The tree minimizes the expected number of comparisons, with each
// range weighted by how often we expect it (e.g. @frequency for syscalls).
//
// Candidates per interval of ranges [i..j]:
//  * split: `JGE start(k+1)` between two halves (an optimal alphabetic tree, by dynamic
//    programming with Knuth's monotone-root bound, O(n^2), except on the short intervals
//    where chains compete: those try every root);
//  * chain: when all ranges but a few single values share one target, `JEQ v` per exception
//    and fall into the shared target (a JEQ separates a value from equal neighbours on both
//    sides in one instruction, which no split can).

import { Dag, NO_LOAD, OP_JEQ, OP_JGE } from './dag';

/** Largest interval solved by the exact DP; above it, weight-balanced splits first (size: docs/codegen.md). */
export const DP_WINDOW: i32 = 48;
/** Most single-value exceptions a chain may test. */
const CHAIN_MAX: i32 = 4;
/** Longest interval (in ranges, minus one) considered for a chain. */
const CHAIN_SPAN: i32 = 2 * CHAIN_MAX;

/** Insert `w` into the four heaviest exception weights at `ws` (descending; ties keep the earlier). */
// @ts-ignore: decorator
@inline function insertException(ws: usize, w: f64): void {
  const w0 = load<f64>(ws), w1 = load<f64>(ws, 8), w2 = load<f64>(ws, 16);
  if (w > w0) { store<f64>(ws, load<f64>(ws, 16), 24); store<f64>(ws, w1, 16); store<f64>(ws, w0, 8); store<f64>(ws, w); }
  else if (w > w1) { store<f64>(ws, w2, 24); store<f64>(ws, w1, 16); store<f64>(ws, w, 8); }
  else if (w > w2) { store<f64>(ws, w2, 24); store<f64>(ws, w, 16); }
  else if (w > load<f64>(ws, 24)) store<f64>(ws, w, 24);
}

export class RangeSet {
  starts: u32[] = [];
  nodes: i32[] = [];
  weights: f64[] = [];

  /** Append range [start, next start - 1]; merges with the previous range when the node is the same. */
  add(start: u32, node: i32, weight: f64): void {
    const n = this.nodes.length;
    if (n > 0 && this.nodes[n - 1] == node) { this.weights[n - 1] += weight; return; }
    this.starts.push(start);
    this.nodes.push(node);
    this.weights.push(weight);
  }

  get length(): i32 { return this.nodes.length; }
}

let scratchCost = new Float64Array(0);
let scratchChainCost = new Float64Array(0);
let scratchChainBg = new Int32Array(0);
// chainTables' per-candidate state (fixed size: at most CHAIN_SPAN + 1 candidates).
const chainNode = new Int32Array(CHAIN_SPAN + 1);
const chainFirst = new Int32Array(CHAIN_SPAN + 1);
const chainM = new Int32Array(CHAIN_SPAN + 1);
const chainOk = new Uint8Array(CHAIN_SPAN + 1);
const chainWbg = new Float64Array(CHAIN_SPAN + 1);
const chainW = new Float64Array((CHAIN_SPAN + 1) * CHAIN_MAX);
let scratchRoot = new Int32Array(0);
let scratchBg = new Int32Array(0);

class Builder {
  n: i32;
  prefix: Float64Array = new Float64Array(0);
  cost: Float64Array = new Float64Array(0);
  root: Int32Array = new Int32Array(0);
  chainBg: Int32Array = new Int32Array(0);
  chainCostOf: Float64Array = new Float64Array(0);
  chainBgOf: Int32Array = new Int32Array(0);

  /** Copies of ranges off..off+n-1 in flat arrays (index 0 = range off) for the O(n^2) loops. */
  startOf: Uint32Array;
  nodeOf: Int32Array;
  weightOf: Float64Array;
  single: Uint8Array;

  /** The search over ranges off..off+n-1 of `r`, which end at `hi`. */
  constructor(public dag: Dag, public r: RangeSet, public off: i32, n: i32, public hi: u32) {
    this.n = n;
    this.prefix = new Float64Array(n + 1);
    this.startOf = new Uint32Array(n);
    this.nodeOf = new Int32Array(n);
    this.weightOf = new Float64Array(n);
    this.single = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const w = r.weights[off + i];
      const start = r.starts[off + i];
      this.prefix[i + 1] = this.prefix[i] + w;
      this.startOf[i] = start;
      this.nodeOf[i] = r.nodes[off + i];
      this.weightOf[i] = w;
      const end: u32 = i + 1 < n ? r.starts[off + i + 1] - 1 : hi;
      this.single[i] = end == start ? 1 : 0;
    }
  }

  weight(i: i32, j: i32): f64 { return unchecked(this.prefix[j + 1]) - unchecked(this.prefix[i]); }

  /**
   * Best chain over every [i..i+len], len <= CHAIN_SPAN, into chainCostOf/chainBgOf[i *
   * (CHAIN_SPAN + 1) + len] (cost, and the background's range index, or Infinity and -1).
   * Walks j = i, i+1, ... once, keeping per distinct background (in order of first
   * occurrence) its weight, its exception count and four heaviest exceptions: every sum
   * and insertion happens in the same order as a separate scan of [i..j] would do them, so
   * costs and tie-breaks are bit for bit those of evaluating each interval on its own.
   */
  chainTables(): void {
    const n = this.n;
    const span = CHAIN_SPAN + 1;
    const nodes = this.nodeOf.dataStart;
    const weights = this.weightOf.dataStart;
    const single = this.single.dataStart;
    // Reused across calls like the DP tables (every cell read is written first: no zeroing).
    if (scratchChainCost.length < n * span) {
      const cap = max(n * span, scratchChainCost.length << 1);
      scratchChainCost = new Float64Array(cap);
      scratchChainBg = new Int32Array(cap);
      arenaKeep();
    }
    this.chainCostOf = scratchChainCost;
    this.chainBgOf = scratchChainBg;
    const costOut = this.chainCostOf.dataStart;
    const bgOut = this.chainBgOf.dataStart;
    // Per candidate background q (at most span of them; each field set when q is added).
    const cNode = chainNode.dataStart;
    const cFirst = chainFirst.dataStart;
    const cM = chainM.dataStart;
    const cOk = chainOk.dataStart;
    const cWbg = chainWbg.dataStart;
    const cW = chainW.dataStart;
    for (let i = 0; i < n; i++) {
      let nc = 0;
      // A range wider than one value can only be background; the first one names the chain's.
      let wide = -1;
      const last = min(n - 1, i + CHAIN_SPAN);
      for (let j = i; j <= last; j++) {
        const x = load<i32>(nodes + (<usize>j << 2));
        const wj = load<f64>(weights + (<usize>j << 3));
        const sj = load<u8>(single + <usize>j);
        if (sj == 0 && wide < 0) wide = j;
        let found = false;
        for (let q = 0; q < nc; q++) {
          if (load<i32>(cNode + (<usize>q << 2)) == x) {
            found = true;
            store<f64>(cWbg + (<usize>q << 3), load<f64>(cWbg + (<usize>q << 3)) + wj);
          } else if (load<u8>(cOk + <usize>q) != 0) {
            const m = load<i32>(cM + (<usize>q << 2)) + 1;
            store<i32>(cM + (<usize>q << 2), m);
            if (sj == 0 || m > CHAIN_MAX) store<u8>(cOk + <usize>q, 0);
            else insertException(cW + (<usize>(q * CHAIN_MAX) << 3), wj);
          }
        }
        if (!found) {
          // A new background: everything before it in [i..j] is an exception, in order.
          const q = nc++;
          store<i32>(cNode + (<usize>q << 2), x);
          store<i32>(cFirst + (<usize>q << 2), j);
          store<f64>(cWbg + (<usize>q << 3), 0.0 + wj);
          const ws = cW + (<usize>(q * CHAIN_MAX) << 3);
          for (let t = 0; t < CHAIN_MAX; t++) store<f64>(ws + (<usize>t << 3), 0.0);
          let m = 0;
          let ok: u8 = 1;
          for (let p = i; p < j; p++) {
            if (load<u8>(single + <usize>p) == 0 || ++m > CHAIN_MAX) { ok = 0; break; }
            insertException(ws, load<f64>(weights + (<usize>p << 3)));
          }
          store<i32>(cM + (<usize>q << 2), m);
          store<u8>(cOk + <usize>q, ok);
        }
        let best = Infinity;
        let bestBg = -1;
        let anyOk = false;
        for (let q = 0; q < nc; q++) {
          if (load<u8>(cOk + <usize>q) == 0) continue;
          anyOk = true;
          const ws = cW + (<usize>(q * CHAIN_MAX) << 3);
          const w0 = load<f64>(ws), w1 = load<f64>(ws, 8), w2 = load<f64>(ws, 16), w3 = load<f64>(ws, 24);
          const cost = <f64>load<i32>(cM + (<usize>q << 2)) * load<f64>(cWbg + (<usize>q << 3)) + w0 + 2 * w1 + 3 * w2 + 4 * w3;
          if (cost < best) { best = cost; bestBg = wide >= 0 ? wide : load<i32>(cFirst + (<usize>q << 2)); }
        }
        const cell = <usize>(i * span + (j - i));
        store<f64>(costOut + (cell << 3), best);
        store<i32>(bgOut + (cell << 2), bestBg);
        if (!anyOk && j - i >= CHAIN_MAX) {
          // No background fits, and none can later: a failed one stays failed, and a new one
          // would have all of [i..j] (more than CHAIN_MAX ranges) as exceptions.
          for (let t = j + 1; t <= last; t++) {
            const rest = <usize>(i * span + (t - i));
            store<f64>(costOut + (rest << 3), Infinity);
            store<i32>(bgOut + (rest << 2), -1);
          }
          break;
        }
      }
    }
  }

  solve(): void {
    const n = this.n;
    // The tables are reused across calls (never re-entered: emitting only adds DAG nodes).
    if (scratchCost.length < n * n) {
      // At least doubling bounds how often arenaKeep below runs (each keeps a call's temporaries).
      const cap = max(n * n, scratchCost.length << 1);
      scratchCost = new Float64Array(cap);
      scratchRoot = new Int32Array(cap);
      scratchBg = new Int32Array(cap);
      // Reused by later calls: permanent in the per-call arena (wasm/assembly/rt/arena.ts).
      arenaKeep();
    }
    this.cost = scratchCost;
    this.root = scratchRoot;
    this.chainBg = scratchBg;
    // Raw pointers: this loop is the hot spot of codegen (O(n^2) cells).
    const cost = this.cost.dataStart;
    const root = this.root.dataStart;
    const chainBg = this.chainBg.dataStart;
    const prefix = this.prefix.dataStart;
    this.chainTables();
    const chainCostOf = this.chainCostOf.dataStart;
    const chainBgOf = this.chainBgOf.dataStart;
    for (let i = 0; i < n; i++) {
      store<f64>(cost + (<usize>(i * n + i) << 3), 0);
      store<i32>(root + (<usize>(i * n + i) << 2), i);
      store<i32>(chainBg + (<usize>(i * n + i) << 2), -1);
    }
    // Diagonal by diagonal (len = j - i); along a diagonal every table cell moves by n + 1
    // entries and the prefix sums by one, so the loop walks pointers instead of multiplying.
    const stride = <usize>n << 3;
    const diag4 = (<usize>n + 1) << 2;
    const diag8 = (<usize>n + 1) << 3;
    for (let len = 1; len < n; len++) {
      const chains = len <= CHAIN_SPAN;
      let pCost = cost + (<usize>len << 3); // cost[i][i + len], from i = 0
      let pRoot = root + (<usize>len << 2);
      let pBg = chainBg + (<usize>len << 2);
      let pLo = prefix; // prefix[i]
      let pHi = prefix + (<usize>(len + 1) << 3); // prefix[j + 1]
      let pChainCost = chainCostOf + (<usize>len << 3); // chainCostOf[i * (CHAIN_SPAN + 1) + len]
      let pChainBg = chainBgOf + (<usize>len << 2);
      for (let i = 0; i + len < n; i++) {
        const j = i + len;
        // Knuth's monotone-root bound (root[i][j-1] <= k <= root[i+1][j]) assumes a cost
        // without chains; where a chain can compete (len <= CHAIN_SPAN) it missed trees better
        // on every range, so those intervals try every root (docs/codegen.md, "Dispatch").
        let lo = i;
        let hi = j - 1;
        if (!chains) {
          lo = max(i, load<i32>(pRoot - 4)); // root[i][j - 1]
          hi = min(j - 1, load<i32>(pRoot + (<usize>n << 2))); // root[i + 1][j]
          if (hi < lo) { lo = i; hi = j - 1; }
        }
        let best = Infinity;
        let bk = lo;
        // cost[i][k] + cost[k+1][j], walking a row and a column by pointer.
        let pl = pCost - (<usize>(j - lo) << 3);
        let pr = pCost + (<usize>(lo + 1 - i) * stride);
        for (let k = lo; k <= hi; k++) {
          const c = load<f64>(pl) + load<f64>(pr);
          if (c < best) { best = c; bk = k; }
          pl += 8;
          pr += stride;
        }
        let total = best + load<f64>(pHi) - load<f64>(pLo);
        store<i32>(pRoot, bk);
        let cb = -1;
        if (chains) {
          const cc = load<f64>(pChainCost);
          if (cc < total) { total = cc; cb = load<i32>(pChainBg); }
        }
        store<i32>(pBg, cb);
        store<f64>(pCost, total);
        pCost += diag8;
        pRoot += diag4;
        pBg += diag4;
        pLo += 8;
        pHi += 8;
        pChainCost += (CHAIN_SPAN + 1) << 3;
        pChainBg += (CHAIN_SPAN + 1) << 2;
      }
    }
  }

  emitChain(i: i32, j: i32, c: i32): i32 {
    const bgNode = this.nodeOf[c];
    const ex = new Array<i32>();
    for (let p = i; p <= j; p++) if (this.nodeOf[p] != bgNode) ex.push(p);
    // Heaviest exception first (insertion sort: at most CHAIN_MAX items).
    for (let x = 1; x < ex.length; x++) {
      const e = ex[x];
      let y = x - 1;
      while (y >= 0 && this.weightOf[ex[y]] < this.weightOf[e]) { ex[y + 1] = ex[y]; y--; }
      ex[y + 1] = e;
    }
    let node = bgNode;
    for (let t = ex.length - 1; t >= 0; t--) node = this.dag.test(NO_LOAD, OP_JEQ, this.startOf[ex[t]], this.nodeOf[ex[t]], node);
    return node;
  }

  emitDP(i: i32, j: i32): i32 {
    if (i == j) return this.nodeOf[i];
    const n = this.n;
    const c = this.chainBg[i * n + j];
    if (c >= 0) return this.emitChain(i, j, c);
    const k = this.root[i * n + j];
    const right = this.emitDP(k + 1, j);
    const left = this.emitDP(i, k);
    return this.dag.test(NO_LOAD, OP_JGE, this.startOf[k + 1], right, left);
  }

  /**
   * Weight-balanced splits (at the weighted median) down to intervals of at most DP_WINDOW
   * ranges, each then solved by the DP. The DP's cost is quadratic in the ranges of an
   * interval, and near the root the optimal split is close to the weighted median anyway, so
   * any number of ranges costs O(n log n) plus DP_WINDOW^2 cells per window (linear in n):
   * a search over thousands of argument values keeps the DP's chains at its leaves.
   */
  emitSplit(i: i32, j: i32): i32 {
    if (j - i + 1 <= DP_WINDOW) {
      const b = new Builder(this.dag, this.r, this.off + i, j - i + 1, j + 1 < this.n ? this.startOf[j + 1] - 1 : this.hi);
      b.solve();
      return b.emitDP(0, j - i);
    }
    const half = (this.prefix[i] + this.prefix[j + 1]) / 2;
    let k = i;
    while (k + 1 < j && this.prefix[k + 1] < half) k++;
    const right = this.emitSplit(k + 1, j);
    const left = this.emitSplit(i, k);
    return this.dag.test(NO_LOAD, OP_JGE, this.startOf[k + 1], right, left);
  }
}

/**
 * The search tree over `ranges` (which partition [ranges.starts[0], hi]); its first node
 * loads `load` (a seccomp_data offset, or NO_LOAD when A already holds the word).
 */
export function buildSearch(dag: Dag, ranges: RangeSet, hi: u32, load: i32): i32 {
  const n = ranges.length;
  if (n == 0) return -1;
  const b = new Builder(dag, ranges, 0, n, hi);
  let top: i32;
  if (n == 1) top = ranges.nodes[0];
  else if (n > DP_WINDOW) top = b.emitSplit(0, n - 1);
  else { b.solve(); top = b.emitDP(0, n - 1); }
  return dag.ensureLoaded(top, load);
}
