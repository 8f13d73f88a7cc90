// Linearization: the node DAG becomes an instruction array. Nodes are placed in a
// topological order that puts a node's children right after it when possible (jumps only go
// forward). A conditional jump reaches at most 255 instructions ahead; a target further away
// is reached through a *stub* within reach: a copy of the target when it is a RET (costs
// nothing at run time), else a `JA` (32-bit offset, one more instruction executed).
//
// Stubs are shared. A node reached from many far places (the RET of the default action, the
// high-word check after a search over a thousand argument values) would otherwise get a stub
// after every jumping node, a third of the program. A stub sits right after the node that
// needed it, and every earlier jump to the same target that can reach it uses it too. The
// passes walk the nodes backwards, so the stub placed for a target is the furthest one and
// covers the most jumps before it. Stubs are only ever added, so iterating to a fixed point
// terminates; a pass that adds none has checked every jump against the final positions.

import { Dag, NODE_RET, NO_LOAD } from './dag';
import { Insn, stmt, jump, BPF_LD, BPF_W, BPF_ABS, BPF_JMP, BPF_JA, BPF_K, BPF_RET } from '../bpf/insn';

const MAX_JUMP: i32 = 255;

/** Nodes reachable from `root`, parents before children. */
function order(dag: Dag, root: i32): i32[] {
  const n = dag.size;
  const indeg = new Int32Array(n);
  const seen = new Uint8Array(n);
  const stack: i32[] = [root];
  seen[root] = 1;
  while (stack.length > 0) {
    const v = stack.pop();
    if (dag.kind[v] == NODE_RET) continue;
    const t = dag.jt[v];
    const f = dag.jf[v];
    indeg[t]++;
    if (!seen[t]) { seen[t] = 1; stack.push(t); }
    if (f != t) {
      indeg[f]++;
      if (!seen[f]) { seen[f] = 1; stack.push(f); }
    }
  }
  const out: i32[] = [];
  const ready: i32[] = [root];
  while (ready.length > 0) {
    const v = ready.pop();
    out.push(v);
    if (dag.kind[v] == NODE_RET) continue;
    const t = dag.jt[v];
    const f = dag.jf[v];
    // Pushed last = placed next: the false branch, usually the way down a search tree.
    if (--indeg[t] == 0) ready.push(t);
    if (f != t && --indeg[f] == 0) ready.push(f);
  }
  return out;
}

/** Where everything goes: node positions and the stubs after each node. */
class Placement {
  /** Position of each DAG node (by node id). */
  pos: Int32Array;
  /** Stub targets after the node at each order index (node ids; -1: none). */
  stub0: Int32Array;
  stub1: Int32Array;
  /** Stub positions grouped by target (CSR over node ids), ascending within a target. */
  first: Int32Array;
  at: Int32Array;
  total: i32 = 0;

  constructor(public dag: Dag, public nodes: i32[]) {
    const count = nodes.length;
    this.pos = new Int32Array(dag.size);
    this.stub0 = new Int32Array(count).fill(-1);
    this.stub1 = new Int32Array(count).fill(-1);
    this.first = new Int32Array(dag.size + 1);
    this.at = new Int32Array(0);
  }

  codeSize(v: i32): i32 {
    return this.dag.kind[v] == NODE_RET ? 1 : this.dag.load[v] != NO_LOAD ? 2 : 1;
  }

  stubCount(i: i32): i32 { return (this.stub0[i] >= 0 ? 1 : 0) + (this.stub1[i] >= 0 ? 1 : 0); }

  /** Positions of the nodes and the stub index for the current stubs. */
  place(): void {
    const nodes = this.nodes;
    const first = this.first;
    first.fill(0);
    let p = 0;
    let stubs = 0;
    for (let i = 0; i < nodes.length; i++) {
      const v = nodes[i];
      this.pos[v] = p;
      p += this.codeSize(v) + this.stubCount(i);
      if (this.stub0[i] >= 0) { first[this.stub0[i] + 1]++; stubs++; }
      if (this.stub1[i] >= 0) { first[this.stub1[i] + 1]++; stubs++; }
    }
    this.total = p;
    for (let t = 0; t < this.dag.size; t++) first[t + 1] += first[t];
    const fill = new Int32Array(this.dag.size);
    this.at = new Int32Array(stubs);
    for (let i = 0; i < nodes.length; i++) {
      if (this.stub0[i] < 0 && this.stub1[i] < 0) continue;
      const v = nodes[i];
      let s = this.pos[v] + this.codeSize(v);
      if (this.stub0[i] >= 0) { const t = this.stub0[i]; this.at[first[t] + fill[t]++] = s++; }
      if (this.stub1[i] >= 0) { const t = this.stub1[i]; this.at[first[t] + fill[t]++] = s; }
    }
  }

