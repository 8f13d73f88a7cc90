// The simulator on hand-assembled programs: every opcode seccomp accepts, instruction counts,
// and the load-time checks the kernel applies (a refused program is ok:false with an error
// naming the instruction). The kernel-vs-simulator oracle tests live in kernel-agrees.test.ts.
// simulatePolicy: a policy's program run on one call, with the rule that decided it.
import { loadCore, Core } from '../ts/policy/core';
import { analyzePolicy, compilePolicy, constantValue, decodeProgram, resolveArgValue, simulate, simulatePolicy } from '../ts/policy/index';
import { Insn, assemble, insn as ins, seccompDataBytes } from './helpers/bpf';
import { corpusFileSet, corpusRows, corpusTest } from './helpers/corpus';

// Opcodes (include/uapi/linux/filter.h).
const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
const W = 0x00, H = 0x08, B = 0x10;
const IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
const ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0;
const JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
const K = 0x00, X = 0x08, A = 0x10;
const TAX = 0x00, TXA = 0x80;

const ALLOW = 0x7fff0000;
const ERRNO = (n: number) => 0x00050000 | n;

const data = (nr: number, arch = 0xc000003e, args: bigint[] = [], ip = 0n): Uint8Array => seccompDataBytes(nr, arch, args, ip);

interface Sim { ok: boolean; ret: number; action: string; data: number; insns: number; error?: string }

let core: Core;
beforeAll(async () => { core = await loadCore(); });
const sim = (prog: Insn[], d = data(0)): Sim => JSON.parse(core.simulate(assemble(prog), d));
/** Run a program that computes A and returns it. */
const retA = (body: Insn[], d = data(0)): number => {
  const r = sim([...body, ins(RET | A)], d);
  if (!r.ok) throw new Error(r.error);
  return r.ret >>> 0;
};

describe('loads', () => {
  test('LD W ABS reads seccomp_data little-endian words', () => {
    const d = data(59, 0xc000003e, [0x1122334455667788n, 0n, 0xdeadbeefn << 32n], 0xabcdef0123n);
    expect(retA([ins(LD | W | ABS, 0)], d)).toBe(59);
    expect(retA([ins(LD | W | ABS, 4)], d)).toBe(0xc000003e);
    expect(retA([ins(LD | W | ABS, 8)], d)).toBe(0xcdef0123);
    expect(retA([ins(LD | W | ABS, 12)], d)).toBe(0xab);
    expect(retA([ins(LD | W | ABS, 16)], d)).toBe(0x55667788);
    expect(retA([ins(LD | W | ABS, 20)], d)).toBe(0x11223344);
    expect(retA([ins(LD | W | ABS, 36)], d)).toBe(0xdeadbeef);
    expect(retA([ins(LD | W | ABS, 32)], d)).toBe(0);
    expect(retA([ins(LD | W | ABS, 60)], d)).toBe(0);
  });
  test('immediates, lengths, scratch memory, register moves', () => {
    expect(retA([ins(LD | IMM, 0x12345678)])).toBe(0x12345678);
    expect(retA([ins(LD | W | LEN)])).toBe(64);
    expect(retA([ins(LDX | W | LEN), ins(MISC | TXA)])).toBe(64);
    expect(retA([ins(LDX | IMM, 7), ins(MISC | TXA)])).toBe(7);
    expect(retA([ins(LD | IMM, 9), ins(ST, 3), ins(LD | IMM, 0), ins(LD | MEM, 3)])).toBe(9);
    expect(retA([ins(LDX | IMM, 5), ins(STX, 15), ins(LDX | MEM, 15), ins(MISC | TXA)])).toBe(5);
    expect(retA([ins(LD | IMM, 11), ins(MISC | TAX), ins(LD | IMM, 0), ins(MISC | TXA)])).toBe(11);
  });
  test('A and X start at zero', () => {
    expect(retA([])).toBe(0);
    expect(retA([ins(MISC | TXA)])).toBe(0);
  });
});

