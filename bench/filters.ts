// Part "filters": the filter cost metric (bench/metric.ts) per x86_64 corpus policy,
// for tsjail's program, libseccomp's (OPTIMIZE 1 and 2, same rules) and minijail's reference
// figures, on exactly the same calls. Behaviour is checked, not assumed: tsjail's program is
// compiled with the verifier (proven equal to the policy IR), tsjail's verdicts are compared
// with minijail's counts, and libseccomp's program must return tsjail's value on every call.
import { writeFileSync } from 'fs';
import * as path from 'path';
import { loadCore, Core } from '../ts/policy/core';
import { BenchPolicy, FLAG_RETURN_ON_MATCH, FLAG_VERIFY, loadBenchCorpus, shortName } from './corpus-set';
import { FilterMetric, corpusMeans, measure } from './metric';
import { typedIR } from '../ts/policy/analyze';
import { buildGenerator, generate, libseccompVersion, translate } from './libseccomp';
import { RESULTS, WORK } from './paths';
import { comparingRunner, hexToBytes, recordingRunner } from './sim';
import { fmt } from './stats';
import { combined, loadWorkloads, weightedCost, Workload } from './weighted';
import { minijailCompile, minijailUnavailable, writeArchJson } from './minijail';

const ARCH = 'x86_64';

export interface PeerOutcome {
  metric?: FilterMetric;
  /** Why this policy has no figures for the peer. */
  excluded?: string;
  /** The verifier's answer on the peer's program ("proven", "mismatch: ...", "unproven: ..."). */
  verify?: string;
}

export interface FilterRow {
  file: string;
  tsjail?: FilterMetric;
  tsjailError?: string;
  /** tsjail's allowed_n / cond_cases equal minijail's (same verdicts on the same calls). */
  sameCountsAsMinijail?: boolean;
  minijail: FilterMetric;
  lso1: PeerOutcome;
  lso2: PeerOutcome;
  /** Cost weighted by the recorded workloads (bench/weighted.ts), combined and per workload. */
  weighted?: WeightedRow;
}

export interface WeightedCosts { combined: number; perWorkload: number[] }

export interface WeightedRow {
  tsjail: WeightedCosts;
  /** minijail's program run here (bench/minijail.ts), when its uniform metric equals the reference row. */
  minijail?: WeightedCosts;
  minijailExcluded?: string;
  lso2?: WeightedCosts;
}

export interface WeightedSummary {
  workloads: { name: string; calls: number; syscalls: number }[];
  /** Why minijail's programs were not run, if they were not. */
  minijailSkipped?: string;
  /** Policies with a weighted figure for both (a policy allowing none of the recorded calls has none). */
  compared: number;
  tsjailAtOrBelow: number;
  misses: { file: string; tsjail: number; minijail: number; ratio: number }[];
  meanTsjail: number;
  meanMinijail: number;
  /** The same policies' uniform allowed means, for the trade. */
  uniformTsjail: number;
  uniformMinijail: number;
  perWorkload: { name: string; compared: number; atOrBelow: number; meanTsjail: number; meanMinijail: number }[];
  /** Programs of minijail's compiler whose uniform metric differs from the reference row (not used). */
  minijailMismatches: { file: string; reason: string }[];
  lso2: { compared: number; tsjailAtOrBelow: number; meanTsjail: number; meanLso2: number };
}

export interface TargetCheck {
  measure: string;
  target: string;
  /** tsjail <= factor x reference. */
  factor: number;
  /** Policies checked, policies meeting it. */
  checked: number;
  met: number;
  /** Policies missing it, worst ratio first. */
  misses: { file: string; tsjail: number; reference: number; ratio: number }[];
  meanTsjail: number;
  meanReference: number;
  meanMet: boolean;
}

export interface FiltersResult {
  part: 'filters';
  arch: string;
  policies: number;
  missingPolicies: string[];
  tsjailErrors: { file: string; error: string }[];
  countMismatches: { file: string; tsjail: string; minijail: string }[];
  means: { tsjail: FilterMetric; minijail: FilterMetric };
  /** Means over the policies libseccomp could take (same subset for every column). */
  lsoSubset: { policies: number; tsjail: FilterMetric; minijail: FilterMetric; lso1: FilterMetric; lso2: FilterMetric };
  lsoExcluded: { file: string; reason: string }[];
  targets: TargetCheck[];
  libseccomp: string;
  weighted: WeightedSummary;
  seconds: number;
}

