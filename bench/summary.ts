// bench/results/README.md: one summary over every part's latest JSON (a part that was not run
// keeps its previous results, each with its own date).
import { existsSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import type { FiltersResult, TargetCheck } from './filters';
import type { CompileResult, VerifyResult } from './compile-time';
import type { AnalyzeResult } from './analyze-time';
import type { ServiceResult } from './service-time';
import type { SpawnResult } from './spawn';
import type { ExecResult } from './exec';
import type { ScaleResult } from './scale';
import type { MediationResult } from './mediation';
import type { MultiArchResult } from './multiarch';
import type { ThroughputResult, TpRun } from './throughput';
import type { WebResult } from './web';
import type { MachineInfo } from './machine';
import type { FilterMetric } from './metric';
import { shortName } from './corpus-set';
import { fmt } from './stats';

type Dated<T> = T & { date: string; machine: MachineInfo; load?: { before: number; after: number } };

/** "run <date>, load <before>-><after>" for a section title. */
function when(r: Dated<object>): string {
  return `run ${r.date.slice(0, 16).replace('T', ' ')} UTC` + (r.load ? `, load average ${fmt(r.load.before, 1)} -> ${fmt(r.load.after, 1)}` : '');
}

function read<T>(dir: string, file: string): Dated<T> | undefined {
  const p = path.join(dir, file);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Dated<T>) : undefined;
}

const yes = (b: boolean | undefined) => (b === undefined ? 'n/a' : b ? '**met**' : '**missed**');
const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function filtersSection(f: Dated<FiltersResult>): string {
  const out: string[] = [`## Filters (x86_64 corpus, ${f.policies} policies; ${when(f)}, ${fmt(f.seconds, 0)} s)`, ''];
  out.push('Metric of bench/metric.ts (docs/benchmarks.md, "filters"), every program run in the core\'s BPF simulator on the same calls. tsjail compiles with',
    'compile_seccomp_policy\'s semantics (`; return` on match, kill-process) and `--verify` (each program proven equal to the policy IR).',
    'libseccomp gets the same rules (the IR translated: one rule per DNF clause, `&` one rule per bit, `in` as masked equality) and',
    'each of its programs must return tsjail\'s value on every metric call and be proven equal to the policy by `tsjail verify --program`.', '');
  const m = f.means;
  const rowsFor = (label: string, pick: (x: FilterMetric) => number, digits = 2) =>
    [label, fmt(pick(m.tsjail), digits), fmt(pick(m.minijail), digits), fmt(pick(m.tsjail) / pick(m.minijail), 2),
      fmt(pick(f.lsoSubset.lso1), digits), fmt(pick(f.lsoSubset.lso2), digits), fmt(pick(f.lsoSubset.tsjail), digits)];
  out.push(`Corpus means of the per-policy values (libseccomp columns over the ${f.lsoSubset.policies} policies it could take; tsjail over the same subset in the last column):`, '');
  out.push(table(['measure', 'tsjail', 'minijail (bst)', 'tsjail / minijail', 'libseccomp O1', 'libseccomp O2', 'tsjail (same subset)'], [
    rowsFor('len (instructions)', (x) => x.len, 1),
    rowsFor('allowed mean', (x) => x.allowedMean),
    rowsFor('allowed max', (x) => x.allowedMax),
    rowsFor('denied mean', (x) => x.deniedMean),
    rowsFor('denied max', (x) => x.deniedMax),
    rowsFor('conditional mean', (x) => x.condMean),
    rowsFor('worst', (x) => x.worst),
  ]));
  out.push('', 'Targets:', '');
  out.push(table(['measure', 'target', 'policies meeting it', 'corpus mean: tsjail vs reference', 'on the mean'],
    f.targets.map((t: TargetCheck) => [t.measure, t.target, `${t.met} / ${t.checked}`, `${fmt(t.meanTsjail)} vs ${fmt(t.meanReference)}`, yes(t.meanMet)])));
  out.push('');
  for (const t of f.targets) {
    if (t.misses.length === 0) continue;
    const shown = t.misses.slice(0, 12);
    const bands = [1.02, 1.05, 1.1, 1.2, Infinity];
    const counts = bands.map(() => 0);
    for (const x of t.misses) counts[bands.findIndex((b) => x.ratio / (t.factor ?? 1) <= b + 1e-12)]++;
    out.push(`Missing \`${t.measure}\` ${t.target} (${t.misses.length} policies, largest ratio first${t.misses.length > shown.length ? `; first ${shown.length}, all in filters-x86_64.tsv` : ''}): ` +
      shown.map((x) => `${shortName(x.file)} ${fmt(x.tsjail)} vs ${fmt(x.reference)}`).join('; ') + '.' +
      ` Over the target by at most 2%: ${counts[0]}, 2-5%: ${counts[1]}, 5-10%: ${counts[2]}, 10-20%: ${counts[3]}, more: ${counts[4]}.`, '');
  }
  if (f.countMismatches.length > 0) {
    out.push(`Different verdicts from minijail's reference (allowed_n / cond_cases differ, so these policies are not measured on identical behaviour): ` +
      f.countMismatches.map((c) => `${c.file}: tsjail ${c.tsjail}, minijail ${c.minijail}`).join('; ') + '.', '');
  } else out.push('tsjail allows exactly as many calls as minijail\'s reference on every policy (allowed_n and cond_cases equal).', '');
  if (f.tsjailErrors.length > 0) out.push(`tsjail failed to compile: ${f.tsjailErrors.map((e) => `${e.file} (${e.error})`).join('; ')}.`, '');
  if (f.lsoExcluded.length > 0) out.push(`Excluded from the libseccomp columns: ${f.lsoExcluded.map((e) => `${e.file}: ${e.reason}`).join('; ')}.`, '');
  if (f.missingPolicies.length > 0) out.push(`Reference rows without a corpus file: ${f.missingPolicies.join(', ')}.`, '');
  if (f.weighted) out.push(weightedSection(f));
  return out.join('\n');
}

