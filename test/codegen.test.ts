// Codegen by behaviour: random IRs (compileIRText, no front end, no syscall tables) are
// compiled, and the simulator's verdict on the emitted program is compared with a TypeScript
// reimplementation of the IR's meaning (wasm/assembly/ir.ts evalIR) on random and boundary
// inputs. Plus long jumps, the 4096 limit, 32-bit arches and two pinned listings.
import { loadCore, Core } from '../ts/policy/core';
import { atomHolds } from './helpers/ir-meaning';
import { seccompDataBytes } from './helpers/bpf';

const AUDIT = { x86_64: 0xc000003e, aarch64: 0xc00000b7, i386: 0x40000003, arm: 0x40000028 } as const;
type ArchName = keyof typeof AUDIT;
const BITS: Record<ArchName, number> = { x86_64: 64, aarch64: 64, i386: 32, arm: 32 };

const ALLOW = 0x7fff0000;
const KILL_PROCESS = 0x80000000;
const KILL_THREAD = 0;
const ERRNO = (n: number) => 0x00050000 | n;
const TRAP = 0x00030000;
const LOG = 0x7ffc0000;
const M64 = (1n << 64n) - 1n;

type Op = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&' | 'in';
interface Atom { arg: number; op: Op; value: bigint }
interface Rule { action: number; clauses: Atom[][] } // no clauses = unconditional
interface Sys { nr: number; weight?: number; rules: Rule[] }
interface IR { default: number; badArch: number; syscalls: Sys[] }

function irText(ir: IR): string {
  const out = [`default 0x${ir.default.toString(16)}`, `badarch 0x${ir.badArch.toString(16)}`];
  for (const s of ir.syscalls) {
    out.push(`sys ${s.nr >>> 0}${s.weight !== undefined ? ' ' + s.weight : ''}`);
    for (const r of s.rules) {
      out.push(`rule 0x${(r.action >>> 0).toString(16)}`);
      for (const c of r.clauses) out.push('clause ' + c.map((a) => `${a.arg} ${a.op} 0x${a.value.toString(16)}`).join(' '));
    }
  }
  return out.join('\n') + '\n';
}

/** The reference meaning (ir.ts evalIR), in BigInt. */
function evalIR(ir: IR, arch: ArchName, inArch: number, nr: number, args: bigint[]): number {
  if (inArch >>> 0 !== AUDIT[arch]) return ir.badArch >>> 0;
  if (arch === 'x86_64' && (nr & 0x40000000) !== 0) return ir.badArch >>> 0;
  const bits = BITS[arch];
  const sc = ir.syscalls.find((s) => s.nr >>> 0 === nr >>> 0);
  if (!sc) return ir.default >>> 0;
  for (const r of sc.rules) {
    if (r.clauses.length === 0) return r.action >>> 0;
    for (const c of r.clauses) if (c.every((a) => atomHolds(a.op, a.value, args[a.arg], bits))) return r.action >>> 0;
  }
  return ir.default >>> 0;
}

interface Compiled { ok: boolean; program: string; insns: number; diagnostics: { code: number; message: string }[] }

function compileIR(core: Core, ir: IR, arch: ArchName): Compiled {
  return JSON.parse(core.compileIRText(irText(ir), arch));
}

interface Sim { ok: boolean; ret: number; action: string; data: number; insns: number; error?: string }

function run(core: Core, program: Uint8Array, arch: number, nr: number, args: bigint[]): Sim {
  return JSON.parse(core.simulate(program, seccompDataBytes(nr, arch, args)));
}

// A small deterministic PRNG so failures reproduce.
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  return {
    int: (n: number) => next() % n,
    pick: <T>(l: readonly T[]): T => l[next() % l.length],
    chance: (p: number) => next() / 0x100000000 < p,
    u64: () => (BigInt(next()) << 32n) | BigInt(next()),
  };
}

const OPS: Op[] = ['==', '!=', '<', '<=', '>', '>=', '&', 'in'];
const ACTIONS = [ALLOW, ALLOW, ALLOW, KILL_PROCESS, KILL_THREAD, ERRNO(1), ERRNO(38), TRAP, LOG];

