// The kernel agrees with the simulator: each x86_64 corpus policy is compiled by the core,
// loaded in real children by the seccomp oracle, and every syscall number (plus x32 numbers
// and argument values around every constant the program compares) must get exactly the
// outcome the simulator predicts (refined: ALLOW/LOG, TRACE data and USER_NOTIF told apart).
//
// `npm test` runs a deterministic slice (every SLICE_STEP-th policy, and fewer x32 numbers);
// `npm run sweep` (scripts/kernel-sweep.js) sets TSJAIL_KERNEL_SWEEP=full for all of them.

import { corpusMissing, corpusRequest, corpusRows } from './helpers/corpus';
import { loadCore, Core } from '../ts/policy/core';
import {
  AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, ExpectedOutcome, OracleCase, X32_SYSCALL_BIT, expectedFromSimulator, oracleUnavailable, outcomeKey,
  probeOracle, runOracle, seccompDataBytes,
} from './helpers/oracle';
import { argConstants, interestingValues } from './helpers/arg-values';

const FULL = process.env.TSJAIL_KERNEL_SWEEP === 'full';
const SLICE_STEP = Number(process.env.TSJAIL_KERNEL_SWEEP_STEP ?? (FULL ? 1 : 20));
/** x32 numbers tried: all of 0..547 (the x32 table ends at 547) in the sweep, a sample here. */
const X32_NUMBERS = FULL ? Array.from({ length: 548 }, (_, i) => i) : [0, 1, 2, 3, 39, 60, 231, 512, 520, 547];

function fromHex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

interface Check {
  c: OracleCase;
  expected: ExpectedOutcome;
  label: string;
}

function casesFor(core: Core, program: Uint8Array, maxNr: number, withI386: boolean): Check[] {
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const count = program.length / 8;
  const out: Check[] = [];
  const add = (nr: number, args: bigint[], label: string, i386 = false) => {
    const sim = JSON.parse(core.simulate(program, seccompDataBytes(nr, i386 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64, args)));
    if (!sim.ok) throw new Error(`simulate failed for ${label}: ${sim.error}`);
    out.push({ c: { nr: nr >>> 0, args, arch: i386 ? 'i386' : 'x86_64' }, expected: expectedFromSimulator(sim, true), label });
  };
  const zero = [0n, 0n, 0n, 0n, 0n, 0n];
  for (let nr = 0; nr <= maxNr + 1; nr++) {
    add(nr, zero, `nr ${nr}`);
    for (const [i, e] of argConstants(view, count, nr)) {
      if (i > 5) continue;
      for (const v of interestingValues(e)) {
        const args = zero.slice();
        args[i] = v;
        add(nr, args, `nr ${nr} arg${i}=0x${v.toString(16)}`);
      }
    }
  }
  for (const n of X32_NUMBERS) add((X32_SYSCALL_BIT | n) >>> 0, zero, `x32 nr ${n}`);
  // The foreign-arch path: i386 calls through int $0x80 (read, write, close, getpid, exit_group).
  if (withI386) for (const n of [3, 4, 6, 20, 252]) add(n, zero, `i386 nr ${n}`, true);
  return out;
}

const unavailable = oracleUnavailable();
/** Whether this kernel passes int $0x80 calls to seccomp (IA32 emulation). */
const i386 = unavailable ? false : probeOracle().i386;
const skipped = unavailable ?? corpusMissing;
const d = skipped ? describe.skip : describe;
if (skipped) test.skip(`kernel agrees with the simulator: ${skipped}`, () => undefined);
if (!skipped && !i386) test.skip('kernel agrees with the simulator on i386 int $0x80 calls: no IA32 emulation here', () => undefined);