/** The uniform allowed mean beside the cost weighted by real programs' syscall counts. */
function weightedSection(f: Dated<FiltersResult>): string {
  const w = f.weighted;
  const out = ['### Weighted by real work', ''];
  out.push('The allowed mean above counts every allowed syscall alike. Here each call is weighted by how often real programs make it: syscall counts',
    `recorded with \`strace -c -f\` (bench/data/syscall-counts/: ${w.workloads.map((x) => `${x.name} ${x.calls} calls over ${x.syscalls} syscalls`).join(', ')}),`,
    'each program\'s counts normalised to shares and the programs averaged; a policy\'s weighted cost is the mean instructions per call over the recorded calls it allows',
    '(all-zero arguments, as the allowed mean). minijail\'s figures come from its own compiler run here (bench/minijail.ts, `bst`, kill-process), used only where its',
    'program reproduces the reference row exactly (length, allowed and conditional means, worst path). Per policy: the `*_weighted` columns of filters-x86_64.tsv.', '');
  if (w.minijailSkipped) {
    out.push(`minijail's compiler was not run: ${w.minijailSkipped}. tsjail vs libseccomp O2 only.`, '');
  } else {
    out.push(`Target: weighted cost at or below minijail's on at least 228 of 240 policies: **${w.tsjailAtOrBelow >= 228 ? 'met' : 'missed'}** — ` +
      `${w.tsjailAtOrBelow} of ${w.compared} policies compared (a policy that allows none of the recorded calls has no weighted figure; mean ${fmt(w.meanTsjail)} vs ${fmt(w.meanMinijail)}, ${fmt(w.meanTsjail / w.meanMinijail)}x; ` +
      `the same policies' uniform allowed means: ${fmt(w.uniformTsjail)} vs ${fmt(w.uniformMinijail)}, ${fmt(w.uniformTsjail / w.uniformMinijail)}x).`, '');
    out.push(table(['workload', 'policies compared', 'tsjail at or below minijail', 'mean tsjail', 'mean minijail', 'ratio'],
      w.perWorkload.map((x) => [x.name, x.compared, x.atOrBelow, fmt(x.meanTsjail), fmt(x.meanMinijail), fmt(x.meanTsjail / x.meanMinijail)])));
    out.push('');
    if (w.misses.length > 0) {
      out.push(`Above minijail (${w.misses.length}, largest ratio first${w.misses.length > 12 ? '; first 12' : ''}): ` +
        w.misses.slice(0, 12).map((x) => `${shortName(x.file)} ${fmt(x.tsjail)} vs ${fmt(x.minijail)}`).join('; ') + '.', '');
    }
    if (w.minijailMismatches.length > 0) {
      out.push(`Not compared (${w.minijailMismatches.length}: minijail's program here does not reproduce the reference row, or its compiler failed): ` +
        w.minijailMismatches.slice(0, 8).map((x) => `${shortName(x.file)} (${x.reason})`).join('; ') + (w.minijailMismatches.length > 8 ? '; the rest in filters-x86_64.tsv' : '') + '.', '');
    }
  }
  out.push(`libseccomp O2 (${w.lso2.compared} policies): tsjail at or below it on ${w.lso2.tsjailAtOrBelow}; mean ${fmt(w.lso2.meanTsjail)} vs ${fmt(w.lso2.meanLso2)}.`, '');
  return out.join('\n');
}

