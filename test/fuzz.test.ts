// Bounded fuzz run: random and mutated policies never trap, hang or crash the core, every
// diagnostic is located, and every program the core accepts is a valid filter the
// simulator can run. `npm run fuzz` runs the same loop longer (TSJAIL_FUZZ_CASES).
import { compilePolicy, simulate, syscallNames, syscallNumber, verifyPolicy } from '../ts/policy';
import { constantNames } from './helpers/constants';
import { Gen, rng } from './helpers/policygen';
import { diagnosticRangeProblems } from './helpers/ranges';
import { corpusMissing, corpusPolicies, corpusTest, readCorpus } from './helpers/corpus';

const CASES = Number(process.env.TSJAIL_FUZZ_CASES ?? 300);
const SEED = Number(process.env.TSJAIL_FUZZ_SEED ?? 20261128);
let okCount = 0;

function corpusSamples(): string[] {
  if (corpusMissing) return [];
  return corpusPolicies()
    .filter((p) => (p.manifestArch === 'x86_64' || p.manifestArch === 'unknown') && p.file.endsWith('.policy'))
    .filter((_, i) => i % 7 === 0)
    .map((p) => readCorpus(p.file));
}

async function checkOne(text: string, arch: string, label: string, mustCompile = false): Promise<void> {
  const files = { '/inc/a.policy': 'read: allow\n@include /inc/a.policy\n', '/inc/b.policy': 'write: return 1\n' };
  let r;
  try {
    r = await compilePolicy(text, { arch, path: '/inc/main.policy', files });
  } catch (e) {
    throw new Error(`${label}: the core failed on this input:\n${text}\n${(e as Error).message}`);
  }
  // A hang is caught by jest's test timeout; speed is measured by `npm run bench`, not here.
  for (const d of r.diagnostics) {
    expect(typeof d.code).toBe('number');
    if (d.file !== undefined) {
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.column).toBeGreaterThanOrEqual(1);
    }
  }
  // Every located diagnostic covers at least one character of its file, where it says.
  const problems = diagnosticRangeProblems(r.diagnostics, new Map([['/inc/main.policy', text], ...Object.entries(files)]));
  if (problems.length > 0) throw new Error(`${label}: bad ranges on:\n${text}\n${problems.join('\n')}`);
  if (r.ok) {
    okCount++;
    // Every program the fuzzer gets out of the compiler is proven equal to its policy.
    const v = await verifyPolicy(text, { arch, path: '/inc/main.policy', files, program: r.program });
    if (v.status !== 'proven') throw new Error(`${label}: verify says ${v.status} (${v.reason ?? ''}${v.counterexample ? JSON.stringify(v.counterexample, (_k, x) => (typeof x === 'bigint' ? x.toString(16) : x)) : ''}) on:\n${text}`);
    expect(r.insns).toBeGreaterThan(0);
    expect(r.insns).toBeLessThanOrEqual(4096);
    expect(r.program.length).toBe(r.insns * 8);
    for (const nr of [0, 1, 2, 3, 9, 16, 59, 231, 0x40000000]) {
      const s = await simulate(r.program, { arch, nr, args: [0, 1, 0xffffffff, -1, 2n ** 32n, 7] });
      expect(s.insns).toBeGreaterThan(0);
    }
  } else {
    expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
    if (mustCompile) throw new Error(`${label}: a valid policy did not compile (${r.diagnostics.map((d) => d.message).join('; ')}):\n${text}`);
  }
}

describe('fuzz', () => {
  let syscalls: string[] = [];
  let constants: string[] = [];
  beforeAll(async () => {
    syscalls = await syscallNames('x86_64');
    constants = await constantNames('x86_64');
  });

  test(`${CASES} generated policies`, async () => {
    const g = new Gen(rng(SEED), syscalls, constants);
    for (let i = 0; i < CASES; i++) {
      const arch = g.pick(['x86_64', 'x86_64', 'aarch64', 'arm', 'i386', 'riscv64']);
      await checkOne(g.policy(1 + g.int(25)), arch, `generated #${i} (seed ${SEED})`);
    }
  });

  test(`${CASES} generated valid policies (codegen and the verifier exercised)`, async () => {
    const g = new Gen(rng(SEED + 2), syscalls, constants);
    const arches = ['x86_64', 'aarch64', 'arm', 'i386', 'riscv64'] as const;
    const names = Object.fromEntries(await Promise.all(arches.map(async (a) => [a, await syscallNames(a)] as const)));
    // Aliases (arm's arm_sync_file_range and sync_file_range2) are one syscall: two rules
    // for it are a conflict the compiler rightly refuses, so a policy names each number once.
    const numbers = Object.fromEntries(await Promise.all(arches.map(async (a) => {
      const m = new Map<string, number>();
      for (const n of names[a]) m.set(n, (await syscallNumber(a, n))!);
      return [a, m] as const;
    })));
    const before = okCount;
    for (let i = 0; i < CASES; i++) {
      const arch = g.pick(arches);
      const bits = arch === 'arm' || arch === 'i386' ? 32 : 64;
      await checkOne(g.validPolicy(1 + g.int(40), names[arch], bits, (n) => numbers[arch].get(n)!), arch, `valid #${i} (seed ${SEED + 2})`, true);
    }
    expect(okCount - before).toBe(CASES);
  });

  corpusTest(`${CASES} mutated corpus policies`, async () => {
    const samples = corpusSamples();
    expect(samples.length).toBeGreaterThan(20);
    const g = new Gen(rng(SEED + 1), syscalls, constants);
    for (let i = 0; i < CASES; i++) {
      await checkOne(g.mutate(g.pick(samples)), 'x86_64', `mutated #${i} (seed ${SEED + 1})`);
    }
  });

  afterAll(() => { if (process.env.TSJAIL_FUZZ_STATS) console.log('compiled ok:', okCount); });

  test('pathological inputs', async () => {
    const big = Array.from({ length: 400 }, (_, i) => `${syscalls[i % syscalls.length]}: arg0 == ${i} || arg1 & ${i} || arg2 in ~${i}`).join('\n');
    const inputs = [
      '', '\n'.repeat(10000), ':'.repeat(5000), '{'.repeat(3000), '('.repeat(3000), '~'.repeat(3000),
      'read: ' + 'arg0 == 1 && '.repeat(2000) + 'arg0 == 1',
      'read: ' + Array.from({ length: 3000 }, (_, i) => `arg${i % 6} == ${i}`).join(' || '),
      big, '\\\n'.repeat(5000), '@include ' + '/x'.repeat(3000), 'read: return 99999999999999999999999',
      '\uffff\ud800read: allow', '#'.repeat(100000),
    ];
    for (const [i, t] of inputs.entries()) await checkOne(t, 'x86_64', `pathological #${i}`);
  });
});
