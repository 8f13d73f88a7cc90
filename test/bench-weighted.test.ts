// The bench's weighted cost (bench/weighted.ts): the recorded syscall counts of real programs
// are complete and name real x86_64 syscalls, and a policy's weighted cost is the share-weighted
// mean of the instructions its program executes for the recorded calls it allows.
import * as path from 'path';
import { compilePolicy } from '../ts/policy';
import { loadCore } from '../ts/policy/core';
import { seccompDataBytes } from './helpers/bpf';
import { combined, loadWorkloads, weightedCost } from '../bench/weighted';

describe('bench: syscall counts of real programs', () => {
  test('four programs recorded, every name an x86_64 syscall, shares summing to 1', async () => {
    const ws = await loadWorkloads(path.resolve(__dirname, '../bench/data/syscall-counts'));
    expect(ws.map((w) => w.name).sort()).toEqual(['cc', 'node', 'python3', 'sh']);
    for (const w of ws) {
      expect(w.calls).toBeGreaterThan(500);
      expect(w.shares.size).toBeGreaterThan(20);
      expect([...w.shares.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    }
    expect([...combined(ws).values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  test('the weighted cost is the share-weighted mean over the allowed recorded calls', async () => {
    const r = await compilePolicy('read: allow\nwrite: allow\nopenat: arg2 == 0\n', { arch: 'x86_64', path: 'w.policy' });
    expect(r.ok).toBe(true);
    const core = await loadCore();
    const run = (nr: number, args: bigint[]) => {
      const s = JSON.parse(core.simulate(r.program, seccompDataBytes(nr, 0xc000003e, args)));
      return { action: s.action as string, insns: s.insns as number };
    };
    // read 3 parts, write 1 part, getpid (denied) 4 parts: only read and write count.
    const w = new Map([[0, 0.3], [1, 0.1], [39, 0.4]]);
    const want = (0.3 * run(0, []).insns + 0.1 * run(1, []).insns) / 0.4;
    expect(weightedCost(run, w)).toBeCloseTo(want, 9);
    expect(weightedCost(run, new Map([[39, 1]]))).toBeNaN();
  });
});