function ratioCheck(rows: FilterRow[], measureName: string, target: string, factor: number,
  pick: (m: FilterMetric) => number, refOf: (r: FilterRow) => FilterMetric | undefined, applies: (r: FilterRow) => boolean = () => true): TargetCheck {
  const used = rows.filter((r) => r.tsjail && refOf(r) && applies(r));
  const misses: TargetCheck['misses'] = [];
  for (const r of used) {
    const t = pick(r.tsjail!), ref = pick(refOf(r)!);
    if (t > factor * ref + 1e-9) misses.push({ file: r.file, tsjail: t, reference: ref, ratio: ref === 0 ? Infinity : t / ref });
  }
  misses.sort((a, b) => b.ratio - a.ratio);
  const meanT = used.reduce((a, r) => a + pick(r.tsjail!), 0) / Math.max(1, used.length);
  const meanR = used.reduce((a, r) => a + pick(refOf(r)!), 0) / Math.max(1, used.length);
  return { measure: measureName, target, factor, checked: used.length, met: used.length - misses.length, misses, meanTsjail: meanT, meanReference: meanR, meanMet: meanT <= factor * meanR + 1e-9 };
}

function measureProgram(core: Core, program: Uint8Array, p: BenchPolicy) {
  const rec = recordingRunner(core, program);
  const metric = measure(program.length / 8, rec.run, p.ref.plan, p.ref.consts);
  return { metric, rets: rec.rets };
}

function verifyPeer(core: Core, p: BenchPolicy, program: Uint8Array): string {
  const r = JSON.parse(core.verify(p.request, ARCH, FLAG_RETURN_ON_MATCH, '', program));
  if (!r.ok || !r.verify) return 'error: ' + (r.diagnostics ?? []).map((d: { message: string }) => d.message).join('; ');
  const v = r.verify;
  if (v.status === 'proven') return 'proven';
  const ce = v.counterexample ? ` (nr ${v.counterexample.nr}, args ${JSON.stringify(v.counterexample.args)})` : '';
  return `${v.status}${v.reason ? ': ' + v.reason : ''}${ce}`;
}

function peer(core: Core, gen: string, p: BenchPolicy, rules: string, optimize: 1 | 2, tsjailRets: number[]): PeerOutcome {
  const out = generate(gen, rules, optimize, path.join(WORK, `lso${optimize}.bpf`));
  if (!out.program) return { excluded: out.error };
  const cmp = comparingRunner(core, out.program, tsjailRets);
  const metric = measure(out.program.length / 8, cmp.run, p.ref.plan, p.ref.consts);
  const verify = verifyPeer(core, p, out.program);
  if (cmp.check.count > 0) {
    const d = cmp.check.first!;
    return { verify, excluded: `differs from tsjail on ${cmp.check.count} metric calls, e.g. nr ${d.nr} args [${d.args.map((a) => '0x' + a.toString(16)).join(',')}]: 0x${d.got.toString(16)} instead of 0x${d.expected.toString(16)}` };
  }
  if (verify !== 'proven') return { verify, metric, excluded: `the verifier does not prove it equal to the policy: ${verify}` };
  return { metric, verify };
}

