// Symbolic execution of a classic seccomp BPF program over regions of inputs. Classic BPF
// has no loops, so every path ends at a RET; along a path each word of seccomp_data keeps
// the exact set of values still possible (Domain). At each RET the region reaching it is
// refined with the IR's meaning (ireval.ts) until every piece is decided, and each piece
// must give the RET's value. The result is a proof (all paths agree) or a concrete
// counterexample; anything the domains cannot express exactly ends as "unproven", never
// as "equal".

import { Insn, BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_RET, BPF_MISC, BPF_W, BPF_ABS,
  BPF_IMM, BPF_MEM, BPF_LEN, BPF_K, BPF_X, BPF_A, BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET,
  BPF_AND, BPF_OR, BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_XOR, BPF_LSH, BPF_RSH, BPF_NEG,
  BPF_TAX, BPF_TXA, BPF_MEMWORDS } from '../bpf/insn';
import { PolicyIR } from '../ir';
import { Domain } from './domain';
import { Region, WORDS, WORD_NR, WORD_ARCH } from './region';
import { Decision, decideIR } from './ireval';
import { Frontier } from './frontier';
import { ClauseTable, Residual, residualOf, refineResidual, decideResidual } from './residual';
import { sortNumbers } from '../sortnum';

/** What the accumulator (or X, or a scratch slot) holds, symbolically. */
const K_CONST: i32 = 0, K_WORD: i32 = 1, K_MASKED: i32 = 2, K_UNKNOWN: i32 = 3;

class Sym {
  constructor(public kind: i32, public k: u32 = 0, public word: i32 = 0, public mask: u32 = 0xffffffff) {}
  static c(k: u32): Sym { return new Sym(K_CONST, k); }
}

class PathState {
  /** For a PC_PROVEN or PC_ATTEMPT marker: the key it proves when popped. */
  key: StaticArray<u32> | null = null;
  /** For a PC_ATTEMPT marker: the exact state to explore if the attempt fails. */
  resume: PathState | null = null;
  /** Past the join checks at this pc. */
  joined: bool = false;
  constructor(public pc: i32, public region: Region, public a: Sym, public x: Sym, public mem: Sym[],
    /** The IR left to decide here, once arch and nr fix it (residual.ts); null before. */
    public res: Residual | null) {}
}

export const V_PROVEN: i32 = 0;
export const V_MISMATCH: i32 = 1;
export const V_UNPROVEN: i32 = 2;

export class VerifyResult {
  status: i32 = V_PROVEN;
  /** For V_UNPROVEN: why. */
  reason: string = '';
  /** For V_MISMATCH: a concrete input (16 words) and the two outcomes. */
  input: StaticArray<u32> | null = null;
  programAction: u32 = 0;
  policyAction: u32 = 0;
  syscallIndex: i32 = -1;
  ruleIndex: i32 = -1;
  retPc: i32 = -1;
  paths: i32 = 0;
  regions: i32 = 0;
}

/** Bound on explored paths plus checked regions; corpus programs need a few thousand. */
const BUDGET: i32 = 2000000;

/** A state whose subtree is done: its key goes into the proven set when it is popped. */
const PC_PROVEN: i32 = -1;
/** A widened attempt (Verifier) that is done: its widened key is proven when it is popped. */
const PC_ATTEMPT: i32 = -2;

/** Proven states: (pc, registers, residual, the words still read) keys in one flat store. */
class ProvenSet {
  data: Uint32Array = new Uint32Array(1024);
  used: i32 = 0;
  /** Open addressing: offset + 1 into data (0 = empty). */
  index: Int32Array = new Int32Array(1024);
  count: i32 = 0;

  private find(key: StaticArray<u32>, hash: u32): i32 {
    const mask = this.index.length - 1;
    let slot = <i32>(hash & <u32>mask);
    let at = this.index[slot];
    while (at != 0) {
      if (this.equal(at - 1, key)) return slot;
      slot = (slot + 1) & mask;
      at = this.index[slot];
    }
    return -1 - slot;
  }

  private equal(off: i32, key: StaticArray<u32>): bool {
    const n = key.length;
    if (<i32>this.data[off] != n) return false;
    for (let i = 0; i < n; i++) if (this.data[off + 1 + i] != key[i]) return false;
    return true;
  }