function compileSection(c: Dated<CompileResult> | undefined, v: Dated<VerifyResult> | undefined): string {
  const out: string[] = [];
  if (c) {
    out.push(`## Compile time in WASM (${when(c)})`, '');
    out.push(`Per corpus policy, core.compile with the request prepared (parse, resolve, IR, codegen, encoding); medians of ${c.rounds} interleaved calls per policy in one warm instance, then summarised over the ${c.policies} policies${c.blockMedians ? `; the least disturbed of ${c.blockMedians.length} such measurements (their corpus medians: ${c.blockMedians.map((m) => fmt(m, 0)).join(', ')} µs; the shared machine makes whole measurements slower at times)` : ''}. Reference: minijail's native C parser, ${c.reference.low}-${c.reference.high} µs per corpus policy on this machine.`, '');
    out.push(table(['', 'median', 'mean', 'p95', 'max'], [
      ['compile (µs)', fmt(c.warm.median, 0), fmt(c.warm.mean, 0), fmt(c.warm.p95, 0), fmt(c.warm.max, 0)],
      ['compile + JSON parse + hex decode (µs)', fmt(c.warmWithDecode.median, 0), fmt(c.warmWithDecode.mean, 0), fmt(c.warmWithDecode.p95, 0), fmt(c.warmWithDecode.max, 0)],
      [`cold, fresh process: WebAssembly.compile (µs, ${c.cold.samples.length} samples)`, fmt(c.cold.moduleCompile.median, 0), fmt(c.cold.moduleCompile.mean, 0), fmt(c.cold.moduleCompile.p95, 0), fmt(c.cold.moduleCompile.max, 0)],
      ['cold: instantiate (µs)', fmt(c.cold.instantiate.median, 0), fmt(c.cold.instantiate.mean, 0), fmt(c.cold.instantiate.p95, 0), fmt(c.cold.instantiate.max, 0)],
      ['cold: first compile call (µs)', fmt(c.cold.firstCompile.median, 0), fmt(c.cold.firstCompile.mean, 0), fmt(c.cold.firstCompile.p95, 0), fmt(c.cold.firstCompile.max, 0)],
      ['cold: second compile call (µs)', fmt(c.cold.secondCompile.median, 0), fmt(c.cold.secondCompile.mean, 0), fmt(c.cold.secondCompile.p95, 0), fmt(c.cold.secondCompile.max, 0)],
    ]));
    const met = c.warm.median < c.reference.low ? 'met (below the low end)' : c.warm.median <= c.reference.high ? 'within the reference range, not clearly below it' : 'missed';
    out.push('', `Target "below minijail's native parser": **${met}** — corpus median ${fmt(c.warm.median, 0)} µs; ${c.belowReferenceLowCount} of ${c.policies} policies below ${c.reference.low} µs, ${c.aboveReferenceHigh.length} above ${c.reference.high} µs` +
      (c.aboveReferenceHigh.length > 0 ? ` (slowest: ${c.aboveReferenceHigh.slice(0, 5).map((x) => `${shortName(x.file)} ${fmt(x.us, 0)} µs`).join(', ')})` : '') + '. Per policy: compile-x86_64.tsv.', '');
  }
  if (v) {
    out.push(`## Verify cost (${when(v)})`, '');
    out.push(`core.verify on the program compile produced (front end + symbolic proof) vs core.compile, medians of ${v.rounds} interleaved calls per policy. Target: verify <= ${v.target}x compile.`, '');
    out.push(table(['', 'median', 'mean', 'p95', 'max'], [
      ['compile (µs)', fmt(v.compile.median, 0), fmt(v.compile.mean, 0), fmt(v.compile.p95, 0), fmt(v.compile.max, 0)],
      ['verify (µs)', fmt(v.verify.median, 0), fmt(v.verify.mean, 0), fmt(v.verify.p95, 0), fmt(v.verify.max, 0)],
      ['verify / compile', fmt(v.ratio.median), fmt(v.ratio.mean), fmt(v.ratio.p95), fmt(v.ratio.max)],
    ]));
    out.push('', `Target: **${v.misses.length === 0 ? 'met' : 'missed'}** on ${v.policies - v.misses.length} of ${v.policies} policies` +
      (v.misses.length > 0 ? ` (over ${v.target}x: ${v.misses.map((m) => `${shortName(m.file)} ${fmt(m.ratio, 1)}x = ${fmt(m.verifyUs, 0)} vs ${fmt(m.compileUs, 0)} µs`).join('; ')})` : '') + '.' +
      (v.notProven.length > 0 ? ` Not proven: ${v.notProven.map((n) => `${n.file} (${n.status})`).join('; ')}.` : ' Every program proven.'), '');
  }
  return out.join('\n');
}

function scaleSection(r: Dated<ScaleResult>): string {
  const out = [`## Scale: large argument searches and the verifier (${when(r)})`, ''];
  out.push('One x86_64 policy per row (test/helpers/scale-cases.ts): `read: arg0 == v1 || ... || arg0 == vN`, then two policies of masked conditions the verifier once',
    `gave up on. insns: program length; worst: the longest path over the allowed values and their neighbours (simulated); compile and verify: core calls, medians of ${r.rounds} warm calls;`,
    'paths and regions: the size of the proof. Targets: 1,000 random 32-bit values with a worst path under 30 and well below the 4,096 limit; 10,000 terms compile in under',
    '100 ms; every program proven. test/scale.test.ts and test/verify.test.ts prove the same programs and check them in a child that loads the filter.', '');
  out.push(table(['case', 'terms', 'insns', 'worst path', 'compile ms', 'verify ms', 'proof', 'paths', 'regions'], r.rows.map((x) =>
    [x.name, x.terms || '-', x.ok ? x.insns : 'not compiled', x.worst >= 0 ? x.worst : '-', fmt(x.compileMs, 2), fmt(x.verifyMs, 2), x.status, x.paths, x.regions])));
  const rnd = r.rows.find((x) => x.name.startsWith('1000 equalities, random'));
  const big = r.rows.filter((x) => x.terms >= 10000);
  out.push('', `Targets: 1,000 random values worst path < 30 and length well below 4,096: ${yes(rnd ? rnd.ok && rnd.worst < 30 && rnd.insns <= 2048 : undefined)}` +
    (rnd ? ` (${rnd.worst}, ${rnd.insns} instructions)` : '') + `; 10,000 terms under 100 ms: ${yes(big.length > 0 ? big.every((x) => x.ok && x.compileMs < 100) : undefined)}` +
    ` (${big.map((x) => `${fmt(x.compileMs, 1)} ms`).join(', ')}); every program proven: ${yes(r.rows.every((x) => x.status === 'proven'))}. Per case: scale-x86_64.tsv.`, '');
  return out.join('\n');
}