function randomIR(r: ReturnType<typeof rng>, opts: { maxSys?: number; wideNr?: boolean } = {}): IR {
  const pool: bigint[] = [0n, 1n, 2n, 3n, 4n, 5n, 8n, 0x10n, 0xffn, 0xfffffffen, 0xffffffffn, 1n << 32n, (1n << 32n) | 5n,
    0xffffffff00000000n, M64, M64 - 1n, 0x80000000n, 0x7fffffffn];
  for (let i = 0; i < 4; i++) pool.push(r.u64() & (r.chance(0.5) ? 0xffffffffn : M64));
  const nrs = new Set<number>();
  const nSys = 1 + r.int(opts.maxSys ?? 10);
  while (nrs.size < nSys) {
    if (opts.wideNr && r.chance(0.2)) nrs.add(r.pick([0x3fffffff, 0x40000000, 0x40000005, 0x7fffffff, 0x80000000, 0xbfffffff, 0xc0000000, 0xffffffff]));
    else nrs.add(r.int(40));
  }
  const syscalls: Sys[] = [...nrs].sort((a, b) => a - b).map((nr) => {
    const rules: Rule[] = [];
    const nRules = r.int(4);
    for (let i = 0; i < nRules; i++) {
      const clauses: Atom[][] = [];
      if (!r.chance(0.15)) {
        const nClauses = 1 + r.int(3);
        for (let c = 0; c < nClauses; c++) {
          const atoms: Atom[] = [];
          const nAtoms = 1 + r.int(3);
          for (let a = 0; a < nAtoms; a++) atoms.push({ arg: r.int(3), op: r.pick(OPS), value: r.pick(pool) });
          clauses.push(atoms);
        }
      }
      rules.push({ action: r.pick(ACTIONS), clauses });
    }
    if (rules.length === 0 || r.chance(0.3)) rules.push({ action: r.pick(ACTIONS), clauses: [] });
    return { nr, rules, weight: r.chance(0.2) ? 1 + r.int(50) : undefined };
  });
  return { default: r.pick([KILL_PROCESS, ERRNO(1), KILL_THREAD, ALLOW]), badArch: r.pick([KILL_PROCESS, KILL_THREAD, ERRNO(13)]), syscalls };
}

/** Argument values around every constant the IR compares with. */
function boundaryValues(ir: IR): bigint[] {
  const vals = new Set<bigint>([0n, 1n, 0xffffffffn, 1n << 32n, M64]);
  for (const s of ir.syscalls) for (const rl of s.rules) for (const c of rl.clauses) for (const a of c) {
    const v = a.value;
    for (const x of [v, v - 1n, v + 1n, v ^ 0xffffffffn, v | (1n << 32n), (v & 0xffffffffn) << 32n, v & 0xffffffffn, ~v]) vals.add(BigInt.asUintN(64, x));
  }
  return [...vals];
}

function check(core: Core, ir: IR, arch: ArchName, r: ReturnType<typeof rng>, samples: number): number {
  const res = compileIR(core, ir, arch);
  if (!res.ok) throw new Error(`compile failed: ${JSON.stringify(res.diagnostics)}\n${irText(ir)}`);
  const prog = Buffer.from(res.program, 'hex');
  const vals = boundaryValues(ir);
  const nrs = [...ir.syscalls.map((s) => s.nr >>> 0), 0, 1, 39, 40, 1000, 0x40000000, 0x40000001, 0x7fffffff, 0x80000000, 0xc0000000, 0xffffffff];
  let checked = 0;
  for (let i = 0; i < samples; i++) {
    const nr = r.pick(nrs);
    const inArch = r.chance(0.05) ? r.pick([AUDIT.x86_64, AUDIT.i386, AUDIT.aarch64, 0]) : AUDIT[arch];
    const args = [0n, 0n, 0n, 0n, 0n, 0n];
    const nVary = 1 + r.int(3);
    for (let k = 0; k < nVary; k++) args[r.int(3)] = r.chance(0.9) ? r.pick(vals) : r.u64();
    const want = evalIR(ir, arch, inArch, nr, args);
    const got = run(core, prog, inArch, nr, args);
    if (!got.ok || got.ret >>> 0 !== want) {
      throw new Error(`mismatch on ${arch} nr=${nr} arch=0x${inArch.toString(16)} args=${args.map((a) => '0x' + a.toString(16))}: ` +
        `want 0x${want.toString(16)} got ${JSON.stringify(got)}\n${irText(ir)}\n${core.disassemble(prog, '')}`);
    }
    checked++;
  }
  return checked;
}