  has(key: StaticArray<u32>, hash: u32): bool { return this.find(key, hash) >= 0; }

  /** Adds `key`; true when the store was reallocated (the caller must keep it). */
  add(key: StaticArray<u32>, hash: u32): bool {
    const f = this.find(key, hash);
    if (f >= 0) return false;
    let grew = false;
    const n = key.length;
    if (this.used + n + 1 > this.data.length) {
      const d = new Uint32Array(max(this.data.length << 1, this.used + n + 1));
      d.set(this.data);
      this.data = d;
      grew = true;
    }
    const off = this.used;
    this.data[off] = n;
    for (let i = 0; i < n; i++) this.data[off + 1 + i] = key[i];
    this.used += n + 1;
    this.index[-1 - f] = off + 1;
    this.count++;
    if (this.count * 2 > this.index.length) { this.rehash(); grew = true; }
    return grew;
  }

  private rehash(): void {
    const t = new Int32Array(this.index.length << 1);
    const mask = t.length - 1;
    for (let i = 0; i < this.index.length; i++) {
      const at = this.index[i];
      if (at == 0) continue;
      const off = at - 1;
      const n = <i32>this.data[off];
      let h = FNV;
      for (let j = 0; j < n; j++) h = (h ^ this.data[off + 1 + j]) * 0x01000193;
      let slot = <i32>(h & <u32>mask);
      while (t[slot] != 0) slot = (slot + 1) & mask;
      t[slot] = at;
    }
    this.index = t;
  }
}

const FNV: u32 = 0x811c9dc5;

function hashKey(key: StaticArray<u32>): u32 {
  let h = FNV;
  for (let i = 0; i < key.length; i++) h = (h ^ key[i]) * 0x01000193;
  return h;
}

/**
 * Symbolic execution of one program against one IR, depth first, with two ways to avoid
 * exploring the same thing twice where paths join (an instruction more than one jump or
 * fall-through reaches). Without them every test whose two branches meet again doubles the
 * paths, and a rule list the code generator could not search (its linear fallback) has 2^n.
 *
 * Proven states. The outcome from an instruction on depends only on the live registers, the
 * policy left to decide (the residual, residual.ts) and the values of the words that the
 * rest of the program or the residual still reads. A state whose subtree was proven is not
 * explored again.
 *
 * Widening. Two paths that reach one instruction with the same registers and residual but
 * different knowledge (one failed a mask test on the low word, the other on the high word)
 * are different states, yet the code from there on usually decides the residual without
 * that knowledge. The second time such states meet, the claim is tried on a larger region:
 * the words the rest of the program reads kept to their intervals only (bits, nonzero masks
 * and excluded values dropped), the residual's other words as they are (the program has
 * decided them). The residual is a fixed function that means what the IR means on the exact
 * region, so proving the program equal to it on the larger region proves it on every later
 * arrival inside it. A widened attempt that meets a mismatch may have met an input no real
 * path brings there: the exploration above it is dropped and the state is explored as it
 * was. Only a mismatch outside every widened attempt is reported.
 */
class Verifier {
  res: VerifyResult = new VerifyResult();
  tables: ClauseTable[] = [];
  /** Listed syscall numbers, ascending, as (nr << 32 | index in ir.syscalls). */
  listed: u64[] = [];
  /** Words loaded at pc or after it (a bit per region word). */
  reads: Int32Array = new Int32Array(0);
  /** Registers live at pc: bit 0 A, bit 1 X, bit 2 + i scratch slot i. */
  live: Int32Array = new Int32Array(0);
  /** Instructions reached from more than one place. */
  join: Uint8Array = new Uint8Array(0);
  proven: ProvenSet = new ProvenSet();
  /** Widened keys met once, and widened keys whose attempt failed. */
  seen: ProvenSet = new ProvenSet();
  failed: ProvenSet = new ProvenSet();
  /** Stack positions of the open widened attempts, innermost last. */
  attempts: i32[] = [];
  stack: Frontier<PathState> = new Frontier<PathState>();

