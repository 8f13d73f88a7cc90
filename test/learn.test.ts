// tsjail learn on real programs: the policy it writes for ls, cat, python3 and a small Node
// script runs each of them enforced (on the preload path, and cat on the static path too),
// a syscall never seen is blocked (and named, with the line to add), a failing program still
// gets its policy written, and the writer's choices (named constants, W^X, other-arch calls)
// hold. Learning and the enforced run use the same stdio (pipes): programs ask different
// things of a pipe and of /dev/null.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { writeLearnedPolicy } from '../ts/policy/learn';
import { compilePolicy } from '../ts/policy/index';
import { NO_ADDON, describeUnless, tmpdir, ROOT, isRoot, execCollect, ExecResult } from './fixtures/jail/helpers';

const BIN = path.join(ROOT, 'bin', 'tsjail');
let work = '';
beforeAll(() => {
  work = tmpdir();
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function tsjail(args: string[]): Promise<ExecResult> {
  return execCollect([process.execPath, BIN, ...args], { timeoutMs: 90_000 });
}

const d = describeUnless(NO_ADDON, [!isRoot, 'needs root'], [process.arch !== 'x64', 'x86_64 names in the expected lines']);

d('tsjail learn', () => {
  let script = '';
  beforeAll(() => {
    script = path.join(work, 'small.js');
    fs.writeFileSync(script, "const fs = require('fs');\nconsole.log(fs.readFileSync('/etc/hostname', 'utf8').length > 0 ? 'read' : 'empty');\n");
  });
  const PROGRAMS: Array<[string, () => string[], string]> = [
    ['ls', () => ['/bin/ls', '/'], 'etc\n'],
    ['cat', () => ['/bin/cat', '/etc/hostname'], ''],
    ['python3', () => ['/usr/bin/python3', '-c', 'import os; print(len(os.listdir("/")) > 0)'], 'True\n'],
    ['node', () => [process.execPath, script], 'read\n'],
  ];
  for (const [name, argv, out] of PROGRAMS) {
    test(`${name}: the learned policy runs it enforced`, async () => {
      const policy = path.join(work, `${name}.policy`);
      const freq = path.join(work, `${name}.freq`);
      const l = await tsjail(['learn', '-o', policy, '--frequency', freq, '--', ...argv()]);
      expect(l.stderr).toMatch(/^tsjail: learn: the program is NOT contained by a seccomp policy while it is learned/);
      expect(l.stderr).toMatch(/^tsjail: learn: wrote \d+ syscalls to /m);
      expect(l.status).toBe(0);
      const text = fs.readFileSync(policy, 'utf8');
      expect(text).toContain(`@frequency ${freq}`);
      expect(fs.readFileSync(freq, 'utf8')).toMatch(/^openat: \d+$/m);
      // Arguments that say what the call does are filtered, by name.
      for (const m of text.matchAll(/^(ioctl|fcntl|prctl|socket|clone): (.*)$/gm)) expect(m[2]).toMatch(/^arg\d == [A-Z]/);
      expect(text).toMatch(/^mmap: arg2 in ~PROT_EXEC \|\| arg2 in ~PROT_WRITE$|^# mmap: the program mapped memory writable and executable/m);
      const r = await tsjail(['run', '-S', policy, '--', ...argv()]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(out);
    }, 180_000);
  }

  test('cat: also enforced on the static path; a syscall never seen (ls\'s getdents64) is blocked and named', async () => {
    const policy = path.join(work, 'cat.policy');
    if (!fs.existsSync(policy)) expect((await tsjail(['learn', '-o', policy, '--', '/bin/cat', '/etc/hostname'])).status).toBe(0);
    const s = await tsjail(['run', '-T', 'static', '-S', policy, '--', '/bin/cat', '/etc/hostname']);
    expect(s.status).toBe(0);
    const r = await tsjail(['run', '-S', policy, '--', '/bin/ls', '/']);
    // 159, or 125 when the first call cat never made comes before the preload library took over.
    expect([125, 159]).toContain(r.status);
    expect(r.stderr).toMatch(/seccomp violation: (getdents64|ioctl|statfs|statx) \(\d+\)$|syscall (getdents64|ioctl|statfs|statx) \(\d+\), denied by the policy/m);
    expect(r.stderr).toMatch(/^tsjail: {3}suggestion: (add|widen) `/m);
  }, 120_000);

  test('a program that fails: the policy is written, the failure said, its status returned', async () => {
    const policy = path.join(work, 'fail.policy');
    const r = await tsjail(['learn', '-o', policy, '--', '/bin/ls', '/no/such/dir']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^tsjail: learn: the program failed \(exit status 2\); wrote what it did until then to .*fail\.policy \(\d+ syscalls\)$/m);
    expect(fs.readFileSync(policy, 'utf8')).toMatch(/^openat: 1$/m);
  }, 60_000);

  test('--merge: a second run adds only what the first policy did not allow; both programs run enforced', async () => {
    const first = path.join(work, 'merge-cat.policy');
    expect((await tsjail(['learn', '-o', first, '--', '/bin/cat', '/etc/hostname'])).status).toBe(0);
    const merged = path.join(work, 'merged.policy');
    const l = await tsjail(['learn', '--merge', first, '-o', merged, '--', '/bin/ls', '/']);
    expect(l.status).toBe(0);
    const before = fs.readFileSync(first, 'utf8');
    const after = fs.readFileSync(merged, 'utf8');
    expect(after.startsWith(before)).toBe(true); // the existing policy unchanged
    const added = after.slice(before.length);
    expect(added).toMatch(/^getdents64: 1$/m);
    expect(added).not.toMatch(/^openat:/m); // already allowed
    for (const argv of [['/bin/cat', '/etc/hostname'], ['/bin/ls', '/']]) {
      const r = await tsjail(['run', '-S', merged, '--', ...argv]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  }, 120_000);

  const hasStrace = spawnSync('strace', ['-V']).status === 0;
  (hasStrace ? test : test.skip)('--from-strace: a policy from `strace -f` runs the program enforced', async () => {
    const log = path.join(work, 'cat.strace');
    const traced = await execCollect(['strace', '-f', '-o', log, '/bin/cat', '/etc/hostname']);
    expect(traced.status).toBe(0);
    const policy = path.join(work, 'strace.policy');
    const l = await tsjail(['learn', '--from-strace', log, '-o', policy]);
    expect(l.status).toBe(0);
    expect(fs.readFileSync(policy, 'utf8')).toMatch(/^openat: 1$/m);
    const r = await tsjail(['run', '-S', policy, '--', '/bin/cat', '/etc/hostname']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);

  test('--from-strace: a malformed log gives one located error', async () => {
    const log = path.join(work, 'bad.strace');
    fs.writeFileSync(log, '123 execve("/bin/true", ["true"], 0x0) = 0\n[pid 124] ioctl(1, TCGETS, {B38400 opost}) = 0\nthis is not strace\n');
    const r = await tsjail(['learn', '--from-strace', log]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tsjail: learn: ${log}:3: not a line of \`strace -f\`: this is not strace\n`);
    fs.writeFileSync(log, '123 frobnicate(1) = 0\n');
    const u = await tsjail(['learn', '--from-strace', log]);
    expect(u.stderr).toBe(`tsjail: learn: ${log}:1: frobnicate is not a syscall on x86_64\n`);
  });

  test('usage: -S is refused; --merge of a policy that does not compile is one error', async () => {
    const a = await tsjail(['learn', '-S', '/dev/null', '--', '/bin/true']);
    expect(a.status).toBe(2);
    expect(a.stderr.split('\n')[0]).toMatch(/learn: -S is not for learn/);
    const bad = path.join(work, 'bad.policy');
    fs.writeFileSync(bad, 'read: arg9 == 1\n');
    const b = await tsjail(['learn', '--merge', bad, '--', '/bin/true']);
    expect(b.status).toBe(2);
    expect(b.stderr.split('\n')[1]).toMatch(new RegExp(`^tsjail: learn: --merge ${bad}: the policy to merge into does not compile`));
  });
});

describe('writeLearnedPolicy (tsjail/policy)', () => {
  test('named constants, W+X only when seen, other-arch calls set aside; the result compiles', async () => {
    const X86 = 0xc000003e;
    const I386 = 0x40000003;
    const r = await writeLearnedPolicy([
      { nr: 16, arch: X86, args: [1, 0x5401], count: 3 }, // ioctl TCGETS
      { nr: 16, arch: X86, args: [1, 0x541b], count: 1 }, // ioctl FIONREAD
      { nr: 41, arch: X86, args: [1, 1, 0], count: 1 }, // socket AF_UNIX
      { nr: 157, arch: X86, args: [15, 0], count: 1 }, // prctl PR_SET_NAME
      { nr: 9, arch: X86, args: [0, 4096, 7, 0x22, -1, 0], count: 2 }, // mmap RWX
      { nr: 10, arch: X86, args: [0, 4096, 1], count: 2 }, // mprotect R
      { nr: 20, arch: I386, args: [], count: 1 }, // i386 getpid
      { nr: 101, arch: X86, args: [16, 500], count: 1 }, // ptrace
    ], { arch: 'x86_64' });
    expect(r.policy).toMatch(/^ioctl: arg1 == TCGETS \|\| arg1 == FIONREAD$/m);
    expect(r.policy).toMatch(/^socket: arg0 == AF_UNIX$/m);
    expect(r.policy).toMatch(/^prctl: arg0 == PR_SET_NAME$/m);
    expect(r.policy).toMatch(/^mmap: 1$/m);
    expect(r.policy).toMatch(/^# mmap: the program mapped memory writable and executable \(W\+X\)$/m);
    expect(r.policy).toMatch(/^mprotect: arg2 in ~PROT_EXEC \|\| arg2 in ~PROT_WRITE$/m);
    expect(r.otherArch).toEqual(['getpid (i386)']);
    expect(r.policy).toMatch(/^# review: the program called ptrace, which lets it inspect and change other processes\nptrace: 1$/m);
    expect(r.policy.indexOf('ioctl:')).toBeLessThan(r.policy.indexOf('socket:')); // most frequent first
    expect(r.frequency).toMatch(/^ioctl: 4$/m);
    const c = await compilePolicy(r.policy, { arch: 'x86_64' });
    expect(c.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
  });
  test('a threaded program gets sched_yield even when one run did not show it (timing-dependent), unless asked not to', async () => {
    const X86 = 0xc000003e;
    const threaded = [{ nr: 202, arch: X86, args: [0, 0x81, 1], count: 5 }]; // futex
    const r = await writeLearnedPolicy(threaded, { arch: 'x86_64' });
    expect(r.policy).toMatch(/^# sched_yield: not seen, but a threaded program calls it when its threads contend \(timing-dependent\)\nsched_yield: 1$/m);
    expect(r.frequency).not.toMatch(/sched_yield/);
    expect((await writeLearnedPolicy(threaded, { arch: 'x86_64', noTimingCalls: true })).policy).not.toMatch(/sched_yield/);
    expect((await writeLearnedPolicy([{ nr: 39, arch: X86, args: [], count: 1 }], { arch: 'x86_64' })).policy).not.toMatch(/sched_yield/);
  });
});
