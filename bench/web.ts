// Part "web": what the policy review page (dist/web/, `tsjail playground`) weighs and what its
// policy worker spends per version of a large policy.
// - sizes, raw and gzipped, of each file the page loads: page.js (CodeMirror and the views),
//   worker.js (tsjail/policy without the core), core.wasm (downloaded once by the page, compiled, and posted to each worker),
//   page.css and editor.css, index.html;
// - the worker's answer for one version of a 2,000-line policy (a rule for each of the first
//   330 x86_64 syscalls, a third of them with argument conditions, each after a block of
//   comment lines; the analyze part's policy exceeds BPF's 4,096 instructions, so the page
//   would only list its errors): check (the front end's diagnostics, after each keystroke) and
//   build (compile with the verifier,
//   disassembly, the IR, a call per rule traced by the simulator, the cost rows,
//   after typing pauses); medians of wall time in this process (the worker runs the same code).
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { check } from '../ts/web/edit-ops';
import { build } from '../ts/web/program-ops';
import { syscallNames } from '../ts/policy/tables';
import { ROOT } from './paths';
import { Summary, nowUs, summarize } from './stats';

const ROUNDS = 9;

export interface WebFile { file: string; bytes: number; gzipBytes: number }

export interface WebResult {
  part: 'web';
  files: WebFile[];
  lines: number;
  insns: number;
  rules: number;
  check: Summary;
  build: Summary;
}

const LINES = 2000;
const RULES = 330;

async function reviewPolicy(): Promise<string> {
  const names = (await syscallNames('x86_64')).slice(0, RULES);
  const lines: string[] = [];
  names.forEach((n, i) => {
    while (lines.length < Math.floor(((i + 1) * LINES) / RULES) - 1) lines.push(`# ${n}: why the program needs it, line ${lines.length + 1}`);
    lines.push(i % 3 === 0 ? `${n}: arg0 == ${i} || arg1 & 0x${(i + 1).toString(16)}` : `${n}: 1`);
  });
  return lines.join('\n') + '\n';
}

function size(file: string): WebFile {
  const data = readFileSync(path.join(ROOT, file));
  return { file, bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length };
}

export async function runWeb(log: (s: string) => void): Promise<WebResult> {
  if (!existsSync(path.join(ROOT, 'dist/web/index.html'))) throw new Error('dist/web is not built: run `npm run build:web` first');
  const files = ['page.js', 'worker.js', 'core.wasm', 'page.css', 'editor.css', 'index.html'].map((f) => size(`dist/web/${f}`));
  for (const f of files) log(`  ${f.file}: ${f.bytes} bytes, ${(f.gzipBytes / 1024).toFixed(1)} KB gzipped`);
  const text = await reviewPolicy();
  const lines = text.trimEnd().split('\n').length;
  const checks: number[] = [];
  const builds: number[] = [];
  let insns = 0, rules = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    // A different text each round (as after an edit), so nothing is answered from a cache.
    const ws = { files: [['large.policy', `# edit ${round}\n${text}`]] as Array<[string, string]>, main: 'large.policy', arch: 'x86_64' };
    let t = nowUs();
    await check(ws);
    const c = (nowUs() - t) / 1000;
    t = nowUs();
    const b = await build(ws);
    const d = (nowUs() - t) / 1000;
    if (!b.ok) throw new Error(`the large policy does not compile: ${b.errors[0]}`);
    insns = b.insns;
    rules = b.rules.length;
    // Round 0 warms the core up.
    if (round > 0) { checks.push(c); builds.push(d); }
  }
  const result: WebResult = { part: 'web', files, lines, insns, rules, check: summarize(checks), build: summarize(builds) };
  log(`  ${lines} lines, ${insns} instructions, ${rules} rules: check median ${result.check.median.toFixed(1)} ms, build median ${result.build.median.toFixed(1)} ms`);
  return result;
}
