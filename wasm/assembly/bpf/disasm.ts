// A readable listing of a seccomp program, in the spirit of `seccomp-tools disasm`: one line
// per instruction with its address, the raw fields, and pseudo-code whose constants are
// decoded from what A holds at that point (seccomp_data field, AUDIT_ARCH name, syscall
// name after a load of `nr`, action names on returns).

import {
  Insn, decode,
  BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_RET, BPF_MISC,
  BPF_W, BPF_H, BPF_B, BPF_IMM, BPF_ABS, BPF_IND, BPF_MEM, BPF_LEN,
  BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR,
  BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_X, BPF_A, BPF_TAX, BPF_TXA,
} from './insn';
import {
  RET_KILL_PROCESS, RET_KILL_THREAD, RET_TRAP, RET_ERRNO, RET_USER_NOTIF, RET_TRACE, RET_LOG, RET_ALLOW,
  RET_ACTION_FULL, RET_DATA,
} from '../actions';
import { Arch, findArch, archByAudit } from '../tables/index';
import { splitMulti, sliceArchName } from '../multiarch';

// What A holds, as far as the listing can tell: a seccomp_data offset, or one of these.
const A_UNSET: i32 = -2; // no path reaches here yet
const A_UNKNOWN: i32 = -1;

/** Name of the 32-bit seccomp_data word at byte offset `off`. */
export function fieldName(off: u32): string {
  if (off == 0) return 'nr';
  if (off == 4) return 'arch';
  if (off == 8) return 'ip';
  if (off == 12) return 'ip.hi';
  if (off >= 16 && off < 64 && (off & 3) == 0) {
    const i = (off - 16) >> 3;
    return 'args[' + i.toString() + ']' + ((off & 4) != 0 ? '.hi' : '.lo');
  }
  return '[' + off.toString() + ']';
}

function hex(v: u32): string { return '0x' + v.toString(16); }

function pad(s: string, n: i32): string { return s.length >= n ? s : s + ' '.repeat(n - s.length); }

function hexFixed(v: u32, digits: i32): string { return '0x' + v.toString(16).padStart(digits, '0'); }

/** `ALLOW`, `ERRNO(38)`, `KILL_PROCESS`, `TRACE(5)`... */
export function retName(k: u32): string {
  const kind = k & RET_ACTION_FULL;
  const data = k & RET_DATA;
  if (kind == RET_KILL_PROCESS) return 'KILL_PROCESS';
  if (kind == RET_KILL_THREAD) return data == 0 ? 'KILL_THREAD' : 'KILL_THREAD(' + data.toString() + ')';
  if (kind == RET_TRAP) return data == 0 ? 'TRAP' : 'TRAP(' + data.toString() + ')';
  if (kind == RET_ERRNO) return 'ERRNO(' + data.toString() + ')';
  if (kind == RET_USER_NOTIF) return 'USER_NOTIF';
  if (kind == RET_TRACE) return data == 0 ? 'TRACE' : 'TRACE(' + data.toString() + ')';
  if (kind == RET_LOG) return 'LOG';
  if (kind == RET_ALLOW) return 'ALLOW';
  return hex(k);
}

function auditArchName(v: u32): string {
  const a = archByAudit(v);
  if (a == null) return hex(v);
  return 'AUDIT_ARCH_' + a.name.toUpperCase();
}

/** K decoded for a comparison against the word A holds. */
function constantFor(field: i32, k: u32, arch: Arch | null, op: u16): string {
  if (field == 4 && op != BPF_JSET) return auditArchName(k);
  if (field == 0 && op != BPF_JSET) {
    const name = arch != null ? arch.syscallName(<i32>k) : null;
    if (name != null) return k.toString() + ' /* ' + name + ' */';
    return k < 0x10000 ? k.toString() : hex(k);
  }
  return hex(k);
}