function analyzeSection(a: Dated<AnalyzeResult>): string {
  const out = [`## Analysis time (${when(a)})`, ''];
  const p = a.policy;
  out.push(`A generated x86_64 policy of ${p.lines} lines (${p.bytes} bytes; ${p.syscalls} syscalls, ${p.rules} rules, ${p.comparisons} comparisons), medians of ${a.rounds} interleaved warm calls. ` +
    `analyzePolicy is what a tool calls: the request, core.analyze, JSON parse and the typed IR (bigint values). Budget (the language service): ${a.budgetMs} ms per re-analysis, ` +
    'judged on CPU time (process.cpuUsage), since wall time on this shared machine also holds other processes\' turns.', '');
  const ms = (label: string, s: { median: number; p95: number }, w: { median: number; p95: number }) => [label, fmt(s.median), fmt(s.p95), fmt(w.median), fmt(w.p95)];
  const c = a.largeCpu;
  out.push(table(['2,000-line policy', 'CPU median ms', 'CPU p95 ms', 'wall median ms', 'wall p95 ms'], [
    ms('analyzePolicy (end to end)', c.analyzePolicy, a.large.analyzePolicy),
    ms('core.analyze (diagnostics + IR with spans)', c.analyze, a.large.analyze),
    ms('core.analyze, check only (diagnostics)', c.checkOnly, a.large.checkOnly),
    ms('core.compile (for scale)', c.compile, a.large.compile),
  ]));
  out.push('', `Budget: **${c.analyzePolicy.median < a.budgetMs ? 'met' : 'missed'}** (analyzePolicy CPU median ${fmt(c.analyzePolicy.median)} ms, p95 ${fmt(c.analyzePolicy.p95)} ms).`, '');
  out.push(`Corpus (${a.corpus.policies} policies, per-policy medians of interleaved calls): core.analyze median ${fmt(a.corpus.analyze.median, 0)} µs (p95 ${fmt(a.corpus.analyze.p95, 0)}), ` +
    `core.compile ${fmt(a.corpus.compile.median, 0)} µs; analyze / compile per policy: median ${fmt(a.corpus.ratio.median)}, max ${fmt(a.corpus.ratio.max)}.`, '');
  return out.join('\n');
}

function spawnSection(s: Dated<SpawnResult>): string {
  const out = [`## Spawn from a running Node process (${when(s)})`, ''];
  out.push(`/bin/true, ${s.runs} runs per variant, interleaved; time from the spawn call to the exit notification. The seccomp policy allows ${s.policy.syscalls} syscalls (tsjail's program: ${s.policy.tsjailInsns} instructions${s.policy.libseccompInsns ? `; libseccomp O2: ${s.policy.libseccompInsns}` : ''}).`, '');
  out.push(table(['variant', 'median ms', 'p95 ms', 'mean ms', 'what'], s.variants.map((v) =>
    [v.name, v.ms ? fmt(v.ms.median) : '-', v.ms ? fmt(v.ms.p95) : '-', v.ms ? fmt(v.ms.mean) : '-', v.skipped ? `skipped: ${v.skipped}` : v.description])));
  const t = s.tsjailVsBwrap;
  out.push('', t ? `Target "a tsjail jailed spawn costs less than bwrap with the same isolation": **${t.met ? 'met' : 'missed'}** (median ${fmt(t.tsjailMedianMs)} ms vs ${fmt(t.bwrapMedianMs)} ms, ${fmt(t.ratio)}x).`
    : 'Target "tsjail below bwrap": not measured (a variant was skipped, see above).', '');
  out.push(`Per-syscall cost, getppid in a tight loop (${s.syscall.iterations} calls, ${s.syscall.repetitions} repetitions, medians):`, '');
  out.push(table(['variant', 'ns/call (median)', 'overhead (median)', 'ns/call (min)', 'overhead (min)', 'filter insns for getppid', 'what'], s.syscall.rows.map((r) =>
    [r.name, r.ns ? fmt(r.ns.median) : '-', r.overheadNs !== undefined ? fmt(r.overheadNs) : '-', r.ns ? fmt(r.ns.min) : '-',
      r.overheadMinNs !== undefined ? fmt(r.overheadMinNs) : '-', r.filterInsns ?? '-', r.skipped ? `skipped: ${r.skipped}` : r.description])));
  out.push('', s.syscall.kernelCacheNote, '');
  return out.join('\n');
}