let core: Core;
beforeAll(async () => { core = await loadCore(); });

describe('codegen matches the IR meaning', () => {
  for (const arch of ['x86_64', 'aarch64', 'i386', 'arm'] as ArchName[]) {
    test(`random IRs on ${arch}`, () => {
      const r = rng(arch.length * 7919 + 17);
      let n = 0;
      for (let i = 0; i < 150; i++) n += check(core, randomIR(r, { wideNr: i % 3 === 0 }), arch, r, 300);
      expect(n).toBe(150 * 300);
    });
  }

  test('exhaustive boundary inputs on small IRs (x86_64)', () => {
    const r = rng(4242);
    for (let i = 0; i < 40; i++) {
      const ir = randomIR(r, { maxSys: 3 });
      const res = compileIR(core, ir, 'x86_64');
      expect(res.ok).toBe(true);
      const prog = Buffer.from(res.program, 'hex');
      const vals = boundaryValues(ir);
      for (const s of ir.syscalls) for (let arg = 0; arg < 3; arg++) for (const v of vals) {
        const args = [0n, 0n, 0n, 0n, 0n, 0n];
        args[arg] = v;
        const want = evalIR(ir, 'x86_64', AUDIT.x86_64, s.nr, args);
        const got = run(core, prog, AUDIT.x86_64, s.nr, args);
        if (got.ret >>> 0 !== want) throw new Error(`nr ${s.nr} arg${arg}=0x${v.toString(16)}: want ${want} got ${JSON.stringify(got)}\n${irText(ir)}`);
      }
    }
  });
});