  constructor(public ir: PolicyIR, public prog: Insn[]) {
    for (let i = 0; i < ir.syscalls.length; i++) {
      this.tables.push(new ClauseTable(ir, i));
      this.listed.push((<u64>(<u32>ir.syscalls[i].nr) << 32) | <u64>i);
    }
    sortNumbers(this.listed);
    const n = prog.length;
    this.reads = new Int32Array(n);
    this.live = new Int32Array(n);
    const indeg = new Int32Array(n);
    for (let pc = n - 1; pc >= 0; pc--) {
      const insn = prog[pc];
      const cls = insn.code & 0x07;
      let words = 0;
      let out = 0;
      if (cls == BPF_RET) { /* no successor */ } else if (cls == BPF_JMP && (insn.code & 0xf0) == BPF_JA) {
        words = this.succ(pc + 1 + <i32>insn.k, indeg);
        out = this.liveAt(pc + 1 + <i32>insn.k);
      } else if (cls == BPF_JMP) {
        const t = pc + 1 + <i32>insn.jt;
        const f = pc + 1 + <i32>insn.jf;
        words = this.succ(t, indeg);
        out = this.liveAt(t);
        if (f != t) { words |= this.succ(f, indeg); out |= this.liveAt(f); }
      } else {
        words = this.succ(pc + 1, indeg);
        out = this.liveAt(pc + 1);
      }
      if (cls == BPF_LD && (insn.code & 0xe0) == BPF_ABS && insn.k < 64) words |= 1 << <i32>(insn.k >> 2);
      this.reads[pc] = words;
      this.live[pc] = liveBefore(insn, out);
    }
    this.join = new Uint8Array(n);
    for (let pc = 0; pc < n; pc++) this.join[pc] = indeg[pc] > 1 ? 1 : 0;
  }

  private succ(pc: i32, indeg: Int32Array): i32 {
    if (pc < 0 || pc >= this.prog.length) return 0;
    indeg[pc]++;
    return this.reads[pc];
  }

  private liveAt(pc: i32): i32 { return pc < 0 || pc >= this.prog.length ? 0 : this.live[pc]; }

  table(res: Residual): ClauseTable | null { return res.sc < 0 ? null : this.tables[res.sc]; }

  /**
   * The residual once the region fixes what the IR does with arch and nr, or null while it
   * does not (decideIR's order: the arch, x32 numbers, then the listed syscall).
   */
  settle(r: Region): Residual | null {
    const ir = this.ir;
    const arch = r.words[WORD_ARCH];
    if (!arch.contains(ir.arch.auditArch)) return Residual.constant(ir.badArchAction);
    if (!arch.singleton) return null;
    const nr = r.words[WORD_NR];
    if (ir.arch.x32Check) {
      if (!nr.someWithBits(X32_BIT, 0)) return Residual.constant(ir.badArchAction);
      if (nr.someWithBits(X32_BIT, X32_BIT)) return null;
    }
    if (nr.singleton) {
      const i = this.listedIndex(<u32>nr.min);
      return i < 0 ? Residual.constant(ir.defaultAction) : residualOf(this.tables[i], r);
    }
    return this.firstListedIn(nr) < 0 ? Residual.constant(ir.defaultAction) : null;
  }

  private listedIndex(nr: u32): i32 {
    const p = this.lowerBound(nr);
    if (p < this.listed.length && <u32>(this.listed[p] >> 32) == nr) return <i32>(this.listed[p] & 0xffffffff);
    return -1;
  }