function execSection(e: Dated<ExecResult>): string {
  const out = [`## Native launcher (${when(e)})`, ''];
  if (e.skipped) {
    out.push(`Not measured: ${e.skipped}.`, '');
    return out.join('\n');
  }
  out.push(`Whole-process launch of /bin/true, ${e.runs} runs per variant, interleaved, each started by child_process.spawn.`, '');
  out.push(table(['variant', 'median ms', 'p95 ms', 'mean ms', 'what'], (e.variants ?? []).map((v) =>
    [v.name, v.ms ? fmt(v.ms.median) : '-', v.ms ? fmt(v.ms.p95) : '-', v.ms ? fmt(v.ms.mean) : '-', v.skipped ? `skipped: ${v.skipped}` : v.description])));
  const t = e.targets ?? {};
  out.push('', `Targets: below bwrap ${yes(t.belowBwrap)} (${fmt(t.ratioBwrap)}x); within 1.25x of unshare ${yes(t.within125xUnshare)} (${fmt(t.ratioUnshare)}x).`, '');
  return out.join('\n');
}

function mediationSection(m: Dated<MediationResult>): string {
  const out = [`## The preload window's mediation (${when(m)})`, ''];
  if (m.skipped) {
    out.push(`Not measured: ${m.skipped}.`, '');
    return out.join('\n');
  }
  out.push(`Start-up of a dynamic program with -n, ${m.runs} runs per variant, interleaved. "window" counts what the supervisor saw before the exact filter was in place (notifications; calls let through; files it opened and handed over).`, '');
  for (const p of m.programs ?? []) {
    out.push(`**${p.argv.join(' ')}** (${p.fullSyscalls} syscalls; the lean policy leaves out ${p.leanDenies.join(', ') || 'nothing'}):`, '');
    out.push(table(['variant', 'median ms', 'p95 ms', 'window: notified', 'let through', 'opened', 'what'], p.variants.map((v) =>
      [v.name, v.ms ? fmt(v.ms.median) : '-', v.ms ? fmt(v.ms.p95) : '-', v.counts ? String(v.counts.notified) : '-', v.counts ? String(v.counts.continued) : '-',
        v.counts ? String(v.counts.opened) : '-', v.skipped ? `skipped: ${v.skipped}` : v.description])));
    out.push('');
  }
  return out.join('\n');
}

function serviceSection(l: Dated<ServiceResult>): string {
  return [`## service — the language service per edit (${when(l)})`, '',
    `The ${l.lines}-line policy of the analyze part, one line edited per round; per edit a new PolicyDocument, then check (the front end's diagnostics), tokens and outline, as the language server asks after every change; the full lint (findings about meaning) runs once typing pauses (${l.rounds} warm rounds).`, '',
    table(['measure', 'CPU median ms', 'wall median ms', 'wall p95 ms'], [
      ['edit: document + check + tokens + outline', fmt(l.keystrokeCpu.median), fmt(l.keystroke.median), fmt(l.keystroke.p95)],
      ['full lint after a pause', '-', fmt(l.lint.median), fmt(l.lint.p95)],
      ['completion (warm document)', '-', fmt(l.completion.median), fmt(l.completion.p95)],
      ['hover on a rule (warm document; the first compiles the policy)', '-', fmt(l.hover.median), fmt(l.hover.p95)],
    ]), '',
    `Browser bundle ${l.bundle.file}: ${l.bundle.bytes} bytes, ${fmt(l.bundle.gzipBytes / 1024, 1)} KB gzipped (budget ${l.bundle.budgetKb} KB)` +
    (l.bundle.workerGzipBytes ? `; the web worker server (the extension's dist/web/server.js) ${fmt(l.bundle.workerGzipBytes / 1024, 1)} KB gzipped.` : '.'),
    ...(l.bundle.separateWasm ? ['', 'With the core as a separate file (docs/browser.md): ' +
      l.bundle.separateWasm.map((f) => `${f.file} ${f.bytes} bytes, ${fmt(f.gzipBytes / 1024, 1)} KB gzipped`).join('; ') + '.'] : []), ''].join('\n');
}

function webSection(w: Dated<WebResult>): string {
  const kb = (n: number) => fmt(n / 1024, 1);
  return [`## web — the policy review page (${when(w)})`, '',
    'What `tsjail playground` serves (dist/web/), raw and gzipped; the page downloads core.wasm once, compiles it while it downloads and hands the module to its three workers (worker.js).', '',
    table(['file', 'bytes', 'KB gzipped'], w.files.map((f) => [f.file, f.bytes, kb(f.gzipBytes)])), '',
    `Per version of a ${w.lines}-line policy (${w.rules} rules, a third with argument conditions, the rest comments; ${w.insns} instructions), in the policy worker's code: ` +
    `check (the editor's diagnostics) median ${fmt(w.check.median)} ms, p95 ${fmt(w.check.p95)} ms; build (compile and verify, listing, a traced call per rule, cost) median ${fmt(w.build.median)} ms, p95 ${fmt(w.build.p95)} ms.`, ''].join('\n');
}

