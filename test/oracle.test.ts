// The seccomp oracle itself, on hand-assembled filters: every action kind, exact ERRNO and
// TRAP data, KILL_THREAD vs KILL_PROCESS, the x32 bit, foreign-arch calls, all six args with
// their high words, run as root and as an unprivileged user.

import {
  AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, BPF, Insn, OFF, OracleCase, RET, X32_SYSCALL_BIT,
  assemble, jump, oracleUnavailable, probeOracle, ret, runOracle, stmt,
} from './helpers/oracle';

const unavailable = oracleUnavailable();
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

// Root runs both identities; a non-root runner runs as itself only.
const identities: Array<[string, number | undefined]> = [['as the current user', undefined]];
if (isRoot) identities.push([`as uid ${NOBODY} (setpriv)`, NOBODY]);

const call = (nr: number, ...args: bigint[]): OracleCase => ({ nr, args });

const d = unavailable ? describe.skip : describe;
if (unavailable) test.skip(`seccomp oracle: ${unavailable}`, () => undefined);

d.each(identities)('seccomp-oracle %s', (_name, asUser) => {
  const run = (insns: Insn[], cases: OracleCase[]) =>
    runOracle(assemble(insns), cases, { asUser }).map((r) => r.line);
  // (describe.skip still collects: no oracle, no probe.)
  const probe = unavailable ? { x32: false, i386: false } : probeOracle({ asUser });

  test('every action kind of a one-instruction filter', () => {
    const cases = [call(0), call(39), call(1000), call(0xffffffff)];
    const expectAll = (k: number, line: string) => expect(run([ret(k)], cases)).toEqual(cases.map(() => line));
    expectAll(RET.ALLOW, 'allow-class');
    expectAll(RET.LOG, 'allow-class');
    expectAll(RET.TRACE | 7, 'allow-class');
    expectAll(RET.USER_NOTIF, 'allow-class');
    expectAll(RET.KILL_THREAD, 'kill-thread');
    expectAll(RET.KILL_PROCESS, 'kill-process');
    // Undefined action values at the bottom of the precedence order kill the process.
    expectAll(0x00010000, 'kill-process');
  });

  test('ERRNO data is exact, capped at 4095, including the guard magic values', () => {
    for (const n of [0, 1, 13, 38, 4093, 4094, 4095]) {
      expect(run([ret(RET.ERRNO | n)], [call(0), call(3)])).toEqual([`errno ${n}`, `errno ${n}`]);
    }
    expect(run([ret(RET.ERRNO | 4096)], [call(0)])).toEqual(['errno 4095']);
    expect(run([ret(RET.ERRNO | 0xffff)], [call(0)])).toEqual(['errno 4095']);
  });

  test('TRAP reports its data, the syscall number and the arch', () => {
    expect(run([ret(RET.TRAP | 0x1234)], [call(0), call(62)])).toEqual([
      `trap ${0x1234} 0 0x${AUDIT_ARCH_X86_64.toString(16)}`,
      `trap ${0x1234} 62 0x${AUDIT_ARCH_X86_64.toString(16)}`,
    ]);
  });

  test('KILL_THREAD and KILL_PROCESS are told apart, and later cases still run', () => {
    // nr 0 allow, 1 kill-thread, 2 errno 5, 3 kill-process, 4 trap 9, else errno 1.
    const prog = [
      stmt(BPF.LD_W_ABS, OFF.nr),
      jump(BPF.JEQ_K, 0, 0, 1), ret(RET.ALLOW),
      jump(BPF.JEQ_K, 1, 0, 1), ret(RET.KILL_THREAD),
      jump(BPF.JEQ_K, 2, 0, 1), ret(RET.ERRNO | 5),
      jump(BPF.JEQ_K, 3, 0, 1), ret(RET.KILL_PROCESS),
      jump(BPF.JEQ_K, 4, 0, 1), ret(RET.TRAP | 9),
      ret(RET.ERRNO | 1),
    ];
    const a = `0x${AUDIT_ARCH_X86_64.toString(16)}`;
    expect(run(prog, [call(0), call(1), call(0), call(3), call(3), call(2), call(4), call(1), call(1), call(9), call(4)]))
      .toEqual(['allow-class', 'kill-thread', 'allow-class', 'kill-process', 'kill-process', 'errno 5',
        `trap 9 4 ${a}`, 'kill-thread', 'kill-thread', 'errno 1', `trap 9 4 ${a}`]);
  });

  // Stated by --probe: whether this kernel passes x32 numbers (and int $0x80 calls) to seccomp.
  (probe.x32 ? test : test.skip)(`the x32 bit reaches the filter in nr, with arch x86_64${
    probe.x32 ? '' : ' [skipped: this kernel does not pass x32 numbers to seccomp]'}`, () => {
    const prog = [
      stmt(BPF.LD_W_ABS, OFF.arch),
      jump(BPF.JEQ_K, AUDIT_ARCH_X86_64, 1, 0), ret(RET.KILL_PROCESS),
      stmt(BPF.LD_W_ABS, OFF.nr),
      jump(BPF.JSET_K, X32_SYSCALL_BIT, 0, 1), ret(RET.ERRNO | 22),
      jump(BPF.JEQ_K, 0, 0, 1), ret(RET.ALLOW),
      ret(RET.ERRNO | 1),
    ];
    expect(run(prog, [call(0), call(X32_SYSCALL_BIT | 0), call(X32_SYSCALL_BIT | 512), call(1)]))
      .toEqual(['allow-class', 'errno 22', 'errno 22', 'errno 1']);
    expect(run([ret(RET.TRAP | 1)], [call(X32_SYSCALL_BIT | 39)]))
      .toEqual([`trap 1 ${X32_SYSCALL_BIT | 39} 0x${AUDIT_ARCH_X86_64.toString(16)}`]);
  });

  (probe.i386 ? test : test.skip)(`i386 calls through int $0x80 carry AUDIT_ARCH_I386 and 32-bit args${
    probe.i386 ? '' : ' [skipped: this kernel has no IA32 emulation]'}`, () => {
    const i386 = (nr: number, ...args: bigint[]): OracleCase => ({ nr, args, arch: 'i386' });
    const archCheck = [
      stmt(BPF.LD_W_ABS, OFF.arch),
      jump(BPF.JEQ_K, AUDIT_ARCH_X86_64, 0, 1), ret(RET.ALLOW),
      jump(BPF.JEQ_K, AUDIT_ARCH_I386, 0, 1), ret(RET.ERRNO | 7),
      ret(RET.KILL_PROCESS),
    ];
    expect(run(archCheck, [i386(3), call(3), i386(4)])).toEqual(['errno 7', 'allow-class', 'errno 7']);
    expect(run([ret(RET.TRAP | 2)], [i386(20)])).toEqual([`trap 2 20 0x${AUDIT_ARCH_I386.toString(16)}`]);
    // Each 32-bit arg arrives zero-extended: the high words read 0 even for 0xffffffff.
    const argsExact: Insn[] = [];
    for (let i = 0; i < 6; i++) {
      argsExact.push(stmt(BPF.LD_W_ABS, OFF.argLo(i)), jump(BPF.JEQ_K, 0xfffffff0 + i, 1, 0), ret(RET.ERRNO | (10 + i)));
      argsExact.push(stmt(BPF.LD_W_ABS, OFF.argHi(i)), jump(BPF.JEQ_K, 0, 1, 0), ret(RET.ERRNO | (20 + i)));
    }
    argsExact.push(ret(RET.ALLOW));
    const a = [0, 1, 2, 3, 4, 5].map((i) => BigInt(0xfffffff0 + i));
    expect(run(argsExact, [i386(1, ...a), i386(1, ...a.map((v, i) => (i === 5 ? v + 1n : v)))]))
      .toEqual(['allow-class', 'errno 15']);
  });

  test('all six arguments reach the filter, both 32-bit halves', () => {
    const lo = (i: number) => 0x10203040 + i;
    const hi = (i: number) => 0x80000000 + 0x100 * i;
    const prog: Insn[] = [];
    for (let i = 0; i < 6; i++) {
      prog.push(stmt(BPF.LD_W_ABS, OFF.argLo(i)), jump(BPF.JEQ_K, lo(i), 1, 0), ret(RET.ERRNO | (10 + i)));
      prog.push(stmt(BPF.LD_W_ABS, OFF.argHi(i)), jump(BPF.JEQ_K, hi(i), 1, 0), ret(RET.ERRNO | (20 + i)));
    }
    prog.push(ret(RET.ALLOW));
    const exact = [0, 1, 2, 3, 4, 5].map((i) => (BigInt(hi(i)) << 32n) | BigInt(lo(i)));
    const cases = [call(0, ...exact)];
    const expected = ['allow-class'];
    for (let i = 0; i < 6; i++) {
      cases.push(call(0, ...exact.map((v, j) => (j === i ? v ^ 1n : v))));
      expected.push(`errno ${10 + i}`);
      cases.push(call(0, ...exact.map((v, j) => (j === i ? v ^ (1n << 32n) : v))));
      expected.push(`errno ${20 + i}`);
    }
    expect(run(prog, cases)).toEqual(expected);
  });

  test('a filter that checks only the low word lets high-word values through (CVE-2019-10063 class)', () => {
    // Intended: allow only arg0 == 5. The buggy filter compares the low 32 bits alone.
    const lowOnly = [
      stmt(BPF.LD_W_ABS, OFF.argLo(0)), jump(BPF.JEQ_K, 5, 0, 1), ret(RET.ALLOW), ret(RET.ERRNO | 1),
    ];
    const full = [
      stmt(BPF.LD_W_ABS, OFF.argHi(0)), jump(BPF.JEQ_K, 0, 0, 3),
      stmt(BPF.LD_W_ABS, OFF.argLo(0)), jump(BPF.JEQ_K, 5, 0, 1), ret(RET.ALLOW),
      ret(RET.ERRNO | 1),
    ];
    const cases = [call(0, 5n), call(0, 5n | (1n << 32n)), call(0, 0xffffffff00000005n), call(0, 6n)];
    expect(run(lowOnly, cases)).toEqual(['allow-class', 'allow-class', 'allow-class', 'errno 1']);
    expect(run(full, cases)).toEqual(['allow-class', 'errno 1', 'errno 1', 'errno 1']);
  });

  test('an allowed call is never executed', () => {
    // exit(7) and exit_group(7) would end the child mid-case (the oracle then fails loudly);
    // under the guard they return -MAGIC and the batch goes on.
    expect(run([ret(RET.ALLOW)], [call(60, 7n), call(231, 7n), call(60, 0n), call(0)]))
      .toEqual(['allow-class', 'allow-class', 'allow-class', 'allow-class']);
  });

  test('--refine tells ALLOW/LOG, TRACE (with its data) and USER_NOTIF apart, and still executes nothing', () => {
    const refined = (k: number, cases: OracleCase[]) => runOracle(assemble([ret(k)]), cases, { asUser, refine: true }).map((r) => r.line);
    const cases = [call(0), call(60, 7n), call(231, 7n), call(X32_SYSCALL_BIT | 1)];
    if (probe.i386) cases.push({ nr: 20, args: [], arch: 'i386' });
    const all = (line: string) => cases.map(() => line);
    expect(refined(RET.ALLOW, cases)).toEqual(all('allow-class allow'));
    expect(refined(RET.LOG, cases)).toEqual(all('allow-class allow'));
    expect(refined(RET.USER_NOTIF, cases)).toEqual(all('allow-class user-notif'));
    // TRACE data, including the values the oracle's own trace guard uses.
    for (const data of [0, 5, 0xfffe, 0xffff]) expect(refined(RET.TRACE | data, cases)).toEqual(all(`allow-class trace ${data}`));
    // Other outcomes are not touched by the refinement.
    expect(refined(RET.ERRNO | 9, [call(0)])).toEqual(['errno 9']);
    expect(refined(RET.KILL_THREAD, [call(0), call(1)])).toEqual(['kill-thread', 'kill-thread']);
  });

  test('--refine on a mixed filter', () => {
    const prog = [
      stmt(BPF.LD_W_ABS, OFF.nr),
      jump(BPF.JEQ_K, 0, 0, 1), ret(RET.ALLOW),
      jump(BPF.JEQ_K, 1, 0, 1), ret(RET.TRACE | 3),
      jump(BPF.JEQ_K, 2, 0, 1), ret(RET.USER_NOTIF),
      jump(BPF.JEQ_K, 3, 0, 1), ret(RET.LOG),
      jump(BPF.JEQ_K, 4, 0, 1), ret(RET.KILL_PROCESS),
      ret(RET.ERRNO | 1),
    ];
    expect(runOracle(assemble(prog), [call(0), call(1), call(2), call(3), call(4), call(5), call(1)], { asUser, refine: true })
      .map((r) => r.line))
      .toEqual(['allow-class allow', 'allow-class trace 3', 'allow-class user-notif', 'allow-class allow', 'kill-process',
        'errno 1', 'allow-class trace 3']);
  });

  test('a filter the kernel rejects is reported, not answered', () => {
    // Loads past the end of struct seccomp_data: the kernel's checker refuses it.
    expect(() => run([stmt(BPF.LD_W_ABS, 64), ret(RET.ALLOW)], [call(0)])).toThrow(/filter under test.*Invalid argument/);
    // A jump out of the program.
    expect(() => run([jump(BPF.JEQ_K, 0, 5, 5), ret(RET.ALLOW)], [call(0)])).toThrow(/Invalid argument/);
  });

  test('every real x86_64 syscall number reaches seccomp, except what the kernel reports as unfiltered', () => {
    const cases = Array.from({ length: 470 }, (_, nr) => call(nr));
    const lines = run([ret(RET.ERRNO | 3)], cases);
    const odd = lines.map((l, nr) => [nr, l] as const).filter(([, l]) => l !== 'errno 3');
    // Only calls the kernel answers before seccomp (test kernel: 335, 336) may differ, and
    // then only as `unfiltered`.
    for (const [nr, l] of odd) expect(`${nr} ${l}`).toMatch(/^\d+ unfiltered /);
    expect(odd.length).toBeLessThan(5);
    // The same numbers with --refine, where only calls that reached seccomp are traced.
    const refined = runOracle(assemble([ret(RET.ALLOW)]), cases, { asUser, refine: true }).map((r) => r.line);
    expect(refined.map((l, nr) => (l === 'allow-class allow' ? 'ok' : `${nr} ${l}`)).filter((x) => x !== 'ok'))
      .toEqual(odd.map(([nr, l]) => `${nr} ${l}`));
  });
});
