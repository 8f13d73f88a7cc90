// Classic BPF instructions as the kernel takes them: struct sock_filter { u16 code; u8 jt;
// u8 jf; u32 k; }, 8 bytes, little-endian on every arch tsjail targets.

// Instruction classes and fields (include/uapi/linux/filter.h, bpf_common.h).
export const BPF_LD: u16 = 0x00;
export const BPF_LDX: u16 = 0x01;
export const BPF_ST: u16 = 0x02;
export const BPF_STX: u16 = 0x03;
export const BPF_ALU: u16 = 0x04;
export const BPF_JMP: u16 = 0x05;
export const BPF_RET: u16 = 0x06;
export const BPF_MISC: u16 = 0x07;
export const BPF_W: u16 = 0x00;
export const BPF_H: u16 = 0x08;
export const BPF_B: u16 = 0x10;
export const BPF_IMM: u16 = 0x00;
export const BPF_ABS: u16 = 0x20;
export const BPF_IND: u16 = 0x40;
export const BPF_MEM: u16 = 0x60;
export const BPF_LEN: u16 = 0x80;
export const BPF_MSH: u16 = 0xa0;
export const BPF_ADD: u16 = 0x00;
export const BPF_SUB: u16 = 0x10;
export const BPF_MUL: u16 = 0x20;
export const BPF_DIV: u16 = 0x30;
export const BPF_OR: u16 = 0x40;
export const BPF_AND: u16 = 0x50;
export const BPF_LSH: u16 = 0x60;
export const BPF_RSH: u16 = 0x70;
export const BPF_NEG: u16 = 0x80;
export const BPF_MOD: u16 = 0x90;
export const BPF_XOR: u16 = 0xa0;
export const BPF_JA: u16 = 0x00;
export const BPF_JEQ: u16 = 0x10;
export const BPF_JGT: u16 = 0x20;
export const BPF_JGE: u16 = 0x30;
export const BPF_JSET: u16 = 0x40;
export const BPF_K: u16 = 0x00;
export const BPF_X: u16 = 0x08;
export const BPF_A: u16 = 0x10;
export const BPF_TAX: u16 = 0x00;
export const BPF_TXA: u16 = 0x80;

export const BPF_MAXINSNS: i32 = 4096;
export const BPF_MEMWORDS: i32 = 16;

// struct seccomp_data offsets.
export const SECCOMP_DATA_NR: u32 = 0;
export const SECCOMP_DATA_ARCH: u32 = 4;
export const SECCOMP_DATA_IP: u32 = 8;
export const SECCOMP_DATA_ARGS: u32 = 16;
export const SECCOMP_DATA_SIZE: u32 = 64;

export class Insn {
  constructor(public code: u16, public jt: u8, public jf: u8, public k: u32) {}
}

export function stmt(code: u16, k: u32): Insn { return new Insn(code, 0, 0, k); }
export function jump(code: u16, k: u32, jt: u8, jf: u8): Insn { return new Insn(code, jt, jf, k); }

/** struct sock_filter[] bytes. */
export function encode(prog: Insn[]): Uint8Array {
  const out = new Uint8Array(prog.length * 8);
  for (let i = 0; i < prog.length; i++) {
    const p = prog[i];
    const o = i * 8;
    out[o] = <u8>(p.code & 0xff);
    out[o + 1] = <u8>(p.code >> 8);
    out[o + 2] = p.jt;
    out[o + 3] = p.jf;
    out[o + 4] = <u8>(p.k & 0xff);
    out[o + 5] = <u8>((p.k >> 8) & 0xff);
    out[o + 6] = <u8>((p.k >> 16) & 0xff);
    out[o + 7] = <u8>(p.k >> 24);
  }
  return out;
}

/** Decode sock_filter bytes; null when the length is not a multiple of 8. */
export function decode(bytes: Uint8Array): Insn[] | null {
  if (bytes.length % 8 != 0) return null;
  const n = bytes.length / 8;
  const out = new Array<Insn>(n);
  for (let i = 0; i < n; i++) {
    const o = i * 8;
    out[i] = new Insn(
      <u16>bytes[o] | (<u16>bytes[o + 1] << 8),
      bytes[o + 2], bytes[o + 3],
      <u32>bytes[o + 4] | (<u32>bytes[o + 5] << 8) | (<u32>bytes[o + 6] << 16) | (<u32>bytes[o + 7] << 24),
    );
  }
  return out;
}
