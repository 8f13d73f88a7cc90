// Timing 'auto' for a dynamic glibc program: the preload window exists so that a policy need
// not allow what the loader does before main. A policy that already allows every call the
// window would let the loader make, whatever the arguments, goes in before exec instead (no
// window, no LD_PRELOAD, one filter); any other policy still gets the window. The kernel
// decides: /proc/self/status counts the filters, /proc/self/maps shows the preload library and
// /proc/self/environ the environment the program was executed with (the preload removes its
// LD_PRELOAD entry from libc's copy, not from that one).
// The attack on the choice: a policy that denies only some arguments of a loader call (mmap
// with PROT_EXEC) must keep the window; were it put before exec, ld.so's own mmap of its
// libraries would be killed.
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { JailSpec } from '../ts/jail/spec';
import { importOciProfile } from '../ts/policy/oci-import';
import { compilePolicy } from '../ts/policy/compile';
import { NO_ADDON, NR, describeUnless, filter, insn, runJail, AUDIT_ARCH, RET_ALLOW, RET_KILL_PROCESS, IO_URING_NRS, RET_ERRNO } from './fixtures/jail/helpers';

const d = describeUnless(NO_ADDON, [!['x64', 'arm64'].includes(process.arch), 'no preload library for this arch']);
const NR_MMAP = process.arch === 'arm64' ? 222 : 9;
const PROT_EXEC = 4;
const DOCKER = path.join(process.env.TSJAIL_CORPUS ? path.resolve(process.env.TSJAIL_CORPUS, '../oci') : path.resolve(__dirname, '../../shared/corpus/oci'), 'docker-default.json');

function catSpec(bpf: Uint8Array, extra: Partial<JailSpec> = {}): JailSpec {
  return {
    path: '/bin/cat', argv: ['/bin/cat', '/proc/self/status', '/proc/self/maps', '/proc/self/environ'], env: ['HOME=/'],
    namespaces: {}, user: {}, noNewPrivs: true, filesystem: { mounts: [] }, rlimits: [], preserveFds: [], seccomp: { bpf }, ...extra,
  };
}

/** Everything allowed but mmap with PROT_EXEC (killed) and io_uring (ENOSYS). */
function noExecMmap(): Uint8Array {
  const LD = 0x20, JEQ = 0x15, JSET = 0x45, RET = 0x06;
  const parts = [insn(LD, 4), insn(JEQ, AUDIT_ARCH, 1, 0), insn(RET, RET_KILL_PROCESS), insn(LD, 0)];
  for (const nr of IO_URING_NRS) parts.push(insn(JEQ, nr, 0, 1), insn(RET, RET_ERRNO(38)));
  parts.push(insn(JEQ, NR_MMAP, 0, 3), insn(LD, 16 + 8 * 2), insn(JSET, PROT_EXEC, 0, 1), insn(RET, RET_KILL_PROCESS), insn(RET, RET_ALLOW));
  return new Uint8Array(Buffer.concat(parts));
}

function facts(stdout: string) {
  return {
    filters: Number(/^Seccomp_filters:\s+(\d+)$/m.exec(stdout)?.[1] ?? -1),
    preloadMapped: /libtsjailpreload\.so/.test(stdout),
    ldPreload: stdout.includes('LD_PRELOAD='),
  };
}

d("seccomp timing 'auto' for a dynamic program", () => {
  test('a policy that allows the loader set whatever the arguments goes in before exec: one filter, no preload', async () => {
    const r = await runJail(catSpec(filter({})));
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(facts(r.stdout)).toEqual({ filters: 1, preloadMapped: false, ldPreload: false });
  });

  test('a policy that denies mmap with PROT_EXEC keeps the window (the loader maps its libraries executable)', async () => {
    const r = await runJail(catSpec(noExecMmap()));
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(facts(r.stdout)).toEqual({ filters: 2, preloadMapped: true, ldPreload: true });
  });

  test('the same policy before exec (what a wrong choice would do) is killed at the loader\'s mmap', async () => {
    const r = await runJail(catSpec(noExecMmap(), { seccompTiming: 'exec' }));
    expect(r.signal).toBe('SIGSYS');
    expect(r.violation?.nr).toBe(NR_MMAP);
  });

  test('violations not reported: before exec only when the policy itself allows the jail\'s own execve', async () => {
    // No listener, so no execve prefix before exec: a policy that kills execve keeps the window,
    // whose gate always lets the jail's own execve through (before exec it would kill it).
    const killsExecve = catSpec(filter({ [NR.execve]: RET_KILL_PROCESS, [NR.execveat]: RET_KILL_PROCESS }));
    killsExecve.seccomp!.reportViolations = false;
    const kept = await runJail(killsExecve);
    expect([kept.code, kept.stderr]).toEqual([0, '']);
    expect(facts(kept.stdout)).toMatchObject({ filters: 2, preloadMapped: true });
    const allowsAll = catSpec(filter({}));
    allowsAll.seccomp!.reportViolations = false;
    const before = await runJail(allowsAll);
    expect([before.code, before.stderr]).toEqual([0, '']);
    expect(facts(before.stdout)).toEqual({ filters: 1, preloadMapped: false, ldPreload: false });
  });

  test("an explicit 'preload' keeps the window for a policy that would not need it", async () => {
    const r = await runJail(catSpec(filter({}), { seccompTiming: 'preload' }));
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(facts(r.stdout)).toEqual({ filters: 2, preloadMapped: true, ldPreload: true });
  });

  test('a policy that leaves one loader call out (readlinkat) keeps the window', async () => {
    const r = await runJail(catSpec(filter({ [process.arch === 'arm64' ? 78 : 267]: RET_KILL_PROCESS })));
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(facts(r.stdout)).toEqual({ filters: 2, preloadMapped: true, ldPreload: true });
  });

  // Docker's default profile allows the loader's calls unconditionally: a program run under it
  // (tsjail run --seccomp-oci) gets no window.
  const dockerSkip = !existsSync(DOCKER) ? `no ${DOCKER}` : process.arch !== 'x64' ? 'the x86_64 profile on another arch' : undefined;
  (dockerSkip ? test.skip : test)(`Docker's default profile goes in before exec${dockerSkip ? ` [skipped: ${dockerSkip}]` : ''}`, async () => {
    const imported = await importOciProfile(readFileSync(DOCKER, 'utf8'), { arch: 'x86_64', path: 'docker-default.json' });
    expect(imported.ok).toBe(true);
    const compiled = await compilePolicy(imported.policy!, { arch: 'x86_64' });
    const r = await runJail(catSpec(compiled.program!, { namespaces: { user: true, pid: true, mount: true } }));
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(facts(r.stdout)).toEqual({ filters: 1, preloadMapped: false, ldPreload: false });
  });
});
