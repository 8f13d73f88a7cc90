// Does a seccomp program let io_uring through? io_uring_setup/io_uring_enter give the program a
// second way to make syscalls: IORING_OP_OPENAT, READ, CONNECT, MKDIRAT... run in the kernel's
// io workers, which seccomp never sees. A policy that allows io_uring_setup therefore allows
// whatever io_uring can do, whatever else it says. This module answers the question for any
// sock_filter program (tsjail's own or a --seccomp-bpf-binary), so the CLI can warn and the
// spec check can refuse.

import { knownAuditArch } from './arch';

/** The io_uring syscalls: the same numbers on every architecture (the unified table, >= 424). */
export const IO_URING_SYSCALLS: ReadonlyArray<{ name: string; nr: number }> = [
  { name: 'io_uring_setup', nr: 425 },
  { name: 'io_uring_enter', nr: 426 },
  { name: 'io_uring_register', nr: 427 },
];


const RET_ACTION_FULL = 0xffff0000;
const RET_KILL_PROCESS = 0x80000000;
const RET_KILL_THREAD = 0x00000000;
const RET_TRAP = 0x00030000;
const RET_ERRNO = 0x00050000;

/** Beyond this many explored paths the answer is "allowed": the safe side for a warning. */
const MAX_STATES = 200_000;

type Value = number | undefined; // undefined: depends on the call's arguments or ip

/**
 * Can `nr` (on this machine's arch) reach a verdict that lets the call run? Every path the
 * program can take is followed, with the syscall number and arch known and the arguments,
 * ip and anything computed from them unknown: both sides of a jump on an unknown are taken.
 * "Run" is any verdict other than kill, trap and errno (allow, log, trace, user notification:
 * the call may run). Sound: a `false` means no argument values get the call through.
 */
export function callMayRun(bpf: Uint8Array, nr: number, arch: string = process.arch): boolean {
  const n = Math.floor(bpf.length / 8);
  const view = new DataView(bpf.buffer, bpf.byteOffset, n * 8);
  // An arch tsjail does not know leaves the arch unknown: both sides of its test are taken.
  const auditArch = knownAuditArch(arch);
  let states = 0;
  const seen = new Set<string>();
  const stack: Array<{ pc: number; a: Value; x: Value }> = [{ pc: 0, a: 0, x: 0 }];
  const load = (off: number): Value => (off === 0 ? nr : off === 4 ? auditArch : undefined);
  while (stack.length) {
    if (++states > MAX_STATES) return true;
    let { pc, a, x } = stack.pop()!;
    for (;;) {
      if (pc >= n) return true; // falls off the end: the kernel refuses such a program; say yes
      const code = view.getUint16(pc * 8, true);
      const jt = view.getUint8(pc * 8 + 2);
      const jf = view.getUint8(pc * 8 + 3);
      const k = view.getUint32(pc * 8 + 4, true);
      const cls = code & 0x07;
      if (cls === 0x06) { // RET
        const ret = (code & 0x18) === 0x10 ? a : k; // BPF_A or BPF_K
        if (ret === undefined) return true;
        const action = (ret & RET_ACTION_FULL) >>> 0;
        if (action === RET_KILL_PROCESS || action === RET_KILL_THREAD || action === RET_TRAP || action === RET_ERRNO) break;
        return true;
      }
      if (cls === 0x00) { // LD
        const mode = code & 0xe0;
        if (mode === 0x20) a = (code & 0x18) === 0x00 ? load(k) : undefined; // ABS (W only is valid)
        else if (mode === 0x00) a = k >>> 0; // IMM
        else a = undefined; // LEN, MEM (scratch: kept unknown), IND
        pc++;
        continue;
      }
      if (cls === 0x01) { // LDX
        x = (code & 0xe0) === 0x00 ? k >>> 0 : undefined;
        pc++;
        continue;
      }
      if (cls === 0x02 || cls === 0x03) { pc++; continue; } // ST, STX: scratch memory is read back as unknown
      if (cls === 0x04) { // ALU
        const src = (code & 0x08) ? x : k >>> 0;
        a = alu(code & 0xf0, a, src);
        pc++;
        continue;
      }
      if (cls === 0x05) { // JMP
        const op = code & 0xf0;
        if (op === 0x00) { pc += 1 + k; continue; } // JA
        const src = (code & 0x08) ? x : k >>> 0;
        const taken = a === undefined || src === undefined ? undefined : jump(op, a, src);
        if (taken === undefined) {
          // Both sides; a (pc, A, X) already explored is not walked again, which bounds the
          // work by the program's size however many paths lead there.
          const f = pc + 1 + jf, t = pc + 1 + jt;
          if (!seen.has(`${f}:${a}:${x}`)) {
            seen.add(`${f}:${a}:${x}`);
            stack.push({ pc: f, a, x });
          }
          if (seen.has(`${t}:${a}:${x}`)) break;
          seen.add(`${t}:${a}:${x}`);
          pc = t;
        } else {
          pc += 1 + (taken ? jt : jf);
        }
        continue;
      }
      if (code === 0x07) { x = a; pc++; continue; } // TAX
      if (code === 0x87) { a = x; pc++; continue; } // TXA
      // An opcode classic BPF does not have: the kernel refuses to load the program, so
      // nothing runs under it (the launch fails at step seccomp).
      return false;
    }
  }
  return false;
}

function alu(op: number, a: Value, src: Value): Value {
  if (op === 0x80) return a === undefined ? undefined : (-a) >>> 0; // NEG
  if (a === undefined || src === undefined) return undefined;
  switch (op) {
    case 0x00: return (a + src) >>> 0;
    case 0x10: return (a - src) >>> 0;
    case 0x20: return Number((BigInt(a) * BigInt(src)) & 0xffffffffn);
    case 0x30: return src === 0 ? undefined : Math.floor(a / src) >>> 0;
    case 0x40: return (a | src) >>> 0;
    case 0x50: return (a & src) >>> 0;
    case 0x60: return src >= 32 ? 0 : (a << src) >>> 0;
    case 0x70: return src >= 32 ? 0 : a >>> src;
    case 0x90: return src === 0 ? undefined : (a % src) >>> 0;
    case 0xa0: return (a ^ src) >>> 0;
  }
  return undefined;
}

function jump(op: number, a: number, src: number): boolean | undefined {
  switch (op) {
    case 0x10: return a === src; // JEQ
    case 0x20: return a > src; // JGT
    case 0x30: return a >= src; // JGE
    case 0x40: return (a & src) !== 0; // JSET
  }
  return undefined;
}

/** The io_uring syscalls a program lets run (see callMayRun), by name; [] when none. */
export function ioUringCallsAllowed(bpf: Uint8Array, arch: string = process.arch): string[] {
  // A 64-bit program can also make its compat arch's calls (int $0x80 on x86_64), which a
  // multi-arch program may allow on their own: ask for both.
  const arches = COMPAT[arch] ? [arch, COMPAT[arch]] : [arch];
  return IO_URING_SYSCALLS.filter((c) => arches.some((a) => callMayRun(bpf, c.nr, a))).map((c) => c.name);
}

/** The 32-bit arch a 64-bit process can also call as (Node's names). */
const COMPAT: Record<string, string> = { x64: 'ia32', arm64: 'arm' };

/** One line for users: what io_uring means for the policy. */
export function ioUringRisk(calls: readonly string[]): string {
  return `the seccomp policy allows ${calls.join(', ')}: io_uring operations (openat, read, write, connect, ` +
    "mkdirat...) run in kernel workers that seccomp never sees, so the policy's other rules do not hold for them";
}
