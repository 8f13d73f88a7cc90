// Weighted search trees over a partition of one 32-bit word into ranges, each range leading to
// a node. Used twice: the syscall dispatch (ranges of `nr`) and the argument decisions (ranges
// of one argument word). The tree minimizes the expected number of comparisons, with each
// range weighted by how often we expect it (e.g. @frequency for syscalls).
//
// Candidates per interval of ranges [i..j]:
//  * split: `JGE start(k+1)` between two halves (an optimal alphabetic tree, by dynamic
//    programming with Knuth's monotone-root bound, O(n^2));
//  * chain: when all ranges but a few single values share one target, `JEQ v` per exception
//    and fall into the shared target (a JEQ separates a value from equal neighbours on both
//    sides in one instruction, which no split can).

import { Dag, NO_LOAD, OP_JEQ, OP_JGE } from './dag';

/** Above this many ranges the O(n^2) tables get big; use weight-balanced splits instead. */
const DP_MAX_RANGES: i32 = 400;
/** Largest interval solved by the exact DP; above it, weight-balanced splits first. */
export const DP_WINDOW: i32 = 64;
/** Most single-value exceptions a chain may test. */
const CHAIN_MAX: i32 = 4;

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
let scratchRoot = new Int32Array(0);
let scratchBg = new Int32Array(0);

class Builder {
  n: i32;
  prefix: Float64Array = new Float64Array(0);
  cost: Float64Array = new Float64Array(0);
  root: Int32Array = new Int32Array(0);
  chainBg: Int32Array = new Int32Array(0);

  /** Copies of the ranges in flat arrays for the O(n^2) loops. */
  nodeOf: Int32Array;
  weightOf: Float64Array;
  single: Uint8Array;

