// Runs a classic-BPF program exactly as a seccomp filter runs in the kernel: first the load-time
// checks (net/core/filter.c bpf_check_classic + check_load_and_stores, then
// kernel/seccomp.c seccomp_check_filter), then the interpreter over one struct seccomp_data.
// The simulator is how the playground, the CLI and the benchmarks answer "what happens if
// this process calls X", so it must accept and reject exactly what the kernel does.

import {
  Insn, decode,
  BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_RET, BPF_MISC,
  BPF_W, BPF_H, BPF_B, BPF_IMM, BPF_ABS, BPF_IND, BPF_MEM, BPF_LEN, BPF_MSH,
  BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR,
  BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_K, BPF_X, BPF_A, BPF_TAX, BPF_TXA,
  BPF_MAXINSNS, BPF_MEMWORDS, SECCOMP_DATA_SIZE,
} from './insn';
import { actionName, RET_DATA } from '../actions';
import { JsonObject } from '../json';

/** Result of one run; `error` is set (and ok false) when the kernel would refuse the program. */
export class SimResult {
  ok: bool = false;
  ret: u32 = 0;
  insns: i32 = 0;
  error: string = '';
}

function insnError(pc: i32, what: string): string {
  return 'instruction ' + pc.toString() + ': ' + what;
}

function hex(v: u32): string { return '0x' + v.toString(16); }

// The classic opcodes bpf_check_classic knows (chk_code_allowed). Anything else is -EINVAL.
function classicCodeKnown(code: u16): bool {
  switch (code) {
    case BPF_ALU | BPF_ADD | BPF_K: case BPF_ALU | BPF_ADD | BPF_X:
    case BPF_ALU | BPF_SUB | BPF_K: case BPF_ALU | BPF_SUB | BPF_X:
    case BPF_ALU | BPF_MUL | BPF_K: case BPF_ALU | BPF_MUL | BPF_X:
    case BPF_ALU | BPF_DIV | BPF_K: case BPF_ALU | BPF_DIV | BPF_X:
    case BPF_ALU | BPF_MOD | BPF_K: case BPF_ALU | BPF_MOD | BPF_X:
    case BPF_ALU | BPF_AND | BPF_K: case BPF_ALU | BPF_AND | BPF_X:
    case BPF_ALU | BPF_OR | BPF_K: case BPF_ALU | BPF_OR | BPF_X:
    case BPF_ALU | BPF_XOR | BPF_K: case BPF_ALU | BPF_XOR | BPF_X:
    case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_LSH | BPF_X:
    case BPF_ALU | BPF_RSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_X:
    case BPF_ALU | BPF_NEG:
    case BPF_LD | BPF_W | BPF_ABS: case BPF_LD | BPF_H | BPF_ABS: case BPF_LD | BPF_B | BPF_ABS:
    case BPF_LD | BPF_W | BPF_LEN: case BPF_LD | BPF_W | BPF_IND: case BPF_LD | BPF_H | BPF_IND:
    case BPF_LD | BPF_B | BPF_IND: case BPF_LD | BPF_IMM: case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_W | BPF_LEN: case BPF_LDX | BPF_B | BPF_MSH: case BPF_LDX | BPF_IMM: case BPF_LDX | BPF_MEM:
    case BPF_ST: case BPF_STX:
    case BPF_MISC | BPF_TAX: case BPF_MISC | BPF_TXA:
    case BPF_RET | BPF_K: case BPF_RET | BPF_A:
    case BPF_JMP | BPF_JA:
    case BPF_JMP | BPF_JEQ | BPF_K: case BPF_JMP | BPF_JEQ | BPF_X:
    case BPF_JMP | BPF_JGE | BPF_K: case BPF_JMP | BPF_JGE | BPF_X:
    case BPF_JMP | BPF_JGT | BPF_K: case BPF_JMP | BPF_JGT | BPF_X:
    case BPF_JMP | BPF_JSET | BPF_K: case BPF_JMP | BPF_JSET | BPF_X:
      return true;
  }
  return false;
}

