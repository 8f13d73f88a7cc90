// The native runtime on aarch64 (docs/runtime.md, "aarch64"): the cross build (scripts/cross-build.js
// arm64, toolchain scripts/aarch64-toolchain.cmake) succeeds with the native build's
// warnings-as-errors and produces aarch64 ELF files; then what qemu-user can run, runs.
//
// What qemu-user cannot test (docs/runtime.md, "aarch64"; checked again here where it matters): it does not
// implement guest seccomp (seccomp(2) -> ENOSYS, prctl(PR_SET_SECCOMP) -> EINVAL), user
// namespaces (EINVAL: qemu is multi-threaded) or Landlock (ENOSYS), and the launcher's clone
// fails with ENOSYS. So only pure logic runs here: the jail file decoder (`tsjail-exec --dump`),
// its refusals, and the oracle's input checks. Kernel enforcement on arm64 is
// npm run test:arm64 (scripts/arm64-vm.js: qemu-system, a Debian arm64 kernel); docs/runtime.md "aarch64".
// Loading tsjail.node under an arm64 Node runs in the VM too (test/arm64-vm.test.ts).

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeUnless, testUnless } from './fixtures/jail/helpers';
import { JAILFILE_HEADER_SIZE, auditArch, encodeJailFile, frameJailFile } from '../ts/jail/jailfile';
import type { JailSpec } from '../ts/jail/spec';

const REPO = path.resolve(__dirname, '..');
const OUT = path.join(REPO, 'build', 'native-arm64', 'Release');
const HOST_EXEC = path.join(REPO, 'build', 'native', 'Release', 'tsjail-exec');
const SYSROOT = '/usr/aarch64-linux-gnu';
const EM_AARCH64 = 183;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;

function has(cmd: string, args = ['--version']): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}
const hasCross = process.platform === 'linux' && has('aarch64-linux-gnu-gcc') && has('aarch64-linux-gnu-g++');
const hasQemu = hasCross && has('qemu-aarch64', ['-version']) && fs.existsSync(path.join(SYSROOT, 'lib', 'ld-linux-aarch64.so.1'));
// Without the cross compiler nothing here can run (README "Install": gcc-aarch64-linux-gnu g++-aarch64-linux-gnu).
const NO_CROSS: [boolean, string] = [!hasCross, 'no aarch64 cross compiler (gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu)'];
const suite = describeUnless(NO_CROSS);
// Without qemu-user the aarch64 binaries cannot run on this x86_64 machine (README "Install": qemu-user).
const qemuSuite = describeUnless(NO_CROSS, [!hasQemu, 'no qemu-aarch64 (qemu-user) or no arm64 sysroot (libc6-dev-arm64-cross)']);