export async function runFilters(log: (s: string) => void): Promise<FiltersResult> {
  const t0 = Date.now();
  const core = await loadCore();
  const corpus = await loadBenchCorpus();
  const gen = buildGenerator(WORK);
  const rows: FilterRow[] = [];
  const workloads = await loadWorkloads();
  const weights = combined(workloads);
  const costs = (program: Uint8Array): WeightedCosts => ({
    combined: weightedCost(recordingRunner(core, program).run, weights),
    perWorkload: workloads.map((w) => weightedCost(recordingRunner(core, program).run, w.shares)),
  });
  const minijailSkipped = minijailUnavailable();
  const archJson = path.join(WORK, 'minijail-x86_64.json');
  if (!minijailSkipped) await writeArchJson(archJson);
  for (const p of corpus.policies) {
    const row: FilterRow = { file: p.file, minijail: p.ref, lso1: {}, lso2: {} };
    rows.push(row);
    const c = JSON.parse(core.compile(p.request, ARCH, FLAG_RETURN_ON_MATCH | FLAG_VERIFY, ''));
    if (!c.ok) {
      row.tsjailError = (c.diagnostics as { severity: string; message: string }[]).filter((d) => d.severity === 'error').map((d) => d.message).join('; ') || 'compile failed';
      row.lso1.excluded = row.lso2.excluded = 'tsjail did not compile it';
      continue;
    }
    const mine = measureProgram(core, hexToBytes(c.program), p);
    row.tsjail = mine.metric;
    row.weighted = { tsjail: costs(hexToBytes(c.program)) };
    if (minijailSkipped) row.weighted.minijailExcluded = minijailSkipped;
    else {
      const mj = minijailCompile(p.files, archJson, path.join(WORK, 'minijail-scratch'));
      if (!mj.program) row.weighted.minijailExcluded = `minijail's compiler failed: ${mj.error}`;
      else {
        const m = measure(mj.program.length / 8, recordingRunner(core, mj.program).run, p.ref.plan, p.ref.consts);
        const same = m.len === p.ref.len && m.allowedN === p.ref.allowedN && m.condCases === p.ref.condCases &&
          Math.abs(m.allowedMean - p.ref.allowedMean) < 1e-3 && Math.abs(m.condMean - p.ref.condMean) < 1e-3 && m.worst === p.ref.worst;
        if (same) row.weighted.minijail = costs(mj.program);
        else row.weighted.minijailExcluded = `differs from the reference row: len ${m.len} vs ${p.ref.len}, allowed mean ${fmt(m.allowedMean, 3)} vs ${fmt(p.ref.allowedMean, 3)}, worst ${m.worst} vs ${p.ref.worst}`;
      }
    }
    row.sameCountsAsMinijail = mine.metric.allowedN === p.ref.allowedN && mine.metric.condCases === p.ref.condCases;
    const irj = JSON.parse(core.analyze(p.request, ARCH, FLAG_RETURN_ON_MATCH, ''));
    const tr = translate(typedIR(irj.ir));
    if (!tr.rules) {
      row.lso1.excluded = row.lso2.excluded = `not expressible as libseccomp rules: ${tr.reason}`;
    } else {
      row.lso1 = peer(core, gen, p, tr.rules, 1, mine.rets);
      row.lso2 = peer(core, gen, p, tr.rules, 2, mine.rets);
      if (row.lso2.metric && !row.lso2.excluded) {
        const out = generate(gen, tr.rules, 2, path.join(WORK, 'lso2.bpf'));
        if (out.program) row.weighted!.lso2 = costs(out.program);
      }
    }
    if (rows.length % 40 === 0) log(`  filters: ${rows.length}/${corpus.policies.length} policies`);
  }

  const ok = rows.filter((r) => r.tsjail);
  const lsoRows = ok.filter((r) => r.lso1.metric && !r.lso1.excluded && r.lso2.metric && !r.lso2.excluded);
  const notAllowedCond = (r: FilterRow) => r.minijail.condCases > 0;
  const targets: TargetCheck[] = [
    ratioCheck(ok, 'allowed_mean', "<= minijail's", 1, (m) => m.allowedMean, (r) => r.minijail),
    ratioCheck(ok, 'cond_mean', "<= 0.85x minijail's", 0.85, (m) => m.condMean, (r) => r.minijail, notAllowedCond),
    ratioCheck(ok, 'worst', "<= 0.5x minijail's", 0.5, (m) => m.worst, (r) => r.minijail),
  ];
  const lso2 = (r: FilterRow) => r.lso2.metric;
  for (const [name, pick] of [['len', (m: FilterMetric) => m.len], ['allowed_mean', (m: FilterMetric) => m.allowedMean], ['denied_mean', (m: FilterMetric) => m.deniedMean],
    ['cond_mean', (m: FilterMetric) => m.condMean], ['worst', (m: FilterMetric) => m.worst]] as const) {
    targets.push(ratioCheck(lsoRows, name, "<= libseccomp OPTIMIZE=2's", 1, pick, lso2, name === 'cond_mean' ? (r) => r.tsjail!.condCases > 0 : undefined));
  }

  const result: FiltersResult = {
    part: 'filters',
    arch: ARCH,
    policies: rows.length,
    missingPolicies: corpus.missing,
    tsjailErrors: rows.filter((r) => r.tsjailError).map((r) => ({ file: r.file, error: r.tsjailError! })),
    countMismatches: ok.filter((r) => !r.sameCountsAsMinijail).map((r) => ({
      file: r.file,
      tsjail: `allowed_n ${r.tsjail!.allowedN}, cond_cases ${r.tsjail!.condCases}`,
      minijail: `allowed_n ${r.minijail.allowedN}, cond_cases ${r.minijail.condCases}`,
    })),
    means: { tsjail: corpusMeans(ok.map((r) => r.tsjail!)), minijail: corpusMeans(ok.map((r) => r.minijail)) },
    lsoSubset: {
      policies: lsoRows.length,
      tsjail: corpusMeans(lsoRows.map((r) => r.tsjail!)),
      minijail: corpusMeans(lsoRows.map((r) => r.minijail)),
      lso1: corpusMeans(lsoRows.map((r) => r.lso1.metric!)),
      lso2: corpusMeans(lsoRows.map((r) => r.lso2.metric!)),
    },
    lsoExcluded: rows.filter((r) => r.lso1.excluded || r.lso2.excluded).map((r) => ({
      file: r.file,
      reason: r.lso1.excluded === r.lso2.excluded ? r.lso1.excluded! : `OPTIMIZE=1: ${r.lso1.excluded ?? 'ok'}; OPTIMIZE=2: ${r.lso2.excluded ?? 'ok'}`,
    })),
    targets,
    libseccomp: libseccompVersion(),
    weighted: weightedSummary(ok, workloads, minijailSkipped),
    seconds: (Date.now() - t0) / 1000,
  };
  writeFileSync(path.join(RESULTS, `filters-${ARCH}.tsv`), filtersTsv(rows));
  return result;
}