// The subset seccomp_check_filter lets through (no packet loads, no MOD, no IND/MSH).
function seccompCodeAllowed(code: u16): bool {
  switch (code) {
    case BPF_LD | BPF_W | BPF_ABS: case BPF_LD | BPF_W | BPF_LEN: case BPF_LDX | BPF_W | BPF_LEN:
    case BPF_RET | BPF_K: case BPF_RET | BPF_A:
    case BPF_ALU | BPF_ADD | BPF_K: case BPF_ALU | BPF_ADD | BPF_X:
    case BPF_ALU | BPF_SUB | BPF_K: case BPF_ALU | BPF_SUB | BPF_X:
    case BPF_ALU | BPF_MUL | BPF_K: case BPF_ALU | BPF_MUL | BPF_X:
    case BPF_ALU | BPF_DIV | BPF_K: case BPF_ALU | BPF_DIV | BPF_X:
    case BPF_ALU | BPF_AND | BPF_K: case BPF_ALU | BPF_AND | BPF_X:
    case BPF_ALU | BPF_OR | BPF_K: case BPF_ALU | BPF_OR | BPF_X:
    case BPF_ALU | BPF_XOR | BPF_K: case BPF_ALU | BPF_XOR | BPF_X:
    case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_LSH | BPF_X:
    case BPF_ALU | BPF_RSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_X:
    case BPF_ALU | BPF_NEG:
    case BPF_LD | BPF_IMM: case BPF_LDX | BPF_IMM:
    case BPF_MISC | BPF_TAX: case BPF_MISC | BPF_TXA:
    case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM:
    case BPF_ST: case BPF_STX:
    case BPF_JMP | BPF_JA:
    case BPF_JMP | BPF_JEQ | BPF_K: case BPF_JMP | BPF_JEQ | BPF_X:
    case BPF_JMP | BPF_JGE | BPF_K: case BPF_JMP | BPF_JGE | BPF_X:
    case BPF_JMP | BPF_JGT | BPF_K: case BPF_JMP | BPF_JGT | BPF_X:
    case BPF_JMP | BPF_JSET | BPF_K: case BPF_JMP | BPF_JSET | BPF_X:
      return true;
  }
  return false;
}

function isCondJump(code: u16): bool {
  return (code & 0x07) == BPF_JMP && (code & 0xf0) != BPF_JA;
}

/** The kernel's load-time verdict: '' when the program would be accepted, else why not. */
export function checkProgram(prog: Insn[]): string {
  const flen = prog.length;
  if (flen == 0) return 'empty program';
  if (flen > BPF_MAXINSNS) return 'program has ' + flen.toString() + ' instructions, more than ' + BPF_MAXINSNS.toString();
  // bpf_check_classic: per-instruction checks, in program order.
  for (let pc = 0; pc < flen; pc++) {
    const f = prog[pc];
    const code = f.code;
    if (!classicCodeKnown(code)) return insnError(pc, 'unknown opcode ' + hex(code));
    switch (code) {
      case BPF_ALU | BPF_DIV | BPF_K: case BPF_ALU | BPF_MOD | BPF_K:
        if (f.k == 0) return insnError(pc, 'division by constant zero');
        break;
      case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_K:
        if (f.k >= 32) return insnError(pc, 'shift by ' + f.k.toString() + ' (>= 32)');
        break;
      case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM: case BPF_ST: case BPF_STX:
        if (f.k >= <u32>BPF_MEMWORDS) return insnError(pc, 'scratch memory index ' + f.k.toString() + ' out of range');
        break;
      case BPF_JMP | BPF_JA:
        if (f.k >= <u32>(flen - pc - 1)) return insnError(pc, 'jump out of range');
        break;
      default:
        if (isCondJump(code) && (pc + <i32>f.jt + 1 >= flen || pc + <i32>f.jf + 1 >= flen)) {
          return insnError(pc, 'jump out of range');
        }
    }
  }
  // check_load_and_stores: a scratch word read before every path has written it.
  const masks = new Array<u16>(flen);
  for (let i = 0; i < flen; i++) masks[i] = 0xffff;
  let memvalid: u16 = 0;
  for (let pc = 0; pc < flen; pc++) {
    memvalid &= masks[pc];
    const f = prog[pc];
    const code = f.code;
    if (code == BPF_ST || code == BPF_STX) {
      memvalid |= <u16>(<u32>1 << f.k);
    } else if (code == (BPF_LD | BPF_MEM) || code == (BPF_LDX | BPF_MEM)) {
      if ((memvalid & <u16>(<u32>1 << f.k)) == 0) return insnError(pc, 'reads scratch memory M[' + f.k.toString() + '] before it is written');
    } else if (code == (BPF_JMP | BPF_JA)) {
      masks[pc + 1 + <i32>f.k] &= memvalid;
      memvalid = 0xffff;
    } else if (isCondJump(code)) {
      masks[pc + 1 + <i32>f.jt] &= memvalid;
      masks[pc + 1 + <i32>f.jf] &= memvalid;
      memvalid = 0xffff;
    }
  }
  if ((prog[flen - 1].code & 0x07) != BPF_RET) return insnError(flen - 1, 'the last instruction is not a return');
  // seccomp_check_filter: only what makes sense on struct seccomp_data.
  for (let pc = 0; pc < flen; pc++) {
    const f = prog[pc];
    if (!seccompCodeAllowed(f.code)) return insnError(pc, 'opcode ' + hex(f.code) + ' is not allowed in seccomp filters');
    if (f.code == (BPF_LD | BPF_W | BPF_ABS) && (f.k >= SECCOMP_DATA_SIZE || (f.k & 3) != 0)) {
      return insnError(pc, 'load from offset ' + f.k.toString() + ' outside struct seccomp_data or unaligned');
    }
  }
  return '';
}

