// Part "multiarch": the size of multi-arch programs (docs/codegen.md, "Multi-arch programs")
// on the x86_64 corpus policies that also resolve on i386: the x86_64 program alone, the
// x86_64,i386 program, and `--arch all` (every arch the policy resolves on), and what the
// dispatch adds to a call's path (simulated: the same call, single-arch vs. multi-arch).
import { writeFileSync } from 'fs';
import * as path from 'path';
import { loadCore } from '../ts/policy/core';
import { seccompDataBytes } from '../test/helpers/bpf';
import { loadBenchCorpus, shortName } from './corpus-set';
import { RESULTS } from './paths';
import { hexToBytes } from './sim';

const AUDIT = { x86_64: 0xc000003e, i386: 0x40000003 } as const;

export interface MultiArchRow {
  file: string;
  x86_64: number;
  i386: number;
  /** x86_64,i386 program length (0: it does not fit, or the policy does not resolve on i386). */
  pair: number;
  /** `all`: its arches and length. */
  allArches: string;
  all: number;
  /** Instructions the dispatch adds to an x86_64 call's path, and to an i386 call's. */
  extraX86_64: number;
  extraI386: number;
}

export interface MultiArchResult {
  part: 'multiarch';
  policies: number;
  /** Policies that resolve on i386 too (the rows). */
  rows: MultiArchRow[];
  seconds: number;
}

export async function runMultiArch(log: (s: string) => void): Promise<MultiArchResult> {
  const t0 = Date.now();
  const core = await loadCore();
  const corpus = await loadBenchCorpus();
  const rows: MultiArchRow[] = [];
  for (const p of corpus.policies) {
    const x = JSON.parse(core.compile(p.request, 'x86_64', 0, ''));
    const i = JSON.parse(core.compile(p.request, 'i386', 0, ''));
    if (!x.ok || !i.ok) continue;
    const pair = JSON.parse(core.compile(p.request, 'x86_64,i386', 0, ''));
    const all = JSON.parse(core.compile(p.request, 'all', 0, ''));
    // The dispatch's cost on a path: the same call (exit_group, listed in most policies, else
    // nr 0) run through the single-arch and the multi-arch program.
    const run = (hex: string, arch: 'x86_64' | 'i386', nr: number) =>
      JSON.parse(core.simulate(hexToBytes(hex), seccompDataBytes(nr, AUDIT[arch], []))).insns as number;
    const extra = (arch: 'x86_64' | 'i386', single: string, nr: number) => (pair.ok ? run(pair.program, arch, nr) - run(single, arch, nr) : 0);
    rows.push({
      file: p.file, x86_64: x.insns, i386: i.insns, pair: pair.ok ? pair.insns : 0,
      allArches: all.ok ? all.arch : '', all: all.ok ? all.insns : 0,
      extraX86_64: extra('x86_64', x.program, 231), extraI386: extra('i386', i.program, 252),
    });
  }
  const tsv = ['file\tx86_64\ti386\tx86_64,i386\tall arches\tall\textra x86_64\textra i386',
    ...rows.map((r) => [r.file, r.x86_64, r.i386, r.pair, r.allArches, r.all, r.extraX86_64, r.extraI386].join('\t'))];
  writeFileSync(path.join(RESULTS, 'multiarch-x86_64.tsv'), tsv.join('\n') + '\n');
  const big = [...rows].sort((a, b) => b.pair - a.pair)[0];
  if (big) log(`  ${rows.length} of ${corpus.policies.length} policies resolve on i386 too; largest x86_64,i386 program ${big.pair} (${shortName(big.file)})`);
  return { part: 'multiarch', policies: corpus.policies.length, rows, seconds: (Date.now() - t0) / 1000 };
}
