// When timing 'auto' skips the preload window (native/parent/bpf_eval.c's
// tsjail_bpf_always_allows, loader.c's tsjail_policy_allows_loader): a policy goes in before
// exec only when it allows every call the window would let the loader make, whatever the
// arguments. The analysis must never claim that for a call some arguments deny: checked on
// hand-made programs (each way an unknown value can decide a verdict) and, on a slice of the
// x86_64 corpus, against the supervisor's interpreter for argument values around every
// constant the program compares with. Real jails for the choice itself are in
// test/jail-seccomp-auto.test.ts.
import { corpusMissing, corpusRequest, corpusRows } from './helpers/corpus';
import { assemble, insn, jump, ret, stmt, BPF, OFF, RET, seccompDataBytes, Insn } from './helpers/bpf';
import { loadCore } from '../ts/policy/core';
import { loadAddon } from '../ts/jail/native';
import { NO_ADDON, describeUnless } from './fixtures/jail/helpers';

const X86_64 = 0xc000003e;
const I386 = 0x40000003;
const NR_MMAP = 9;
const NR_READ = 0;
const LD_IMM = 0x00, LDX_IMM = 0x01, LD_MEM = 0x60, ST = 0x02, TAX = 0x07, DIV_X = 0x3c, AND_K = 0x54, RET_A = 0x16;

const allows = (p: Insn[], nr: number, arch = X86_64) => loadAddon().alwaysAllows(assemble(p), arch, nr);

/** arch check, then `nr == NR ? (body) : rest`. */
const archCheck = (): Insn[] => [stmt(BPF.LD_W_ABS, OFF.arch), jump(BPF.JEQ_K, X86_64, 1, 0), ret(RET.KILL_PROCESS)];

describeUnless(NO_ADDON)('the analysis of "allowed whatever the arguments"', () => {
  test('an unconditional allow is shown; a kill, errno, trap, trace or user-notify is not; log allows', () => {
    for (const [verdict, want] of [[RET.ALLOW, true], [RET.LOG, true], [RET.KILL_PROCESS, false], [RET.KILL_THREAD, false],
      [RET.ERRNO | 1, false], [RET.TRAP, false], [RET.TRACE, false], [RET.USER_NOTIF, false]] as const) {
      const p = [...archCheck(), stmt(BPF.LD_W_ABS, OFF.nr), jump(BPF.JEQ_K, NR_READ, 0, 1), ret(verdict), ret(RET.KILL_PROCESS)];
      expect([verdict, allows(p, NR_READ)]).toEqual([verdict, want]);
      expect(allows(p, NR_MMAP)).toBe(false);
    }
  });

  test('the arch is known: another arch falls to the kill', () => {
    const p = [...archCheck(), ret(RET.ALLOW)];
    expect(allows(p, NR_READ)).toBe(true);
    expect(allows(p, NR_READ, I386)).toBe(false);
  });

  test('a verdict that depends on an argument (low or high half) or the instruction pointer is not shown', () => {
    for (const off of [OFF.argLo(2), OFF.argHi(2), 8, 12]) {
      const p = [...archCheck(), stmt(BPF.LD_W_ABS, OFF.nr), jump(BPF.JEQ_K, NR_MMAP, 0, 3),
        stmt(BPF.LD_W_ABS, off), jump(BPF.JSET_K, 4, 0, 1), ret(RET.KILL_PROCESS), ret(RET.ALLOW)];
      expect([off, allows(p, NR_MMAP)]).toEqual([off, false]);
      expect(allows(p, NR_READ)).toBe(true); // read skips the argument test
    }
  });

  test('an argument test whose both ways allow is shown (both ways followed)', () => {
    const p = [...archCheck(), stmt(BPF.LD_W_ABS, OFF.argLo(0)), jump(BPF.JEQ_K, 1, 0, 1), ret(RET.ALLOW), ret(RET.LOG)];
    expect(allows(p, NR_READ)).toBe(true);
  });

  test('RET A: allowing only when A is known to be an allow', () => {
    const known = [...archCheck(), insn(LD_IMM, RET.ALLOW), insn(RET_A)];
    const fromArg = [...archCheck(), stmt(BPF.LD_W_ABS, OFF.argLo(0)), insn(RET_A)];
    // An argument masked to nothing is known again: 0 = kill-thread.
    const masked = [...archCheck(), stmt(BPF.LD_W_ABS, OFF.argLo(0)), insn(AND_K, 0), insn(RET_A)];
    expect(allows(known, NR_READ)).toBe(true);
    expect(allows(fromArg, NR_READ)).toBe(false);
    expect(allows(masked, NR_READ)).toBe(false);
  });

  test('scratch memory keeps what is known and what is not', () => {
    const nrSaved = [...archCheck(), stmt(BPF.LD_W_ABS, OFF.nr), insn(ST, 0, 0, 0), stmt(BPF.LD_W_ABS, OFF.argLo(0)),
      insn(LD_MEM, 0), jump(BPF.JEQ_K, NR_READ, 0, 1), ret(RET.ALLOW), ret(RET.KILL_PROCESS)];
    const argSaved = [...archCheck(), stmt(BPF.LD_W_ABS, OFF.argLo(0)), insn(ST, 0), stmt(BPF.LD_W_ABS, OFF.nr),
      insn(LD_MEM, 0), jump(BPF.JEQ_K, NR_READ, 0, 1), ret(RET.ALLOW), ret(RET.KILL_PROCESS)];
    expect(allows(nrSaved, NR_READ)).toBe(true);
    expect(allows(argSaved, NR_READ)).toBe(false);
  });

  test('a division by an X that may be zero (which returns 0, a kill) is not shown', () => {
    const p = [...archCheck(), stmt(BPF.LD_W_ABS, OFF.argLo(0)), insn(TAX), insn(LD_IMM, 10), insn(DIV_X), ret(RET.ALLOW)];
    const byConst = [...archCheck(), insn(LDX_IMM, 2), insn(LD_IMM, 10), insn(DIV_X), ret(RET.ALLOW)];
    expect(allows(p, NR_READ)).toBe(false);
    expect(allows(byConst, NR_READ)).toBe(true);
  });

  test('beyond 4096 paths the answer is "not shown" (the cautious choice), below it the paths are followed', () => {
    const chain = (tests: number): Insn[] => [...archCheck(), ...Array.from({ length: tests }, (_, i) =>
      [stmt(BPF.LD_W_ABS, OFF.argLo(i % 6)), jump(BPF.JSET_K, 1 << (i % 31), 0, 0)]).flat(), ret(RET.ALLOW)];
    // jt == jf: no split at all, whatever the length.
    expect(allows(chain(40), NR_READ)).toBe(true);
    const split = (tests: number): Insn[] => {
      const out = archCheck();
      for (let i = 0; i < tests; i++) out.push(stmt(BPF.LD_W_ABS, OFF.argLo(i % 6)), jump(BPF.JSET_K, 1 << (i % 31), 1, 0), insn(LD_IMM, 0));
      return [...out, ret(RET.ALLOW)];
    };
    expect(allows(split(11), NR_READ)).toBe(true); // 2048 paths
    expect(allows(split(13), NR_READ)).toBe(false); // 8192 paths: given up
  });

  test('a program the kernel would refuse is an error naming why', () => {
    expect(() => loadAddon().alwaysAllows(assemble([stmt(BPF.LD_W_ABS, 3), ret(RET.ALLOW)]), X86_64, 0)).toThrow(/not a seccomp program: a load outside/);
    expect(() => loadAddon().policyAllowsLoader(new Uint8Array(7))).toThrow(/not a seccomp program/);
  });
});

