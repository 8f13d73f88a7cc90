// Readable listings and the raw instruction view of a program.

import { withCore } from './core';
import { InvalidProgramError } from './diagnostics';

/** One struct sock_filter. */
export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** The instructions of sock_filter bytes. Throws InvalidProgramError when the length is not a multiple of 8. */
export function decodeProgram(program: Uint8Array): SockFilter[] {
  if (program.length % 8 !== 0) {
    throw new InvalidProgramError(`not a seccomp program: ${program.length} bytes is not a whole number of 8-byte instructions`);
  }
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const out: SockFilter[] = [];
  for (let o = 0; o < program.length; o += 8) {
    out.push({ code: view.getUint16(o, true), jt: program[o + 2], jf: program[o + 3], k: view.getUint32(o + 4, true) });
  }
  return out;
}

/** A listing with labels and decoded constants; `arch` names the syscalls it compares against. */
export async function disassemble(program: Uint8Array, arch: string): Promise<string> {
  if (!(program instanceof Uint8Array)) throw new TypeError('disassemble: program must be a Uint8Array');
  const n = await withCore((c) => c.programLength(program));
  if (n < 0) throw new InvalidProgramError(`not a seccomp program: ${program.length} bytes is not a whole number of 8-byte instructions`);
  return withCore((c) => c.disassemble(program, arch));
}