describe('ALU', () => {
  const alu = (op: number, a: number, k: number) => retA([ins(LD | IMM, a), ins(ALU | op | K, k)]);
  const aluX = (op: number, a: number, x: number) => retA([ins(LDX | IMM, x), ins(LD | IMM, a), ins(ALU | op | X)]);
  test('32-bit wrap-around arithmetic, K and X forms', () => {
    expect(alu(ADD, 0xffffffff, 2)).toBe(1);
    expect(aluX(ADD, 5, 6)).toBe(11);
    expect(alu(SUB, 1, 2)).toBe(0xffffffff);
    expect(aluX(SUB, 10, 4)).toBe(6);
    expect(alu(MUL, 0x10000, 0x10000)).toBe(0);
    expect(aluX(MUL, 3, 7)).toBe(21);
    expect(alu(DIV, 100, 7)).toBe(14);
    expect(aluX(DIV, 0xffffffff, 2)).toBe(0x7fffffff);
    expect(alu(OR, 0xf0, 0x0f)).toBe(0xff);
    expect(aluX(OR, 1, 2)).toBe(3);
    expect(alu(AND, 0xff, 0x0f)).toBe(0x0f);
    expect(aluX(AND, 6, 3)).toBe(2);
    expect(alu(XOR, 0xff, 0x0f)).toBe(0xf0);
    expect(aluX(XOR, 5, 5)).toBe(0);
    expect(alu(LSH, 1, 31)).toBe(0x80000000);
    expect(aluX(LSH, 1, 4)).toBe(16);
    expect(alu(RSH, 0x80000000, 31)).toBe(1);
    expect(aluX(RSH, 256, 4)).toBe(16);
    expect(retA([ins(LD | IMM, 1), ins(ALU | NEG)])).toBe(0xffffffff);
  });
  test('division by a zero X ends the program with return value 0', () => {
    const r = sim([ins(LD | IMM, 5), ins(LDX | IMM, 0), ins(ALU | DIV | X), ins(RET | K, ALLOW)]);
    expect(r).toMatchObject({ ok: true, ret: 0, action: 'kill-thread', insns: 3 });
  });
});

describe('jumps and returns', () => {
  // if (A op k) return ERRNO(1) else return ERRNO(2)
  const branch = (op: number, a: number, k: number, viaX = false) => {
    const pre: Insn[] = viaX ? [ins(LDX | IMM, k), ins(LD | IMM, a), ins(JMP | op | X, 0, 0, 1)] : [ins(LD | IMM, a), ins(JMP | op | K, k, 0, 1)];
    return sim([...pre, ins(RET | K, ERRNO(1)), ins(RET | K, ERRNO(2))]).data;
  };
  test('JEQ, JGT, JGE, JSET with K and X (unsigned)', () => {
    for (const viaX of [false, true]) {
      expect(branch(JEQ, 5, 5, viaX)).toBe(1);
      expect(branch(JEQ, 5, 6, viaX)).toBe(2);
      expect(branch(JGT, 0x80000000, 1, viaX)).toBe(1);
      expect(branch(JGT, 5, 5, viaX)).toBe(2);
      expect(branch(JGE, 5, 5, viaX)).toBe(1);
      expect(branch(JGE, 4, 5, viaX)).toBe(2);
      expect(branch(JSET, 6, 2, viaX)).toBe(1);
      expect(branch(JSET, 6, 1, viaX)).toBe(2);
    }
  });
  test('JA skips forward by k; jt/jf offsets count from the next instruction', () => {
    const r = sim([ins(JMP | JA, 2), ins(RET | K, ERRNO(1)), ins(RET | K, ERRNO(2)), ins(RET | K, ERRNO(3))]);
    expect(r).toMatchObject({ ok: true, data: 3, insns: 2 });
    const far = sim([ins(LD | IMM, 1), ins(JMP | JEQ | K, 1, 2, 0), ins(RET | K, ERRNO(1)), ins(RET | K, ERRNO(2)), ins(RET | K, ERRNO(3))]);
    expect(far.data).toBe(3);
  });
  test('RET K and RET A; actions and data decoded', () => {
    expect(sim([ins(RET | K, ALLOW)])).toEqual({ ok: true, ret: ALLOW, action: 'allow', data: 0, insns: 1 });
    expect(sim([ins(RET | K, ERRNO(38))])).toMatchObject({ action: 'errno', data: 38 });
    expect(sim([ins(RET | K, 0x80000000)])).toMatchObject({ action: 'kill-process', ret: 0x80000000 });
    expect(sim([ins(RET | K, 0x00030005)])).toMatchObject({ action: 'trap', data: 5 });
    expect(sim([ins(RET | K, 0x7ff00007)])).toMatchObject({ action: 'trace', data: 7 });
    expect(sim([ins(RET | K, 0x7ffc0000)])).toMatchObject({ action: 'log' });
    expect(sim([ins(RET | K, 0x7fc00000)])).toMatchObject({ action: 'user-notify' });
    expect(sim([ins(LD | IMM, ERRNO(9)), ins(RET | A)])).toMatchObject({ action: 'errno', data: 9, insns: 2 });
  });
  test('counts every executed instruction, including the RET', () => {
    const prog: Insn[] = [ins(LD | W | ABS, 4), ins(JMP | JEQ | K, 0xc000003e, 1, 0), ins(RET | K, 0), ins(LD | W | ABS, 0),
      ins(JMP | JEQ | K, 59, 0, 1), ins(RET | K, ERRNO(1)), ins(RET | K, ALLOW)];
    expect(sim(prog, data(59))).toMatchObject({ data: 1, insns: 5 });
    expect(sim(prog, data(60))).toMatchObject({ action: 'allow', insns: 5 });
    expect(sim(prog, data(59, 0x40000003))).toMatchObject({ action: 'kill-thread', insns: 3 });
  });
});