  /** The first stub for `target` at or after `from`, or -1. */
  stubFrom(target: i32, from: i32): i32 {
    let lo = this.first[target];
    let hi = this.first[target + 1];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.at[mid] < from) lo = mid + 1; else hi = mid;
    }
    return lo < this.first[target + 1] ? this.at[lo] : -1;
  }

  /** Where a jump whose offsets count from `base` goes for `target`, or -1 when nothing is in reach. */
  reach(target: i32, base: i32): i32 {
    if (this.pos[target] - base <= MAX_JUMP) return this.pos[target];
    const s = this.stubFrom(target, base);
    return s >= 0 && s - base <= MAX_JUMP ? s : -1;
  }

  /**
   * One backward pass over the placed nodes: every jump with nothing in reach gets a stub
   * after its node, which the earlier jumps of this pass may share. True when one was added.
   */
  addStubs(): bool {
    const dag = this.dag;
    const nodes = this.nodes;
    // The lowest stub added in this pass per target (its position as placed at the start of
    // the pass; later passes correct any drift caused by the other stubs added meanwhile).
    const fresh = new Map<i32, i32>();
    let added = false;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const v = nodes[i];
      if (dag.kind[v] == NODE_RET) continue;
      const base = this.pos[v] + this.codeSize(v);
      for (let e = 0; e < 2; e++) {
        const t = e == 0 ? dag.jt[v] : dag.jf[v];
        if (this.reach(t, base) >= 0) continue;
        if (fresh.has(t)) {
          const s = fresh.get(t);
          if (s >= base && s - base <= MAX_JUMP) continue;
        }
        if (this.stub0[i] == t || this.stub1[i] == t) continue; // placed, the next pass sees it
        if (this.stub0[i] < 0) this.stub0[i] = t; else this.stub1[i] = t;
        fresh.set(t, base + this.stubCount(i) - 1);
        added = true;
      }
    }
    return added;
  }
}

/** The program for the DAG under `root`. */
export function layout(dag: Dag, root: i32): Insn[] {
  const nodes = order(dag, root);
  const pl = new Placement(dag, nodes);
  for (;;) {
    pl.place();
    if (!pl.addStubs()) break;
  }
  const pos = pl.pos;
  const prog = new Array<Insn>(pl.total);
  let p = 0;
  for (let i = 0; i < nodes.length; i++) {
    const v = nodes[i];
    if (dag.kind[v] == NODE_RET) { prog[p++] = stmt(BPF_RET | BPF_K, dag.k[v]); continue; }
    if (dag.load[v] != NO_LOAD) prog[p++] = stmt(BPF_LD | BPF_W | BPF_ABS, <u32>dag.load[v]);
    const jpc = p++;
    const base = jpc + 1;
    const jt = pl.reach(dag.jt[v], base) - base;
    const jf = pl.reach(dag.jf[v], base) - base;
    prog[jpc] = jump(BPF_JMP | dag.op[v] | BPF_K, dag.k[v], <u8>jt, <u8>jf);
    if (pl.stub0[i] >= 0) { prog[p] = stub(dag, pl.stub0[i], p, pos); p++; }
    if (pl.stub1[i] >= 0) { prog[p] = stub(dag, pl.stub1[i], p, pos); p++; }
  }
  return prog;
}

function stub(dag: Dag, target: i32, at: i32, pos: Int32Array): Insn {
  if (dag.kind[target] == NODE_RET) return stmt(BPF_RET | BPF_K, dag.k[target]);
  return stmt(BPF_JMP | BPF_JA, <u32>(pos[target] - (at + 1)));
}
