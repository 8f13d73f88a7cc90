// Part "scale": large argument-value searches and the verifier's former budget cliff.
// Per case: program length, the worst path over the allowed values and their neighbours
// (simulated), compile and verify time in the core (medians of interleaved warm calls), and
// the proof's size (paths and regions). The same cases are proven and checked against the
// kernel in test/scale.test.ts and test/verify.test.ts; here only sizes and times.
import { writeFileSync } from 'fs';
import * as path from 'path';
import { loadCore, Core } from '../ts/policy/core';
import { encodeFiles } from '../ts/policy/request';
import { scaleCases, ScaleCase } from '../test/helpers/scale-cases';
import { seccompDataBytes } from '../test/helpers/bpf';
import { FLAG_RETURN_ON_MATCH } from './corpus-set';
import { RESULTS } from './paths';
import { hexToBytes } from './sim';
import { fmt, nowUs, summarize } from './stats';

const ARCH = 'x86_64';
const AUDIT_X86_64 = 0xc000003e;

/** Policies the verifier once gave up on (budget exceeded): masked conditions on several words. */
export const VERIFY_CLIFF: Array<{ name: string; text: string }> = [
  { name: 'two rules, masked conditions (fuzz seed 623465308)', text: [
    'read: {arg1 <= 0x4; return 38, arg2 > 3; kill-thread}',
    'fsconfig: {arg3 in 0x2e4c || arg2 <= 1 && arg4 in 0x300000003 || arg1 in 5; kill-process, arg5 in 0xcebc; allow}',
  ].join('\n') + '\n' },
  { name: 'mask tests on every argument', text: [
    'fsconfig: {arg0 & 0xf0f0 && arg1 & 0xff00ff || arg2 in 0xfff && arg3 & 0x30003 || arg4 & 0xff0000000000; kill-process, arg5 & 0xcebc && arg1 in 0xffff0000ffff; allow, arg2 & 0x101 || arg3 & 0x10001 || arg0 & 0x1010; return 1}',
    'ioctl: {arg1 & 0x1 && arg2 & 0x2 && arg3 & 0x4 && arg4 & 0x8 && arg5 & 0x10; allow, arg0 & 0xffffffffffff || arg1 & 0xf0f0f0f0f0; return 2}',
    'read: {arg1 <= 0x4; return 38, arg2 > 3; kill-thread}',
  ].join('\n') + '\n' },
];

export interface ScaleRow {
  name: string;
  terms: number;
  ok: boolean;
  insns: number;
  /** Longest path over the allowed values and their neighbours (-1: no such values). */
  worst: number;
  compileMs: number;
  verifyMs: number;
  status: string;
  paths: number;
  regions: number;
}

export interface ScaleResult {
  part: 'scale';
  rounds: number;
  rows: ScaleRow[];
  seconds: number;
}

function median(fn: () => void, rounds: number): number {
  const t: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = nowUs();
    fn();
    t.push((nowUs() - t0) / 1000);
  }
  return summarize(t).median;
}

function measure(core: Core, name: string, terms: number, text: string, values: bigint[], rounds: number): ScaleRow {
  const request = encodeFiles([['scale.policy', text]]);
  const compile = () => core.compile(request, ARCH, FLAG_RETURN_ON_MATCH, '');
  const c = JSON.parse(compile());
  const row: ScaleRow = { name, terms, ok: c.ok, insns: c.insns ?? 0, worst: -1, compileMs: NaN, verifyMs: NaN, status: 'not compiled', paths: 0, regions: 0 };
  if (!c.ok) return row;
  const program = hexToBytes(c.program);
  for (const v of values) {
    const s = JSON.parse(core.simulate(program, seccompDataBytes(0, AUDIT_X86_64, [v])));
    row.worst = Math.max(row.worst, s.insns);
  }
  const verify = () => core.verify(request, ARCH, FLAG_RETURN_ON_MATCH, '', program);
  const v = JSON.parse(verify());
  row.status = v.verify ? v.verify.status + (v.verify.reason ? ` (${v.verify.reason})` : '') : 'error';
  row.paths = v.verify?.paths ?? 0;
  row.regions = v.verify?.regions ?? 0;
  // Warm-up, then medians.
  compile(); verify();
  row.compileMs = median(compile, rounds);
  row.verifyMs = median(verify, rounds);
  return row;
}

export async function runScale(log: (s: string) => void, rounds = 7): Promise<ScaleResult> {
  const t0 = Date.now();
  const core = await loadCore();
  const rows: ScaleRow[] = [];
  const cases: ScaleCase[] = scaleCases();
  for (const c of cases) {
    const row = measure(core, c.name, c.members.length, c.text, [...c.members, ...c.others], rounds);
    log(`  ${c.name}: ${row.insns} insns, worst ${row.worst}, compile ${fmt(row.compileMs, 1)} ms, verify ${fmt(row.verifyMs, 1)} ms, ${row.status}`);
    rows.push(row);
  }
  for (const p of VERIFY_CLIFF) {
    const row = measure(core, p.name, 0, p.text, [], rounds);
    log(`  ${p.name}: ${row.insns} insns, verify ${fmt(row.verifyMs, 1)} ms, ${row.status}, ${row.paths} paths`);
    rows.push(row);
  }
  const lines = ['name\tterms\tok\tinsns\tworst\tcompile_median_ms\tverify_median_ms\tverify_status\tpaths\tregions',
    ...rows.map((r) => [r.name, r.terms, r.ok, r.insns, r.worst, fmt(r.compileMs, 2), fmt(r.verifyMs, 2), r.status, r.paths, r.regions].join('\t'))];
  writeFileSync(path.join(RESULTS, 'scale-x86_64.tsv'), lines.join('\n') + '\n');
  return { part: 'scale', rounds, rows, seconds: (Date.now() - t0) / 1000 };
}
