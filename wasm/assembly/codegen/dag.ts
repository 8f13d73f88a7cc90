// The code DAG: every piece of a filter is a node, hash-consed so that identical code exists
// once (one RET per distinct action, one argument block for all syscalls that share it).
// A test node is "optionally load a seccomp_data word into A, then one conditional jump";
// a node never falls through, so any topological order of the DAG is a valid layout.
// Sharing is purely structural: two identical nodes emit identical instructions, so merging
// them is sound whatever each builder assumed about A on entry.

import { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET } from '../bpf/insn';

export const NODE_RET: u8 = 0;
export const NODE_TEST: u8 = 1;

/** No load before the jump: A already holds the word the test compares. */
export const NO_LOAD: i32 = -1;

export const OP_JEQ: u16 = BPF_JEQ;
export const OP_JGT: u16 = BPF_JGT;
export const OP_JGE: u16 = BPF_JGE;
export const OP_JSET: u16 = BPF_JSET;

export class Dag {
  kind: u8[] = [];
  /** seccomp_data offset loaded before the jump, or NO_LOAD. */
  load: i32[] = [];
  op: u16[] = [];
  /** Jump constant, or the RET value. */
  k: u32[] = [];
  jt: i32[] = [];
  jf: i32[] = [];
  // Open-addressing hash index over the node fields (node id + 1; 0 = empty slot).
  private table: Int32Array = new Int32Array(256);

  get size(): i32 { return this.kind.length; }

  private static hash(kind: u8, load: i32, op: u16, k: u32, jt: i32, jf: i32): u32 {
    let h: u32 = <u32>kind * 0x9e3779b1 ^ <u32>(load + 1) * 0x85ebca77;
    h = (h ^ <u32>op) * 0xc2b2ae3d;
    h = (h ^ k) * 0x27d4eb2f;
    h = (h ^ <u32>jt) * 0x165667b1;
    h = (h ^ <u32>jf) * 0x9e3779b1;
    return h ^ (h >> 15);
  }

  private same(id: i32, kind: u8, load: i32, op: u16, k: u32, jt: i32, jf: i32): bool {
    return unchecked(this.kind[id]) == kind && unchecked(this.load[id]) == load && unchecked(this.op[id]) == op &&
      unchecked(this.k[id]) == k && unchecked(this.jt[id]) == jt && unchecked(this.jf[id]) == jf;
  }

  private grow(): void {
    const size = this.table.length * 2;
    const t = new Int32Array(size);
    const mask = <u32>size - 1;
    for (let id = 0; id < this.kind.length; id++) {
      let slot = Dag.hash(this.kind[id], this.load[id], this.op[id], this.k[id], this.jt[id], this.jf[id]) & mask;
      while (unchecked(t[slot]) != 0) slot = (slot + 1) & mask;
      t[slot] = id + 1;
    }
    this.table = t;
  }

  private intern(kind: u8, load: i32, op: u16, k: u32, jt: i32, jf: i32): i32 {
    const mask = <u32>this.table.length - 1;
    let slot = Dag.hash(kind, load, op, k, jt, jf) & mask;
    for (;;) {
      const e = unchecked(this.table[slot]);
      if (e == 0) break;
      if (this.same(e - 1, kind, load, op, k, jt, jf)) return e - 1;
      slot = (slot + 1) & mask;
    }
    const id = this.kind.length;
    this.kind.push(kind);
    this.load.push(load);
    this.op.push(op);
    this.k.push(k);
    this.jt.push(jt);
    this.jf.push(jf);
    this.table[slot] = id + 1;
    if ((id + 1) * 2 > this.table.length) this.grow();
    return id;
  }

  /** `return value`. */
  ret(value: u32): i32 { return this.intern(NODE_RET, NO_LOAD, 0, value, -1, -1); }

  /** `[A = load;] if (A op k) goto jt else goto jf`, simplified when both targets agree. */
  test(load: i32, op: u16, k: u32, jt: i32, jf: i32): i32 {
    if (jt == jf) return load == NO_LOAD ? jt : this.ensureLoaded(jt, load);
    return this.intern(NODE_TEST, load, op, k, jt, jf);
  }

  /**
   * `node` entered with A holding `load`. A node that was built assuming A already holds that
   * word (no load of its own) gets the load folded in; anything else is returned as is.
   */
  ensureLoaded(node: i32, load: i32): i32 {
    if (load == NO_LOAD || this.kind[node] == NODE_RET || this.load[node] != NO_LOAD) return node;
    return this.intern(NODE_TEST, load, this.op[node], this.k[node], this.jt[node], this.jf[node]);
  }

  isRet(node: i32): bool { return this.kind[node] == NODE_RET; }
}