function aluText(code: u16, k: u32): string {
  const src = (code & BPF_X) != 0 ? 'X' : hex(k);
  switch (code & 0xf0) {
    case BPF_ADD: return 'A += ' + src;
    case BPF_SUB: return 'A -= ' + src;
    case BPF_MUL: return 'A *= ' + src;
    case BPF_DIV: return 'A /= ' + src;
    case BPF_MOD: return 'A %= ' + src;
    case BPF_AND: return 'A &= ' + src;
    case BPF_OR: return 'A |= ' + src;
    case BPF_XOR: return 'A ^= ' + src;
    case BPF_LSH: return 'A <<= ' + src;
    case BPF_RSH: return 'A >>= ' + src;
    case BPF_NEG: return 'A = -A';
  }
  return '??? alu ' + hex(code);
}

function addr(pc: i32): string { return pc.toString().padStart(4, '0'); }

function condText(op: u16, negate: bool, rhs: string): string {
  if (op == BPF_JSET) return negate ? '!(A & ' + rhs + ')' : 'A & ' + rhs;
  if (op == BPF_JEQ) return 'A ' + (negate ? '!=' : '==') + ' ' + rhs;
  if (op == BPF_JGT) return 'A ' + (negate ? '<=' : '>') + ' ' + rhs;
  return 'A ' + (negate ? '<' : '>=') + ' ' + rhs; // JGE
}

/** Pseudo-code for one instruction; `field` is what A holds before it (A_UNKNOWN if unsure). */
function insnText(prog: Insn[], pc: i32, field: i32, arch: Arch | null): string {
  const f = prog[pc];
  const code = f.code;
  const k = f.k;
  switch (code & 0x07) {
    case BPF_LD: {
      const mode = code & 0xe0;
      const size = code & 0x18;
      if (mode == BPF_ABS && size == BPF_W) return 'A = ' + fieldName(k);
      if (mode == BPF_ABS) return 'A = ' + (size == BPF_H ? 'u16' : size == BPF_B ? 'u8' : '?') + ' [' + k.toString() + ']';
      if (mode == BPF_IND) return 'A = [X + ' + k.toString() + ']';
      if (mode == BPF_LEN) return 'A = sizeof(seccomp_data)';
      if (mode == BPF_IMM) return 'A = ' + hex(k);
      if (mode == BPF_MEM) return 'A = M[' + k.toString() + ']';
      return '??? ld ' + hex(code);
    }
    case BPF_LDX: {
      const mode = code & 0xe0;
      if (mode == BPF_LEN) return 'X = sizeof(seccomp_data)';
      if (mode == BPF_IMM) return 'X = ' + hex(k);
      if (mode == BPF_MEM) return 'X = M[' + k.toString() + ']';
      return '??? ldx ' + hex(code);
    }
    case BPF_ST: return 'M[' + k.toString() + '] = A';
    case BPF_STX: return 'M[' + k.toString() + '] = X';
    case BPF_ALU: return aluText(code, k);
    case BPF_MISC:
      if (code == (BPF_MISC | BPF_TXA)) return 'A = X';
      if (code == (BPF_MISC | BPF_TAX)) return 'X = A';
      return '??? misc ' + hex(code);
    case BPF_RET: return (code & 0x18) == BPF_A ? 'return A' : 'return ' + retName(k);
    case BPF_JMP: {
      const op = code & 0xf0;
      if (op == BPF_JA) return 'goto ' + addr(pc + 1 + <i32>k);
      if (op != BPF_JEQ && op != BPF_JGT && op != BPF_JGE && op != BPF_JSET) return '??? jmp ' + hex(code);
      const rhs = (code & BPF_X) != 0 ? 'X' : constantFor(field, k, arch, op);
      const t = pc + 1 + <i32>f.jt;
      const e = pc + 1 + <i32>f.jf;
      if (f.jt == 0 && f.jf == 0) return 'if (' + condText(op, false, rhs) + ') goto ' + addr(t);
      if (f.jf == 0) return 'if (' + condText(op, false, rhs) + ') goto ' + addr(t);
      if (f.jt == 0) return 'if (' + condText(op, true, rhs) + ') goto ' + addr(e);
      return 'if (' + condText(op, false, rhs) + ') goto ' + addr(t) + ' else goto ' + addr(e);
    }
  }
  return '???';
}