function qemu(bin: string, args: string[], input?: string) {
  const r = spawnSync('qemu-aarch64', ['-L', SYSROOT, path.join(OUT, bin), ...args],
    { input, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

// The ELF identification and e_machine, read from the header (scripts/elf-header.js).
const { readElfHeader: elfHeader } = require('../scripts/elf-header.js') as {
  readElfHeader: (file: string) => { magic: string; elfClass: number; data: number; type: number; machine: number };
};

let build = { status: -1 as number | null, output: '' };
let dir = '';
beforeAll(() => {
  if (!hasCross) return;
  // Incremental: reusing an up-to-date build/native-arm64 costs about a second.
  const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'cross-build.js'), 'arm64'],
    { cwd: REPO, encoding: 'utf8', timeout: 110_000 });
  build = { status: r.status, output: `${r.stdout}\n${r.stderr}` };
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-arm64-'));
  fs.chmodSync(dir, 0o755);
}, 120_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

suite('aarch64 cross build', () => {
  test('cmake-js with the aarch64 toolchain file succeeds (warnings are errors)', () => {
    if (build.status !== 0) throw new Error(`cross build failed (status ${build.status}):\n${build.output.slice(-4000)}`);
    expect(build.status).toBe(0);
  });

  test.each([
    ['tsjail.node', 3],
    ['libtsjailpreload.so', 3],
    ['tsjail-exec', 3],
    ['seccomp-oracle', 3],
  ])('%s is a 64-bit little-endian aarch64 ELF', (name, type) => {
    const h = elfHeader(path.join(OUT, name));
    expect(h).toEqual({ magic: '\x7fELF', elfClass: 2, data: 1, type, machine: EM_AARCH64 });
  });

  test('the preload library exports nothing: its work is one constructor (cross nm)', () => {
    const r = spawnSync('aarch64-linux-gnu-nm', ['-D', '--defined-only', path.join(OUT, 'libtsjailpreload.so')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const names = r.stdout.trim().split('\n').filter((l) => l.trim()).map((l) => l.trim().split(/\s+/).pop());
    expect(names).toEqual([]);
  });

  test('the executables ask for the aarch64 dynamic loader (cross readelf)', () => {
    for (const name of ['tsjail-exec', 'seccomp-oracle']) {
      const r = spawnSync('aarch64-linux-gnu-readelf', ['-l', path.join(OUT, name)], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('[Requesting program interpreter: /lib/ld-linux-aarch64.so.1]');
    }
  });
});

// Written on x86_64 by the TS encoder; only the header's AUDIT_ARCH is re-framed for aarch64.
// The decoder does not interpret syscall numbers, so the payload is valid for it as it is.
const SPEC: JailSpec = {
  path: '/bin/true',
  argv: ['true', 'a b', 'ü'],
  env: ['A=1'],
  cwd: '/',
  namespaces: { user: true, pid: true, mount: true, net: true, ipc: true, uts: true },
  hostname: 'box',
  user: { uid: 0, gid: 0, groups: [1, 2] },
  caps: { keep: (1n << 10n) | (1n << 40n), ambient: true },
  noNewPrivs: true,
  seccomp: { bpf: new Uint8Array([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]), tsync: true, allowIoUring: true },
  filesystem: {
    root: '/srv/root/',
    mounts: [
      { kind: 'bind', source: '/usr', target: '/usr', writable: false, recursive: true },
      { kind: 'tmpfs', target: '/run', size: 1024, mode: 0o700 },
      { kind: 'remount-ro', target: '/' },
    ],
  },
  landlock: { ro: ['/etc'], rw: ['/tmp'], rx: ['/usr'] },
  rlimits: [{ resource: 'NOFILE', soft: 64, hard: 128 }, { resource: 'CORE', soft: 0, hard: 'unlimited' }],
  cgroup: { memory: 1 << 20, pids: 10, cpu: 0.5 },
  preserveFds: [5, 9],
  timeLimitMs: 1500,
  preloadLibrary: '/opt/tsjail/libtsjailpreload.so',
};

function writeJail(name: string, bytes: Uint8Array): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes, { mode: 0o644 });
  fs.chmodSync(p, 0o644);
  return p;
}

qemuSuite('aarch64 binaries under qemu-user (pure logic only)', () => {
  const hostFile = () => encodeJailFile(SPEC);
  const arm64File = () => frameJailFile(hostFile().subarray(JAILFILE_HEADER_SIZE), { arch: auditArch('arm64') });

  test('tsjail-exec --dump decodes a jail file on aarch64', () => {
    const r = qemu('tsjail-exec', ['--dump', writeJail('arm64.jail', arm64File())]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d).toMatchObject({
      arch: AUDIT_ARCH_AARCH64, path: '/bin/true', argv: ['true', 'a b', 'ü'], env: ['A=1'], cwd: '/',
      hostname: 'box', uid: 0, gid: 0, groups: [1, 2], userns: 1, noNewPrivs: 1, preserveFds: [5, 9], timeLimitMs: 1500,
    });
    expect(d.cloneFlags).toBe(0x10000000 + 0x20000000 + 0x20000 + 0x40000000 + 0x08000000 + 0x04000000);
    // 64-bit values and the f64 survive the aarch64 decoder.
    expect(d.caps).toMatchObject({ keep: String((1n << 10n) | (1n << 40n)), ambient: 1 });
    expect(d.seccomp).toMatchObject({ tsync: 1, policy: [[6, 0, 0, 0x7fff0000]] });
    expect(d.rlimits).toEqual([[7, '64', '128'], [4, '0', '18446744073709551615']]);
    expect(d.cgroup).toEqual({ memory: 1 << 20, pids: 10, cpu: 0.5 });
    expect(d.fs).toMatchObject({ enabled: 1, root: '/srv/root' });
    // (The preload library's bind under the root is added at launch, not stored in the file.)
    expect(d.fs.mounts.map((m: { target: string }) => m.target)).toEqual(['/srv/root/usr', '/srv/root/run', '/srv/root']);
  });

  const hostBuilt = fs.existsSync(HOST_EXEC);
  // Needs the x86_64 build (scripts/build-native.js) to compare against.
  testUnless([!hostBuilt, `${path.relative(REPO, HOST_EXEC)} is not built`])('the aarch64 decoder and the x86_64 decoder print the same jail', () => {
    const arm = qemu('tsjail-exec', ['--dump', writeJail('same-arm64.jail', arm64File())]);
    const host = spawnSync(HOST_EXEC, ['--dump', writeJail('same-x64.jail', hostFile())], { encoding: 'utf8', timeout: 20_000 });
    expect(arm.status).toBe(0);
    expect(host.status).toBe(0);
    const a = JSON.parse(arm.stdout);
    const x = JSON.parse(host.stdout);
    expect(a.arch).toBe(AUDIT_ARCH_AARCH64);
    expect(x.arch).toBe(auditArch('x64'));
    expect({ ...a, arch: 0 }).toEqual({ ...x, arch: 0 });
  });

  test('tsjail-exec on aarch64 refuses a jail file made for x86_64 (exit 122)', () => {
    const r = qemu('tsjail-exec', ['--dump', writeJail('x64.jail', frameJailFile(hostFile().subarray(JAILFILE_HEADER_SIZE), { arch: auditArch('x64') }))]);
    expect(r.status).toBe(122);
    expect(r.stderr).toMatch(/made for architecture 0xc000003e \(AUDIT_ARCH\), this machine is 0xc00000b7/);
    expect(r.stdout).toBe('');
  });

  test('tsjail-exec on aarch64 refuses a corrupted jail file (exit 120)', () => {
    const bytes = arm64File();
    bytes[JAILFILE_HEADER_SIZE + 5] ^= 0x40; // payload checksum no longer matches
    const r = qemu('tsjail-exec', ['--dump', writeJail('corrupt.jail', bytes)]);
    expect(r.status).toBe(120);
    expect(r.stdout).toBe('');
  });

  test('launching under qemu-user fails cleanly at clone and runs nothing (qemu limitation)', () => {
    // No namespaces, no seccomp: the launcher's clone alone is refused by qemu-user (ENOSYS).
    // The jail must then report a setup failure (125) and never run the program.
    const marker = path.join(dir, 'ran');
    const spec = { path: '/bin/sh', argv: ['sh', '-c', `: > ${marker}`] } as JailSpec;
    const file = frameJailFile(encodeJailFile(spec).subarray(JAILFILE_HEADER_SIZE), { arch: auditArch('arm64') });
    const r = qemu('tsjail-exec', [writeJail('launch.jail', file)]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/setup failed at clone: Function not implemented/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('seccomp-oracle on aarch64 checks its input before touching the kernel', () => {
    const r = qemu('seccomp-oracle', [], 'program 0600000000\ncase 172 0 0 0 0 0 0\n');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/program is 5 bytes: need 1\.\.4096 sock_filter records of 8 bytes/);
    expect(qemu('seccomp-oracle', ['--probe', 'extra']).status).toBe(2);
  });

  test('seccomp-oracle on aarch64 reports the refused filter as exit 3 (qemu-user has no seccomp)', () => {
    // This checks the oracle's error path, not seccomp: qemu-user answers seccomp(2) with ENOSYS
    // (docs/runtime.md, "aarch64"). Filter enforcement on arm64 is npm run test:arm64 (test/arm64-vm.test.ts).
    const r = qemu('seccomp-oracle', [], 'program 060000000000ff7f\ncase 172 0 0 0 0 0 0\n');
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/seccomp\(guard filter\) failed: Function not implemented/);
    expect(r.stdout).toBe('');
  });

  // Enforcement on aarch64 (seccomp, namespaces, Landlock) needs an arm64 kernel, which
  // qemu-user does not give (ENOSYS/EINVAL, above): test/arm64-vm.test.ts boots one.
});
