// Part "service": what the language service costs per keystroke and what it adds to the browser
// bundle.
// - the generated 2,000-line policy of the analyze part, one line edited per round (as typing
//   does): a new PolicyDocument, then what the language server asks after every change
//   (check: the front end's diagnostics; tokens: semantic highlighting; outline: symbols);
//   separately the full lint the server runs once typing pauses, and, on the warm document, a
//   completion and a hover on a rule; medians of CPU and wall time;
// - the gzipped size of the browser bundle of tsjail/policy (dist/policy.browser.mjs, the
//   language service included) against a 250 KB budget, of the web worker server, and of the
//   entries that fetch the core as a separate .wasm file (tsjail/policy/web, /worker, /client).
import { readFileSync, existsSync } from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { PolicyDocument } from '../ts/policy/service/document';
import { largePolicy } from './analyze-time';
import { ROOT } from './paths';
import { Summary, nowUs, summarize } from './stats';

const ARCH = 'x86_64';
export const SERVICE_BUDGET_MS = 20;
export const BUNDLE_BUDGET_KB = 250;

export interface ServiceResult {
  part: 'service';
  lines: number;
  rounds: number;
  budgetMs: number;
  /** Milliseconds per edit: new document + check (front-end diagnostics) + tokens + outline (CPU of this process, and wall). */
  keystrokeCpu: Summary;
  keystroke: Summary;
  /** Milliseconds of the full lint (findings about meaning included) once typing pauses, wall. */
  lint: Summary;
  /** Milliseconds on the warm document. */
  completion: Summary;
  hover: Summary;
  bundle: { file: string; bytes: number; gzipBytes: number; budgetKb: number; workerGzipBytes?: number; separateWasm?: SizedFile[] };
  seconds: number;
}

export interface SizedFile { file: string; bytes: number; gzipBytes: number }

/**
 * The entries that load the core from a separate .wasm file (tsjail/policy/web, /worker,
 * /client) and that file: what a page downloads instead of the single-file bundle.
 */
function separateWasmSizes(): SizedFile[] | undefined {
  const files = ['dist/policy.web.mjs', 'dist/policy.worker.mjs', 'dist/policy.client.mjs', 'build/wasm/core.wasm'];
  if (!files.every((f) => existsSync(path.join(ROOT, f)))) return undefined;
  return files.map((file) => {
    const bytes = readFileSync(path.join(ROOT, file));
    return { file, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
  });
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

export async function runService(log: (s: string) => void, rounds = 41): Promise<ServiceResult> {
  const t0 = Date.now();
  const text = await largePolicy();
  const lines = text.split('\n');
  const wall: number[] = [];
  const cpu: number[] = [];
  const completion: number[] = [];
  const hover: number[] = [];
  const lintMs: number[] = [];
  const warmup = 5;
  for (let r = 0; r < warmup + rounds; r++) {
    // One edited line per round: a fresh text, as after a keystroke.
    const edited = [...lines];
    let at = 100 + r * 37;
    while (!/== \d+/.test(edited[at])) at++;
    edited[at] = edited[at].replace(/== (\d+)/, (_m, n) => `== ${Number(n) + r + 1}`);
    const t = edited.join('\n');
    const c = cpuUs();
    const w = nowUs();
    const doc = new PolicyDocument(t, { arch: ARCH, path: 'large.policy' });
    const check = await doc.check();
    await doc.tokens();
    await doc.outline();
    const dw = nowUs() - w;
    const dc = cpuUs() - c;
    const l0 = nowUs();
    const lint = await doc.lint();
    lintMs.push((nowUs() - l0) / 1000);
    if (!check.ok || !lint.ok) throw new Error(`the edited policy has errors: ${lint.diagnostics.find((d) => d.severity === 'error')?.message}`);
    const off = t.indexOf('\n', t.length / 2) + 1;
    const tc = nowUs();
    await doc.completions(off);
    const th = nowUs();
    await doc.hover(off + 1);
    const te = nowUs();
    if (r < warmup) continue;
    wall.push(dw / 1000);
    cpu.push(dc / 1000);
    completion.push((th - tc) / 1000);
    hover.push((te - th) / 1000);
  }
  const file = path.join(ROOT, 'dist', 'policy.browser.mjs');
  const bytes = readFileSync(file);
  const worker = path.join(ROOT, 'ts', 'vscode', 'dist', 'web', 'server.js');
  const result: ServiceResult = {
    part: 'service',
    lines: lines.length - 1,
    rounds,
    budgetMs: SERVICE_BUDGET_MS,
    keystrokeCpu: summarize(cpu),
    keystroke: summarize(wall),
    lint: summarize(lintMs.slice(warmup)),
    completion: summarize(completion),
    hover: summarize(hover),
    bundle: {
      file: 'dist/policy.browser.mjs', bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length, budgetKb: BUNDLE_BUDGET_KB,
      ...(existsSync(worker) ? { workerGzipBytes: gzipSync(readFileSync(worker), { level: 9 }).length } : {}),
      ...(separateWasmSizes() ? { separateWasm: separateWasmSizes() } : {}),
    },
    seconds: (Date.now() - t0) / 1000,
  };
  log(`  service: 2,000 lines, full lint after a pause: wall median ${result.lint.median.toFixed(1)} ms`);
  log(`  service: 2,000 lines, per edit (document + check + tokens + outline): CPU median ${result.keystrokeCpu.median.toFixed(2)} ms, ` +
    `wall median ${result.keystroke.median.toFixed(2)} ms; budget ${SERVICE_BUDGET_MS} ms`);
  log(`  service: completion median ${result.completion.median.toFixed(2)} ms, hover on a rule median ${result.hover.median.toFixed(2)} ms`);
  log(`  service: ${result.bundle.file} ${(result.bundle.gzipBytes / 1024).toFixed(1)} KB gzipped (budget ${BUNDLE_BUDGET_KB} KB)`);
  return result;
}
