// Front-end test helpers: the core's analyze export (text -> IR JSON + diagnostics), and an
// evaluator of that JSON with the IR's documented meaning (wasm/assembly/ir.ts), so the
// semantic vectors of test/vectors.test.ts can be checked at the IR level, apart from codegen.

import { Flag } from '../../ts/policy/abi';
import { loadCore } from '../../ts/policy/core';
import type { Diagnostic } from '../../ts/policy/diagnostics';
import { encodeFiles } from '../../ts/policy/request';
import { atomHolds } from './ir-meaning';

export const FLAG_RETURN_ON_MATCH = Flag.ReturnOnMatch;
export const FLAG_KILL_THREAD = Flag.KillThread;

export interface ActionJson { ret: number; name: string; text: string }
/** [start, end, line, column, endLine, endColumn] (wasm/assembly/irdump.ts). */
export type SpanJson = [number, number, number, number, number, number];
export interface AtomJson { arg: number; op: string; value: string; mask?: string; span?: SpanJson }
/** file: an index into IrJson.files; action: the core's index into its actions, resolved by dump(). */
export interface RuleJson { action: ActionJson; file?: number; span?: SpanJson; clauses: AtomJson[][] }
export interface SyscallJson { nr: number; name: string; weight: number; rules: RuleJson[] }
export interface IrJson {
  arch: string; auditArch: number; bits: number; files: string[];
  defaultAction: ActionJson; badArchAction: ActionJson; syscalls: SyscallJson[];
}
/** The core's diagnostics JSON is what ts/policy hands out as Diagnostic. */
export type DiagJson = Diagnostic;
/** ir: with errors, what resolved (null for an unknown arch). */
export interface DumpJson { ok: boolean; arch: string; ir: IrJson | null; diagnostics: DiagJson[] }

export interface DumpOptions {
  arch?: string;
  flags?: number;
  defaultAction?: string;
  /** Other files of the set: path (as the core resolves it) -> text. */
  files?: Record<string, string>;
  /** Name of the main policy (default main.policy). */
  path?: string;
}

export async function dump(text: string, o: DumpOptions = {}): Promise<DumpJson> {
  const core = await loadCore();
  const files = encodeFiles([[o.path ?? 'main.policy', text], ...Object.entries(o.files ?? {})]);
  const r = JSON.parse(core.analyze(files, o.arch ?? 'x86_64', o.flags ?? 0, o.defaultAction ?? '')) as DumpJson;
  const actions = (r.ir as (IrJson & { actions: ActionJson[] }) | null)?.actions ?? [];
  for (const sc of r.ir?.syscalls ?? []) for (const rule of sc.rules) rule.action = actions[rule.action as unknown as number];
  return r;
}

/** dump() that must succeed; fails the test with the formatted diagnostics otherwise. */
export async function irOf(text: string, o: DumpOptions = {}): Promise<IrJson> {
  const r = await dump(text, o);
  if (!r.ok || r.ir === null) throw new Error('unexpected diagnostics:\n' + r.diagnostics.map((d) => d.formatted).join('\n'));
  return r.ir;
}

export async function scan(path: string, text: string): Promise<string[]> {
  const core = await loadCore();
  return core.scanIncludes(path, text).split('\n').filter((s) => s !== '');
}

/** The action text ("allow", "errno 38", "kill-process") the IR gives one call. */
export function evalIr(ir: IrJson, nameOrNr: string | number, args: Array<number | bigint> = [], audit?: number): string {
  if (audit !== undefined && audit !== ir.auditArch) return ir.badArchAction.text;
  const full = [0, 1, 2, 3, 4, 5].map((i) => BigInt(args[i] ?? 0));
  const sc = ir.syscalls.find((s) => (typeof nameOrNr === 'number' ? s.nr === nameOrNr : s.name === nameOrNr));
  if (!sc) return ir.defaultAction.text;
  for (const r of sc.rules) {
    if (r.clauses.length === 0) return r.action.text;
    if (r.clauses.some((c) => c.every((a) => atomHolds(a.op, BigInt(a.value), full[a.arg], ir.bits)))) return r.action.text;
  }
  return ir.defaultAction.text;
}

/** Rules of one syscall as compact strings: "allow if arg0 == 0x1 || arg1 != 0x2", "errno 1". */
export function rulesOf(ir: IrJson, name: string): string[] {
  const sc = ir.syscalls.find((s) => s.name === name);
  if (!sc) return [];
  return sc.rules.map((r) => r.clauses.length === 0 ? r.action.text
    : r.action.text + ' if ' + r.clauses.map((c) => c.map((a) => `arg${a.arg} ${a.op} ${a.value}`).join(' && ')).join(' || '));
}