describe('programs the kernel refuses', () => {
  const err = (prog: Insn[]) => {
    const r = sim(prog);
    expect(r.ok).toBe(false);
    return r.error!;
  };
  test('size limits and shape', () => {
    expect(JSON.parse(core.simulate(new Uint8Array(0), data(0))).ok).toBe(false);
    expect(JSON.parse(core.simulate(new Uint8Array(12), data(0))).error).toMatch(/multiple of 8/);
    expect(JSON.parse(core.simulate(assemble([ins(RET | K, ALLOW)]), new Uint8Array(10))).error).toMatch(/64 bytes/);
    expect(err(Array.from({ length: 4097 }, () => ins(RET | K, ALLOW)))).toMatch(/4097 instructions/);
    expect(sim(Array.from({ length: 4096 }, () => ins(RET | K, ALLOW))).ok).toBe(true);
    expect(err([ins(LD | IMM, 1)])).toMatch(/instruction 0: the last instruction is not a return/);
  });
  test('unknown and non-seccomp opcodes name the instruction', () => {
    expect(err([ins(LD | IMM), ins(0xff), ins(RET | K)])).toMatch(/instruction 1: unknown opcode 0xff/);
    for (const code of [LD | H | ABS, LD | B | ABS, LD | W | IND, LDX | B | MSH, ALU | MOD | K, ALU | MOD | X]) {
      expect(err([ins(code, 1), ins(RET | K)])).toMatch(/instruction 0: opcode .* not allowed in seccomp/);
    }
  });
  test('loads outside struct seccomp_data or unaligned', () => {
    expect(err([ins(LD | W | ABS, 64), ins(RET | K)])).toMatch(/instruction 0: load from offset 64/);
    expect(err([ins(LD | W | ABS, 2), ins(RET | K)])).toMatch(/instruction 0: load from offset 2/);
  });
  test('jumps out of range', () => {
    expect(err([ins(JMP | JA, 1), ins(RET | K)])).toMatch(/instruction 0: jump out of range/);
    expect(err([ins(JMP | JEQ | K, 0, 0, 1), ins(RET | K)])).toMatch(/instruction 0: jump out of range/);
    expect(err([ins(LD | IMM), ins(JMP | JGT | K, 0, 5, 0), ins(RET | K)])).toMatch(/instruction 1: jump out of range/);
  });
  test('constant division by zero, oversized shifts, scratch index and uninitialized reads', () => {
    expect(err([ins(ALU | DIV | K, 0), ins(RET | K)])).toMatch(/instruction 0: division by constant zero/);
    expect(err([ins(ALU | LSH | K, 32), ins(RET | K)])).toMatch(/instruction 0: shift by 32/);
    expect(err([ins(ST, 16), ins(RET | K)])).toMatch(/instruction 0: scratch memory index 16/);
    expect(err([ins(LD | MEM, 0), ins(RET | K)])).toMatch(/instruction 0: reads scratch memory M\[0\] before/);
    // Written on one path only: still refused, as check_load_and_stores does.
    expect(err([ins(JMP | JEQ | K, 0, 0, 1), ins(ST, 2), ins(LD | MEM, 2), ins(RET | K)])).toMatch(/instruction 2: reads scratch memory M\[2\]/);
    expect(sim([ins(ST, 2), ins(JMP | JEQ | K, 0, 0, 0), ins(LD | MEM, 2), ins(RET | A)]).ok).toBe(true);
  });
});

