// Hand-assembled classic BPF for tests: struct sock_filter (little-endian) and struct
// seccomp_data, written and read here independently of ts/policy, so a test can check the
// policy layer's bytes against them.

export const BPF = {
  LD_W_ABS: 0x20,
  JEQ_K: 0x15,
  JGT_K: 0x25,
  JGE_K: 0x35,
  JSET_K: 0x45,
  JA: 0x05,
  RET_K: 0x06,
} as const;

export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export const stmt = (code: number, k: number): Insn => ({ code, jt: 0, jf: 0, k });
export const jump = (code: number, k: number, jt: number, jf: number): Insn => ({ code, jt, jf, k });
export const ret = (k: number): Insn => stmt(BPF.RET_K, k);
/** Any instruction, as (code, k, jt, jf): k comes first because most instructions do not jump. */
export const insn = (code: number, k = 0, jt = 0, jf = 0): Insn => ({ code, jt, jf, k: k >>> 0 });
/** Offsets in struct seccomp_data. */
export const OFF = {
  nr: 0,
  arch: 4,
  argLo: (i: number) => 16 + 8 * i,
  argHi: (i: number) => 20 + 8 * i,
};

export function assemble(insns: readonly Insn[]): Uint8Array {
  const buf = new Uint8Array(insns.length * 8);
  const view = new DataView(buf.buffer);
  insns.forEach((p, i) => {
    view.setUint16(i * 8, p.code, true);
    view.setUint8(i * 8 + 2, p.jt);
    view.setUint8(i * 8 + 3, p.jf);
    view.setUint32(i * 8 + 4, p.k >>> 0, true);
  });
  return buf;
}

/** struct sock_filter bytes back to instructions, read here rather than by ts/policy's decoder. */
export function readInsns(bytes: Uint8Array): Insn[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 8 }, (_, i) =>
    ({ code: view.getUint16(i * 8, true), jt: bytes[i * 8 + 2], jf: bytes[i * 8 + 3], k: view.getUint32(i * 8 + 4, true) }));
}

/** struct seccomp_data for the simulator (ip defaults to 0: no tsjail program reads it). */
export function seccompDataBytes(nr: number, auditArch: number, args: readonly bigint[] = [], ip = 0n): Uint8Array {
  const buf = new Uint8Array(64);
  const view = new DataView(buf.buffer);
  view.setUint32(0, nr >>> 0, true);
  view.setUint32(4, auditArch >>> 0, true);
  view.setBigUint64(8, BigInt.asUintN(64, ip), true);
  for (let i = 0; i < 6; i++) view.setBigUint64(16 + 8 * i, BigInt.asUintN(64, args[i] ?? 0n), true);
  return buf;
}
