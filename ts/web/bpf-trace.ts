// The path one call takes through a classic BPF program: the instruction indices executed and
// the value returned. The core's simulator (simulate in tsjail/policy) is the authority on the
// verdict and the instruction count; the core does not report the path, so the page follows
// the program here only to highlight it, and the caller checks this walk against the core's
// count and return value before showing it (to be replaced if the core gains a traced run).

import type { SockFilter } from '../policy/index';

export interface Trace {
  /** Instruction indices in execution order; the last one is the RET. */
  path: number[];
  /** The 32-bit SECCOMP_RET_* value returned. */
  ret: number;
}

/** Why a program could not be followed (a seccomp program the kernel accepted never fails this way). */
export class TraceError extends Error {}

const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03, BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_RET = 0x06, BPF_MISC = 0x07;

/** Run `program` on the 64 bytes of struct seccomp_data, recording every instruction executed. */
export function traceProgram(program: readonly SockFilter[], data: Uint8Array): Trace {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const mem = new Uint32Array(16);
  let a = 0, x = 0, pc = 0;
  const path: number[] = [];
  const load = (k: number): number => {
    if (k % 4 !== 0 || k + 4 > data.byteLength) throw new TraceError(`instruction ${pc}: load outside seccomp_data (offset ${k})`);
    return view.getUint32(k, true);
  };
  while (pc < program.length) {
    path.push(pc);
    const { code, jt, jf, k } = program[pc];
    const src = code & 0x08 ? x : k;
    switch (code & 0x07) {
      case BPF_LD:
        switch (code & 0xe0) {
          case 0x00: a = k >>> 0; break;
          case 0x20: a = load(k); break;
          case 0x60: a = mem[k & 15]; break;
          case 0x80: a = data.byteLength; break;
          default: throw new TraceError(`instruction ${pc}: unsupported load 0x${code.toString(16)}`);
        }
        break;
      case BPF_LDX:
        switch (code & 0xe0) {
          case 0x00: x = k >>> 0; break;
          case 0x60: x = mem[k & 15]; break;
          case 0x80: x = data.byteLength; break;
          default: throw new TraceError(`instruction ${pc}: unsupported load 0x${code.toString(16)}`);
        }
        break;
      case BPF_ST: mem[k & 15] = a; break;
      case BPF_STX: mem[k & 15] = x; break;
      case BPF_ALU: a = alu(code & 0xf0, a, src >>> 0, pc); break;
      case BPF_JMP: {
        if ((code & 0xf0) === 0x00) { pc += 1 + k; continue; }
        pc += 1 + (jump(code & 0xf0, a, src >>> 0, pc) ? jt : jf);
        continue;
      }
      case BPF_RET: return { path, ret: ((code & 0x18) === 0x10 ? a : k) >>> 0 };
      case BPF_MISC: if (code & 0x80) a = x; else x = a; break;
    }
    pc++;
  }
  throw new TraceError('the program runs past its end without returning');
}

function alu(op: number, a: number, v: number, pc: number): number {
  switch (op) {
    case 0x00: return (a + v) >>> 0;
    case 0x10: return (a - v) >>> 0;
    case 0x20: return Math.imul(a, v) >>> 0;
    case 0x30: if (v === 0) throw new TraceError(`instruction ${pc}: division by zero`); return Math.floor(a / v) >>> 0;
    case 0x40: return (a | v) >>> 0;
    case 0x50: return (a & v) >>> 0;
    case 0x60: return v >= 32 ? 0 : (a << v) >>> 0;
    case 0x70: return v >= 32 ? 0 : a >>> v;
    case 0x80: return (-a) >>> 0;
    case 0x90: if (v === 0) throw new TraceError(`instruction ${pc}: division by zero`); return (a % v) >>> 0;
    case 0xa0: return (a ^ v) >>> 0;
    default: throw new TraceError(`instruction ${pc}: unsupported ALU operation 0x${op.toString(16)}`);
  }
}

function jump(op: number, a: number, v: number, pc: number): boolean {
  switch (op) {
    case 0x10: return a === v;
    case 0x20: return a > v;
    case 0x30: return a >= v;
    case 0x40: return (a & v) !== 0;
    default: throw new TraceError(`instruction ${pc}: unsupported jump 0x${op.toString(16)}`);
  }
}