describe('arch and x32 checks', () => {
  const ir: IR = { default: ERRNO(1), badArch: KILL_THREAD, syscalls: [{ nr: 0, rules: [{ action: ALLOW, clauses: [] }] }] };
  test('a foreign arch gets the bad-arch action', () => {
    const prog = Buffer.from(compileIR(core, ir, 'x86_64').program, 'hex');
    expect(run(core, prog, AUDIT.i386, 0, []).ret).toBe(KILL_THREAD);
    expect(run(core, prog, AUDIT.x86_64, 0, []).ret).toBe(ALLOW);
  });
  test('x86_64 rejects x32 numbers, other arches do not', () => {
    const x = Buffer.from(compileIR(core, ir, 'x86_64').program, 'hex');
    for (const nr of [0x40000000, 0x40000000 | 0, 0x40000001, 0x7fffffff, 0xc0000000, 0xffffffff]) {
      expect(run(core, x, AUDIT.x86_64, nr, []).ret).toBe(KILL_THREAD);
    }
    expect(run(core, x, AUDIT.x86_64, 0x80000000, []).ret).toBe(ERRNO(1));
    const a = Buffer.from(compileIR(core, ir, 'aarch64').program, 'hex');
    expect(run(core, a, AUDIT.aarch64, 0x40000000, []).ret).toBe(ERRNO(1));
  });
  test('an unconditional call is reached without loading arguments', () => {
    const prog = Buffer.from(compileIR(core, ir, 'x86_64').program, 'hex');
    // A = arch; JEQ; A = nr; one comparison at most; RET.
    expect(run(core, prog, AUDIT.x86_64, 0, []).insns).toBeLessThanOrEqual(5);
    expect(core.disassemble(prog, '')).not.toMatch(/args\[/);
  });
});

describe('32-bit arches compare only the low word', () => {
  test('high bits of an argument are ignored', () => {
    const ir: IR = { default: KILL_PROCESS, badArch: KILL_PROCESS, syscalls: [
      { nr: 3, rules: [{ action: ALLOW, clauses: [[{ arg: 0, op: '==', value: 5n }], [{ arg: 1, op: '>', value: 0xfffffff0n }]] }] },
    ] };
    for (const arch of ['i386', 'arm'] as ArchName[]) {
      const res = compileIR(core, ir, arch);
      const prog = Buffer.from(res.program, 'hex');
      expect(core.disassemble(prog, '')).not.toMatch(/\.hi/);
      expect(run(core, prog, AUDIT[arch], 3, [5n | (7n << 32n)]).ret).toBe(ALLOW);
      expect(run(core, prog, AUDIT[arch], 3, [6n]).ret).toBe(KILL_PROCESS);
      expect(run(core, prog, AUDIT[arch], 3, [0n, 0xfffffff1n]).ret).toBe(ALLOW);
      expect(run(core, prog, AUDIT[arch], 3, [0n, 1n << 32n]).ret).toBe(KILL_PROCESS);
    }
    const res64 = compileIR(core, ir, 'x86_64');
    const p64 = Buffer.from(res64.program, 'hex');
    expect(run(core, p64, AUDIT.x86_64, 3, [5n | (7n << 32n)]).ret).toBe(KILL_PROCESS);
    expect(run(core, p64, AUDIT.x86_64, 3, [0n, 1n << 32n]).ret).toBe(ALLOW);
  });
});

describe('long jumps and the size limit', () => {
  test('300+ syscalls with distinct conditional rules (jumps beyond 255)', () => {
    const syscalls: Sys[] = [];
    for (let nr = 0; nr < 320; nr++) {
      syscalls.push({ nr, rules: [{ action: nr % 3 === 0 ? ERRNO(nr % 100) : ALLOW, clauses: [[{ arg: nr % 3, op: '==', value: BigInt(nr * 7 + 3) }], [{ arg: 1, op: '&', value: BigInt(1 << (nr % 20)) << 32n }]] }] });
    }
    const ir: IR = { default: KILL_PROCESS, badArch: KILL_THREAD, syscalls };
    const res = compileIR(core, ir, 'x86_64');
    expect(res.ok).toBe(true);
    expect(res.insns).toBeGreaterThan(600);
    const prog = Buffer.from(res.program, 'hex');
    // Some conditional jump target would be >255 away without trampolines: there is a JA or
    // a duplicated RET; check behaviour everywhere.
    for (let nr = 0; nr < 330; nr++) {
      for (const args of [[0n, 0n, 0n], [BigInt(nr * 7 + 3), BigInt(nr * 7 + 3), BigInt(nr * 7 + 3)], [0n, BigInt(1 << (nr % 20)) << 32n, 0n]]) {
        const want = evalIR(ir, 'x86_64', AUDIT.x86_64, nr, args);
        expect(run(core, prog, AUDIT.x86_64, nr, args).ret >>> 0).toBe(want);
      }
    }
  });

  test('dispatch over hundreds of ranges (windowed DP and weight-balanced splits)', () => {
    for (const count of [100, 460]) {
      const syscalls: Sys[] = [];
      for (let nr = 0; nr < count; nr++) {
        if (nr % 5 === 4) continue; // gaps with the default action
        syscalls.push({ nr: nr * 2, rules: [{ action: [ALLOW, ERRNO(nr % 7), TRAP][nr % 3], clauses: [] }], weight: nr % 11 === 0 ? 20 : undefined });
      }
      const ir: IR = { default: KILL_PROCESS, badArch: KILL_THREAD, syscalls };
      const res = compileIR(core, ir, 'x86_64');
      expect(res.ok).toBe(true);
      const prog = Buffer.from(res.program, 'hex');
      for (let nr = 0; nr < 2 * count + 3; nr++) {
        expect(run(core, prog, AUDIT.x86_64, nr, []).ret >>> 0).toBe(evalIR(ir, 'x86_64', AUDIT.x86_64, nr, []));
      }
    }
  });

  test('trampolines appear when a target is far away', () => {
    // One syscall whose rejection path is far from a big argument block.
    const clauses: Atom[][] = [];
    for (let i = 0; i < 400; i++) clauses.push([{ arg: 0, op: '==', value: BigInt(i * 3) }, { arg: 1, op: '&', value: BigInt(i + 1) }]);
    const ir: IR = { default: KILL_PROCESS, badArch: KILL_THREAD, syscalls: [{ nr: 1, rules: [{ action: ALLOW, clauses }] }, { nr: 2, rules: [{ action: ERRNO(3), clauses: [] }] }] };
    const res = compileIR(core, ir, 'x86_64');
    expect(res.ok).toBe(true);
    const prog = Buffer.from(res.program, 'hex');
    const r = rng(99);
    for (let i = 0; i < 2000; i++) {
      const nr = r.pick([0, 1, 2, 3]);
      const args = [BigInt(r.int(1300)), BigInt(r.int(600)), 0n];
      if (r.chance(0.1)) args[0] |= 1n << 32n;
      expect(run(core, prog, AUDIT.x86_64, nr, args).ret >>> 0).toBe(evalIR(ir, 'x86_64', AUDIT.x86_64, nr, args));
    }
  });

  test('a program over 4096 instructions is an error with the count', () => {
    const syscalls: Sys[] = [];
    for (let nr = 0; nr < 450; nr++) {
      const clauses: Atom[][] = [];
      for (let i = 0; i < 6; i++) clauses.push([{ arg: i % 6, op: '&', value: BigInt(nr * 13 + i) << 20n }, { arg: (i + 1) % 6, op: '==', value: BigInt(nr * 31 + i) }]);
      syscalls.push({ nr, rules: [{ action: ALLOW, clauses }] });
    }
    const res = compileIR(core, { default: KILL_PROCESS, badArch: KILL_PROCESS, syscalls }, 'x86_64');
    expect(res.ok).toBe(false);
    expect(res.diagnostics[0].code).toBe(4001);
    const m = /the program has (\d+) instructions/.exec(res.diagnostics[0].message);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(4096);
  });

  test('huge rule lists never trap and stay correct (budget fallbacks)', () => {
    // Clauses whose lowering multiplies out (64-bit != and < on many args), and thousands of atoms.
    const big: Atom[] = [];
    for (let i = 0; i < 12; i++) big.push({ arg: i % 6, op: i % 2 ? '!=' : '<', value: (BigInt(i + 1) << 32n) | 7n });
    const many: Atom[][] = [];
    for (let i = 0; i < 3000; i++) many.push([{ arg: i % 6, op: '==', value: BigInt(i) }]);
    const ir: IR = { default: ERRNO(1), badArch: KILL_PROCESS, syscalls: [
      { nr: 5, rules: [{ action: ALLOW, clauses: [big] }] },
      { nr: 6, rules: [{ action: ALLOW, clauses: many }] },
    ] };
    const res = compileIR(core, ir, 'x86_64');
    // Either it fits or it is a clean size error; never a trap.
    if (res.ok) {
      const prog = Buffer.from(res.program, 'hex');
      const r = rng(5);
      for (let i = 0; i < 500; i++) {
        const args = [0, 1, 2, 3, 4, 5].map(() => r.chance(0.5) ? BigInt(r.int(3000)) : r.u64());
        const nr = r.pick([5, 6]);
        expect(run(core, prog, AUDIT.x86_64, nr, args).ret >>> 0).toBe(evalIR(ir, 'x86_64', AUDIT.x86_64, nr, args));
      }
    } else {
      expect(res.diagnostics[0].code).toBe(4001);
    }
    const only5 = compileIR(core, { ...ir, syscalls: [ir.syscalls[0]] }, 'x86_64');
    expect(only5.ok).toBe(true);
    const p5 = Buffer.from(only5.program, 'hex');
    const r = rng(6);
    for (let i = 0; i < 500; i++) {
      const args = [0, 1, 2, 3, 4, 5].map(() => r.pick([0n, 7n, 1n << 32n, (1n << 32n) | 7n, (2n << 32n) | 7n, (3n << 32n) | 6n, r.u64()]));
      expect(run(core, p5, AUDIT.x86_64, 5, args).ret >>> 0).toBe(evalIR(ir, 'x86_64', AUDIT.x86_64, 5, args));
    }
  });
});

describe('optimizations', () => {
  test('identical argument blocks are shared and there is one RET per action', () => {
    const rule = { action: ALLOW, clauses: [[{ arg: 0, op: '==' as Op, value: 1n }], [{ arg: 0, op: '==' as Op, value: 2n }]] };
    const one = compileIR(core, { default: KILL_PROCESS, badArch: KILL_PROCESS, syscalls: [{ nr: 3, rules: [rule] }] }, 'x86_64');
    const many = compileIR(core, { default: KILL_PROCESS, badArch: KILL_PROCESS, syscalls: [3, 10, 20, 30].map((nr) => ({ nr, rules: [rule] })) }, 'x86_64');
    // Three more dispatch comparisons at most, no copy of the argument block.
    expect(many.insns - one.insns).toBeLessThanOrEqual(4);
    const listing = core.disassemble(Buffer.from(many.program, 'hex'), '');
    expect(listing.match(/return ALLOW/g)!.length).toBe(1);
    expect(listing.match(/return KILL_PROCESS/g)!.length).toBe(1);
  });

  test('a long equality list is a search, not a chain', () => {
    const clauses: Atom[][] = [];
    for (let i = 0; i < 64; i++) clauses.push([{ arg: 1, op: '==', value: BigInt(0x5400 + 3 * i) }]);
    const ir: IR = { default: KILL_PROCESS, badArch: KILL_PROCESS, syscalls: [{ nr: 16, rules: [{ action: ALLOW, clauses }] }] };
    const prog = Buffer.from(compileIR(core, ir, 'x86_64').program, 'hex');
    let worst = 0;
    for (let i = 0; i < 64; i++) worst = Math.max(worst, run(core, prog, AUDIT.x86_64, 16, [0n, BigInt(0x5400 + 3 * i)]).insns);
    // 3 (arch, nr) + dispatch + load + ~log2(129) comparisons + hi word check + RET.
    expect(worst).toBeLessThanOrEqual(18);
  });

  test('A is not reloaded between tests of the same word', () => {
    const ir: IR = { default: KILL_PROCESS, badArch: KILL_PROCESS, syscalls: [{ nr: 9, rules: [{ action: ALLOW, clauses: [[{ arg: 2, op: 'in', value: ~4n & M64 }, { arg: 2, op: '&', value: 1n }]] }] }] };
    const listing = core.disassemble(Buffer.from(compileIR(core, ir, 'x86_64').program, 'hex'), '');
    expect(listing.match(/A = args\[2\]\.lo/g)!.length).toBe(1);
    expect(listing).not.toMatch(/args\[2\]\.hi/);
  });
});

describe('dispatch weights: the built-in syscall-frequency prior', () => {
  // The same names on both arches: four calls real programs make all the time, twelve that
  // a sandboxed program rarely makes (none of them in the prior's recordings).
  const HOT = { x86_64: [0, 3, 257, 262], aarch64: [63, 57, 56, 79] }; // read close openat newfstatat
  const COLD = { // pivot_root swapon swapoff reboot sethostname setdomainname kexec_load init_module delete_module acct settimeofday mount
    x86_64: [155, 167, 168, 169, 170, 171, 246, 175, 176, 163, 164, 165],
    aarch64: [41, 224, 225, 142, 161, 162, 104, 105, 106, 89, 170, 40],
  };
  const allowAll = (nrs: number[], weight?: (nr: number) => number | undefined): IR => ({
    default: KILL_PROCESS, badArch: KILL_PROCESS,
    syscalls: nrs.map((nr) => ({ nr, weight: weight?.(nr), rules: [{ action: ALLOW, clauses: [] }] })),
  });
  const pathSum = (prog: Uint8Array, arch: 'x86_64' | 'aarch64', nrs: number[]) =>
    nrs.reduce((sum, nr) => {
      const r = run(core, prog, AUDIT[arch], nr, []);
      expect(r.action).toBe('allow');
      return sum + r.insns;
    }, 0);

  test.each(['x86_64', 'aarch64'] as const)('%s: without @frequency, the calls programs make often are reached sooner than under equal weights', (arch) => {
    const nrs = [...HOT[arch], ...COLD[arch]];
    const withPrior = Buffer.from(compileIR(core, allowAll(nrs), arch).program, 'hex');
    // Equal counts other than 1 are @frequency data: they replace the prior.
    const equal = Buffer.from(compileIR(core, allowAll(nrs, () => 5), arch).program, 'hex');
    expect(pathSum(withPrior, arch, HOT[arch])).toBeLessThan(pathSum(equal, arch, HOT[arch]));
    // The trade: the rare calls pay for it.
    expect(pathSum(withPrior, arch, COLD[arch])).toBeGreaterThanOrEqual(pathSum(equal, arch, COLD[arch]));
  });

  test('@frequency overrides the prior: a rare call counted as hot gets the shortest path', () => {
    const nrs = [...HOT.x86_64, ...COLD.x86_64];
    const insns = (prog: Uint8Array, nr: number) => run(core, prog, AUDIT.x86_64, nr, []).insns;
    const withPrior = Buffer.from(compileIR(core, allowAll(nrs), 'x86_64').program, 'hex');
    const counted = Buffer.from(compileIR(core, allowAll(nrs, (nr) => (nr === 155 ? 1000 : undefined)), 'x86_64').program, 'hex');
    expect(insns(counted, 155)).toBeLessThan(insns(withPrior, 155));
    for (const nr of nrs) expect(insns(counted, 155)).toBeLessThanOrEqual(insns(counted, nr));
  });
});

describe('pinned listings', () => {
  test('allow one call unconditionally, errno for another (x86_64)', () => {
    const ir: IR = { default: KILL_PROCESS, badArch: KILL_PROCESS, syscalls: [
      { nr: 0, rules: [{ action: ALLOW, clauses: [] }] },
      { nr: 2, rules: [{ action: ERRNO(38), clauses: [] }] },
    ] };
    expect(core.disassemble(Buffer.from(compileIR(core, ir, 'x86_64').program, 'hex'), '')).toBe([
      ' line  CODE  JT   JF      K',
      '=================================',
      ' 0000: 0x20 0x00 0x00 0x00000004    A = arch',
      ' 0001: 0x15 0x00 0x04 0xc000003e    if (A != AUDIT_ARCH_X86_64) goto 0006',
      ' 0002: 0x20 0x00 0x00 0x00000000    A = nr',
      ' 0003: 0x35 0x01 0x00 0x00000001    if (A >= 1) goto 0005',
      ' 0004: 0x06 0x00 0x00 0x7fff0000    return ALLOW',
      'L0005: 0x15 0x01 0x00 0x00000002    if (A == 2) goto 0007',
      'L0006: 0x06 0x00 0x00 0x80000000    return KILL_PROCESS',
      'L0007: 0x06 0x00 0x00 0x00050026    return ERRNO(38)',
      '',
    ].join('\n'));
  });

  test('argument checks: a mask test, an equality search, a shared high-word check (x86_64)', () => {
    const ir: IR = { default: KILL_PROCESS, badArch: KILL_THREAD, syscalls: [
      { nr: 9, rules: [{ action: ALLOW, clauses: [[{ arg: 2, op: 'in', value: 0xfffffffffffffffbn }]] }] },
      { nr: 16, rules: [{ action: ALLOW, clauses: [[{ arg: 1, op: '==', value: 0x5401n }], [{ arg: 1, op: '==', value: 0x5413n }],
        [{ arg: 0, op: '==', value: 2n }, { arg: 1, op: '==', value: 0x541bn }]] }] },
    ] };
    expect(core.disassemble(Buffer.from(compileIR(core, ir, 'x86_64').program, 'hex'), '')).toBe([
      ' line  CODE  JT   JF      K',
      '=================================',
      ' 0000: 0x20 0x00 0x00 0x00000004    A = arch',
      ' 0001: 0x15 0x00 0x15 0xc000003e    if (A != AUDIT_ARCH_X86_64) goto 0023',
      ' 0002: 0x20 0x00 0x00 0x00000000    A = nr',
      ' 0003: 0x35 0x03 0x00 0x00000010    if (A >= 16) goto 0007',
      ' 0004: 0x15 0x00 0x11 0x00000009    if (A != 9) goto 0022',
      ' 0005: 0x20 0x00 0x00 0x00000020    A = args[2].lo',
      ' 0006: 0x45 0x0f 0x0b 0x00000004    if (A & 0x4) goto 0022 else goto 0018',
      'L0007: 0x35 0x0b 0x00 0x00000011    if (A >= 17) goto 0019',
      ' 0008: 0x20 0x00 0x00 0x00000018    A = args[1].lo',
      ' 0009: 0x15 0x06 0x00 0x00005401    if (A == 0x5401) goto 0016',
      ' 0010: 0x15 0x05 0x00 0x00005413    if (A == 0x5413) goto 0016',
      ' 0011: 0x15 0x00 0x0a 0x0000541b    if (A != 0x541b) goto 0022',
      ' 0012: 0x20 0x00 0x00 0x00000010    A = args[0].lo',
      ' 0013: 0x15 0x00 0x08 0x00000002    if (A != 0x2) goto 0022',
      ' 0014: 0x20 0x00 0x00 0x00000014    A = args[0].hi',
      ' 0015: 0x35 0x06 0x00 0x00000001    if (A >= 0x1) goto 0022',
      'L0016: 0x20 0x00 0x00 0x0000001c    A = args[1].hi',
      ' 0017: 0x35 0x04 0x00 0x00000001    if (A >= 0x1) goto 0022',
      'L0018: 0x06 0x00 0x00 0x7fff0000    return ALLOW',
      'L0019: 0x35 0x01 0x00 0x80000000    if (A >= 0x80000000) goto 0021',
      ' 0020: 0x35 0x02 0x01 0x40000000    if (A >= 0x40000000) goto 0023 else goto 0022',
      'L0021: 0x35 0x01 0x00 0xc0000000    if (A >= 0xc0000000) goto 0023',
      'L0022: 0x06 0x00 0x00 0x80000000    return KILL_PROCESS',
      'L0023: 0x06 0x00 0x00 0x00000000    return KILL_THREAD',
      '',
    ].join('\n'));
  });
});

describe('robustness', () => {
  test.each([
    // Far over the 4096 limit today (1200 atoms already make 6709 instructions): the point is
    // that the compiler neither traps nor overflows its stack, so a clean size error passes.
    [5000, 'compiles, or is a clean size error'],
    // Small enough to fit, so the behaviour check below always runs.
    [600, 'compiles'],
  ])('a clause with %i atoms %s, without exhausting the stack', (n, _outcome) => {
    const atoms: Atom[] = [];
    for (let i = 0; i < n; i++) atoms.push({ arg: i % 6, op: i % 3 === 0 ? '!=' : '<=', value: BigInt(1000000 + i) });
    const ir: IR = { default: ERRNO(1), badArch: KILL_PROCESS, syscalls: [{ nr: 7, rules: [{ action: ALLOW, clauses: [atoms] }] }] };
    const res = compileIR(core, ir, 'x86_64');
    if (n === 5000 && !res.ok) {
      expect(res.diagnostics[0].code).toBe(4001);
      return;
    }
    expect(res.diagnostics).toEqual([]);
    expect(res.ok).toBe(true);
    const prog = Buffer.from(res.program, 'hex');
    const hit = [0n, 3n].map((k) => 1000000n + k); // values some `!=` atom rejects
    for (const args of [[0n, 0n, 0n, 0n, 0n, 0n], [1000000n, 0n, 0n, 0n, 0n, 0n], [5n, 5n, 5n, 5n, 5n, 5n], [1n << 40n, 0n, 0n, 0n, 0n, 0n],
      [hit[0], 0n, 0n, 0n, 0n, 0n], [0n, 0n, 0n, hit[1], 0n, 0n], [1n, 1n, 1n, 1n, 1n, 1n]]) {
      expect(run(core, prog, AUDIT.x86_64, 7, args).ret >>> 0).toBe(evalIR(ir, 'x86_64', AUDIT.x86_64, 7, args));
    }
  });

  test('a decision deeper than the recursion bound falls back to linear code', () => {
    // 384 single-bit `in` masks: each needs its own JSET on the path, past the depth bound.
    const atoms: Atom[] = [];
    for (let arg = 0; arg < 6; arg++) for (let b = 0n; b < 64n; b++) atoms.push({ arg, op: 'in', value: ~(1n << b) & M64 });
    const ir: IR = { default: ERRNO(1), badArch: KILL_PROCESS, syscalls: [{ nr: 7, rules: [{ action: ALLOW, clauses: [atoms] }] }] };
    const res = compileIR(core, ir, 'x86_64');
    expect(res.ok).toBe(true);
    const prog = Buffer.from(res.program, 'hex');
    const r = rng(77);
    for (let i = 0; i < 300; i++) {
      const args = [0, 1, 2, 3, 4, 5].map(() => (r.chance(0.7) ? 0n : 1n << BigInt(r.int(64))));
      expect(run(core, prog, AUDIT.x86_64, 7, args).ret >>> 0).toBe(evalIR(ir, 'x86_64', AUDIT.x86_64, 7, args));
    }
  });
});