function throughputRun(run: TpRun): string[] {
  const out: string[] = [];
  out.push(table(['variant', 'jails/s (all blocks)', 'best block', 'per block (other work on the machine)', 'exited 0 / started', 'latency p50 / p95 / max ms', 'start call ms (mean)', 'CPU ms per jail: Node / children', 'context switches per jail (machine)', 'what'],
    run.variants.map((v) => v.skipped ? [v.name, '-', '-', '-', '-', '-', '-', '-', '-', `skipped: ${v.skipped}`] : [
      v.name, fmt(v.jailsPerSecond, 0), fmt(v.bestBlockJailsPerSecond, 0), (v.blocks ?? []).map((b) => `${fmt(b.jailsPerSecond, 0)} (${fmt(100 * b.otherCpu, 0)}%)`).join(', '),
      `${v.ok} / ${v.started}`, `${fmt(v.latencyMs?.median, 1)} / ${fmt(v.latencyMs?.p95, 1)} / ${fmt(v.latencyMs?.max, 1)}`,
      fmt(v.startCallMs?.mean, 2), `${fmt(v.cpuSelfMsPerJail, 2)} / ${fmt(v.cpuChildrenMsPerJail, 2)}`, fmt(v.ctxtPerJail, 1), v.description])));
  const l = run.leaks;
  const failed = run.variants.filter((v) => !v.skipped && (v.failed ?? 0) > 0);
  out.push('', `Checks (uid ${run.uid}): ${run.variants.filter((v) => !v.skipped).map((v) => `${v.ok}/${v.started}`).join(', ')} exited 0 — **${run.allExited0 ? 'every start exited 0' : 'some starts failed'}**` +
    (failed.length ? ` (${failed.map((v) => `${v.name}: ${v.failed} failed, the first: ${v.firstFailure}`).join('; ')})` : '') +
    `. Fds of the Node process: ${l.fdsBefore} before, ${l.fdsAfter} after; threads ${l.threadsBefore} before, ${l.threadsAfter} after; ` +
    `idle cgroups kept for reuse at the end: ${l.cgroupsIdle ?? 0} (released); tsjail cgroup directories left after that: ${l.cgroupsLeft}; zombie children: ${l.zombies} — **${l.clean ? 'nothing leaked' : 'LEAK'}**.`, '');
  const t = run.targets;
  const q = run.quietestRound;
  const quiet = q ? ` in the quietest round (round ${q.round + 1}, other work ${fmt(100 * q.otherCpu, 0)}% of the machine)` : '';
  if (t.vsBwrap !== undefined) out.push(`tsjail / bwrap: ${fmt(t.vsBwrap)}x over all blocks, ${fmt(t.vsBwrapRoundMedian)}x as the median of the per-round ratios, ${fmt(t.vsBwrapQuietest)}x${quiet}; target 1.3x: ${yes(t.vsBwrap >= 1.3)}.` +
    (t.limitsCost !== undefined ? ` The limits cost tsjail ${fmt(100 * t.limitsCost, 0)}% of its rate (median per round ${fmt(100 * (t.limitsCostRoundMedian ?? NaN), 0)}%, quietest round ${fmt(100 * (t.limitsCostQuietest ?? NaN), 0)}%); target at most 15%: ${yes(t.limitsCost <= 0.15)}.` : '') +
    (t.bwrapLimitsCost !== undefined ? ` bwrap's own limits (seccomp, time limit) cost it ${fmt(100 * t.bwrapLimitsCost, 0)}%.` : '') +
    (t.execVsBwrap !== undefined ? ` tsjail-exec driven like bwrap: ${fmt(t.execVsBwrap)}x bwrap${t.execLimitsCost !== undefined ? `, its limits cost ${fmt(100 * t.execLimitsCost, 0)}%` : ''}.` : ''), '');
  return out;
}

function throughputSection(t: Dated<ThroughputResult>): string {
  const r = t.root;
  const out = [`## Throughput: many jails from one Node process (${when(t)}, ${fmt(t.seconds, 0)} s)`, ''];
  out.push(`${r.jailsPerVariant} jails of /bin/true per variant, at most ${r.concurrency} in flight, started from the bench's own Node process; ` +
    `${r.blocks} blocks per variant, interleaved (round-robin, rotating order); jails/s = all jails / all block time, and the best block beside it. ` +
    `Latency: from the start call to the exit notification (with every slot busy it is about ${r.concurrency} / the rate: queueing). Start call: how long the call blocks the event loop. CPU: this process and its waited-for children (/proc/self/stat), per jail. Context switches: the whole machine's (/proc/stat ctxt) during the blocks, per jail (each hand-off a jail costs: clone, release, every seccomp notification and its answer, the exit's wake-ups; plus other work's). ` +
    `Other work: the machine's busy CPU (/proc/stat) outside the bench and its children, as a share of all cores during the block (it includes kernel threads working for the jails, such as network namespace clean-up). ` +
    `Limits: cgroup pids.max ${t.cgroupLimits.pids} and memory ${t.cgroupLimits.memory / 1048576} MiB, a ${t.policy.syscalls}-syscall allow list (${t.policy.insns} instructions, compiled once), a ${t.timeLimitMs / 1000} s time limit.`, '');
  out.push(...throughputRun(r));
  if (t.nobody) {
    out.push(`As uid 65534 (a child process under setpriv; unprivileged user namespaces):`, '');
    out.push(...throughputRun(t.nobody));
  } else if (t.nobodySkipped) out.push(`As uid 65534: not run: ${t.nobodySkipped}.`, '');
  out.push('The Node side of one start, timed without starting anything (median µs per call over 7 timed loops):', '');
  out.push(table(['step', 'µs', 'what'], t.nodeSide.map((n) => [n.name, fmt(n.us, 1), n.description])));
  out.push('');
  return out.join('\n');
}