  private lowerBound(nr: u32): i32 {
    let lo = 0, hi = this.listed.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (<u32>(this.listed[mid] >> 32) < nr) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** Position in `listed` of the first listed number the domain holds, or -1. */
  private firstListedIn(nr: Domain): i32 {
    for (let p = this.lowerBound(nr.lo); p < this.listed.length; p++) {
      const n = <u32>(this.listed[p] >> 32);
      if (n > nr.hi) break;
      if (nr.contains(n)) return p;
    }
    return -1;
  }

  /**
   * A state about to read an argument with several listed syscalls still possible (adjacent
   * numbers sharing their code) goes on as one state per syscall plus the rest, so each has
   * its residual. False (nothing pushed) when there are too many to be worth it.
   */
  splitByNr(st: PathState): bool {
    const r = st.region;
    const arch = r.words[WORD_ARCH];
    if (!arch.singleton || !arch.contains(this.ir.arch.auditArch)) return false;
    let nr = r.words[WORD_NR];
    if (this.ir.arch.x32Check && nr.someWithBits(X32_BIT, X32_BIT)) return false;
    const first = this.firstListedIn(nr);
    if (first < 0) return false;
    const parts = new Array<i32>();
    for (let p = first; p < this.listed.length && parts.length <= 16; p++) {
      const n = <u32>(this.listed[p] >> 32);
      if (n > nr.hi) break;
      if (nr.contains(n)) parts.push(p);
    }
    if (parts.length > 16) return false;
    for (let i = 0; i < parts.length; i++) {
      const n = <u32>(this.listed[parts[i]] >> 32);
      this.push(st, st.pc, WORD_NR, nr.withValue(n));
      nr = nr.without(n);
    }
    if (!nr.empty) this.push(st, st.pc, WORD_NR, nr);
    return true;
  }

  /** `st` going on at `pc` with word `w` narrowed to `d` (not empty). */
  push(st: PathState, pc: i32, w: i32, d: Domain): void {
    const region = st.region.with(w, d);
    let res = st.res;
    if (res != null) {
      const t = this.table(res);
      if (t != null) res = refineResidual(t, res, region, w);
    } else if (w == WORD_NR || w == WORD_ARCH) res = this.settle(region);
    this.stack.push(new PathState(pc, region, st.a, st.x, st.mem, res));
  }

  /** The state's identity (see the class comment): pc, the live registers, the residual and the domains of the words still read. */
  keyOf(st: PathState): StaticArray<u32> {
    return this.stateKey(st, this.wideWords(st), 0, false);
  }

  /** Key length of pc, the widened flag and the live registers. */
  private regsSize(st: PathState, live: i32): i32 {
    let n = 2 + 8 + 1;
    for (let i = 0; i < BPF_MEMWORDS; i++) if ((live & (4 << i)) != 0) n += 5;
    return n;
  }

  private putRegs(key: StaticArray<u32>, st: PathState, live: i32, widened: i32): i32 {
    let k = 0;
    key[k++] = <u32>st.pc;
    key[k++] = <u32>widened;
    k = (live & 1) != 0 ? putSym(key, k, st.a) : k + 4;
    k = (live & 2) != 0 ? putSym(key, k, st.x) : k + 4;
    let slots = 0;
    for (let i = 0; i < BPF_MEMWORDS; i++) if ((live & (4 << i)) != 0) slots++;
    key[k++] = <u32>slots;
    for (let i = 0; i < BPF_MEMWORDS; i++) {
      if ((live & (4 << i)) == 0) continue;
      key[k++] = <u32>i;
      k = putSym(key, k, st.mem[i]);
    }
    return k;
  }

  /**
   * The words a widened claim keeps to their intervals: those the rest of the program reads
   * and those the live registers hold. The residual's other words keep their exact domains
   * (the program has decided them: nothing it does from here on tests them again).
   */
  wideWords(st: PathState): i32 {
    return this.reads[st.pc] | liveWords(st, this.live[st.pc]);
  }

  /** The exact key with the words of `wide` reduced to their intervals. */
  wideKey(st: PathState, wide: i32): StaticArray<u32> {
    return this.stateKey(st, wide, wide, true);
  }

  /**
   * The key of both: pc, the widened flag, the live registers, the residual, then the domains
   * of `words` and the residual's words, those in `wide` as their intervals only. A widened key
   * also holds `wide`; an exact one (wide 0) does not.
   */
  private stateKey(st: PathState, words: i32, wide: i32, widened: bool): StaticArray<u32> {
    const res = st.res!;
    const live = this.live[st.pc];
    words |= res.words;
    let n = this.regsSize(st, live) + 3 + res.items.length + (widened ? 2 : 1);
    for (let w = 0; w < WORDS; w++) {
      if ((words & (1 << w)) == 0) continue;
      const d = st.region.words[w];
      n += (wide & (1 << w)) != 0 ? 2 : 6 + d.excluded.length + d.nz.length;
    }
    const key = new StaticArray<u32>(n);
    let k = this.putRegs(key, st, live, widened ? 1 : 0);
    key[k++] = <u32>res.sc;
    key[k++] = res.def;
    key[k++] = <u32>res.items.length;
    for (let i = 0; i < res.items.length; i++) key[k++] = <u32>res.items[i];
    key[k++] = <u32>words;
    if (widened) key[k++] = <u32>wide;
    for (let w = 0; w < WORDS; w++) {
      if ((words & (1 << w)) == 0) continue;
      const d = st.region.words[w];
      key[k++] = d.lo;
      key[k++] = d.hi;
      if ((wide & (1 << w)) != 0) continue;
      key[k++] = d.knownMask;
      key[k++] = d.knownVal & d.knownMask;
      key[k++] = <u32>d.excluded.length;
      for (let i = 0; i < d.excluded.length; i++) key[k++] = d.excluded[i];
      key[k++] = <u32>d.nz.length;
      for (let i = 0; i < d.nz.length; i++) key[k++] = d.nz[i];
    }
    return key;
  }

  /** The widened state: the words of `wide` to their intervals, the same residual. */
  widen(st: PathState, wide: i32): PathState {
    const doms = st.region.words.slice(0);
    for (let w = 0; w < WORDS; w++) {
      if ((wide & (1 << w)) == 0) continue;
      const d = doms[w];
      doms[w] = new Domain(d.lo, d.hi);
    }
    return new PathState(st.pc, new Region(doms), st.a, st.x, st.mem, st.res);
  }

  /**
   * At a join: false when the state is already proven (nothing to do); otherwise pushes what
   * to explore (the state itself behind a proven-marker, or a widened attempt) and returns true.
   */
  enterJoin(st: PathState): bool {
    const key = this.keyOf(st);
    const hash = hashKey(key);
    if (this.proven.has(key, hash)) return false;
    const stack = this.stack;
    const res = st.res!;
    if (res.sc >= 0 && res.items.length > 0) {
      const wide = this.wideWords(st);
      const wkey = this.wideKey(st, wide);
      const whash = hashKey(wkey);
      if (this.proven.has(wkey, whash)) return false;
      if (!this.failed.has(wkey, whash)) {
        if (!this.seen.has(wkey, whash)) {
          if (this.seen.add(wkey, whash)) stack.keep();
        } else {
          // The attempt: a marker holding the exact state (resumed if the attempt fails) and
          // the widened key (proven if it does not), then the widened state.
          const attempt = new PathState(PC_ATTEMPT, st.region, st.a, st.x, st.mem, st.res);
          attempt.key = wkey;
          attempt.resume = st;
          const before = this.attempts.dataStart;
          this.attempts.push(stack.length);
          // A grown list lives in memory the stack's pops would otherwise hand out again.
          if (this.attempts.dataStart != before) stack.keep();
          stack.push(attempt);
          const w = this.widen(st, wide);
          w.joined = true;
          stack.push(w);
          return true;
        }
      }
    }
    const done = new PathState(PC_PROVEN, st.region, st.a, st.x, st.mem, null);
    done.key = key;
    stack.push(done);
    st.joined = true;
    stack.push(st);
    return true;
  }

  /**
   * After a mismatch: if a widened attempt is open, drop its exploration, remember that it
   * failed, resume its exact state and return true; false when the mismatch is real.
   */
  unwind(): bool {
    if (this.attempts.length == 0) return false;
    const at = this.attempts.pop();
    const stack = this.stack;
    while (stack.length > at + 1) stack.pop();
    const attempt = stack.pop();
    const key = attempt.key!;
    if (this.failed.add(key, hashKey(key))) stack.keep();
    const res = this.res;
    res.status = V_PROVEN;
    res.input = null;
    stack.push(attempt.resume!);
    return true;
  }

  run(): VerifyResult {
    const res = this.res;
    const prog = this.prog;
    const ir = this.ir;
    if (prog.length == 0) { res.status = V_UNPROVEN; res.reason = 'empty program'; return res; }
    const mem = new Array<Sym>(BPF_MEMWORDS);
    for (let i = 0; i < BPF_MEMWORDS; i++) mem[i] = Sym.c(0);
    const stack = this.stack;
    // Everything built so far (tables, the proven sets) outlives every step.
    stack.keep();
    stack.push(new PathState(0, new Region(), Sym.c(0), Sym.c(0), mem, null));
    while (stack.length > 0) {
      if (res.paths + res.regions > BUDGET) { res.status = V_UNPROVEN; res.reason = 'verification budget exceeded'; return res; }
      const st = stack.pop();
      if (st.pc == PC_PROVEN || st.pc == PC_ATTEMPT) {
        if (st.pc == PC_ATTEMPT) this.attempts.pop();
        const key = st.key!;
        if (this.proven.add(key, hashKey(key))) stack.keep();
        continue;
      }
      if (st.pc < 0 || st.pc >= prog.length) return unproven(res, 'jump out of the program at ' + st.pc.toString());
      if (!st.joined && this.join[st.pc] != 0 && st.res != null) {
        if (!this.enterJoin(st)) res.paths++;
        continue;
      }
      st.joined = false;
      const insn = prog[st.pc];
      const cls = insn.code & 0x07;
      if (cls == BPF_RET) {
        res.paths++;
        let ret: u32 = insn.k;
        const src = insn.code & 0x18;
        if (src == BPF_A) {
          if (st.a.kind != K_CONST) return unproven(res, 'RET A with a non-constant accumulator at ' + st.pc.toString());
          ret = st.a.k;
        } else if (src != BPF_K) return unproven(res, 'invalid RET at ' + st.pc.toString());
        const ok = st.res != null ? this.checkResidual(st.res!, st.region, ret, st.pc) : checkRet(ir, st.region, ret, st.pc, res);
        if (!ok) {
          if (res.status == V_MISMATCH && this.unwind()) continue;
          return res;
        }
        continue;
      }
      if (cls == BPF_LD || cls == BPF_LDX) {
        const mode = insn.code & 0xe0;
        let v: Sym;
        if (mode == BPF_ABS && (insn.code & 0x18) == BPF_W && cls == BPF_LD) {
          if (insn.k >= 64 || (insn.k & 3) != 0) return unproven(res, 'invalid load offset at ' + st.pc.toString());
          const word = <i32>(insn.k >> 2);
          if (st.res == null && word != WORD_NR && word != WORD_ARCH && this.splitByNr(st)) continue;
          v = new Sym(K_WORD, 0, word);
        } else if (mode == BPF_IMM) v = Sym.c(insn.k);
        else if (mode == BPF_MEM) {
          if (insn.k >= <u32>BPF_MEMWORDS) return unproven(res, 'invalid scratch slot at ' + st.pc.toString());
          v = st.mem[insn.k];
        } else if (mode == BPF_LEN) v = Sym.c(64);
        else return unproven(res, 'unsupported load at ' + st.pc.toString());
        if (cls == BPF_LD) st.a = v; else st.x = v;
        st.pc++;
        stack.push(st);
        continue;
      }
      if (cls == BPF_ST || cls == BPF_STX) {
        if (insn.k >= <u32>BPF_MEMWORDS) return unproven(res, 'invalid scratch slot at ' + st.pc.toString());
        const m = st.mem.slice(0);
        m[insn.k] = cls == BPF_ST ? st.a : st.x;
        st.mem = m;
        st.pc++;
        stack.push(st);
        continue;
      }
      if (cls == BPF_MISC) {
        if ((insn.code & 0xf8) == BPF_TAX) st.x = st.a; else if ((insn.code & 0xf8) == BPF_TXA) st.a = st.x;
        else return unproven(res, 'unsupported misc instruction at ' + st.pc.toString());
        st.pc++;
        stack.push(st);
        continue;
      }
      if (cls == BPF_ALU) {
        st.a = alu(insn, st.a, st.x);
        st.pc++;
        stack.push(st);
        continue;
      }
      if (cls == BPF_JMP) {
        const op = insn.code & 0xf0;
        if (op == BPF_JA) { st.pc += 1 + <i32>insn.k; stack.push(st); continue; }
        let k = insn.k;
        if ((insn.code & 0x08) == BPF_X) {
          if (st.x.kind != K_CONST) return unproven(res, 'comparison with a non-constant X at ' + st.pc.toString());
          k = st.x.k;
        }
        const tPc = st.pc + 1 + <i32>insn.jt;
        const fPc = st.pc + 1 + <i32>insn.jf;
        const a = st.a;
        if (a.kind == K_CONST) {
          const taken = constJump(op, a.k, k);
          st.pc = taken ? tPc : fPc;
          stack.push(st);
          continue;
        }
        if (a.kind == K_UNKNOWN) return unproven(res, 'comparison on a value the verifier cannot track at ' + st.pc.toString());
        const d = st.region.words[a.word];
        let tParts = new Array<Domain>(), fParts = new Array<Domain>();
        if (a.kind == K_WORD) {
          if (op == BPF_JEQ) { tParts.push(d.withValue(k)); fParts.push(d.without(k)); }
          else if (op == BPF_JGT) {
            if (k < 0xffffffff) tParts.push(d.withRange(k + 1, 0xffffffff));
            fParts.push(d.withRange(0, k));
          } else if (op == BPF_JGE) {
            tParts.push(d.withRange(k, 0xffffffff));
            if (k > 0) fParts.push(d.withRange(0, k - 1));
          } else if (op == BPF_JSET) { tParts.push(d.withAnyBit(k)); fParts.push(d.withBits(k, 0)); }
          else return unproven(res, 'invalid jump at ' + st.pc.toString());
        } else { // K_MASKED: A = word & mask
          const m = a.mask;
          if (op == BPF_JEQ) {
            if ((k & ~m) == 0) tParts.push(d.withBits(m, k));
            fParts = splitNotMaskedEq(d, m, k);
          } else if (op == BPF_JSET) { tParts.push(d.withAnyBit(m & k)); fParts.push(d.withBits(m & k, 0)); }
          else return unproven(res, 'ordered comparison of a masked word at ' + st.pc.toString());
        }
        for (let i = 0; i < fParts.length; i++) {
          if (!fParts[i].empty) this.push(st, fPc, a.word, fParts[i]);
        }
        for (let i = 0; i < tParts.length; i++) {
          if (!tParts[i].empty) this.push(st, tPc, a.word, tParts[i]);
        }
        continue;
      }
      return unproven(res, 'invalid instruction at ' + st.pc.toString());
    }
    return res;
  }

  /** Refine `region` by the residual until each piece is decided; every piece must give `ret`. */
  checkResidual(start: Residual, region: Region, ret: u32, pc: i32): bool {
    const res = this.res;
    const work = new Frontier<Piece>();
    work.push(new Piece(region, start));
    while (work.length > 0) {
      if (res.paths + res.regions > BUDGET) { unproven(res, 'verification budget exceeded'); return false; }
      const p = work.pop();
      res.regions++;
      const t = this.table(p.res);
      const d = decideResidual(t, p.res, p.region);
      if (d.decided) {
        if (d.action != ret) { mismatch(res, p.region, ret, d, pc); return false; }
        continue;
      }
      const s = d.split!;
      for (let i = 0; i < s.parts.length; i++) {
        if (s.parts[i].empty) continue;
        const r = p.region.with(s.word, s.parts[i]);
        work.push(new Piece(r, t != null ? refineResidual(t, p.res, r, s.word) : p.res));
      }
    }
    return true;
  }
}

/** Registers live before `insn` (bit 0 A, bit 1 X, bit 2 + i slot i), given those live after it. */
function liveBefore(insn: Insn, out: i32): i32 {
  const cls = insn.code & 0x07;
  const k = <i32>(insn.k & 15);
  const x = (insn.code & 0x08) == BPF_X ? 2 : 0;
  switch (cls) {
    case BPF_LD: return (out & ~1) | ((insn.code & 0xe0) == BPF_MEM ? 4 << k : 0);
    case BPF_LDX: return (out & ~2) | ((insn.code & 0xe0) == BPF_MEM ? 4 << k : 0);
    case BPF_ST: return (out & ~(4 << k)) | 1;
    case BPF_STX: return (out & ~(4 << k)) | 2;
    case BPF_ALU: return out | 1 | x;
    case BPF_JMP: return (insn.code & 0xf0) == BPF_JA ? out : out | 1 | x;
    case BPF_RET: return (insn.code & 0x18) == BPF_A ? 1 : (insn.code & 0x18) == BPF_X ? 2 : 0;
    case BPF_MISC: return (insn.code & 0xf8) == BPF_TAX ? (out & ~2) | 1 : (out & ~1) | 2;
  }
  return out | 3;
}

class Piece {
  constructor(public region: Region, public res: Residual) {}
}

const X32_BIT: u32 = 0x40000000;

/** Words the live registers of `st` hold. */
function liveWords(st: PathState, live: i32): i32 {
  let words = 0;
  if ((live & 1) != 0) words |= symWords(st.a);
  if ((live & 2) != 0) words |= symWords(st.x);
  for (let i = 0; i < BPF_MEMWORDS; i++) if ((live & (4 << i)) != 0) words |= symWords(st.mem[i]);
  return words;
}

function symWords(s: Sym): i32 {
  return s.kind == K_WORD || s.kind == K_MASKED ? 1 << s.word : 0;
}

function putSym(key: StaticArray<u32>, k: i32, s: Sym): i32 {
  key[k++] = <u32>s.kind;
  key[k++] = s.k;
  key[k++] = <u32>s.word;
  key[k++] = s.mask;
  return k;
}

export function verifyProgram(ir: PolicyIR, prog: Insn[]): VerifyResult {
  return new Verifier(ir, prog).run();
}

function unproven(res: VerifyResult, why: string): VerifyResult {
  res.status = V_UNPROVEN;
  res.reason = why;
  return res;
}

function mismatch(res: VerifyResult, r: Region, ret: u32, d: Decision, pc: i32): void {
  res.status = V_MISMATCH;
  res.input = r.sample();
  res.programAction = ret;
  res.policyAction = d.action;
  res.syscallIndex = d.syscallIndex;
  res.ruleIndex = d.ruleIndex;
  res.retPc = pc;
}

/** Refine `region` by the IR until each piece is decided; every piece must give `ret`. */
function checkRet(ir: PolicyIR, region: Region, ret: u32, pc: i32, res: VerifyResult): bool {
  const work = new Frontier<Region>();
  work.push(region);
  while (work.length > 0) {
    if (res.paths + res.regions > BUDGET) { unproven(res, 'verification budget exceeded'); return false; }
    const r = work.pop();
    res.regions++;
    const d = decideIR(ir, r);
    if (d.decided) {
      if (d.action != ret) { mismatch(res, r, ret, d, pc); return false; }
      continue;
    }
    const s = d.split!;
    for (let i = 0; i < s.parts.length; i++) {
      if (!s.parts[i].empty) work.push(r.with(s.word, s.parts[i]));
    }
  }
  return true;
}

/** Exact partition of {w in d : (w & m) != k}: the first differing bit of m, high to low. */
function splitNotMaskedEq(d: Domain, m: u32, k: u32): Domain[] {
  const out = new Array<Domain>();
  if ((k & ~m) != 0) { out.push(d); return out; } // never equal
  let prefix: u32 = 0;
  for (let b = 31; b >= 0; b--) {
    const bit: u32 = (<u32>1) << <u32>b;
    if ((m & bit) == 0) continue;
    const part = d.withBits(prefix | bit, (k & prefix) | (~k & bit));
    if (!part.empty) out.push(part);
    prefix |= bit;
  }
  return out;
}

function constJump(op: u16, a: u32, k: u32): bool {
  if (op == BPF_JEQ) return a == k;
  if (op == BPF_JGT) return a > k;
  if (op == BPF_JGE) return a >= k;
  return (a & k) != 0;
}

function alu(insn: Insn, a: Sym, x: Sym): Sym {
  const op = insn.code & 0xf0;
  if (op == BPF_NEG) return a.kind == K_CONST ? Sym.c(-a.k) : new Sym(K_UNKNOWN);
  let k = insn.k;
  if ((insn.code & 0x08) == BPF_X) {
    if (x.kind != K_CONST) return new Sym(K_UNKNOWN);
    k = x.k;
  }
  if (a.kind == K_CONST) {
    const v = a.k;
    if (op == BPF_ADD) return Sym.c(v + k);
    if (op == BPF_SUB) return Sym.c(v - k);
    if (op == BPF_MUL) return Sym.c(v * k);
    if (op == BPF_DIV) return Sym.c(k == 0 ? 0 : v / k);
    if (op == BPF_MOD) return Sym.c(k == 0 ? 0 : v % k);
    if (op == BPF_AND) return Sym.c(v & k);
    if (op == BPF_OR) return Sym.c(v | k);
    if (op == BPF_XOR) return Sym.c(v ^ k);
    if (op == BPF_LSH) return Sym.c(k >= 32 ? 0 : v << k);
    if (op == BPF_RSH) return Sym.c(k >= 32 ? 0 : v >> k);
    return new Sym(K_UNKNOWN);
  }
  if (op == BPF_AND && (a.kind == K_WORD || a.kind == K_MASKED)) {
    return new Sym(K_MASKED, 0, a.word, a.mask & k);
  }
  return new Sym(K_UNKNOWN);
}

export { WORDS };