describe('simulatePolicy: the verdict and the rule that decided it', () => {
  const text = [
    'read: allow',
    'write: arg0 == 1 || arg0 == 2',
    'ioctl: arg1 == TCGETS; return ENOTTY',
    'openat: {arg2 & O_CREAT; return EPERM, arg2 in O_RDONLY|O_CLOEXEC, trap}',
  ].join('\n') + '\n';
  const opts = { arch: 'x86_64', path: 'p.policy' } as const;

  test.each([
    // [syscall, args, verdict, the rule's text, line]
    ['read', [], 'allow', 'allow', 1],
    ['write', [2], 'allow', 'arg0 == 1 || arg0 == 2', 2],
    ['write', [3], 'kill-process', null, 0],
    ['ioctl', [0, 0x5401], 'allow', 'arg1 == TCGETS; return ENOTTY', 3],
    ['ioctl', [0, 0x541b], 'errno', 'return ENOTTY', 3],
    ['openat', [0, 0, 0o100], 'errno', 'arg2 & O_CREAT; return EPERM', 4],
    ['openat', [0, 0, 0o2000000], 'allow', 'arg2 in O_RDONLY|O_CLOEXEC', 4],
    ['openat', [0, 0, 1], 'trap', 'trap', 4],
    ['close', [], 'kill-process', null, 0],
  ] as Array<[string, number[], string, string | null, number]>)('%s(%j): %s, decided by %j', async (syscall, args, action, ruleText, line) => {
    const r = await simulatePolicy(text, { ...opts, syscall, args });
    if (!r.ok) throw new Error(r.diagnostics.map((d) => d.formatted).join('\n'));
    expect(r.action).toBe(action);
    expect(r.rule === null ? null : text.slice(r.rule.start, r.rule.end)).toBe(ruleText);
    if (r.rule) expect(r.rule).toMatchObject({ file: 'p.policy', line });
    // The verdict is the compiled program's, as simulate gives it.
    const c = await compilePolicy(text, opts);
    const s = await simulate(c.program, { arch: 'x86_64', syscall, args });
    expect({ action: r.action, data: r.data, insns: r.insns, ret: r.ret }).toEqual(s);
  });

  test('a rule in an included file is named in that file; options reach the core', async () => {
    const r = await simulatePolicy([['/p/m.policy', '@include ./inc.policy\n'], ['/p/inc.policy', '\nread: arg0 == 5; return 1\n']],
      { arch: 'aarch64', syscall: 'read', args: [5] });
    expect(r).toMatchObject({ ok: true, arch: 'aarch64', action: 'allow', rule: { file: '/p/inc.policy', line: 2, column: 7 } });
    const onMatch = await simulatePolicy('read: arg0 == 5; return 1\n', { arch: 'x86_64', syscall: 'read', args: [5], returnOnMatch: true, defaultAction: 'log' });
    expect(onMatch).toMatchObject({ ok: true, action: 'errno', data: 1 });
    const unmatched = await simulatePolicy('read: arg0 == 5; return 1\n', { arch: 'x86_64', syscall: 'write', returnOnMatch: true, defaultAction: 'log' });
    expect(unmatched).toMatchObject({ ok: true, action: 'log', rule: null });
  });

  test('a policy with errors does not run: ok false with its diagnostics; bad call options throw', async () => {
    const r = await simulatePolicy('raed: allow\n', { arch: 'x86_64', syscall: 'read' });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0].suggestions?.[0].title).toBe('Change to "read"');
    await expect(simulatePolicy('read: allow\n', { arch: 'x86_64', syscall: 'raed' })).rejects.toThrow(/did you mean "read"/);
    await expect(simulatePolicy('read: allow\n', { arch: 'x86_64', syscall: 'read', args: [1.5] })).rejects.toThrow(TypeError);
  });

  corpusTest('corpus sample: every listed syscall, the program and the named rule agree', async () => {
    const c = await loadCore();
    const rows = corpusRows();
    const byFile = new Map(rows.map((e) => [e.file, e]));
    const sample = rows.filter((e) => e.arch === 'x86_64' && !e.notes.startsWith('@frequency')).filter((_, i) => i % 20 === 0);
    const problems: string[] = [];
    let named = 0;
    for (const p of sample) {
      const files = corpusFileSet(c, p, byFile);
      const a = await analyzePolicy(files, { arch: p.arch });
      if (!a.ok) continue;
      for (const sc of a.ir!.syscalls) {
        const r = await simulatePolicy(files, { arch: p.arch, nr: sc.nr });
        if (!r.ok) problems.push(`${p.file} ${sc.name}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
        else if (r.rule) named++;
      }
    }
    expect(problems).toEqual([]);
    expect(named).toBeGreaterThan(200);
  });
});

describe('simulate: arguments written as constant names, numeric strings, numbers and bigints', () => {
  test('names resolve per arch, as the policy resolves them: O_DIRECTORY differs between x86_64 and aarch64', async () => {
    const x86 = (await constantValue('x86_64', 'O_DIRECTORY'))!;
    const arm = (await constantValue('aarch64', 'O_DIRECTORY'))!;
    expect(x86).not.toBe(arm);
    for (const [arch, own, other] of [['x86_64', x86, arm], ['aarch64', arm, x86]] as const) {
      const c = await compilePolicy('openat: arg2 & O_DIRECTORY; return 1\n', { arch });
      expect(c.ok).toBe(true);
      const byName = await simulate(c.program, { arch, syscall: 'openat', args: ['AT_FDCWD', 0, 'O_RDONLY|O_DIRECTORY'] });
      expect(byName).toEqual(await simulate(c.program, { arch, syscall: 'openat', args: [-100, 0, own] }));
      // The filter holds (allow); otherwise the rule's `return 1`.
      expect(byName).toMatchObject({ action: 'allow' });
      // The other arch's value of the same name is a different flag here.
      expect(await simulate(c.program, { arch, syscall: 'openat', args: [-100, 0, other] })).toMatchObject({ action: 'errno', data: 1 });
    }
  });

  test('every form of the same value gives the same call', async () => {
    const c = await compilePolicy('socket: arg0 == AF_INET && arg1 == SOCK_STREAM|SOCK_CLOEXEC; return 2\n', { arch: 'x86_64' });
    const af = (await constantValue('x86_64', 'AF_INET'))!;
    const type = (await constantValue('x86_64', 'SOCK_STREAM'))! | (await constantValue('x86_64', 'SOCK_CLOEXEC'))!;
    const forms: Array<[string | number | bigint, string | number | bigint]> = [
      ['AF_INET', 'SOCK_STREAM|SOCK_CLOEXEC'], [Number(af), type], [af, '0x' + type.toString(16)], [String(af), ` SOCK_CLOEXEC | ${type & 0xfn} `],
    ];
    for (const [a0, a1] of forms) {
      expect(await simulate(c.program, { arch: 'x86_64', syscall: 'socket', args: [a0, a1] })).toMatchObject({ action: 'allow' });
    }
    expect(await simulate(c.program, { arch: 'x86_64', syscall: 'socket', args: ['AF_INET6', 'SOCK_STREAM|SOCK_CLOEXEC'] })).toMatchObject({ action: 'errno', data: 2 });
    const p = await simulatePolicy('socket: arg0 == AF_INET; return 3\n', { arch: 'x86_64', syscall: 'socket', args: ['AF_UNIX'] });
    expect(p).toMatchObject({ ok: true, action: 'errno', data: 3 });
  });

  test('a bad value is one error naming the argument and the nearest constant', async () => {
    const c = await compilePolicy('read: allow\n', { arch: 'x86_64' });
    await expect(simulate(c.program, { arch: 'x86_64', syscall: 'openat', args: [0, 0, 'O_RDONLY|O_CLOEXC'] }))
      .rejects.toThrow(new RangeError('simulate: args[2]: "O_CLOEXC" is neither a number nor a constant known on x86_64 (did you mean "O_CLOEXEC"?)'));
    await expect(simulate(c.program, { arch: 'x86_64', syscall: 'read', args: ['0x10000000000000000'] })).rejects.toThrow(/args\[0\]: 0x10000000000000000 does not fit in 64 bits/);
    await expect(simulate(c.program, { arch: 'x86_64', syscall: 'read', args: [1.5] })).rejects.toThrow(TypeError);
    expect(await resolveArgValue('x86_64', 'AF_INTE', 'a0')).toEqual({ ok: false, suggestion: 'AF_INET', message: 'a0: "AF_INTE" is neither a number nor a constant known on x86_64 (did you mean "AF_INET"?)' });
    expect(await resolveArgValue('x86_64', '-1', 'a0')).toEqual({ ok: true, value: (1n << 64n) - 1n });
    expect(await resolveArgValue('x86_64', '010', 'a0')).toEqual({ ok: true, value: 8n });
  });
});

describe('simulate with trace: the path the core ran', () => {
  const opts = (nr: number, arch = 'x86_64') => ({ arch, nr, trace: true });
  test('known programs: the instructions executed, in order', async () => {
    const prog = assemble([ins(LD | W | ABS, 4), ins(JMP | JEQ | K, 0xc000003e, 1, 0), ins(RET | K, 0), ins(LD | W | ABS, 0),
      ins(JMP | JEQ | K, 59, 0, 1), ins(RET | K, ERRNO(1)), ins(RET | K, ALLOW)]);
    expect(await simulate(prog, opts(59))).toMatchObject({ data: 1, insns: 5, path: [0, 1, 3, 4, 5] });
    expect(await simulate(prog, opts(60))).toMatchObject({ action: 'allow', insns: 5, path: [0, 1, 3, 4, 6] });
    expect(await simulate(prog, opts(59, 'i386'))).toMatchObject({ action: 'kill-thread', insns: 3, path: [0, 1, 2] });
    const ja = assemble([ins(JMP | JA, 2), ins(RET | K, ERRNO(1)), ins(RET | K, ERRNO(2)), ins(RET | K, ERRNO(3))]);
    expect((await simulate(ja, opts(0))).path).toEqual([0, 3]);
    // Without the option there is no path: the plain run records nothing.
    expect(await simulate(prog, { arch: 'x86_64', nr: 59 })).not.toHaveProperty('path');
  });

  test('compiled policies: as many steps as instructions counted, from 0 to a RET, each a legal successor', async () => {
    const policy = 'read: 1\nwrite: arg0 == 1 || arg0 == 2\nioctl: arg1 == TCGETS || arg1 == TIOCGWINSZ\n' +
      'mmap: arg2 in ~PROT_EXEC\nprctl: arg0 >= 0x10 && arg0 <= 0x20\nexit_group: 1\n';
    const values = [0n, 1n, 2n, 4n, 0x10n, 0x21n, 0x5401n, 0x5413n, 0xffffffffn, 1n << 32n, (1n << 64n) - 1n];
    let runs = 0;
    for (const arch of ['x86_64', 'aarch64', 'i386']) {
      const c = await compilePolicy(policy, { arch });
      expect(c.ok).toBe(true);
      const filter = decodeProgram(c.program);
      for (const syscall of ['read', 'write', 'ioctl', 'mmap', 'prctl', 'exit_group', 'openat']) {
        for (const [i, v] of values.entries()) {
          const args = [v, values[(i + 3) % values.length], v, 0n, 0n, 0n].map((a) => (arch === 'i386' ? a & 0xffffffffn : a));
          const r = await simulate(c.program, { arch, syscall, args, trace: true });
          const path = r.path!;
          expect(path.length).toBe(r.insns);
          expect(path[0]).toBe(0);
          const last = filter[path[path.length - 1]];
          expect(last.code & 0x07).toBe(RET);
          if ((last.code & 0x18) === 0) expect(last.k >>> 0).toBe(r.ret);
          for (let s = 0; s + 1 < path.length; s++) {
            const { code, jt, jf, k } = filter[path[s]];
            const at = path[s] + 1;
            const next = (code & 0x07) !== JMP ? [at] : (code & 0xf0) === JA ? [at + k] : [at + jt, at + jf];
            expect(next).toContain(path[s + 1]);
          }
          // The traced run is the plain run: same verdict, same count.
          expect(await simulate(c.program, { arch, syscall, args })).toEqual({ action: r.action, data: r.data, insns: r.insns, ret: r.ret });
          runs++;
        }
      }
    }
    expect(runs).toBe(3 * 7 * values.length);
  });
});
