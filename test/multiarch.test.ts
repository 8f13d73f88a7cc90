// Multi-arch programs (`--arch x86_64,i386`, `--arch all`): one filter dispatching on
// seccomp_data.arch to each arch's own program. Each arch's part is proven equal to that
// arch's policy and is byte for byte the single-arch program; the kernel, loading the filter
// in a real child, gives x86_64 calls and i386 calls (int $0x80) each their own arch's verdict;
// any other arch, and x32 inside the x86_64 part, gets the bad-arch action.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { compilePolicy, verifyPolicy, diffPolicies, disassemble, simulatePolicy } from '../ts/policy/index';
import { corpusMissing, corpusRows, corpusFileSet } from './helpers/corpus';
import { loadCore } from '../ts/policy/core';
import {
  AUDIT_ARCH_I386, OracleCase, X32_SYSCALL_BIT, oracleUnavailable, probeOracle, runOracle, seccompDataBytes,
  expectedFromSimulator, outcomeKey,
} from './helpers/oracle';
import { NO_ADDON, filter, probe as jailProbe, runJail } from './fixtures/jail/helpers';
import { JailSpec } from '../ts/jail/spec';
import { ioUringCallsAllowed } from '../ts/jail/io-uring';

const POLICY = [
  'getpid: 1',
  'getuid[arch=x86_64]: return 11',
  'getuid[arch=i386]: return 22',
  'getgid: arg0 == 3; return 5',
  'getppid[arch=i386]: 1',
  'mmap2[arch=i386]: return 33',
  'exit_group: 1',
  '',
].join('\n');

// Numbers (from the generated tables, checked below against the core's).
const X86_64 = { getpid: 39, getuid: 102, getgid: 104, getppid: 110, exit_group: 231 };
const I386 = { getpid: 20, getuid: 24, getgid: 47, getppid: 64, mmap2: 192, exit_group: 252 };