/** A little-endian word of seccomp_data (offsets already checked). */
export function readU32(data: Uint8Array, off: u32): u32 {
  const o = <i32>off;
  return <u32>data[o] | (<u32>data[o + 1] << 8) | (<u32>data[o + 2] << 16) | (<u32>data[o + 3] << 24);
}

/**
 * Run a program already accepted by checkProgram on 64 bytes of seccomp_data. When `path` is
 * given, the index of every instruction executed is appended to it (the review page highlights
 * the path); callers that only want the verdict pass null.
 */
export function runProgram(prog: Insn[], data: Uint8Array, path: Array<i32> | null = null): SimResult {
  const r = new SimResult();
  const mem = new StaticArray<u32>(BPF_MEMWORDS);
  // The kernel clears A and X before the first instruction (bpf_convert_filter's prologue).
  let A: u32 = 0;
  let X: u32 = 0;
  let pc = 0;
  let count = 0;
  while (pc < prog.length) {
    const f = prog[pc];
    if (path != null) path.push(pc);
    count++;
    pc++;
    const code = f.code;
    switch (code & 0x07) {
      case BPF_LD: {
        if (code == (BPF_LD | BPF_W | BPF_ABS)) A = readU32(data, f.k);
        else if (code == (BPF_LD | BPF_W | BPF_LEN)) A = SECCOMP_DATA_SIZE;
        else if (code == (BPF_LD | BPF_IMM)) A = f.k;
        else A = mem[f.k];
        break;
      }
      case BPF_LDX: {
        if (code == (BPF_LDX | BPF_W | BPF_LEN)) X = SECCOMP_DATA_SIZE;
        else if (code == (BPF_LDX | BPF_IMM)) X = f.k;
        else X = mem[f.k];
        break;
      }
      case BPF_ST: mem[f.k] = A; break;
      case BPF_STX: mem[f.k] = X; break;
      case BPF_ALU: {
        const src: u32 = (code & BPF_X) != 0 ? X : f.k;
        switch (code & 0xf0) {
          case BPF_ADD: A = A + src; break;
          case BPF_SUB: A = A - src; break;
          case BPF_MUL: A = A * src; break;
          case BPF_DIV: {
            // Classic BPF: division by a zero X ends the program with return value 0.
            if (src == 0) { r.ok = true; r.ret = 0; r.insns = count; return r; }
            A = A / src;
            break;
          }
          case BPF_AND: A = A & src; break;
          case BPF_OR: A = A | src; break;
          case BPF_XOR: A = A ^ src; break;
          case BPF_LSH: A = A << (src & 31); break;
          case BPF_RSH: A = A >> (src & 31); break;
          case BPF_NEG: A = <u32>(-(<i32>A)); break;
        }
        break;
      }
      case BPF_JMP: {
        const op = code & 0xf0;
        if (op == BPF_JA) { pc += <i32>f.k; break; }
        const src: u32 = (code & BPF_X) != 0 ? X : f.k;
        let taken = false;
        if (op == BPF_JEQ) taken = A == src;
        else if (op == BPF_JGT) taken = A > src;
        else if (op == BPF_JGE) taken = A >= src;
        else taken = (A & src) != 0;
        pc += taken ? <i32>f.jt : <i32>f.jf;
        break;
      }
      case BPF_RET: {
        r.ok = true;
        r.ret = (code & 0x18) == BPF_A ? A : f.k;
        r.insns = count;
        return r;
      }
      case BPF_MISC: {
        if ((code & 0xf8) == BPF_TXA) A = X; else X = A;
        break;
      }
    }
  }
  // Unreachable for checked programs (the last instruction is a RET and jumps stay inside).
  r.error = 'ran off the end of the program';
  r.insns = count;
  return r;
}

/** Check and run; the result as the JSON the `simulate` export returns (with `path` when `trace`). */
export function simulateProgram(program: Uint8Array, data: Uint8Array, trace: bool): string {
  const o = new JsonObject();
  const prog = decode(program);
  let err = '';
  let res: SimResult | null = null;
  const path: Array<i32> | null = trace ? new Array<i32>() : null;
  if (prog == null) err = 'program length ' + program.length.toString() + ' is not a multiple of 8';
  else if (data.length < <i32>SECCOMP_DATA_SIZE) err = 'seccomp_data must be 64 bytes, got ' + data.length.toString();
  else {
    err = checkProgram(prog);
    if (err.length == 0) {
      res = runProgram(prog, data, path);
      err = res.error;
    }
  }
  if (res == null || err.length > 0) {
    return o.bool('ok', false).str('error', err).toString();
  }
  o.bool('ok', true).int('ret', res.ret).str('action', actionName(res.ret))
    .int('data', res.ret & RET_DATA).int('insns', res.insns);
  if (path != null) o.raw('path', '[' + path.join(',') + ']');
  return o.toString();
}