function weightedSummary(rows: FilterRow[], workloads: Workload[], minijailSkipped: string | undefined): WeightedSummary {
  const avg = (l: number[]) => l.reduce((a, b) => a + b, 0) / Math.max(1, l.length);
  const both = rows.filter((r) => r.weighted?.minijail && !Number.isNaN(r.weighted.tsjail.combined) && !Number.isNaN(r.weighted.minijail.combined));
  const misses = both.filter((r) => r.weighted!.tsjail.combined > r.weighted!.minijail!.combined + 1e-9)
    .map((r) => ({ file: r.file, tsjail: r.weighted!.tsjail.combined, minijail: r.weighted!.minijail!.combined, ratio: r.weighted!.tsjail.combined / r.weighted!.minijail!.combined }))
    .sort((a, b) => b.ratio - a.ratio);
  const perWorkload = workloads.map((w, i) => {
    const rs = rows.filter((r) => r.weighted?.minijail && !Number.isNaN(r.weighted.tsjail.perWorkload[i]) && !Number.isNaN(r.weighted.minijail.perWorkload[i]));
    return { name: w.name, compared: rs.length, atOrBelow: rs.filter((r) => r.weighted!.tsjail.perWorkload[i] <= r.weighted!.minijail!.perWorkload[i] + 1e-9).length,
      meanTsjail: avg(rs.map((r) => r.weighted!.tsjail.perWorkload[i])), meanMinijail: avg(rs.map((r) => r.weighted!.minijail!.perWorkload[i])) };
  });
  const l2 = rows.filter((r) => r.weighted?.lso2 && !Number.isNaN(r.weighted.tsjail.combined) && !Number.isNaN(r.weighted.lso2.combined));
  return {
    workloads: workloads.map((w) => ({ name: w.name, calls: w.calls, syscalls: w.shares.size })),
    minijailSkipped,
    compared: both.length,
    tsjailAtOrBelow: both.length - misses.length,
    misses,
    meanTsjail: avg(both.map((r) => r.weighted!.tsjail.combined)),
    meanMinijail: avg(both.map((r) => r.weighted!.minijail!.combined)),
    uniformTsjail: avg(both.map((r) => r.tsjail!.allowedMean)),
    uniformMinijail: avg(both.map((r) => r.minijail.allowedMean)),
    perWorkload,
    minijailMismatches: rows.filter((r) => r.weighted?.minijailExcluded && !minijailSkipped).map((r) => ({ file: r.file, reason: r.weighted!.minijailExcluded! })),
    lso2: { compared: l2.length, tsjailAtOrBelow: l2.filter((r) => r.weighted!.tsjail.combined <= r.weighted!.lso2!.combined + 1e-9).length,
      meanTsjail: avg(l2.map((r) => r.weighted!.tsjail.combined)), meanLso2: avg(l2.map((r) => r.weighted!.lso2!.combined)) },
  };
}