const skip = NO_ADDON[0] ? NO_ADDON[1] : corpusMissing;
const d = skip ? describe.skip : describe;
if (skip) test.skip(`the analysis never claims an allow the interpreter denies [skipped: ${skip}]`, () => undefined);

d('the analysis never claims an allow the interpreter denies (x86_64 corpus slice)', () => {
  test('every syscall a sliced corpus policy is said to allow whatever its arguments is allowed for values around its constants', async () => {
    const core = await loadCore();
    const rows = corpusRows();
    const byFile = new Map(rows.map((r) => [r.file, r]));
    const files = rows.filter((r) => r.arch === 'x86_64' && r.file.endsWith('.policy')).map((r) => r.file).sort().filter((_, i) => i % 8 === 0);
    const maxNr = Math.max(...Object.values(JSON.parse(core.syscallTable('x86_64')!) as Record<string, number>));
    let claimed = 0, notClaimed = 0, loaderPolicies = 0, programs = 0;
    const wrong: string[] = [];
    let seed = 0x1234;
    const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
    for (const file of files) {
      const res = JSON.parse(core.compile(corpusRequest(core, byFile.get(file)!, byFile), 'x86_64', 0, ''));
      if (!res.ok) continue;
      const program = new Uint8Array(Buffer.from(res.program, 'hex'));
      programs++;
      const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
      const consts: number[] = [];
      for (let i = 0; i < program.length; i += 8) if ((view.getUint16(i, true) & 0x07) === 0x05) consts.push(view.getUint32(i + 4, true));
      if (loadAddon().policyAllowsLoader(program)) loaderPolicies++;
      for (let nr = 0; nr <= maxNr; nr++) {
        if (!loadAddon().alwaysAllows(program, X86_64, nr)) { notClaimed++; continue; }
        claimed++;
        for (let k = 0; k < 24; k++) {
          const v = () => (consts.length && rand(2) ? BigInt(consts[rand(consts.length)]) + BigInt(rand(3)) - 1n : BigInt(rand(1 << 30)));
          const args = Array.from({ length: 6 }, () => BigInt.asUintN(64, v() | (rand(4) === 0 ? v() << 32n : 0n)));
          const verdict = loadAddon().evaluateFilter(program, seccompDataBytes(nr, X86_64, args, BigInt(rand(1 << 30)))) >>> 0;
          const action = verdict & 0xffff0000;
          if (action !== RET.ALLOW && action !== RET.LOG && wrong.length < 10) wrong.push(`${file} nr ${nr} args ${args.join(',')}: ${verdict.toString(16)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    // Both answers occurred, so both sides were exercised.
    expect(programs).toBeGreaterThan(20);
    expect(claimed).toBeGreaterThan(100);
    expect(notClaimed).toBeGreaterThan(100);
    console.log(`always-allows: ${programs} policies, ${claimed} calls shown allowed, ${notClaimed} not; ${loaderPolicies} allow the whole loader set`);
  }, 300_000);
});
