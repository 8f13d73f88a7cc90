// The compiled program as the page shows it: size, listing, the verifier's status, and which
// rule each instruction serves. Rules are linked to instructions by running, for each rule, a
// call it decides (witness.ts) through the core's simulator and recording the path it reports.

import { IRSyscall, PolicyIR, analyzePolicy, compilePolicy, disassemble, simulate } from '../policy/index';
import type { BuildView, CostRow, RuleView, Workspace } from './protocol';
import { ruleWitnesses } from './witness';
import { loadedFile, mainText, policyOptions } from './workspace';

/** A call's run through the program: the path (instruction indices, ending at the RET) and the value returned. */
export interface Trace {
  path: number[];
  ret: number;
}

/** The core simulator's run of one call, with its path. */
export async function traceCall(program: Uint8Array, arch: string, nr: number, args: bigint[]): Promise<Trace> {
  const r = await simulate(program, { arch, nr, args, trace: true });
  return { path: r.path!, ret: r.ret };
}

export async function build(ws: Workspace): Promise<BuildView> {
  const options = policyOptions(ws);
  const source = mainText(ws);
  const compiled = await compilePolicy(source, { ...options, verify: true });
  const empty: BuildView = {
    ok: false, arch: compiled.arch, errors: [], insns: 0, program: new Uint8Array(0), listing: [], header: [],
    verify: { status: 'none', detail: '' }, rules: [], insnRules: [], ruleInsns: [], cost: [], unlistedCost: 0,
  };
  if (!compiled.ok) {
    return { ...empty, errors: compiled.diagnostics.filter((d) => d.severity === 'error').map((d) => d.formatted.split('\n')[0]) };
  }
  const [analysis, text] = await Promise.all([analyzePolicy(source, options), disassemble(compiled.program, compiled.arch)]);
  const lines = text.replace(/\n$/, '').split('\n');
  // The listing's header (column names and a rule) comes before one line per instruction.
  const header = lines.slice(0, lines.length - compiled.insns);
  const listing = lines.slice(lines.length - compiled.insns);
  const v = compiled.verify;
  const verify = v ? { status: v.status, detail: v.status === 'proven' ? `${v.paths} paths, ${v.regions} regions` : v.reason ?? '' } : { status: 'none', detail: '' };
  const view: BuildView = { ...empty, ok: true, insns: compiled.insns, program: compiled.program, listing, header, verify };
  if (!analysis.ir) return view;
  await linkRules(view, analysis.ir, ws, compiled.program);
  return view;
}

async function linkRules(view: BuildView, ir: PolicyIR, ws: Workspace, program: Uint8Array): Promise<void> {
  view.insnRules = Array.from({ length: view.insns }, () => []);
  const order = fileOrder(ir, ws);
  for (const sc of ir.syscalls) {
    const ids = sc.rules.map((rule) => {
      // Rules of an included file are shown under the loaded file's name, where the page can open it.
      const [file, t] = loadedFile(ws, rule.span.file) ?? [rule.span.file, ''];
      const r: RuleView = {
        id: view.rules.length, syscall: sc.name, nr: sc.nr, file, line: rule.span.line, start: rule.span.start, end: rule.span.end,
        text: t.slice(rule.span.start, rule.span.end) || `line ${rule.span.line}`, action: rule.action.text,
      };
      view.rules.push(r);
      view.ruleInsns.push([]);
      return r.id;
    });
    let zero = 0, worst = 0, allowed = false;
    for (const w of ruleWitnesses(sc, ir.bits)) {
      const trace = await traceCall(program, ir.arch, sc.nr, w.args);
      if (w.args.every((a) => a === 0n)) zero = trace.path.length;
      worst = Math.max(worst, trace.path.length);
      if (trace.ret === 0x7fff0000) allowed = true;
      if (w.rule < 0) continue;
      const id = ids[w.rule];
      view.ruleInsns[id] = trace.path;
      for (const i of trace.path) view.insnRules[i].push(id);
    }
    if (zero === 0) {
      zero = (await simulate(program, { arch: ir.arch, nr: sc.nr })).insns;
    }
    view.cost.push({ syscall: sc.name, nr: sc.nr, weight: sc.weight, allowed, zero, worst, linear: linearCost(order.get(sc.nr) ?? 0) });
  }
  const listed = new Set(ir.syscalls.map((s) => s.nr));
  let unlisted = 0;
  while (listed.has(unlisted)) unlisted++;
  view.unlistedCost = (await simulate(program, { arch: ir.arch, nr: unlisted })).insns;
}

/**
 * minijail's C compiler emits a linear filter: load the arch, compare it, load the number, then
 * one comparison per syscall in the order the policy lists them, and the return. The argument
 * tests after that comparison are left out: this is the dispatch cost alone, shown for scale.
 */
function linearCost(position: number): number {
  return 3 + position + 1;
}

/** Each listed syscall's 1-based position in file order (files in the order they were read). */
function fileOrder(ir: PolicyIR, ws: Workspace): Map<number, number> {
  const fileIndex = (f: string) => (f === ws.main ? -1 : ws.files.findIndex(([n]) => n === f));
  const first = (sc: IRSyscall) => sc.rules[0]?.span;
  const sorted = [...ir.syscalls].sort((a, b) => {
    const sa = first(a), sb = first(b);
    if (!sa || !sb) return sa ? -1 : sb ? 1 : a.nr - b.nr;
    return fileIndex(sa.file) - fileIndex(sb.file) || sa.start - sb.start;
  });
  return new Map(sorted.map((sc, i) => [sc.nr, i + 1]));
}