describe('multi-arch compile', () => {
  test('the arch parts are the single-arch programs, unchanged, behind a dispatch on arch', async () => {
    const multi = await compilePolicy(POLICY, { arch: 'x86_64,i386', verify: true });
    expect(multi.diagnostics).toEqual([]);
    expect(multi.ok).toBe(true);
    expect(multi.arch).toBe('x86_64,i386');
    expect(multi.verify?.status).toBe('proven');
    const single = {
      x86_64: await compilePolicy(POLICY, { arch: 'x86_64' }),
      i386: await compilePolicy(POLICY, { arch: 'i386' }),
    };
    expect(single.x86_64.arches).toBeUndefined();
    expect(multi.arches!.map((s) => s.arch)).toEqual(['x86_64', 'i386']);
    // Header: A = arch, two (JEQ, JA) pairs, RET bad-arch.
    expect(multi.arches![0].start).toBe(6);
    for (const s of multi.arches!) {
      const part = multi.program.slice(s.start * 8, (s.start + s.insns) * 8);
      expect(Buffer.from(part)).toEqual(Buffer.from(single[s.arch as 'x86_64' | 'i386'].program));
    }
    expect(multi.insns).toBe(6 + single.x86_64.insns + single.i386.insns);
    // A list naming one arch (twice) is the single-arch program.
    const one = await compilePolicy(POLICY, { arch: 'x86_64,amd64' });
    expect(Buffer.from(one.program)).toEqual(Buffer.from(single.x86_64.program));
  });

  test('verify proves each arch part against its own policy, and finds a part that is not', async () => {
    const multi = await compilePolicy(POLICY, { arch: 'i386,x86_64' });
    const r = await verifyPolicy(POLICY, { arch: 'x86_64,i386', program: multi.program });
    expect(r.status).toBe('proven');
    expect(r.arches!.map((a) => [a.arch, a.status])).toEqual([['x86_64', 'proven'], ['i386', 'proven']]);
    // The same program checked against a policy that differs on i386 only.
    const changed = POLICY.replace('getuid[arch=i386]: return 22', 'getuid[arch=i386]: return 23');
    const bad = await verifyPolicy(changed, { arch: 'x86_64,i386', program: multi.program });
    expect(bad.status).toBe('mismatch');
    expect(bad.arch).toBe('i386');
    expect(bad.counterexample).toMatchObject({ arch: AUDIT_ARCH_I386, nr: I386.getuid, programAction: 'errno 22', policyAction: 'errno 23' });
    expect(bad.arches!.find((a) => a.arch === 'x86_64')!.status).toBe('proven');
    // A request naming fewer arches than the program holds, or more.
    expect((await verifyPolicy(POLICY, { arch: 'x86_64,aarch64', program: multi.program })).status).toBe('mismatch');
    const three = await verifyPolicy(POLICY, { arch: 'x86_64,i386,arm', program: multi.program });
    expect(three.status).toBe('mismatch');
    expect(three.reason).toMatch(/no part for arm/);
    // The multi-arch program checked against one arch's policy: the other arch's calls differ.
    expect((await verifyPolicy(POLICY, { arch: 'x86_64', program: multi.program })).status).toBe('mismatch');
  });

  test('simulate takes the call\'s arch; an arch outside the list gets the bad-arch action', async () => {
    // The core's simulatePolicy: the call's arch is seccomp_data.arch.
    const core = await loadCore();
    const run = (audit: number, nr: number, args: bigint[] = [], flags = 0) =>
      JSON.parse(core.simulatePolicy(`p\0${POLICY}`, 'x86_64,i386', flags, '', seccompDataBytes(nr, audit, args)));
    const X = 0xc000003e;
    expect(run(X, X86_64.getuid)).toMatchObject({ ok: true, arch: 'x86_64', action: 'errno', data: 11 });
    expect(run(AUDIT_ARCH_I386, I386.getuid)).toMatchObject({ ok: true, arch: 'i386', action: 'errno', data: 22 });
    expect(run(AUDIT_ARCH_I386, I386.getuid).rule).toMatchObject({ line: 3 });
    expect(run(AUDIT_ARCH_I386, I386.getppid)).toMatchObject({ action: 'allow' });
    expect(run(X, X86_64.getppid)).toMatchObject({ action: 'kill-process', rule: null });
    expect(run(0xc00000b7, 63)).toMatchObject({ action: 'kill-process', rule: null });
    expect(run(0xc00000b7, 63, [], 2)).toMatchObject({ action: 'kill-thread' });
    expect(run(X, X32_SYSCALL_BIT | 39)).toMatchObject({ action: 'kill-process' });
    // The table numbers this file uses.
    const x = JSON.parse(core.syscallTable('x86_64'));
    const i = JSON.parse(core.syscallTable('i386'));
    for (const [k, v] of Object.entries(X86_64)) expect(x[k]).toBe(v);
    for (const [k, v] of Object.entries(I386)) expect(i[k]).toBe(v);
  });

  test('errors: unknown names in the list, x32, names missing on one arch, the size limit', async () => {
    const x32 = await compilePolicy(POLICY, { arch: 'x86_64,x32' });
    expect(x32.ok).toBe(false);
    expect(x32.diagnostics.map((d) => d.message).join('\n')).toMatch(/unknown architecture "x32"/);
    const missing = await compilePolicy('mmap2: 1\nread: 1\n', { arch: 'x86_64,i386' });
    expect(missing.ok).toBe(false);
    expect(missing.diagnostics).toHaveLength(1);
    expect(missing.diagnostics[0]).toMatchObject({ code: 2001, arch: 'x86_64', line: 1 });
    expect(missing.diagnostics[0].formatted.split('\n')[0]).toMatch(/\(on x86_64\)$/);
    // A warning both arches report appears once, for both.
    const dup = await compilePolicy('read: 1\nread: 1\n', { arch: 'x86_64,i386' });
    expect(dup.ok).toBe(true);
    expect(dup.diagnostics.map((d) => [d.code, d.arch])).toEqual([[3003, 'x86_64,i386']]);
    // Each arch fits alone, both do not: the error gives every part's size.
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0);
    const values = Array.from({ length: 1800 }, () => '0x' + rnd().toString(16));
    const big = `read: ${values.map((v) => `arg0 == ${v}`).join(' || ')}\n`;
    const alone = await compilePolicy(big, { arch: 'x86_64' });
    expect(alone.ok).toBe(true);
    const both = await compilePolicy(big, { arch: 'x86_64,aarch64' });
    expect(both.ok).toBe(false);
    expect(both.diagnostics[0].code).toBe(4001);
    expect(both.diagnostics[0].message).toMatch(new RegExp(`x86_64 ${alone.insns}, aarch64 \\d+, dispatch 6`));
  });

  test('diff reports each arch\'s differences with its arch', async () => {
    const changed = POLICY.replace('getuid[arch=i386]: return 22', 'getuid[arch=i386]: return 23');
    const r = await diffPolicies(POLICY, changed, { arch: 'x86_64,i386' });
    expect(r.ok).toBe(true);
    expect(r.differences.map((d) => [d.arch, d.syscall, d.old, d.new])).toEqual([['i386', 'getuid', 'errno 22', 'errno 23']]);
  });

  test('disasm labels the dispatch and each arch part, naming syscalls by that part\'s arch', async () => {
    const multi = await compilePolicy(POLICY, { arch: 'x86_64,i386' });
    const text = await disassemble(multi.program, '');
    expect(text).toMatch(/^# multi-arch dispatch on arch: 2 arches, any other arch KILL_PROCESS$/m);
    expect(text).toMatch(/^# x86_64: \d+ instructions$/m);
    expect(text).toMatch(/^# i386: \d+ instructions$/m);
    expect(text).toMatch(/A == 192 \/\* mmap2 \*\//);
    expect(text).toMatch(/A == 102 \/\* getuid \*\//);
  });
});

// ---- the kernel ----

const unavailable = oracleUnavailable();
const probe = unavailable ? { x32: false, i386: false } : probeOracle();
const kt = unavailable || !probe.i386 ? test.skip : test;

kt('the kernel gives x86_64 calls and i386 calls (int $0x80) each their own arch\'s verdict', async () => {
  const multi = await compilePolicy(POLICY, { arch: 'x86_64,i386', verify: true });
  expect(multi.verify?.status).toBe('proven');
  const x = (nr: number, ...args: bigint[]): OracleCase => ({ nr, args });
  const i = (nr: number, ...args: bigint[]): OracleCase => ({ nr, args, arch: 'i386' });
  const cases: Array<[OracleCase, string]> = [
    [x(X86_64.getpid), 'allow-class'],
    [i(I386.getpid), 'allow-class'],
    [x(X86_64.getuid), 'errno 11'],
    [i(I386.getuid), 'errno 22'],
    [x(X86_64.getgid, 3n), 'allow-class'],
    [x(X86_64.getgid, 4n), 'errno 5'],
    [x(X86_64.getgid, 3n | (1n << 32n)), 'errno 5'],
    [i(I386.getgid, 3n), 'allow-class'],
    [i(I386.getgid, 4n), 'errno 5'],
    [x(X86_64.getppid), 'kill-process'],
    [i(I386.getppid), 'allow-class'],
    [i(I386.mmap2), 'errno 33'],
    // x86_64's mmap2 number does not exist; i386's number 192 on x86_64 is getxattr: unlisted.
    [x(192), 'kill-process'],
    [i(I386.exit_group), 'allow-class'],
    [x(X86_64.exit_group), 'allow-class'],
    [i(400), 'kill-process'],
  ];
  if (probe.x32) cases.push([x(X32_SYSCALL_BIT | X86_64.getpid), 'kill-process']);
  const got = runOracle(multi.program, cases.map(([c]) => c)).map((r) => r.line);
  expect(got).toEqual(cases.map(([, want]) => want));
  // The simulator predicts the same for every case.
  const core = await loadCore();
  for (let k = 0; k < cases.length; k++) {
    const [c] = cases[k];
    const audit = c.arch === 'i386' ? AUDIT_ARCH_I386 : 0xc000003e;
    const sim = JSON.parse(core.simulate(multi.program, seccompDataBytes(c.nr, audit, c.args)));
    expect(outcomeKey(expectedFromSimulator(sim))).toBe(got[k]);
  }
  // The single-arch x86_64 program kills every i386 call: the compat arch is never left open.
  const single = await compilePolicy(POLICY, { arch: 'x86_64' });
  const compat = runOracle(single.program, [i(I386.getpid), i(I386.exit_group), x(X86_64.getpid)]).map((r) => r.line);
  expect(compat).toEqual(['kill-process', 'kill-process', 'allow-class']);
});

// ---- the corpus with --arch all ----

const SLICE_STEP = 3;
const CORE_ARCHES = ['x86_64', 'aarch64', 'arm', 'i386', 'riscv64'];

(corpusMissing ? test.skip : test)(`--arch all on corpus policies (one in ${SLICE_STEP}): each arch proven, each part the single-arch program`, async () => {
  const core = await loadCore();
  const rows = corpusRows();
  const byFile = new Map(rows.map((p) => [p.file, p]));
  let multiCount = 0;
  let checked = 0;
  for (let n = 0; n < rows.length; n += SLICE_STEP) {
    const p = rows[n];
    const files = corpusFileSet(core, p, byFile).map(([f, t]) => `${f}\0${t}`).join('\0');
    const r = JSON.parse(core.compile(files, 'all', 4, ''));
    if (!r.ok) {
      // No arch at all: then the policy has errors on its own arch too.
      if (CORE_ARCHES.includes(p.arch)) expect(JSON.parse(core.compile(files, p.arch, 0, '')).ok).toBe(false);
      continue;
    }
    checked++;
    const arches: string[] = r.arch.split(',');
    if (CORE_ARCHES.includes(p.arch)) expect(arches).toContain(p.arch);
    expect(r.verify.status).toBe('proven');
    const prog = Buffer.from(r.program, 'hex');
    if (arches.length === 1) {
      expect(r.arches).toEqual([]);
      expect(r.program).toBe(JSON.parse(core.compile(files, arches[0], 0, '')).program);
      continue;
    }
    multiCount++;
    expect(r.verify.arches.map((a: { status: string }) => a.status)).toEqual(arches.map(() => 'proven'));
    for (const s of r.arches as Array<{ arch: string; start: number; insns: number }>) {
      const single = JSON.parse(core.compile(files, s.arch, 0, ''));
      expect(prog.subarray(s.start * 8, (s.start + s.insns) * 8).toString('hex')).toBe(single.program);
    }
    // And the verify export proves the bytes as given.
    const v = JSON.parse(core.verify(files, r.arch, 0, '', prog));
    expect(v.verify.status).toBe('proven');
  }
  expect(checked).toBeGreaterThan(20);
  expect(multiCount).toBeGreaterThan(10);
}, 240000);

// ---- the CLI ----

test('tsjail compile/disasm/simulate/verify with --arch x86_64,i386', () => {
  const root = path.resolve(__dirname, '..');
  const cli = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'tsjail'), ...args], { cwd: root, input, encoding: 'utf8' });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };
  const json = cli(['compile', '-', '--arch', 'x86_64,i386', '-f', 'json'], POLICY);
  expect(json.status).toBe(0);
  const j = JSON.parse(json.out);
  expect(j.arch).toBe('x86_64,i386');
  expect(j.arches.map((s: { arch: string }) => s.arch)).toEqual(['x86_64', 'i386']);
  const sim = cli(['simulate', '-', '--arch', 'x86_64,i386', '--call-arch', 'i386', '-s', 'getuid'], POLICY);
  expect(sim.out).toMatch(/^i386 getuid\(\): errno 22 \(EINVAL\) after \d+ instructions\n$/);
  const ver = cli(['verify', '-', '--arch', 'x86_64,i386'], POLICY);
  expect(ver.status).toBe(0);
  expect(ver.out).toMatch(/^proven: .*2 arches/);
  const dis = cli(['disasm', '-', '--arch', 'all'], POLICY);
  expect(dis.status).toBe(0);
  expect(dis.out).toMatch(/^# riscv64: \d+ instructions$/m);
});

// ---- tsjail's runtime: the compat arch of a 64-bit jail ----

const jt = NO_ADDON[0] || process.arch !== 'x64' || unavailable || !probe.i386 ? test.skip : test;

const DENY = [
  '@denylist',
  'getppid: return 9',
  'getpid[arch=i386]: return 7',
  'getuid[arch=i386]: return 13',
  'io_uring_setup: return 38',
  'io_uring_enter: return 38',
  'io_uring_register: return 38',
  '',
].join('\n');

function jailSpec(args: string[], bpf: Uint8Array): JailSpec {
  const p = jailProbe('static');
  return {
    path: p, argv: [p, ...args], env: [], namespaces: {}, user: {}, noNewPrivs: true,
    filesystem: { mounts: [] }, rlimits: [], preserveFds: [], seccomp: { bpf },
  };
}

jt('a 64-bit jail gives i386 calls the wrong-arch action under a single-arch filter, and their own verdicts under an x86_64,i386 one', async () => {
  // A hand-assembled x86_64 filter (arch test, then allow): an int $0x80 call is a violation.
  const plain = await runJail(jailSpec(['pid', `i386:${I386.getpid}`, 'pid'], filter({})));
  expect(plain.stdout).toMatch(/^pid \d+$/m);
  expect(plain.stdout).not.toMatch(/^i386 /m);
  expect(plain).toMatchObject({ code: null, signal: 'SIGSYS', violation: { nr: I386.getpid } });
  // The compiled single-arch policy: its wrong-arch action, which @denylist makes errno EPERM.
  const single = await compilePolicy(DENY, { arch: 'x86_64' });
  expect(single.ok).toBe(true);
  const s = await runJail(jailSpec([`syscall:${X86_64.getppid}`, `i386:${I386.getpid}`, `i386:${I386.getuid}`, 'exit:4'], single.program));
  expect(s.stdout).toMatch(new RegExp(`^syscall ${X86_64.getppid} = -1 errno 9$`, 'm'));
  expect(s.stdout).toMatch(new RegExp(`^i386 ${I386.getpid} = -1$`, 'm'));
  expect(s.stdout).toMatch(new RegExp(`^i386 ${I386.getuid} = -1$`, 'm'));
  expect(s).toMatchObject({ code: 4, signal: null });
  // The multi-arch program: i386 calls get the i386 policy (getpid errno 7, getppid errno 9,
  // getuid a violation), x86_64 calls the x86_64 one.
  const multi = await compilePolicy(DENY, { arch: 'x86_64,i386' });
  expect(multi.ok).toBe(true);
  const m = await runJail(jailSpec([`syscall:${X86_64.getppid}`, 'pid', `i386:${I386.getpid}`, `i386:${I386.getppid}`,
    'i386:199', `i386:${I386.getuid}`, 'exit:3'], multi.program));
  expect(m.stdout).toMatch(new RegExp(`^syscall ${X86_64.getppid} = -1 errno 9$`, 'm'));
  expect(m.stdout).toMatch(/^pid \d+$/m);
  expect(m.stdout).toMatch(new RegExp(`^i386 ${I386.getpid} = -7$`, 'm'));
  expect(m.stdout).toMatch(new RegExp(`^i386 ${I386.getppid} = -9$`, 'm'));
  // getuid32 (199): not listed, so the denylist's default lets it run: a uid.
  expect(m.stdout).toMatch(/^i386 199 = \d+$/m);
  expect(m.stdout).toMatch(new RegExp(`^i386 ${I386.getuid} = -13$`, 'm'));
  expect(m).toMatchObject({ code: 3, signal: null });
  expect(m.violation).toBeUndefined();
}, 60000);

jt('tsjail run takes a multi-arch program from tsjail compile --arch x86_64,i386 (--seccomp-bpf-binary)', () => {
  const root = path.resolve(__dirname, '..');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-multiarch-'));
  try {
    const bpf = path.join(dir, 'deny.bpf');
    const cli = (args: string[], input?: string) =>
      spawnSync(process.execPath, [path.join(root, 'bin', 'tsjail'), ...args], { cwd: root, input, encoding: 'utf8' });
    expect(cli(['compile', '-', '--arch', 'x86_64,i386', '-o', bpf], DENY).status).toBe(0);
    const r = cli(['run', '--seccomp-bpf-binary', bpf, '--', jailProbe('static'), `i386:${I386.getpid}`, `syscall:${X86_64.getppid}`, 'exit:6']);
    expect(r.stdout).toMatch(new RegExp(`^i386 ${I386.getpid} = -7$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^syscall ${X86_64.getppid} = -1 errno 9$`, 'm'));
    expect(r.status).toBe(6);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60000);

test('simulatePolicy takes a list and the call\'s arch', async () => {
  const r = await simulatePolicy(POLICY, { arch: 'x86_64,i386', callArch: 'i386', syscall: 'mmap2' });
  expect(r).toMatchObject({ ok: true, arch: 'i386', action: 'errno', data: 33, rule: { line: 6 } });
  const x = await simulatePolicy(POLICY, { arch: 'x86_64,i386', syscall: 'getuid' });
  expect(x).toMatchObject({ ok: true, arch: 'x86_64', action: 'errno', data: 11 });
  await expect(simulatePolicy(POLICY, { arch: 'all', syscall: 'getuid' })).rejects.toThrow(/callArch is required/);
});

test('the io_uring check looks at the compat arch too: a multi-arch program allowing io_uring on i386 only is found', async () => {
  const text = 'read: 1\nio_uring_setup[arch=i386]: 1\nio_uring_enter[arch=i386]: 1\n';
  const multi = await compilePolicy(text, { arch: 'x86_64,i386' });
  expect(multi.ok).toBe(true);
  expect(ioUringCallsAllowed(multi.program, 'x64')).toEqual(['io_uring_setup', 'io_uring_enter']);
  const single = await compilePolicy(text, { arch: 'x86_64' });
  expect(ioUringCallsAllowed(single.program, 'x64')).toEqual([]);
});
