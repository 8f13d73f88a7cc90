// `npm run bench [-- PART...]` driver (bundled and called by bench/run.js). Each part writes its
// machine-readable results (bench/results/<part>*.json and .tsv); the summary table
// (bench/results/README.md) is then regenerated from every part's latest JSON, so one part can
// be re-run alone without losing the others.
import { mkdirSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runFilters } from './filters';
import { coldChild, runCompile, runVerify } from './compile-time';
import { runAnalyze } from './analyze-time';
import { runService } from './service-time';
import { jailProbe, runSpawn } from './spawn';
import { runExec } from './exec';
import { runScale } from './scale';
import { runMediation } from './mediation';
import { runMultiArch } from './multiarch';
import { runWeb } from './web';
import { DEFAULT_JAILS, runThroughput, throughputChild } from './throughput';
import { machineInfo } from './machine';
import { writeSummary } from './summary';
import { RESULTS, WORK } from './paths';

export { coldChild, jailProbe, throughputChild };

const PARTS = ['filters', 'compile', 'verify', 'scale', 'analyze', 'service', 'spawn', 'exec', 'mediation', 'multiarch', 'throughput', 'web'] as const;
type Part = (typeof PARTS)[number];

const RESULT_FILE: Record<Part, string> = {
  filters: 'filters-x86_64.json',
  compile: 'compile-x86_64.json',
  verify: 'verify-x86_64.json',
  scale: 'scale-x86_64.json',
  analyze: 'analyze-x86_64.json',
  service: 'service-x86_64.json',
  spawn: 'spawn.json',
  exec: 'exec.json',
  mediation: 'mediation.json',
  multiarch: 'multiarch-x86_64.json',
  throughput: 'throughput.json',
  web: 'web.json',
};

function log(s: string): void {
  process.stdout.write(s + '\n');
}

/** `--jails N` / `--jails=N` (or TSJAIL_BENCH_JAILS): jails per variant in the throughput part. */
function takeJails(argv: string[]): { rest: string[]; jails?: number; bad?: string } {
  const rest: string[] = [];
  let value: string | undefined = process.env.TSJAIL_BENCH_JAILS || undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--jails') value = argv[++i];
    else if (a.startsWith('--jails=')) value = a.slice('--jails='.length);
    else rest.push(a);
  }
  if (value === undefined) return { rest };
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) return { rest, bad: `--jails wants a positive integer, got ${value}` };
  return { rest, jails: n };
}

export async function main(args: string[]): Promise<number> {
  const { rest: argv, jails, bad } = takeJails(args);
  if (bad) {
    process.stderr.write(`bench: ${bad}\n`);
    return 2;
  }
  const unknown = argv.filter((a) => !(PARTS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown part ${unknown.join(', ')} (parts: ${PARTS.join(' ')}; option: --jails N)\n`);
    return 2;
  }
  const parts: Part[] = argv.length === 0 ? [...PARTS] : (argv as Part[]);
  mkdirSync(RESULTS, { recursive: true });
  mkdirSync(WORK, { recursive: true });
  const machine = machineInfo();
  const bundle = path.join(WORK, 'bench.cjs');
  for (const part of parts) {
    const t0 = Date.now();
    const loadBefore = os.loadavg()[0];
    log(`bench: ${part}`);
    let result: object;
    switch (part) {
      case 'filters': result = await runFilters(log); break;
      case 'compile': result = await runCompile(log, bundle); break;
      case 'verify': result = await runVerify(log); break;
      case 'scale': result = await runScale(log); break;
      case 'analyze': result = await runAnalyze(log); break;
      case 'service': result = await runService(log); break;
      case 'spawn': result = await runSpawn(log, bundle); break;
      case 'exec': result = await runExec(log); break;
      case 'mediation': result = await runMediation(log); break;
      case 'multiarch': result = await runMultiArch(log); break;
      case 'throughput': result = await runThroughput(log, bundle, jails ?? DEFAULT_JAILS); break;
      case 'web': result = await runWeb(log); break;
    }
    // The 1-minute load average around the part: the machine is shared, so say how busy it was.
    const withMeta = { ...result, date: new Date().toISOString(), machine, load: { before: loadBefore, after: os.loadavg()[0] } };
    writeFileSync(path.join(RESULTS, RESULT_FILE[part]), JSON.stringify(withMeta, (_k, v) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v), 1) + '\n');
    log(`bench: ${part} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const summary = writeSummary(RESULTS, RESULT_FILE);
  log('');
  log(summary);
  return 0;
}
