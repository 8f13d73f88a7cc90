// Developer tool for performance work on the policy core (not part of `npm run bench`):
// compare core builds on identical input, and prove that a change left every output alone.
//   node scripts/profile-core.js prep                      requests of every corpus policy -> $PERF/requests.json
//   node scripts/profile-core.js dump DIR OUT              every compile/analyze result of DIR/core.wasm -> OUT
//   node scripts/profile-core.js time DIR [DIR...] [-r N] [-f TEXT]  CPU µs per x86_64 policy (no includes),
//                                                          builds interleaved; -f: only files whose path contains TEXT
// DIR holds a core.wasm and its raw-bindings core.js (`npx asc wasm/assembly/index.ts --config
// wasm/asconfig.json --target release --transform ./wasm/no-shadow-stack.mjs --outFile
// DIR/core.wasm`, then `node -e "require('./scripts/wasm-inline').inlineMore('DIR/core.wasm')"`, as
// scripts/build-wasm.js runs them; add --debug to asc for names in --cpu-prof).
// CPU time (process.cpuUsage)
// rather than wall time because the machine is shared; interleaving keeps the comparison fair.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { loadCore } from '../ts/policy/core';
import { corpusPolicies, corpusRequest } from '../test/helpers/corpus';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { patchGlue } = require('../scripts/wasm-glue.js') as { patchGlue: (file: string) => void };

const PERF = process.env.PERF_DIR ?? '/tmp/perf';
const REQUESTS = path.join(PERF, 'requests.json');

interface Req { file: string; arch: string; request: string; includes: number }

type CoreApi = {
  compile(files: string, arch: string, flags: number, defaultAction: string): string;
  /** dumpIR in builds before it was renamed (so older builds still compare). */
  analyze?(files: string, arch: string, flags: number, defaultAction: string): string;
  dumpIR?(files: string, arch: string, flags: number, defaultAction: string): string;
};

function analyze(c: CoreApi, files: string, arch: string, flags: number, defaultAction: string): string {
  const fn = c.analyze ?? c.dumpIR;
  if (!fn) throw new Error('this build has neither analyze nor dumpIR');
  return fn.call(c, files, arch, flags, defaultAction);
}

async function loadBuild(dir: string): Promise<CoreApi> {
  // The glue is an ES module named .js; Node needs .mjs outside a "type": "module" package.
  const mjs = path.join(dir, 'core.mjs');
  copyFileSync(path.join(dir, 'core.js'), mjs);
  // As scripts/build-wasm.js does for build/wasm/core.js (skip with PERF_RAW_GLUE=1).
  if (!process.env.PERF_RAW_GLUE) patchGlue(mjs);
  const glue = await import(pathToFileURL(mjs).href);
  const mod = await WebAssembly.compile(readFileSync(path.join(dir, 'core.wasm')));
  return glue.instantiate(mod, { env: {} });
}

async function prep(): Promise<void> {
  const core = await loadCore();
  const all = corpusPolicies();
  const byFile = new Map(all.map((p) => [p.file, p]));
  const reqs: Req[] = all.map((p) => ({ file: p.file, arch: p.arch, request: corpusRequest(core, p, byFile), includes: p.includes.length }));
  writeFileSync(REQUESTS, JSON.stringify(reqs));
  console.log(`${reqs.length} requests -> ${REQUESTS}`);
}

function requests(): Req[] {
  if (!existsSync(REQUESTS)) throw new Error(`run prep first (${REQUESTS} is missing)`);
  return JSON.parse(readFileSync(REQUESTS, 'utf8'));
}

async function dump(dir: string, out: string): Promise<void> {
  const core = await loadBuild(dir);
  const lines: string[] = [];
  for (const r of requests()) {
    for (const flags of [0, 1, 2]) lines.push(`${r.file} ${r.arch} ${flags} ${core.compile(r.request, r.arch, flags, '')}`);
    lines.push(`${r.file} ${r.arch} trap ${core.compile(r.request, r.arch, 1, 'trap')}`);
    lines.push(`${r.file} ${r.arch} ir ${analyze(core, r.request, r.arch, 1, '')}`);
    // Diagnostics for the wrong arch (unknown names) exercise the error paths too.
    const other = r.arch === 'x86_64' ? 'aarch64' : 'x86_64';
    lines.push(`${r.file} ${other} 1 ${core.compile(r.request, other, 1, '')}`);
  }
  writeFileSync(out, lines.join('\n') + '\n');
  console.log(`${lines.length} results -> ${out}`);
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function time(dirs: string[], rounds: number, only: string): Promise<void> {
  const cores = await Promise.all(dirs.map(loadBuild));
  const reqs = requests().filter((r) => r.arch === 'x86_64' && r.includes === 0 && r.file.includes(only));
  if (reqs.length === 0) throw new Error(`no x86_64 policy without includes matches '${only}'`);
  const kinds: Array<[string, (c: CoreApi, r: Req) => string]> = [
    ['compile', (c, r) => c.compile(r.request, 'x86_64', 1, '')],
    ['check', (c, r) => analyze(c, r.request, 'x86_64', 0x100, '')],
  ];
  // samples[kind][build] = per-round µs per policy
  const samples = kinds.map(() => dirs.map(() => [] as number[]));
  for (let round = 0; round < rounds + 2; round++) {
    kinds.forEach(([, fn], k) => {
      cores.forEach((c, b) => {
        const t = cpuUs();
        for (const r of reqs) fn(c, r);
        if (round >= 2) samples[k][b].push((cpuUs() - t) / reqs.length);
      });
    });
  }
  const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
  // The minimum is the steadier figure on a shared machine (other load only ever adds time).
  console.log(`${reqs.length} x86_64 policies without includes${only ? ` matching '${only}'` : ''}, ${rounds} rounds, CPU µs per policy (median / min of rounds)`);
  kinds.forEach(([name], k) => {
    console.log(`  ${name.padEnd(8)} ` + dirs.map((d, b) => `${d}: ${median(samples[k][b]).toFixed(1)} / ${Math.min(...samples[k][b]).toFixed(1)}`).join('   '));
  });
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === 'prep') await prep();
  else if (cmd === 'dump' && rest.length === 2) await dump(rest[0], rest[1]);
  else if (cmd === 'time' && rest.length >= 1) {
    const ri = rest.indexOf('-r');
    const fi = rest.indexOf('-f');
    const rounds = ri >= 0 ? Number(rest[ri + 1]) : 15;
    const only = fi >= 0 ? rest[fi + 1] : '';
    const opt = (i: number) => (ri >= 0 && (i === ri || i === ri + 1)) || (fi >= 0 && (i === fi || i === fi + 1));
    await time(rest.filter((_, i) => !opt(i)), rounds, only);
  } else {
    console.error('usage: profile-core.js prep | dump DIR OUT | time DIR [DIR...] [-r N] [-f TEXT]');
    return 2;
  }
  return 0;
}