/** What A holds before each instruction, merged over every path that reaches it. */
function accumulatorFields(prog: Insn[]): Int32Array {
  const n = prog.length;
  const state = new Int32Array(n);
  for (let i = 0; i < n; i++) state[i] = A_UNSET;
  if (n > 0) state[0] = A_UNKNOWN;
  for (let pc = 0; pc < n; pc++) {
    const f = prog[pc];
    const code = f.code;
    let s = state[pc];
    if (s == A_UNSET) continue; // unreachable
    const cls = code & 0x07;
    if (cls == BPF_LD) s = (code == (BPF_LD | BPF_W | BPF_ABS)) ? <i32>f.k : A_UNKNOWN;
    else if (cls == BPF_ALU || (cls == BPF_MISC && (code & 0xf8) == BPF_TXA)) s = A_UNKNOWN;
    if (cls == BPF_RET) continue;
    if (cls == BPF_JMP) {
      if ((code & 0xf0) == BPF_JA) {
        merge(state, pc + 1 + <i32>f.k, s);
      } else {
        merge(state, pc + 1 + <i32>f.jt, s);
        merge(state, pc + 1 + <i32>f.jf, s);
      }
      continue;
    }
    merge(state, pc + 1, s);
  }
  return state;
}

function merge(state: Int32Array, at: i32, s: i32): void {
  if (at < 0 || at >= state.length) return;
  const cur = state[at];
  if (cur == A_UNSET) state[at] = s;
  else if (cur != s) state[at] = A_UNKNOWN;
}

/** The listing; `archName` ('' for none) decodes syscall numbers. */
export function disassembleProgram(program: Uint8Array, archName: string): string {
  const prog = decode(program);
  if (prog == null) return 'error: program length ' + program.length.toString() + ' is not a multiple of 8\n';
  const arch = archName.length > 0 ? findArch(archName) : null;
  const fields = accumulatorFields(prog);
  // Mark jump targets so a reader sees where blocks start.
  const isTarget = new Uint8Array(prog.length + 1);
  for (let pc = 0; pc < prog.length; pc++) {
    const f = prog[pc];
    if ((f.code & 0x07) != BPF_JMP) continue;
    if ((f.code & 0xf0) == BPF_JA) {
      const t = pc + 1 + <i32>f.k;
      if (t >= 0 && t < prog.length) isTarget[t] = 1;
    } else {
      const t = pc + 1 + <i32>f.jt;
      const e = pc + 1 + <i32>f.jf;
      if (t < prog.length && f.jt != 0) isTarget[t] = 1;
      if (e < prog.length && f.jf != 0) isTarget[e] = 1;
    }
  }
  // A multi-arch program (multiarch.ts): each slice names its syscalls by its own arch, and a
  // comment line opens it.
  const multi = splitMulti(prog);
  const archAt = new Array<Arch | null>(prog.length).fill(arch);
  const openers = new Map<i32, string>();
  if (multi != null) {
    openers.set(0, '# multi-arch dispatch on arch: ' + multi.slices.length.toString() + ' arches, any other arch ' + retName(multi.badArchRet));
    for (let s = 0; s < multi.slices.length; s++) {
      const sl = multi.slices[s];
      const a = archByAudit(sl.auditArch);
      for (let pc = sl.start; pc < sl.start + sl.length; pc++) archAt[pc] = a;
      openers.set(sl.start, '# ' + sliceArchName(sl.auditArch) + ': ' + sl.length.toString() + ' instructions');
    }
  }
  const lines = new Array<string>();
  lines.push(' line  CODE  JT   JF      K');
  lines.push('=================================');
  for (let pc = 0; pc < prog.length; pc++) {
    if (openers.has(pc)) lines.push(openers.get(pc));
    const f = prog[pc];
    const field = fields[pc] == A_UNSET ? A_UNKNOWN : fields[pc];
    const raw = hexFixed(f.code, 2) + ' ' + hexFixed(f.jt, 2) + ' ' + hexFixed(f.jf, 2) + ' ' + hexFixed(f.k, 8);
    const mark = isTarget[pc] != 0 ? 'L' : ' ';
    lines.push(mark + addr(pc) + ': ' + pad(raw, 27) + '  ' + insnText(prog, pc, field, archAt[pc]));
  }
  return lines.join('\n') + '\n';
}
