// Multi-arch programs: one filter for several arches, dispatching on seccomp_data.arch as
// libseccomp's multi-arch filters do. Each arch's program is compiled (and proven) on its own;
// the multi-arch program puts a header in front and the per-arch programs after it, unchanged:
//
//   A = arch
//   if (A == AUDIT_ARCH_<a1>) goto +0 else goto +1;  goto <slice 1>
//   if (A == AUDIT_ARCH_<a2>) goto +0 else goto +1;  goto <slice 2>
//   ...
//   return <bad-arch action>                          (any other arch)
//   <slice 1> <slice 2> ...
//
// Jumps are relative and every slice is a whole program (it starts with its own arch test and
// ends in its own RETs), so a slice embedded here runs exactly as it does alone: proving each
// slice equal to its arch's policy, plus the header's shape (splitMulti checks it exactly),
// proves the whole program. The header is the program's own record of its arch list: disasm,
// simulate and verify find the slices from the bytes alone.

import { Insn, stmt, jump, BPF_LD, BPF_W, BPF_ABS, BPF_JMP, BPF_JEQ, BPF_JA, BPF_K, BPF_RET, SECCOMP_DATA_ARCH } from './bpf/insn';
import { archByAudit } from './tables/index';

/** One arch's part of a multi-arch program. */
export class Slice {
  constructor(public auditArch: u32, public start: i32, public length: i32) {}
}

/** The slices of a multi-arch program and what any other arch gets. */
export class MultiLayout {
  constructor(public slices: Slice[], public badArchRet: u32) {}

  /** The slice for the arch with this AUDIT_ARCH value, or null when the header names it not. */
  sliceFor(auditArch: u32): Slice | null {
    for (let i = 0; i < this.slices.length; i++) if (this.slices[i].auditArch == auditArch) return this.slices[i];
    return null;
  }
}

/** A slice's arch by name, or its AUDIT_ARCH value in hex when the core has no tables for it. */
export function sliceArchName(auditArch: u32): string {
  const a = archByAudit(auditArch);
  return a != null ? a.name : '0x' + auditArch.toString(16);
}

/** Header instructions for `n` arches. */
export function headerLength(n: i32): i32 { return 2 + 2 * n; }

/** The multi-arch program of `progs` (one per entry of `auditArches`, in that order). */
export function layoutMulti(auditArches: u32[], progs: Insn[][], badArchRet: u32): Insn[] {
  const n = progs.length;
  const out: Insn[] = [];
  out.push(stmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_ARCH));
  let start = headerLength(n);
  for (let i = 0; i < n; i++) {
    out.push(jump(BPF_JMP | BPF_JEQ | BPF_K, auditArches[i], 0, 1));
    // The JA is at index 2 + 2i; its target is start.
    out.push(stmt(BPF_JMP | BPF_JA, <u32>(start - (2 + 2 * i) - 1)));
    start += progs[i].length;
  }
  out.push(stmt(BPF_RET | BPF_K, badArchRet));
  for (let i = 0; i < n; i++) for (let k = 0; k < progs[i].length; k++) out.push(progs[i][k]);
  return out;
}

/**
 * The layout of `prog` when it is a multi-arch program (at least two arches, distinct, each
 * slice non-empty and the slices back to back up to the end), else null.
 */
export function splitMulti(prog: Insn[]): MultiLayout | null {
  if (prog.length < 6) return null;
  const p0 = prog[0];
  if (p0.code != (BPF_LD | BPF_W | BPF_ABS) || p0.k != SECCOMP_DATA_ARCH) return null;
  const arches: u32[] = [];
  const targets: i32[] = [];
  let pc = 1;
  while (pc + 1 < prog.length) {
    const t = prog[pc];
    if (t.code != (BPF_JMP | BPF_JEQ | BPF_K) || t.jt != 0 || t.jf != 1) break;
    const j = prog[pc + 1];
    if (j.code != (BPF_JMP | BPF_JA)) return null;
    if (arches.includes(t.k)) return null;
    arches.push(t.k);
    targets.push(pc + 2 + <i32>j.k);
    pc += 2;
  }
  const n = arches.length;
  if (n < 2 || pc >= prog.length) return null;
  const r = prog[pc];
  if (r.code != (BPF_RET | BPF_K)) return null;
  const slices: Slice[] = [];
  let start = pc + 1;
  for (let i = 0; i < n; i++) {
    if (targets[i] != start) return null;
    const end = i + 1 < n ? targets[i + 1] : prog.length;
    if (end <= start || end > prog.length) return null;
    slices.push(new Slice(arches[i], start, end - start));
    start = end;
  }
  return new MultiLayout(slices, r.k);
}