  constructor(public dag: Dag, public r: RangeSet, public hi: u32) {
    const n = r.length;
    this.n = n;
    this.prefix = new Float64Array(n + 1);
    this.nodeOf = new Int32Array(n);
    this.weightOf = new Float64Array(n);
    this.single = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      this.prefix[i + 1] = this.prefix[i] + r.weights[i];
      this.nodeOf[i] = r.nodes[i];
      this.weightOf[i] = r.weights[i];
      const end: u32 = i + 1 < n ? r.starts[i + 1] - 1 : hi;
      this.single[i] = end == r.starts[i] ? 1 : 0;
    }
  }

  weight(i: i32, j: i32): f64 { return unchecked(this.prefix[j + 1]) - unchecked(this.prefix[i]); }

  /** Best chain over [i..j]: cost, and the background range index via `bgOut`. */
  chainCost(i: i32, j: i32, bgOut: Int32Array): f64 {
    const nodes = this.nodeOf.dataStart;
    const weights = this.weightOf.dataStart;
    const single = this.single.dataStart;
    // A range wider than one value can only be background: it fixes the candidate.
    let wide = -1;
    for (let p = i; p <= j; p++) {
      if (load<u8>(single + <usize>p) != 0) continue;
      if (wide < 0) wide = p;
      else if (load<i32>(nodes + (<usize>p << 2)) != load<i32>(nodes + (<usize>wide << 2))) return Infinity;
    }
    const cFrom = wide < 0 ? i : wide;
    const cTo = wide < 0 ? j : wide;
    let best = Infinity;
    for (let c = cFrom; c <= cTo; c++) {
      const bg = load<i32>(nodes + (<usize>c << 2));
      // Consider each distinct background once.
      let seen = false;
      for (let p = cFrom; p < c; p++) if (load<i32>(nodes + (<usize>p << 2)) == bg) { seen = true; break; }
      if (seen) continue;
      let m = 0;
      let ok = true;
      let wbg = 0.0;
      // The exceptions' weights, largest first (CHAIN_MAX == 4 slots).
      let w0 = 0.0, w1 = 0.0, w2 = 0.0, w3 = 0.0;
      for (let p = i; p <= j; p++) {
        const wp = load<f64>(weights + (<usize>p << 3));
        if (load<i32>(nodes + (<usize>p << 2)) == bg) { wbg += wp; continue; }
        if (load<u8>(single + <usize>p) == 0 || ++m > CHAIN_MAX) { ok = false; break; }
        if (wp > w0) { w3 = w2; w2 = w1; w1 = w0; w0 = wp; } else if (wp > w1) { w3 = w2; w2 = w1; w1 = wp; } else if (wp > w2) { w3 = w2; w2 = wp; } else if (wp > w3) w3 = wp;
      }
      if (!ok) continue;
      const cost = <f64>m * wbg + w0 + 2 * w1 + 3 * w2 + 4 * w3;
      if (cost < best) { best = cost; bgOut[0] = c; }
    }
    return best;
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
    const bg = new Int32Array(1);
    for (let i = 0; i < n; i++) {
      store<f64>(cost + (<usize>(i * n + i) << 3), 0);
      store<i32>(root + (<usize>(i * n + i) << 2), i);
      store<i32>(chainBg + (<usize>(i * n + i) << 2), -1);
    }
    for (let len = 1; len < n; len++) {
      for (let i = 0; i + len < n; i++) {
        const j = i + len;
        const ij = <usize>(i * n + j);
        let lo = len == 1 ? i : load<i32>(root + ((ij - 1) << 2));
        let hi = len == 1 ? i : load<i32>(root + ((ij + <usize>n) << 2));
        if (lo < i) lo = i;
        if (hi > j - 1) hi = j - 1;
        if (hi < lo) { lo = i; hi = j - 1; }
        let best = Infinity;
        let bk = lo;
        for (let k = lo; k <= hi; k++) {
          const c = load<f64>(cost + (<usize>(i * n + k) << 3)) + load<f64>(cost + (<usize>((k + 1) * n + j) << 3));
          if (c < best) { best = c; bk = k; }
        }
        let total = best + load<f64>(prefix + (<usize>(j + 1) << 3)) - load<f64>(prefix + (<usize>i << 3));
        store<i32>(root + (ij << 2), bk);
        let cb = -1;
        if (len <= 2 * CHAIN_MAX) {
          const cc = this.chainCost(i, j, bg);
          if (cc < total) { total = cc; cb = bg[0]; }
        }
        store<i32>(chainBg + (ij << 2), cb);
        store<f64>(cost + (ij << 3), total);
      }
    }
  }

  emitChain(i: i32, j: i32, c: i32): i32 {
    const r = this.r;
    const bgNode = r.nodes[c];
    const ex = new Array<i32>();
    for (let p = i; p <= j; p++) if (r.nodes[p] != bgNode) ex.push(p);
    // Heaviest exception first (insertion sort: at most CHAIN_MAX items).
    for (let x = 1; x < ex.length; x++) {
      const e = ex[x];
      let y = x - 1;
      while (y >= 0 && r.weights[ex[y]] < r.weights[e]) { ex[y + 1] = ex[y]; y--; }
      ex[y + 1] = e;
    }
    let node = bgNode;
    for (let t = ex.length - 1; t >= 0; t--) node = this.dag.test(NO_LOAD, OP_JEQ, r.starts[ex[t]], r.nodes[ex[t]], node);
    return node;
  }

  emitDP(i: i32, j: i32): i32 {
    if (i == j) return this.r.nodes[i];
    const n = this.n;
    const c = this.chainBg[i * n + j];
    if (c >= 0) return this.emitChain(i, j, c);
    const k = this.root[i * n + j];
    const right = this.emitDP(k + 1, j);
    const left = this.emitDP(i, k);
    return this.dag.test(NO_LOAD, OP_JGE, this.r.starts[k + 1], right, left);
  }

  /**
   * Weight-balanced splits down to intervals of at most DP_WINDOW ranges, each then solved
   * exactly: the DP's cost is quadratic in the ranges, and near the root the optimal split is
   * close to the weighted median anyway.
   */
  emitHybrid(i: i32, j: i32): i32 {
    if (j - i + 1 <= DP_WINDOW) {
      const sub = new RangeSet();
      for (let p = i; p <= j; p++) {
        sub.starts.push(this.r.starts[p]);
        sub.nodes.push(this.r.nodes[p]);
        sub.weights.push(this.r.weights[p]);
      }
      const b = new Builder(this.dag, sub, j + 1 < this.n ? this.r.starts[j + 1] - 1 : this.hi);
      b.solve();
      return b.emitDP(0, j - i);
    }
    const half = (this.prefix[i] + this.prefix[j + 1]) / 2;
    let k = i;
    while (k + 1 < j && this.prefix[k + 1] < half) k++;
    const right = this.emitHybrid(k + 1, j);
    const left = this.emitHybrid(i, k);
    return this.dag.test(NO_LOAD, OP_JGE, this.r.starts[k + 1], right, left);
  }

  /** Weight-balanced splits for very many ranges: O(n log n), within a comparison or so of optimal. */
  emitBalanced(i: i32, j: i32): i32 {
    if (i == j) return this.r.nodes[i];
    const half = (this.prefix[i] + this.prefix[j + 1]) / 2;
    let k = i;
    while (k + 1 < j && this.prefix[k + 1] < half) k++;
    const right = this.emitBalanced(k + 1, j);
    const left = this.emitBalanced(i, k);
    return this.dag.test(NO_LOAD, OP_JGE, this.r.starts[k + 1], right, left);
  }
}

/**
 * The search tree over `ranges` (which partition [ranges.starts[0], hi]); its first node
 * loads `load` (a seccomp_data offset, or NO_LOAD when A already holds the word).
 */
export function buildSearch(dag: Dag, ranges: RangeSet, hi: u32, load: i32): i32 {
  const n = ranges.length;
  if (n == 0) return -1;
  const b = new Builder(dag, ranges, hi);
  let top: i32;
  if (n == 1) top = ranges.nodes[0];
  else if (n > DP_MAX_RANGES) top = b.emitBalanced(0, n - 1);
  else if (n > DP_WINDOW) top = b.emitHybrid(0, n - 1);
  else { b.solve(); top = b.emitDP(0, n - 1); }
  return dag.ensureLoaded(top, load);
}