const METRIC_COLS = ['len', 'allowed_n', 'allowed_mean', 'allowed_max', 'denied_mean', 'denied_max', 'cond_cases', 'cond_mean', 'worst'];
function metricCells(m: FilterMetric | undefined): string[] {
  if (!m) return METRIC_COLS.map(() => '');
  return [String(m.len), String(m.allowedN), fmt(m.allowedMean, 3), String(m.allowedMax), fmt(m.deniedMean, 3), String(m.deniedMax),
    String(m.condCases), fmt(m.condMean, 3), String(m.worst)];
}

function filtersTsv(rows: FilterRow[]): string {
  const head = ['file', 'name',
    ...METRIC_COLS.map((c) => 'tsjail_' + c), ...METRIC_COLS.map((c) => 'minijail_' + c),
    ...METRIC_COLS.map((c) => 'lso1_' + c), ...METRIC_COLS.map((c) => 'lso2_' + c),
    'same_counts_as_minijail', 'allowed_le_minijail', 'cond_le_085', 'worst_le_05', 'lso_verify',
    'tsjail_weighted', 'minijail_weighted', 'lso2_weighted', 'weighted_le_minijail', 'notes'];
  const out = [head.join('\t')];
  for (const r of rows) {
    const t = r.tsjail, m = r.minijail;
    const lso1 = r.lso1.excluded ? undefined : r.lso1.metric;
    const lso2 = r.lso2.excluded ? undefined : r.lso2.metric;
    const yn = (b: boolean | undefined) => (b === undefined ? '' : b ? 'yes' : 'no');
    const notes = [r.tsjailError, r.lso1.excluded && `libseccomp OPTIMIZE=1 excluded: ${r.lso1.excluded}`, r.lso2.excluded && `libseccomp OPTIMIZE=2 excluded: ${r.lso2.excluded}`]
      .filter(Boolean).join('; ').replace(/[\t\n]/g, ' ');
    out.push([r.file, shortName(r.file), ...metricCells(t), ...metricCells(m), ...metricCells(lso1), ...metricCells(lso2),
      yn(r.sameCountsAsMinijail),
      yn(t && t.allowedMean <= m.allowedMean + 1e-9),
      m.condCases > 0 ? yn(t && t.condMean <= 0.85 * m.condMean + 1e-9) : '',
      yn(t && t.worst <= 0.5 * m.worst + 1e-9),
      `${r.lso1.verify ?? ''}|${r.lso2.verify ?? ''}`.replace(/[\t\n]/g, ' '),
      fmt(r.weighted?.tsjail.combined, 3), fmt(r.weighted?.minijail?.combined, 3), fmt(r.weighted?.lso2?.combined, 3),
      r.weighted?.minijail && !Number.isNaN(r.weighted.minijail.combined) ? yn(r.weighted.tsjail.combined <= r.weighted.minijail.combined + 1e-9) : '',
      [notes, r.weighted?.minijailExcluded && `minijail weighted: ${r.weighted.minijailExcluded}`].filter(Boolean).join('; ').replace(/[\t\n]/g, ' ')].join('\t'));
  }
  return out.join('\n') + '\n';
}
