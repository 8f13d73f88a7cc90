// Loading an OCI profile through libseccomp the way runc does (test/fixtures/oci-load.py, on
// python3-seccomp) and getting the BPF program it generates.

import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';

const LOADER = path.join(__dirname, '../fixtures/oci-load.py');
/** Debian's python3-seccomp is installed for the system python, which may not be first on PATH. */
const PYTHONS = ['/usr/bin/python3', 'python3'];

function findPython(): string | undefined {
  for (const py of PYTHONS) {
    const r = spawnSync(py, ['-c', 'import seccomp'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

export const PYTHON = findPython();
export const libseccompMissing: string | undefined = PYTHON ? undefined
  : 'python3-seccomp is not installed (Debian: apt-get install python3-seccomp libseccomp-dev)';

/** libseccomp's arch names for ours. */
export const LIBSECCOMP_ARCH: Record<string, string> = { x86_64: 'x86_64', aarch64: 'aarch64', arm: 'arm', i386: 'x86', riscv64: 'riscv64' };

export interface Loaded { program: Uint8Array; skipped: string[]; numbered: string[] }

/** The program libseccomp builds from a profile (JSON text) for one arch. */
/** `numbers`: name -> nr for syscalls this libseccomp does not know (added by number). */
export interface DockerFilter { caps: string[]; kernel: string; goarch: string }

export function loadWithLibseccomp(profileText: string, arch: string, badArchRet: number, numbers: Record<string, number> = {}, docker?: DockerFilter): Loaded {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsjail-oci-'));
  try {
    const prof = path.join(dir, 'profile.json');
    const out = path.join(dir, 'out.bpf');
    const nums = path.join(dir, 'numbers.json');
    writeFileSync(prof, profileText);
    writeFileSync(nums, JSON.stringify(numbers));
    const r = spawnSync(PYTHON!, [LOADER, prof, LIBSECCOMP_ARCH[arch], String(badArchRet >>> 0), out, nums,
      ...(docker ? [docker.caps.join(','), docker.kernel, docker.goarch] : [])], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`libseccomp refused the profile: ${r.stderr.trim().split('\n').slice(-1)[0]}`);
    const { skipped, numbered } = JSON.parse(r.stdout) as { skipped: string[]; numbered: string[] };
    return { program: new Uint8Array(readFileSync(out)), skipped, numbered };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Two places where libseccomp's x86_64 program and tsjail's differ, both syscall numbers the
 * kernel never runs: libseccomp gives -1 (0xffffffff, a tracer's "skip this call") the default
 * action where tsjail gives the bad-arch action (it has the x32 bit), and libseccomp gives
 * 0x80000000..0xbfffffff the bad-arch action where tsjail gives the default (no x32 bit). The
 * proof checks everything else: this prefix answers those numbers as tsjail does and then runs
 * libseccomp's program unchanged (its jumps are relative). The differences are tested on their own.
 */
export function answerOddNumbers(program: Uint8Array, auditArch: number, badArchRet: number, defaultRet: number): Uint8Array {
  const insns: Array<[number, number, number, number]> = [
    [0x20, 0, 0, 4], // ld [4]: arch
    [0x15, 0, 6, auditArch >>> 0], // jeq arch, or go to the program
    [0x20, 0, 0, 0], // ld [0]: nr
    [0x15, 0, 1, 0xffffffff], // jeq -1
    [0x06, 0, 0, badArchRet >>> 0], // ret bad-arch action
    [0x35, 0, 2, 0x80000000], // jge 0x80000000, or go to the program
    [0x45, 1, 0, 0x40000000], // jset x32 bit: go to the program
    [0x06, 0, 0, defaultRet >>> 0], // ret default action
  ];
  const out = new Uint8Array(insns.length * 8 + program.length);
  const dv = new DataView(out.buffer);
  insns.forEach(([code, jt, jf, k], i) => {
    dv.setUint16(i * 8, code, true);
    dv.setUint8(i * 8 + 2, jt);
    dv.setUint8(i * 8 + 3, jf);
    dv.setUint32(i * 8 + 4, k, true);
  });
  out.set(program, insns.length * 8);
  return out;
}
