// The argument values a compiled program's comparisons make interesting, per syscall: the
// inputs test/kernel-agrees.test.ts (x86_64, on this kernel) and test/arm64-vm (aarch64, in
// the VM) hand to the seccomp oracle. The verdicts come from the simulator and the kernel.
import { AUDIT_ARCH_X86_64 } from './oracle';

// ---- the argument values a program's comparisons make interesting, per syscall ----

type Val = { kind: 'nr' } | { kind: 'const'; v: number } | { kind: 'arg'; i: number; hi: boolean } | { kind: 'unknown' };

const MASK32 = 0xffffffff;

/**
 * Walks the program for one syscall number (nr and arch known, args unknown), following
 * both branches of every comparison on an argument word, and collects the constants each
 * argument word is compared with. Only for choosing test inputs: the verdicts come from the
 * simulator and the kernel.
 */
export function argConstants(prog: DataView, count: number, nr: number, auditArch = AUDIT_ARCH_X86_64): Map<number, { lo: Set<number>; hi: Set<number> }> {
  const found = new Map<number, { lo: Set<number>; hi: Set<number> }>();
  const note = (v: Val, k: number) => {
    if (v.kind !== 'arg') return;
    let e = found.get(v.i);
    if (!e) found.set(v.i, (e = { lo: new Set(), hi: new Set() }));
    (v.hi ? e.hi : e.lo).add(k >>> 0);
  };
  const key = (v: Val) => (v.kind === 'const' ? `c${v.v}` : v.kind === 'arg' ? `a${v.i}${v.hi}` : v.kind);
  const seen = new Set<string>();
  const stack: Array<{ pc: number; a: Val; x: Val; m: Val[] }> = [
    { pc: 0, a: { kind: 'unknown' }, x: { kind: 'unknown' }, m: Array.from({ length: 16 }, () => ({ kind: 'unknown' }) as Val) },
  ];
  let steps = 0;
  while (stack.length > 0 && steps++ < 200000) {
    const s = stack.pop()!;
    for (;;) {
      if (s.pc >= count) break;
      const id = `${s.pc}|${key(s.a)}|${key(s.x)}|${s.m.map(key).join(',')}`;
      if (seen.has(id)) break;
      seen.add(id);
      const o = s.pc * 8;
      const code = prog.getUint16(o, true);
      const jt = prog.getUint8(o + 2);
      const jf = prog.getUint8(o + 3);
      const k = prog.getUint32(o + 4, true);
      const cls = code & 0x07;
      if (cls === 0x06) break; // RET
      if (cls === 0x00 && (code & 0xe0) === 0x20) {
        // LD W ABS
        if (k === 0) s.a = { kind: 'const', v: nr >>> 0 };
        else if (k === 4) s.a = { kind: 'const', v: auditArch };
        else if (k >= 16 && k < 64) s.a = { kind: 'arg', i: (k - 16) >> 3, hi: (k & 4) !== 0 };
        else s.a = { kind: 'unknown' };
        s.pc++;
      } else if (cls === 0x00 && (code & 0xe0) === 0x00) {
        s.a = { kind: 'const', v: k >>> 0 }; // LD IMM
        s.pc++;
      } else if (cls === 0x00 && (code & 0xe0) === 0x60) {
        s.a = s.m[k & 15]; // LD MEM
        s.pc++;
      } else if (cls === 0x01 && (code & 0xe0) === 0x60) {
        s.x = s.m[k & 15]; // LDX MEM
        s.pc++;
      } else if (cls === 0x01 && (code & 0xe0) === 0x00) {
        s.x = { kind: 'const', v: k >>> 0 }; // LDX IMM
        s.pc++;
      } else if (cls === 0x02 || cls === 0x03) {
        s.m = s.m.slice();
        s.m[k & 15] = cls === 0x02 ? s.a : s.x; // ST / STX
        s.pc++;
      } else if (cls === 0x07) {
        if (code & 0x80) s.a = s.x; // TXA
        else s.x = s.a; // TAX
        s.pc++;
      } else if (cls === 0x04) {
        // ALU: keep constants exact for the common cases, else unknown.
        const op = code & 0xf0;
        const src = code & 0x08 ? (s.x.kind === 'const' ? s.x.v : undefined) : k;
        if (s.a.kind === 'const' && src !== undefined) {
          const a = s.a.v;
          const r = op === 0x50 ? a & src : op === 0x40 ? a | src : op === 0x00 ? a + src : op === 0x10 ? a - src : op === 0x70 ? a >>> src : undefined;
          s.a = r === undefined ? { kind: 'unknown' } : { kind: 'const', v: r >>> 0 };
        } else {
          if (s.a.kind === 'arg' && op === 0x50 && src !== undefined) note(s.a, src);
          s.a = { kind: 'unknown' };
        }
        s.pc++;
      } else if (cls === 0x05) {
        const op = code & 0xf0;
        if (op === 0x00) {
          s.pc += 1 + k; // JA
          continue;
        }
        const rhs = code & 0x08 ? (s.x.kind === 'const' ? s.x.v : undefined) : k;
        if (s.a.kind === 'const' && rhs !== undefined) {
          const a = s.a.v;
          const t = op === 0x10 ? a === rhs : op === 0x20 ? a > rhs : op === 0x30 ? a >= rhs : (a & rhs) !== 0;
          s.pc += 1 + (t ? jt : jf);
          continue;
        }
        if (rhs !== undefined) note(s.a, rhs);
        stack.push({ pc: s.pc + 1 + jt, a: s.a, x: s.x, m: s.m });
        s.pc += 1 + jf;
      } else {
        break; // not a seccomp instruction; the simulator and the kernel will say so
      }
    }
  }
  return found;
}

export const U64 = (1n << 64n) - 1n;

/** Values around each constant (c-1, c, c+1, high word set, ~c) plus the fixed edges. */
export function interestingValues(e: { lo: Set<number>; hi: Set<number> }): bigint[] {
  const consts = new Set<bigint>();
  const his = [0, ...e.hi].map(BigInt);
  const los = [0, ...e.lo].map(BigInt);
  for (const l of e.lo) consts.add(BigInt(l));
  for (const h of e.hi) consts.add(BigInt(h) << 32n);
  let pairs = 0;
  for (const h of his) for (const l of los) if (pairs++ < 64) consts.add((h << 32n) | l);
  const out = new Set<bigint>([0n, 1n << 32n, U64, BigInt(MASK32)]);
  for (const c of consts) {
    for (const v of [c - 1n, c, c + 1n, c | (BigInt(MASK32) << 32n), c ^ (1n << 32n), ~c]) out.add(v & U64);
  }
  return [...out];
}

