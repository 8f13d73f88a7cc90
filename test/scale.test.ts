// No cliffs in the code generator: searches over thousands of argument values compile to
// small programs with short paths, are proven equal to their policy, and a child loading
// the filter gets allow and deny right. Sizes and times are reported by `npm run bench`
// (part "scale"); the bounds here are the targets on instruction counts, which are
// exact, never on time.
import { compilePolicy } from '../ts/policy';
import { loadCore } from '../ts/policy/core';
import { seccompDataBytes } from './helpers/bpf';
import { oracleUnavailable, runOracle, outcomeKey } from './helpers/oracle';
import { consecutive, random32, scaleCases } from './helpers/scale-cases';

const AUDIT_X86_64 = 0xc000003e;
const READ = 0;
const KILL_PROCESS = 0x80000000;
const ALLOW = 0x7fff0000;

interface Checked { insns: number; worst: number; program: Uint8Array }

/** Compiles with verification, checks every member allowed and every other value killed in the simulator; the worst path over them. */
async function compileAndCheck(text: string, members: bigint[], others: bigint[]): Promise<Checked> {
  const r = await compilePolicy(text, { arch: 'x86_64', path: 'scale.policy', verify: true });
  expect(r.diagnostics.map((d) => d.formatted)).toEqual([]);
  expect(r.ok).toBe(true);
  expect(r.insns).toBeLessThanOrEqual(4096);
  const core = await loadCore();
  let worst = 0;
  const bad: string[] = [];
  for (const [values, want] of [[members, ALLOW], [others, KILL_PROCESS]] as const) {
    for (const v of values) {
      const s = JSON.parse(core.simulate(r.program, seccompDataBytes(READ, AUDIT_X86_64, [v])));
      if (s.ret >>> 0 !== want && bad.length < 5) bad.push(`arg0 0x${v.toString(16)}: 0x${(s.ret >>> 0).toString(16)}`);
      worst = Math.max(worst, s.insns);
    }
  }
  expect(bad).toEqual([]);
  return { insns: r.insns, worst, program: r.program };
}

describe('scale: argument-value searches', () => {
  const skipKernel = oracleUnavailable();

  test('400 equalities on 0..399 are one range: at most 12 instructions', async () => {
    const c = consecutive(400);
    const { insns } = await compileAndCheck(c.text, c.members, c.others);
    expect(insns).toBeLessThanOrEqual(12);
  });

  test('1,000 equalities on random 32-bit values: a search with a worst path under 30, well below the kernel limit, and the kernel agrees', async () => {
    const c = random32(1000);
    const { insns, worst, program } = await compileAndCheck(c.text, c.members, c.others);
    expect(worst).toBeLessThan(30);
    expect(insns).toBeLessThan(2048);
    if (skipKernel) { console.warn(`kernel check skipped: ${skipKernel}`); return; }
    // Every 5th member and every other value tried, through a real child that loaded the filter.
    const calls = [...c.members.filter((_, i) => i % 5 === 0).map((v) => ({ v, want: 'allow-class' })),
      ...c.others.map((v) => ({ v, want: 'kill-process' }))];
    const results = runOracle(program, calls.map(({ v }) => ({ nr: READ, args: [v] })));
    const wrong = calls.flatMap((k, i) => (outcomeKey(results[i]) === k.want ? [] : [`0x${k.v.toString(16)}: ${outcomeKey(results[i])}`]));
    expect(results.length).toBeGreaterThan(300);
    expect(wrong).toEqual([]);
  });

  test('every bench case (up to 10,000 terms) compiles, is proven, and allows exactly its values', async () => {
    for (const c of scaleCases()) {
      const { insns } = await compileAndCheck(c.text, c.members, c.others);
      expect({ name: c.name, fits: insns <= 4096 }).toEqual({ name: c.name, fits: true });
    }
  });
});