d(`the kernel agrees with the simulator on x86_64 corpus policies${skipped ? ` [skipped: ${skipped}]` : ''}`, () => {
  const rows = skipped ? [] : corpusRows();
  const byFile = new Map(rows.map((r) => [r.file, r]));
  const policies = rows
    .filter((r) => r.arch === 'x86_64' && r.file.endsWith('.policy'))
    .map((r) => r.file)
    .sort();
  const slice = policies.filter((_, i) => i % SLICE_STEP === 0);

  let core: Core;
  let maxNr = 0;
  let checked = 0;
  const notCompiled: string[] = [];
  beforeAll(async () => {
    core = await loadCore();
    const table = core.syscallTable('x86_64');
    const nrs: number[] = table ? Object.values(JSON.parse(table) as Record<string, number>) : [];
    maxNr = nrs.length > 0 ? Math.max(...nrs) : 0;
  });

  test('the syscall table is there to enumerate', () => {
    expect(maxNr).toBeGreaterThan(400);
  });

  test('a program that differs from the simulated one is caught (the check can fail)', () => {
    const file = policies.find((f) => f.includes('crosvm/jail__seccomp__x86_64__') && !f.includes('common'))!;
    const res = JSON.parse(core.compile(corpusRequest(core, byFile.get(file)!, byFile), 'x86_64', 0, ''));
    expect(res.ok).toBe(true);
    const program = fromHex(res.program);
    const checks = casesFor(core, program, maxNr, i386);
    // Turn the last RET ALLOW into RET ERRNO|1 in the copy the kernel gets.
    const patched = program.slice();
    const view = new DataView(patched.buffer);
    let at = -1;
    for (let i = 0; i < patched.length / 8; i++) {
      if (view.getUint16(i * 8, true) === 0x06 && view.getUint32(i * 8 + 4, true) === 0x7fff0000) at = i;
    }
    expect(at).toBeGreaterThanOrEqual(0);
    view.setUint32(at * 8 + 4, 0x00050001, true);
    const kernel = runOracle(patched, checks.map((c) => c.c));
    const differ = kernel.filter((k, i) => k.kind !== 'unfiltered' && outcomeKey(k) !== outcomeKey(checks[i].expected));
    expect(differ.length).toBeGreaterThan(0);
    expect(differ.every((k) => k.line === 'errno 1')).toBe(true);
  });

  // (describe.skip still collects, and test.each refuses an empty table.)
  if (slice.length > 0) test.each(slice)('%s', (file) => {
    const row = byFile.get(file)!;
    const res = JSON.parse(core.compile(corpusRequest(core, row, byFile), 'x86_64', 0, ''));
    if (!res.ok) {
      // Whether a policy compiles is the corpus walk's question (some "unknown"-arch files
      // are 32-bit policies, some repeat a syscall); here there is nothing to load. The
      // coverage test below keeps this from emptying the check.
      const first = (res.diagnostics as Array<{ formatted: string }>).find(() => true);
      notCompiled.push(`${file}: ${first ? first.formatted.split('\n')[0] : 'no diagnostic'}`);
      return;
    }
    checked++;
    const program = fromHex(res.program);
    const checks = casesFor(core, program, maxNr, i386);
    const kernel = runOracle(program, checks.map((c) => c.c), { refine: true });
    const mismatches: string[] = [];
    let unfiltered = 0;
    kernel.forEach((k, i) => {
      if (k.kind === 'unfiltered') {
        unfiltered++;
        return;
      }
      const want = outcomeKey(checks[i].expected);
      const got = outcomeKey(k);
      if (want !== got) mismatches.push(`${checks[i].label}: simulator ${want}, kernel ${got}`);
      if (k.kind === 'trap' && k.trapNr !== checks[i].c.nr) mismatches.push(`${checks[i].label}: trap reported nr ${k.trapNr}`);
    });
    if (process.env.TSJAIL_KERNEL_STATS) {
      const h: Record<string, number> = {};
      for (const k of kernel) h[outcomeKey(k)] = (h[outcomeKey(k)] ?? 0) + 1;
      console.log(`${file}: ${checks.length} cases ${JSON.stringify(h)} rss ${process.memoryUsage().rss >> 20} MB`);
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    // Only the few numbers this kernel answers before seccomp may be left out.
    expect(unfiltered).toBeLessThan(5);
    expect(checks.length).toBeGreaterThan(maxNr);
  });

  test('most policies of the slice compiled and were checked', () => {
    if (notCompiled.length > 0) console.warn(`not compiled for x86_64 (not checked here):\n${notCompiled.join('\n')}`);
    // (Counted over the policies that ran, so `jest -t` on a few policies still works.)
    expect(checked + notCompiled.length).toBeGreaterThan(0);
    expect(checked).toBeGreaterThanOrEqual(Math.ceil((checked + notCompiled.length) * 0.9));
  });
});
