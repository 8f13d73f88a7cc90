// JSON reports of verify and diff results for the host (CLI, dashboards, tests).

import { PolicyIR } from '../ir';
import { SourceSet, Span } from '../span';
import { actionName, actionText } from '../actions';
import { JsonObject, jsonArray, jsonString } from '../json';
import { VerifyResult, V_PROVEN, V_MISMATCH } from './symbolic';
import { DiffResult, describeArgs, describeWord, argBits } from './diff';
import { Region, WORD_NR, WORD_ARCH, WORDS } from './region';
import { Domain } from './domain';

function spanJson(sources: SourceSet, s: Span | null): string {
  if (s == null || s.file < 0 || s.file >= sources.paths.length) return 'null';
  return new JsonObject()
    .str('file', sources.paths[s.file])
    .int('line', sources.line(s.file, s.start))
    .int('column', sources.column(s.file, s.start))
    .str('text', sources.lineText(s.file, sources.line(s.file, s.start)).trim())
    .toString();
}

function u64hex(lo: u32, hi: u32): string {
  return jsonString('0x' + ((<u64>hi << 32) | <u64>lo).toString(16));
}

/** {status: "proven"|"mismatch"|"unproven", reason?, counterexample?, paths, regions} */
export function verifyJson(v: VerifyResult, ir: PolicyIR, sources: SourceSet): string {
  return verifyReport(v, ir, sources).toString();
}

/** verifyJson's object, still open to more fields (the multi-arch report adds `arch`). */
export function verifyReport(v: VerifyResult, ir: PolicyIR, sources: SourceSet): JsonObject {
  const o = new JsonObject()
    .str('status', v.status == V_PROVEN ? 'proven' : v.status == V_MISMATCH ? 'mismatch' : 'unproven')
    .int('paths', v.paths)
    .int('regions', v.regions);
  if (v.reason.length > 0) o.str('reason', v.reason);
  const input = v.input;
  if (v.status == V_MISMATCH && input != null) {
    const args = new Array<string>(6);
    for (let k = 0; k < 6; k++) args[k] = u64hex(input[4 + 2 * k], input[5 + 2 * k]);
    const nr = input[WORD_NR];
    const name = ir.arch.syscallName(<i32>nr);
    let rule = 'null';
    if (v.syscallIndex >= 0 && v.ruleIndex >= 0) {
      rule = spanJson(sources, ir.syscalls[v.syscallIndex].rules[v.ruleIndex].span);
    }
    o.raw('counterexample', new JsonObject()
      .int('arch', input[WORD_ARCH])
      .int('nr', nr)
      .str('syscall', name != null ? name : '')
      .raw('args', jsonArray(args))
      .raw('ip', u64hex(input[2], input[3]))
      .str('programAction', actionText(v.programAction))
      .int('programRet', v.programAction)
      .str('policyAction', actionText(v.policyAction))
      .int('policyRet', v.policyAction)
      .int('retPc', v.retPc)
      .raw('rule', rule)
      .toString());
  }
  return o;
}

function u32List(v: u32[]): string {
  const out = new Array<string>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i].toString();
  return jsonArray(out);
}

/** [lo, hi, knownMask, knownVal, [excluded], [nonzero masks]]: one word's Domain, exactly. */
function domainJson(d: Domain): string {
  return '[' + d.lo.toString() + ',' + d.hi.toString() + ',' + d.knownMask.toString() + ',' + d.knownVal.toString() + ',' +
    u32List(d.excluded) + ',' + u32List(d.nz) + ']';
}

/**
 * The region's 16 word domains (region.ts's word order). The host rebuilds whole 64-bit
 * arguments from them and joins regions that differ in one argument only (`arg0 >= 1` is two
 * regions here: high word 0 and low word >= 1, or high word >= 1).
 */
function wordsJson(r: Region): string {
  const out = new Array<string>(WORDS);
  for (let i = 0; i < WORDS; i++) out[i] = domainJson(r.words[i]);
  return jsonArray(out);
}

/** {complete, differences: [{syscall, nr?, scope, condition, words, example, old, new, oldAction, newAction, log2Count}]} */
export function diffJson(d: DiffResult, ir: PolicyIR): string {
  const items = new Array<string>();
  for (let i = 0; i < d.regions.length; i++) {
    // Each item's garbage is dropped at once (wasm/assembly/rt/arena.ts): a diff may list
    // thousands of differences.
    const mark = arenaMark();
    const reg = d.regions[i];
    const r = reg.region;
    const nrD = r.words[WORD_NR];
    const o = new JsonObject();
    const archD = r.words[WORD_ARCH];
    if (!archD.contains(ir.arch.auditArch)) {
      o.str('syscall', '').str('scope', 'foreign-arch').str('condition', describeWord('arch', archD));
    } else if (nrD.singleton) {
      const nr = <i32>nrD.min;
      const name = ir.arch.syscallName(nr);
      o.str('syscall', name != null ? name : '#' + nr.toString()).int('nr', nr)
        .str('scope', 'syscall').str('condition', describeArgs(r, ir.arch.bits));
    } else {
      o.str('syscall', '').str('scope', 'numbers').str('condition', describeWord('nr', nrD));
    }
    // One concrete call inside the region, so a reader (or a test) can replay it.
    const smp = r.sample();
    const sargs = new Array<string>(6);
    for (let k = 0; k < 6; k++) sargs[k] = u64hex(smp[4 + 2 * k], smp[5 + 2 * k]);
    o.raw('words', wordsJson(r));
    o.raw('example', new JsonObject().int('arch', smp[WORD_ARCH]).int('nr', smp[WORD_NR]).raw('args', jsonArray(sargs)).toString());
    o.str('old', actionText(reg.oldAction)).str('new', actionText(reg.newAction))
      .str('oldAction', actionName(reg.oldAction)).str('newAction', actionName(reg.newAction))
      .num('log2Count', Math.round(argBits(r, ir.arch.bits) * 10) / 10);
    items.push(arenaSettle(mark, o.toString()));
  }
  return new JsonObject().bool('complete', d.complete).raw('differences', jsonArray(items)).toString();
}
