// Linearization: the node DAG becomes an instruction array. Nodes are placed in a
// topological order that puts a node's children right after it when possible (jumps only go
// forward). A conditional jump reaches at most 255 instructions ahead; a target further away
// gets a trampoline slot right after the jumping node: a copy of the target when it is a
// RET (costs nothing at run time), else a `JA` (32-bit offset). Slots only ever get added,
// so iterating to a fixed point terminates.

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

/** The program for the DAG under `root`. */
export function layout(dag: Dag, root: i32): Insn[] {
  const nodes = order(dag, root);
  const count = nodes.length;
  const pos = new Int32Array(dag.size);
  const needT = new Uint8Array(count);
  const needF = new Uint8Array(count);
  let total = 0;
  for (;;) {
    let p = 0;
    for (let i = 0; i < count; i++) {
      const v = nodes[i];
      pos[v] = p;
      p += dag.kind[v] == NODE_RET ? 1 : (dag.load[v] != NO_LOAD ? 2 : 1) + needT[i] + needF[i];
    }
    total = p;
    let changed = false;
    for (let i = 0; i < count; i++) {
      const v = nodes[i];
      if (dag.kind[v] == NODE_RET) continue;
      const base = pos[v] + (dag.load[v] != NO_LOAD ? 2 : 1);
      if (!needT[i] && pos[dag.jt[v]] - base > MAX_JUMP) { needT[i] = 1; changed = true; }
      if (!needF[i] && pos[dag.jf[v]] - base > MAX_JUMP) { needF[i] = 1; changed = true; }
    }
    if (!changed) break;
  }
  const prog = new Array<Insn>(total);
  let p = 0;
  for (let i = 0; i < count; i++) {
    const v = nodes[i];
    if (dag.kind[v] == NODE_RET) { prog[p++] = stmt(BPF_RET | BPF_K, dag.k[v]); continue; }
    if (dag.load[v] != NO_LOAD) prog[p++] = stmt(BPF_LD | BPF_W | BPF_ABS, <u32>dag.load[v]);
    const jpc = p++;
    const base = jpc + 1;
    const t = dag.jt[v];
    const f = dag.jf[v];
    let slot = base;
    let jt = pos[t] - base;
    let jf = pos[f] - base;
    if (needT[i]) { jt = slot - base; prog[slot] = trampoline(dag, t, slot, pos); slot++; }
    if (needF[i]) { jf = slot - base; prog[slot] = trampoline(dag, f, slot, pos); slot++; }
    prog[jpc] = jump(BPF_JMP | dag.op[v] | BPF_K, dag.k[v], <u8>jt, <u8>jf);
    p = slot;
  }
  return prog;
}

function trampoline(dag: Dag, target: i32, at: i32, pos: Int32Array): Insn {
  if (dag.kind[target] == NODE_RET) return stmt(BPF_RET | BPF_K, dag.k[target]);
  return stmt(BPF_JMP | BPF_JA, <u32>(pos[target] - (at + 1)));
}
