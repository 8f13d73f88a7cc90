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
import { Region, WORDS } from './region';
import { decideIR } from './ireval';
import { Frontier } from './frontier';

/** What the accumulator (or X, or a scratch slot) holds, symbolically. */
const K_CONST: i32 = 0, K_WORD: i32 = 1, K_MASKED: i32 = 2, K_UNKNOWN: i32 = 3;

class Sym {
  constructor(public kind: i32, public k: u32 = 0, public word: i32 = 0, public mask: u32 = 0xffffffff) {}
  static c(k: u32): Sym { return new Sym(K_CONST, k); }
}

class PathState {
  constructor(public pc: i32, public region: Region, public a: Sym, public x: Sym, public mem: Sym[]) {}
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

export function verifyProgram(ir: PolicyIR, prog: Insn[]): VerifyResult {
  const res = new VerifyResult();
  if (prog.length == 0) { res.status = V_UNPROVEN; res.reason = 'empty program'; return res; }
  const mem = new Array<Sym>(BPF_MEMWORDS);
  for (let i = 0; i < BPF_MEMWORDS; i++) mem[i] = Sym.c(0);
  // Depth-first, so each popped path frees the garbage of the paths explored after it was pushed.
  const stack = new Frontier<PathState>();
  stack.push(new PathState(0, new Region(), Sym.c(0), Sym.c(0), mem));
  while (stack.length > 0) {
    if (res.paths + res.regions > BUDGET) { res.status = V_UNPROVEN; res.reason = 'verification budget exceeded'; return res; }
    const st = stack.pop();
    if (st.pc < 0 || st.pc >= prog.length) return unproven(res, 'jump out of the program at ' + st.pc.toString());
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
      if (!checkRet(ir, st.region, ret, st.pc, res)) return res;
      continue;
    }
    if (cls == BPF_LD || cls == BPF_LDX) {
      const mode = insn.code & 0xe0;
      let v: Sym;
      if (mode == BPF_ABS && (insn.code & 0x18) == BPF_W && cls == BPF_LD) {
        if (insn.k >= 64 || (insn.k & 3) != 0) return unproven(res, 'invalid load offset at ' + st.pc.toString());
        v = new Sym(K_WORD, 0, <i32>(insn.k >> 2));
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
        } else if (op == BPF_JSET) { tParts = d.splitAnyBit(k); fParts.push(d.withBits(k, 0)); }
        else return unproven(res, 'invalid jump at ' + st.pc.toString());
      } else { // K_MASKED: A = word & mask
        const m = a.mask;
        if (op == BPF_JEQ) {
          if ((k & ~m) == 0) tParts.push(d.withBits(m, k));
          fParts = splitNotMaskedEq(d, m, k);
        } else if (op == BPF_JSET) { tParts = d.splitAnyBit(m & k); fParts.push(d.withBits(m & k, 0)); }
        else return unproven(res, 'ordered comparison of a masked word at ' + st.pc.toString());
      }
      for (let i = 0; i < fParts.length; i++) {
        if (fParts[i].empty) continue;
        stack.push(new PathState(fPc, st.region.with(a.word, fParts[i]), a, st.x, st.mem));
      }
      for (let i = 0; i < tParts.length; i++) {
        if (tParts[i].empty) continue;
        stack.push(new PathState(tPc, st.region.with(a.word, tParts[i]), a, st.x, st.mem));
      }
      continue;
    }
    return unproven(res, 'invalid instruction at ' + st.pc.toString());
  }
  return res;
}

function unproven(res: VerifyResult, why: string): VerifyResult {
  res.status = V_UNPROVEN;
  res.reason = why;
  return res;
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
      if (d.action != ret) {
        res.status = V_MISMATCH;
        res.input = r.sample();
        res.programAction = ret;
        res.policyAction = d.action;
        res.syscallIndex = d.syscallIndex;
        res.ruleIndex = d.ruleIndex;
        res.retPc = pc;
        return false;
      }
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
