// Cost weighted by real work: the syscall counts of a few real programs (a shell script,
// python3, node, a compiler run; bench/data/syscall-counts/*.tsv, recorded with strace -c -f by
// record.sh there) turn the uniform "allowed mean" into the mean instructions a policy's filter
// executes per call those programs make. Per program the counts are normalised to shares, and
// the programs weigh alike; a policy's weighted cost averages over the calls it allows.
// The compiler's own syscall-frequency prior (wasm/assembly/tables/prior.ts) is recorded from
// other programs (scripts/data/syscall-prior), so this measure does not grade it on its own data.
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { syscallNumber } from '../ts/policy';
import { ROOT } from './paths';
import type { Runner } from './metric';

export const COUNTS_DIR = path.join(ROOT, 'bench/data/syscall-counts');

export interface Workload {
  /** Program name (the TSV's base name). */
  name: string;
  /** x86_64 syscall number -> share of the program's calls. */
  shares: Map<number, number>;
  calls: number;
}

/** The workloads of `dir` (the bench bundle finds them from the repository root; tests pass their own path). */
export async function loadWorkloads(dir = COUNTS_DIR): Promise<Workload[]> {
  const out: Workload[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.tsv')).sort()) {
    const counts = new Map<number, number>();
    let total = 0;
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (line === '' || line.startsWith('#') || line.startsWith('syscall\t')) continue;
      const [name, calls] = line.split('\t');
      const nr = await syscallNumber('x86_64', name);
      if (nr === undefined) throw new Error(`${f}: unknown x86_64 syscall ${name}`);
      counts.set(nr, (counts.get(nr) ?? 0) + Number(calls));
      total += Number(calls);
    }
    const shares = new Map([...counts].map(([nr, c]) => [nr, c / total]));
    out.push({ name: f.replace(/\.tsv$/, ''), shares, calls: total });
  }
  return out;
}

/** Every workload's shares averaged (each program weighs alike). */
export function combined(ws: Workload[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const w of ws) for (const [nr, s] of w.shares) m.set(nr, (m.get(nr) ?? 0) + s / ws.length);
  return m;
}

/**
 * Mean instructions per call, weighted by `weights`, over the calls the program allows with
 * all-zero arguments (as the uniform allowed mean); NaN when it allows none of them.
 */
export function weightedCost(run: Runner, weights: Map<number, number>): number {
  let sum = 0, wsum = 0;
  const zero = [0n, 0n, 0n, 0n, 0n, 0n];
  for (const [nr, w] of weights) {
    const r = run(nr, zero);
    if (r.action !== 'allow') continue;
    sum += w * r.insns;
    wsum += w;
  }
  return wsum === 0 ? NaN : sum / wsum;
}