/** Every benchmark target in one table. */
function glance(f?: Dated<FiltersResult>, c?: Dated<CompileResult>, v?: Dated<VerifyResult>, s?: Dated<SpawnResult>, e?: Dated<ExecResult>, a?: Dated<AnalyzeResult>,
  l?: Dated<ServiceResult>, tp?: Dated<ThroughputResult>): string {
  const rows: string[][] = [];
  for (const t of f?.targets ?? []) {
    rows.push([`filters: ${t.measure} ${t.target}`, `${fmt(t.meanTsjail)} vs ${fmt(t.meanReference)}`, yes(t.meanMet), `${t.met} / ${t.checked}`]);
  }
  if (f?.weighted && !f.weighted.minijailSkipped) {
    const w = f.weighted;
    rows.push(['filters: weighted allowed cost <= minijail\'s on >= 228 of 240', `${fmt(w.meanTsjail)} vs ${fmt(w.meanMinijail)}`, yes(w.tsjailAtOrBelow >= 228), `${w.tsjailAtOrBelow} / ${w.compared}`]);
  }
  if (c) {
    rows.push([`compile: below minijail's C parser (${c.reference.low}-${c.reference.high} µs)`, `median ${fmt(c.warm.median, 0)} µs, p95 ${fmt(c.warm.p95, 0)} µs`,
      yes(c.warm.median < c.reference.low), `${c.belowReferenceLowCount} / ${c.policies} below ${c.reference.low} µs`]);
  }
  if (v) rows.push([`verify: <= ${v.target}x compile`, `median ${fmt(v.ratio.median)}x, max ${fmt(v.ratio.max)}x`, yes(v.misses.length === 0), `${v.policies - v.misses.length} / ${v.policies}`]);
  if (a) rows.push([`analyze: a ${a.policy.lines}-line policy under ${a.budgetMs} ms warm`, `CPU median ${fmt(a.largeCpu.analyzePolicy.median)} ms, p95 ${fmt(a.largeCpu.analyzePolicy.p95)} ms`, yes(a.largeCpu.analyzePolicy.median < a.budgetMs), '']);
  if (l) {
    rows.push([`service: an edit of a ${l.lines}-line policy (document, check, tokens, outline) under ${l.budgetMs} ms`, `CPU median ${fmt(l.keystrokeCpu.median)} ms, p95 ${fmt(l.keystrokeCpu.p95)} ms`, yes(l.keystrokeCpu.median < l.budgetMs), '']);
    rows.push([`service: browser bundle under ${l.bundle.budgetKb} KB gzipped`, `${fmt(l.bundle.gzipBytes / 1024, 1)} KB`, yes(l.bundle.gzipBytes < l.bundle.budgetKb * 1024), '']);
  }
  if (s) {
    const t = s.tsjailVsBwrap;
    rows.push(['spawn: tsjail jailed spawn below bwrap', t ? `${fmt(t.tsjailMedianMs)} vs ${fmt(t.bwrapMedianMs)} ms (median)` : 'not measured', yes(t?.met), '']);
  }
  if (e) {
    const t = e.targets ?? {};
    rows.push(['exec: tsjail-exec below bwrap', e.skipped ? 'not measured' : `${fmt(t.ratioBwrap)}x`, e.skipped ? 'n/a' : yes(t.belowBwrap), '']);
    rows.push(['exec: tsjail-exec within 1.25x of unshare', e.skipped ? 'not measured' : `${fmt(t.ratioUnshare)}x`, e.skipped ? 'n/a' : yes(t.within125xUnshare), '']);
  }
  if (tp) {
    const g = tp.root.targets;
    const n = tp.root.variants.find((x) => x.name === 'tsjail');
    const b = tp.root.variants.find((x) => x.name === 'bwrap');
    const l = tp.root.variants.find((x) => x.name === 'tsjail-limits');
    rows.push(['throughput: tsjail >= 1.3x bwrap (jails/s)', g.vsBwrap !== undefined ? `${fmt(n?.jailsPerSecond, 0)} vs ${fmt(b?.jailsPerSecond, 0)} jails/s, ${fmt(g.vsBwrap)}x` : 'not measured',
      g.vsBwrap !== undefined ? yes(g.vsBwrap >= 1.3) : 'n/a', '']);
    rows.push(['throughput: limits cost tsjail <= 15%', g.limitsCost !== undefined ? `${fmt(l?.jailsPerSecond, 0)} vs ${fmt(n?.jailsPerSecond, 0)} jails/s, -${fmt(100 * g.limitsCost, 0)}%` : 'not measured',
      g.limitsCost !== undefined ? yes(g.limitsCost <= 0.15) : 'n/a', '']);
    const runs = tp.root.variants.filter((x) => !x.skipped);
    rows.push(['throughput: every start exited 0', `${runs.reduce((a, x) => a + (x.ok ?? 0), 0)} / ${runs.reduce((a, x) => a + (x.started ?? 0), 0)}`, yes(tp.root.allExited0), '']);
    rows.push(['throughput: nothing leaked (fds, threads, cgroups, zombies)', tp.root.leaks.clean ? 'clean' : 'see the section', yes(tp.root.leaks.clean), '']);
  }
  return ['## Targets at a glance', '', table(['target', 'tsjail vs reference', 'met (corpus mean or median)', 'policies meeting it'], rows), ''].join('\n');
}

function multiArchSection(r: Dated<MultiArchResult>): string {
  const rows = r.rows;
  const mean = (f: (x: MultiArchResult['rows'][number]) => number) => rows.length ? rows.reduce((a, x) => a + f(x), 0) / rows.length : 0;
  const fit = rows.filter((x) => x.pair > 0);
  const allArches = rows.length ? mean((x) => (x.allArches ? x.allArches.split(',').length : 0)) : 0;
  return ['## Multi-arch programs', '',
    `${when(r)}. The x86_64 corpus policies that also resolve on i386 (${rows.length} of ${r.policies}): program lengths alone and`,
    'as one multi-arch program (a dispatch on seccomp_data.arch in front of each arch\'s unchanged program).', '',
    '| measure (mean over those policies) | value |', '|---|---|',
    `| x86_64 alone | ${fmt(mean((x) => x.x86_64), 1)} |`,
    `| i386 alone | ${fmt(mean((x) => x.i386), 1)} |`,
    `| x86_64,i386 | ${fmt(mean((x) => x.pair), 1)} (${fit.length} fit in 4096) |`,
    `| --arch all | ${fmt(mean((x) => x.all), 1)} (${fmt(allArches, 2)} arches on average) |`,
    `| added to an x86_64 call's path | ${fmt(mean((x) => x.extraX86_64), 2)} |`,
    `| added to an i386 call's path | ${fmt(mean((x) => x.extraI386), 2)} |`,
    '', 'Per policy: multiarch-x86_64.tsv.', ''].join('\n');
}

export function writeSummary(dir: string, files: Record<string, string>): string {
  const f = read<FiltersResult>(dir, files.filters);
  const c = read<CompileResult>(dir, files.compile);
  const v = read<VerifyResult>(dir, files.verify);
  const s = read<SpawnResult>(dir, files.spawn);
  const e = read<ExecResult>(dir, files.exec);
  const a = read<AnalyzeResult>(dir, files.analyze);
  const sc = files.scale ? read<ScaleResult>(dir, files.scale) : undefined;
  const md = files.mediation ? read<MediationResult>(dir, files.mediation) : undefined;
  const l = read<ServiceResult>(dir, files.service);
  const ma = files.multiarch ? read<MultiArchResult>(dir, files.multiarch) : undefined;
  const t = files.throughput ? read<ThroughputResult>(dir, files.throughput) : undefined;
  const w = files.web ? read<WebResult>(dir, files.web) : undefined;
  const any = f ?? c ?? v ?? s ?? e ?? a ?? l ?? md ?? t;
  const m = any?.machine;
  const out = ['# Benchmark results', '',
    'Written by `npm run bench` (bench/run.js); `npm run bench -- filters|compile|verify|scale|analyze|service|spawn|exec|mediation|multiarch|throughput|web` re-runs one part. Machine-readable',
    'results per part sit beside this file (*.json, *.tsv). Benchmarks measure and report; no test asserts a timing.', ''];
  if (m) {
    out.push(`Machine: ${m.cpu}, ${m.cores} cores (shared with other work while measuring), ${m.os}, Linux ${m.kernel}, Node ${m.node}.`,
      `tsjail ${m.tsjail} (commit ${m.commit}), AssemblyScript ${m.versions.assemblyscript}; peers: libseccomp ${m.versions.libseccomp}, bubblewrap ${m.versions.bubblewrap}, firejail ${m.versions.firejail}, util-linux ${m.versions['util-linux']}.`, '');
  }
  out.push(glance(f, c, v, s, e, a, l, t));
  if (f) out.push(filtersSection(f));
  if (c || v) out.push(compileSection(c, v));
  if (sc) out.push(scaleSection(sc));
  if (a) out.push(analyzeSection(a));
  if (l) out.push(serviceSection(l));
  if (s) out.push(spawnSection(s));
  if (e) out.push(execSection(e));
  if (md) out.push(mediationSection(md));
  if (ma) out.push(multiArchSection(ma));
  if (t) out.push(throughputSection(t));
  if (w) out.push(webSection(w));
  const text = out.join('\n').replace(/\n{3,}/g, '\n\n');
  writeFileSync(path.join(dir, 'README.md'), text);
  return text;
}
