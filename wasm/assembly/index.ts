// The core's whole export surface (see wasm/exports.txt, checked by test/wasm-exports.test.ts).
// Stateless request/response calls: strings and bytes in, JSON or bytes out; nothing to free.
// Memory: every export begins with arenaEnter() and returns through released() (the per-call
// arena of rt/arena.ts frees everything the call allocated); exports never call each other.

import { SourceSet, Span } from './span';
import { Diagnostics, Code, Severity, formatDiagnostic } from './diagnostics';
import { CompileOptions, FLAG_RETURN_ON_MATCH, FLAG_KILL_THREAD, FLAG_VERIFY, FLAG_CHECK_ONLY } from './options';
import { RET_KILL_THREAD, RET_DATA, actionName } from './actions';
import { findArch, allArches, Arch } from './tables/index';
import { buildIR, scanIncludePaths } from './resolve';
import { generate } from './codegen';
import { encode, decode, Insn } from './bpf/insn';
import { PolicyIR, decideCall, Verdict } from './ir';
import { verifyProgram, V_PROVEN, V_MISMATCH } from './verify/symbolic';
import { diffIR } from './verify/diff';
import { verifyJson, verifyReport, diffJson } from './verify/report';
import { simulateProgram, runProgram, readU32, SimResult } from './bpf/simulate';
import { disassembleProgram } from './bpf/disasm';
import { JsonObject, jsonString, jsonArray, hexJson } from './json';
import { parseIRText } from './codegen/irtext';
import { indexOfChar } from './lexer';
import { irJson } from './irdump';
import { rankNames as rank } from './suggest';
import { formatPolicy } from './format';
import { lintPolicy } from './lint/index';
import { tokensJson, syscallArgumentsJson } from './service';
import { layoutMulti, splitMulti, headerLength, sliceArchName } from './multiarch';
import { BPF_MAXINSNS } from './bpf/insn';
import { VerifyResult } from './verify/symbolic';

/** Paths named by `@include`/`@frequency` in one file, resolved against `path`'s directory; '\n'-separated. */
export function scanIncludes(path: string, text: string): string {
  arenaEnter();
  return released(scanIncludePaths(path, text).join('\n'));
}

/**
 * Compile a policy. `files` is `path\0text\0path\0text...`, the main policy first, then every
 * file its @include/@frequency lines name (absent = not found). Returns JSON:
 * {ok, arch, program (hex sock_filter bytes), insns, diagnostics[]}.
 */
export function compile(files: string, arch: string, flags: u32, defaultAction: string): string {
  arenaEnter();
  const multi = multiFrontEnds(files, arch, flags, defaultAction);
  if (multi != null) return released(compileMulti(multi));
  const fe = frontEnd(files, arch, flags, defaultAction);
  return released(compileFrom(fe, fe.ir));
}

/**
 * Every export starts with arenaEnter and returns through this: the call's memory is dropped
 * (wasm/assembly/rt/arena.ts) and the result, still intact, is lifted by core.js before
 * anything else is allocated.
 */
function released(result: string): string {
  arenaRelease();
  return result;
}

/** The parsed, resolved policy of one request. */
class FrontEnd {
  sources: SourceSet = new SourceSet();
  diags: Diagnostics = new Diagnostics();
  arch: Arch | null = null;
  /** The policy's meaning; null when it has errors. */
  ir: PolicyIR | null = null;
  /** What resolved, also with errors (the statements that have errors are left out). */
  partialIR: PolicyIR | null = null;
  verify: bool = false;
}

function frontEnd(files: string, arch: string, flags: u32, defaultAction: string): FrontEnd {
  const fe = new FrontEnd();
  // `path\0text\0...` read in place (split() searches with String#indexOf, slow per character);
  // a trailing path without its text is ignored, as before.
  let start = 0;
  let path: string | null = null;
  const n = files.length;
  while (start <= n) {
    let end = indexOfChar(files, 0, start);
    if (end < 0) end = n;
    const part = files.substring(start, end);
    if (path == null) path = part;
    else { fe.sources.add(path, part); path = null; }
    start = end + 1;
  }
  const a = findArch(arch);
  fe.arch = a;
  fe.verify = (flags & FLAG_VERIFY) != 0;
  if (a == null) {
    fe.diags.error(Code.UnknownArch, null, [arch]);
  } else if (fe.sources.paths.length == 0) {
    fe.diags.error(Code.InternalError, null, ['no policy file given']);
  } else {
    const opts = new CompileOptions();
    opts.returnOnMatch = (flags & FLAG_RETURN_ON_MATCH) != 0;
    if ((flags & FLAG_KILL_THREAD) != 0) opts.killAction = RET_KILL_THREAD;
    opts.verify = fe.verify;
    opts.defaultActionOverride = defaultAction;
    const ir = buildIR(fe.sources, a, opts, fe.diags);
    fe.partialIR = ir;
    if (ir != null && !fe.diags.hasErrors) fe.ir = ir;
  }
  return fe;
}

function compileFrom(fe: FrontEnd, ir: PolicyIR | null): string {
  let program: Uint8Array | null = null;
  let insns = 0;
  let report = 'null';
  const diags = fe.diags;
  if (ir != null && !diags.hasErrors) {
    const prog = generate(ir, diags);
    if (prog != null && !diags.hasErrors) {
      if (fe.verify) {
        const v = verifyProgram(ir, prog);
        report = verifyJson(v, ir, fe.sources);
        // Never hand out a program that was not proven equal to its policy when asked to verify.
        if (v.status != V_PROVEN) diags.error(Code.VerifyFailed, null, [v.status == V_MISMATCH ? 'the program differs from the policy' : v.reason]);
      }
      if (!diags.hasErrors) {
        program = encode(prog);
        insns = prog.length;
      }
    }
  }
  return new JsonObject()
    .bool('ok', program != null && !diags.hasErrors)
    .str('arch', fe.arch != null ? fe.arch!.name : '')
    .raw('program', program != null ? hexJson(program) : '""')
    .int('insns', insns)
    .raw('verify', report)
    .raw('diagnostics', diagnosticsJson(diags, fe.sources))
    .toString();
}

/**
 * Prove that a program gives the policy's outcome for every input (arch, nr, all 64-bit
 * args, ip). `program` empty = tsjail's own output for the policy. Returns JSON
 * {ok, verify: {status: proven|mismatch|unproven, reason?, counterexample?, paths, regions} | null,
 *  insns, diagnostics[]}.
 */
export function verify(files: string, arch: string, flags: u32, defaultAction: string, program: Uint8Array): string {
  arenaEnter();
  const multi = multiFrontEnds(files, arch, flags, defaultAction);
  if (multi != null) return released(verifyMulti(multi, program));
  const fe = frontEnd(files, arch, flags, defaultAction);
  let report = 'null';
  let insns = 0;
  const ir = fe.ir;
  if (ir != null && !fe.diags.hasErrors) {
    let prog: Insn[] | null = null;
    if (program.length == 0) prog = generate(ir, fe.diags);
    else {
      prog = decode(program);
      if (prog == null) fe.diags.error(Code.InvalidProgram, null, ['its length is not a multiple of 8 bytes']);
    }
    if (prog != null && !fe.diags.hasErrors) {
      insns = prog.length;
      report = verifyJson(verifyProgram(ir, prog), ir, fe.sources);
    }
  }
  return released(new JsonObject()
    .bool('ok', !fe.diags.hasErrors && report != 'null')
    .raw('verify', report)
    .int('insns', insns)
    .raw('diagnostics', diagnosticsJson(fe.diags, fe.sources))
    .toString());
}

/**
 * The exact set of inputs whose outcome differs between two policies (same arch and
 * options). Returns JSON {ok, diff: {complete, differences[]} | null, diagnosticsOld[], diagnosticsNew[]}.
 */
export function diff(filesOld: string, filesNew: string, arch: string, flags: u32, defaultAction: string): string {
  arenaEnter();
  const a = frontEnd(filesOld, arch, flags, defaultAction);
  const b = frontEnd(filesNew, arch, flags, defaultAction);
  let report = 'null';
  const irA = a.ir, irB = b.ir;
  if (irA != null && irB != null && !a.diags.hasErrors && !b.diags.hasErrors) report = diffJson(diffIR(irA, irB), irA);
  return released(new JsonObject()
    .bool('ok', report != 'null')
    .raw('diff', report)
    .raw('diagnosticsOld', diagnosticsJson(a.diags, a.sources))
    .raw('diagnosticsNew', diagnosticsJson(b.diags, b.sources))
    .toString());
}

/**
 * The front end's result without codegen, for tools (tsjail/policy's analyzePolicy: lint, the
 * language service, OCI export) and front-end tests. Same arguments as compile. Returns JSON
 * {ok, arch, ir, diagnostics[] (as in compile)}. `ir` (shape and spans in irdump.ts) is there
 * also when the policy has errors: what resolved, the statements with errors left out; it is
 * null for an unknown arch and with FLAG_CHECK_ONLY (diagnostics only, a cheap lint).
 */
export function analyze(files: string, arch: string, flags: u32, defaultAction: string): string {
  arenaEnter();
  const multi = multiFrontEnds(files, arch, flags, defaultAction, true);
  if (multi != null) return released(analyzeMulti(multi, flags));
  const fe = frontEnd(files, arch, flags, defaultAction);
  const ir = fe.partialIR;
  return released(new JsonObject()
    .bool('ok', !fe.diags.hasErrors)
    .str('arch', fe.arch != null ? fe.arch!.name : '')
    .raw('ir', ir != null && (flags & FLAG_CHECK_ONLY) == 0 ? irJson(ir, fe.sources) : 'null')
    .raw('diagnostics', diagnosticsJson(fe.diags, fe.sources))
    .toString());
}

/**
 * analyze for several arches: `ir` null, `arches` each arch's {arch, ir}, the diagnostics
 * merged as compile merges them (one entry per distinct diagnostic, `arch` naming the arches
 * that report it).
 */
function analyzeMulti(m: MultiFront, flags: u32): string {
  const items = new Array<string>();
  for (let i = 0; i < m.fronts.length; i++) {
    const fe = m.fronts[i];
    const ir = fe.partialIR;
    items.push(new JsonObject()
      .str('arch', fe.arch!.name)
      .raw('ir', ir != null && (flags & FLAG_CHECK_ONLY) == 0 ? irJson(ir, fe.sources) : 'null')
      .toString());
  }
  return new JsonObject()
    .bool('ok', !multiHasErrors(m))
    .str('arch', multiArchName(m))
    .raw('ir', 'null')
    .raw('arches', jsonArray(items))
    .raw('diagnostics', multiDiagnosticsJson(m))
    .toString();
}

/**
 * Lint a policy (tsjail lint, lintPolicy): the front end's diagnostics (as analyze gives them),
 * then the lint findings (6xxx codes, full ranges, suggestions as fixes); the findings about
 * meaning need a policy without errors. Same arguments as compile (several arches too: each
 * arch is linted on its own and the findings merged, `arch` naming the arches that report
 * each). Returns JSON {ok (no errors), arch, diagnostics[]}.
 */
export function lint(files: string, arch: string, flags: u32, defaultAction: string): string {
  arenaEnter();
  const returnOnMatch = (flags & FLAG_RETURN_ON_MATCH) != 0;
  const multi = multiFrontEnds(files, arch, flags, defaultAction, true);
  if (multi != null) {
    for (let i = 0; i < multi.fronts.length; i++) {
      const fe = multi.fronts[i];
      lintPolicy(fe.sources, fe.arch!, fe.ir, returnOnMatch, fe.diags);
    }
    return released(new JsonObject()
      .bool('ok', !multiHasErrors(multi))
      .str('arch', multiArchName(multi))
      .raw('diagnostics', multiDiagnosticsJson(multi))
      .toString());
  }
  const fe = frontEnd(files, arch, flags, defaultAction);
  const a = fe.arch;
  if (a != null) lintPolicy(fe.sources, a, fe.ir, returnOnMatch, fe.diags);
  return released(new JsonObject()
    .bool('ok', !fe.diags.hasErrors)
    .str('arch', a != null ? a.name : '')
    .raw('diagnostics', diagnosticsJson(fe.diags, fe.sources))
    .toString());
}

/**
 * The canonical layout of one policy file (tsjail fmt; formatPolicy). Per file, no includes, no
 * arch. Returns JSON {ok, text, changed, diagnostics[]}; ok false (text '') when the file has
 * syntax errors, which the diagnostics name.
 */
export function format(path: string, text: string): string {
  arenaEnter();
  const r = formatPolicy(path, text);
  const sources = new SourceSet();
  sources.add(path, text);
  return released(new JsonObject()
    .bool('ok', r.ok)
    .str('text', r.text)
    .bool('changed', r.ok && r.text != text)
    .raw('diagnostics', diagnosticsJson(r.diags, sources))
    .toString());
}

/**
 * The names of `candidates` ('\n'-separated) close enough to `name` to be a typo, best first,
 * at most `count`, '\n'-separated: the core's "did you mean" for the host's own messages
 * (unknown arch or syscall in the CLI and simulate), so there is one threshold.
 */
export function rankNames(name: string, candidates: string, count: i32): string {
  arenaEnter();
  return released(rank(name, candidates.split('\n'), count).join('\n'));
}

/**
 * TEST-ORIENTED export (codegen property tests, fuzzing, the verifier): compile an IR written
 * in the line format of codegen/irtext.ts, bypassing the policy front end. Same JSON as `compile`.
 */
export function compileIRText(text: string, arch: string): string {
  arenaEnter();
  const diags = new Diagnostics();
  const sources = new SourceSet();
  const a = findArch(arch);
  let program: Uint8Array | null = null;
  let insns = 0;
  if (a == null) {
    diags.error(Code.UnknownArch, null, [arch]);
  } else {
    const parsed = parseIRText(text, a);
    const ir = parsed.ir;
    if (ir == null) {
      diags.error(Code.InternalError, null, ['IR text ' + parsed.error]);
    } else {
      const prog = generate(ir, diags);
      if (prog != null && !diags.hasErrors) {
        program = encode(prog);
        insns = prog.length;
      }
    }
  }
  return released(new JsonObject()
    .bool('ok', program != null && !diags.hasErrors)
    .str('arch', a != null ? a.name : arch)
    .raw('program', program != null ? hexJson(program) : '""')
    .int('insns', insns)
    .raw('diagnostics', diagnosticsJson(diags, sources))
    .toString());
}

/** A span's file, offsets, and line and column of both ends (derived by SourceSet, as for the IR's spans). */
function rangeJson(o: JsonObject, s: Span, sources: SourceSet): JsonObject {
  return o.str('file', sources.paths[s.file])
    .int('start', s.start).int('end', s.end)
    .int('line', sources.line(s.file, s.start)).int('column', sources.column(s.file, s.start))
    .int('endLine', sources.line(s.file, s.end)).int('endColumn', sources.column(s.file, s.end));
}

function diagnosticsJson(diags: Diagnostics, sources: SourceSet): string {
  return jsonArray(written(diagnosticObjects(diags, sources)));
}

function written(objects: JsonObject[]): string[] {
  const out = new Array<string>(objects.length);
  for (let i = 0; i < objects.length; i++) out[i] = objects[i].toString();
  return out;
}

/** Each diagnostic as a JSON object, still open to more fields (the multi-arch results add `arch`). */
function diagnosticObjects(diags: Diagnostics, sources: SourceSet): JsonObject[] {
  const items = new Array<JsonObject>();
  for (let i = 0; i < diags.list.length; i++) {
    const d = diags.list[i];
    const o = new JsonObject()
      .int('code', d.code)
      .str('severity', d.severity == Severity.Error ? 'error' : 'warning')
      .str('message', d.message);
    const s = d.span;
    if (s != null) rangeJson(o, s, sources);
    const r = d.related;
    if (r != null) {
      o.raw('related', rangeJson(new JsonObject(), r, sources).str('message', d.relatedMessage).toString());
    }
    const suggestions = d.suggestions;
    if (suggestions != null) {
      const list = new Array<string>(suggestions.length);
      for (let k = 0; k < suggestions.length; k++) {
        const edits = suggestions[k].edits;
        const editList = new Array<string>(edits.length);
        for (let e = 0; e < edits.length; e++) {
          editList[e] = rangeJson(new JsonObject(), edits[e].span, sources).str('newText', edits[e].newText).toString();
        }
        list[k] = new JsonObject().str('title', suggestions[k].title).raw('edits', jsonArray(editList)).toString();
      }
      o.raw('suggestions', jsonArray(list));
    }
    o.str('formatted', formatDiagnostic(d, sources));
    items.push(o);
  }
  return items;
}

/**
 * Run a program (sock_filter bytes) on one struct seccomp_data (64 bytes, little-endian).
 * Returns JSON {ok, ret, action, data, insns, error?}.
 */
export function simulate(program: Uint8Array, data: Uint8Array): string {
  arenaEnter();
  return released(simulateProgram(program, data, false));
}

/**
 * simulate, plus `path`: the index of each instruction executed, in order. A separate export
 * so that the runs that only want the verdict (the CLI, benchmarks, tests) record nothing.
 */
export function simulateTraced(program: Uint8Array, data: Uint8Array): string {
  arenaEnter();
  return released(simulateProgram(program, data, true));
}

/**
 * Compile a policy and run its program on one struct seccomp_data (64 bytes), naming the rule
 * that decides the call: the first rule of the IR whose condition holds, which the program is
 * built (and proven) to agree with. Same first four arguments as compile. Returns JSON
 * {ok, arch, ret, action, data, insns (the program's run, as simulate reports it),
 *  rule: {file, start, end, line, column, endLine, endColumn} | null (the default or bad-arch
 *  action decided), diagnostics[]}; ok false (no run) when the policy has errors.
 */
export function simulatePolicy(files: string, arch: string, flags: u32, defaultAction: string, data: Uint8Array): string {
  arenaEnter();
  const multi = multiFrontEnds(files, arch, flags, defaultAction);
  if (multi != null) return released(simulateMulti(multi, data));
  const fe = frontEnd(files, arch, flags, defaultAction);
  const diags = fe.diags;
  const ir = fe.ir;
  let res: SimResult | null = null;
  let rule = 'null';
  if (ir != null && !diags.hasErrors) {
    if (data.length < 64) {
      diags.error(Code.InternalError, null, ['seccomp_data must be 64 bytes, got ' + data.length.toString()]);
    } else {
      const prog = generate(ir, diags);
      if (prog != null && !diags.hasErrors) {
        res = runProgram(prog, data);
        const v = decideData(ir, data);
        // Never name a rule the program did not follow (the verifier proves they agree).
        if (res.error.length > 0 || res.ret != v.action) {
          diags.error(Code.InternalError, null, ['the program and the policy disagree on this call']);
        } else {
          rule = ruleJson(ir, v, fe.sources);
        }
      }
    }
  }
  const o = new JsonObject().bool('ok', res != null && !diags.hasErrors).str('arch', fe.arch != null ? fe.arch!.name : '');
  if (res != null && !diags.hasErrors) {
    o.int('ret', res.ret).str('action', actionName(res.ret)).int('data', res.ret & RET_DATA).int('insns', res.insns).raw('rule', rule);
  }
  return released(o.raw('diagnostics', diagnosticsJson(diags, fe.sources)).toString());
}

/** The policy's verdict on the call in `data` (a struct seccomp_data, 64 bytes, little-endian). */
function decideData(ir: PolicyIR, data: Uint8Array): Verdict {
  const args = new StaticArray<u64>(6);
  for (let k = 0; k < 6; k++) args[k] = <u64>readU32(data, 16 + 8 * k) | (<u64>readU32(data, 20 + 8 * k) << 32);
  return decideCall(ir, readU32(data, 4), readU32(data, 0), args);
}

/** The range of the rule that decided `v` as simulatePolicy's `rule`, or 'null' (the default or bad-arch action decided). */
function ruleJson(ir: PolicyIR, v: Verdict, sources: SourceSet): string {
  if (v.syscallIndex < 0) return 'null';
  const span = ir.syscalls[v.syscallIndex].rules[v.ruleIndex].span;
  return span != null ? rangeJson(new JsonObject(), span, sources).toString() : 'null';
}

/** Readable listing of a program with labels and decoded constants; `arch` names syscalls. */
export function disassemble(program: Uint8Array, arch: string): string {
  arenaEnter();
  return released(disassembleProgram(program, arch));
}

/** Supported arch names, '\n'-separated. */
export function archNames(): string {
  arenaEnter();
  const l = allArches();
  const names = new Array<string>(l.length);
  for (let i = 0; i < l.length; i++) names[i] = l[i].name;
  return released(names.join('\n'));
}

/** JSON {name: nr} of an arch's syscalls, or '' for an unknown arch. */
export function syscallTable(arch: string): string {
  arenaEnter();
  const a = findArch(arch);
  if (a == null) return released('');
  const m = a.syscalls;
  const items = new Array<string>(m.size);
  for (let i = 0; i < m.size; i++) items[i] = jsonString(m.names[i]) + ':' + m.values[i].toString();
  return released('{' + items.join(',') + '}');
}

/** JSON {name: "0xhex"} of an arch's named constants, or '' for an unknown arch. */
export function constantTable(arch: string): string {
  arenaEnter();
  const a = findArch(arch);
  if (a == null) return released('');
  const m = a.constants;
  const items = new Array<string>(m.size);
  for (let i = 0; i < m.size; i++) items[i] = jsonString(m.names[i]) + ':"0x' + m.values[i].toString(16) + '"';
  return released('{' + items.join(',') + '}');
}

// decode is re-exported for hosts that validate .bpf files before simulating them.
export function programLength(program: Uint8Array): i32 {
  arenaEnter();
  const p = decode(program);
  arenaRelease();
  return p == null ? -1 : p.length;
}

/**
 * The tokens of one file for editors (semantic highlighting, the language service's context):
 * JSON {kinds: [name...], tokens: [kind, start, end, ...]}, comments included (service.ts).
 */
export function tokens(text: string): string {
  arenaEnter();
  return released(tokensJson(text));
}

/** A well-known syscall's argument names and the constant patterns that fit each (JSON), '' when not known. */
export function syscallArguments(name: string): string {
  arenaEnter();
  return released(syscallArgumentsJson(name));
}

// ---- multi-arch requests (`x86_64,i386` or `all`): wasm/assembly/multiarch.ts ----

/** The per-arch front ends of a multi-arch request; `list` names them in the request's order. */
class MultiFront {
  fronts: FrontEnd[] = [];
  /** Problems with the arch list itself (an unknown name, no arch left). */
  diags: Diagnostics = new Diagnostics();
  sources: SourceSet = new SourceSet();
}

/** True when `arch` asks for a multi-arch program: a comma-separated list, or `all`. */
function isMultiArch(arch: string): bool {
  return arch == 'all' || indexOfChar(arch, 44 /* , */) >= 0;
}

/**
 * The front ends of a multi-arch request, or null when `arch` names one arch (the single-arch
 * path, unchanged). A list keeps its order, repeats dropped; `all` is every arch, in the core's
 * order, on which the policy resolves without errors (its `[arch=...]` tags are applied per
 * arch, and every name it uses exists there); when it resolves on none, all five front ends
 * are kept so their errors are reported. `everyArch` (lint, analyze) keeps every arch for
 * `all`: there, a name an arch lacks is a finding for that arch, not a reason to leave it out.
 */
function multiFrontEnds(files: string, arch: string, flags: u32, defaultAction: string, everyArch: bool = false): MultiFront | null {
  if (!isMultiArch(arch)) return null;
  const m = new MultiFront();
  if (arch == 'all') {
    const l = allArches();
    const failed: FrontEnd[] = [];
    for (let i = 0; i < l.length; i++) {
      const fe = frontEnd(files, l[i].name, flags, defaultAction);
      if (everyArch || (fe.ir != null && !fe.diags.hasErrors)) m.fronts.push(fe);
      else failed.push(fe);
    }
    if (m.fronts.length == 0) m.fronts = failed;
    return m;
  }
  const names = arch.split(',');
  const seen: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const name = names[i].trim();
    const a = findArch(name);
    if (a == null) { m.diags.error(Code.UnknownArch, null, [name]); continue; }
    if (seen.includes(a.name)) continue;
    seen.push(a.name);
    m.fronts.push(frontEnd(files, a.name, flags, defaultAction));
  }
  if (m.fronts.length == 0 && !m.diags.hasErrors) m.diags.error(Code.UnknownArch, null, [arch]);
  return m;
}

/** The front end of the request's arch with this AUDIT_ARCH value, or null when the request does not name it. */
function frontFor(m: MultiFront, auditArch: u32): FrontEnd | null {
  for (let i = 0; i < m.fronts.length; i++) if (m.fronts[i].arch!.auditArch == auditArch) return m.fronts[i];
  return null;
}

function multiHasErrors(m: MultiFront): bool {
  if (m.diags.hasErrors || m.fronts.length == 0) return true;
  for (let i = 0; i < m.fronts.length; i++) if (m.fronts[i].ir == null || m.fronts[i].diags.hasErrors) return true;
  return false;
}

function multiArchName(m: MultiFront): string {
  const names = new Array<string>();
  for (let i = 0; i < m.fronts.length; i++) names.push(m.fronts[i].arch!.name);
  return names.join(',');
}

/**
 * Every front end's diagnostics, each with an `arch` field: the arches that report it,
 * comma-separated (the same diagnostic from several arches appears once).
 */
function multiDiagnosticsJson(m: MultiFront): string {
  const objects = diagnosticObjects(m.diags, m.sources);
  const keys = written(objects);
  const arches = new Array<string>(keys.length).fill('');
  for (let i = 0; i < m.fronts.length; i++) {
    const fe = m.fronts[i];
    const items = diagnosticObjects(fe.diags, fe.sources);
    for (let k = 0; k < items.length; k++) {
      const key = items[k].toString();
      const at = keys.indexOf(key);
      if (at >= 0) arches[at] = arches[at].length > 0 ? arches[at] + ',' + fe.arch!.name : fe.arch!.name;
      else { keys.push(key); objects.push(items[k]); arches.push(fe.arch!.name); }
    }
  }
  const out = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) out[i] = arches[i].length > 0 ? objects[i].str('arch', arches[i]).toString() : keys[i];
  return jsonArray(out);
}

/** What an arch outside the list gets: the bad-arch action (kill-process, or kill-thread with FLAG_KILL_THREAD). */
function multiBadArch(m: MultiFront): u32 {
  return m.fronts[0].ir!.badArchAction;
}

/** Each arch's program (null entries when one failed: its diagnostics say why). */
function multiPrograms(m: MultiFront): Array<Insn[] | null> {
  const progs = new Array<Insn[] | null>();
  for (let i = 0; i < m.fronts.length; i++) {
    const fe = m.fronts[i];
    progs.push(generate(fe.ir!, fe.diags));
  }
  return progs;
}

/** The whole program, or null with an error (a part failed, or the total is too long). */
function multiProgram(m: MultiFront, progs: Array<Insn[] | null>): Insn[] | null {
  const audits: u32[] = [];
  const parts: Insn[][] = [];
  let total = headerLength(progs.length);
  const sizes = new Array<string>();
  for (let i = 0; i < progs.length; i++) {
    const p = progs[i];
    if (p == null || m.fronts[i].diags.hasErrors) return null;
    audits.push(m.fronts[i].arch!.auditArch);
    parts.push(p);
    total += p.length;
    sizes.push(m.fronts[i].arch!.name + ' ' + p.length.toString());
  }
  // One arch (a list with repeats, or `all` on a policy for one arch): the single-arch program.
  if (parts.length == 1) return parts[0];
  if (total > BPF_MAXINSNS) {
    m.diags.error(Code.ProgramTooLong, null, [total.toString() + ' (' + sizes.join(', ') + ', dispatch ' + headerLength(parts.length).toString() + ')']);
    return null;
  }
  return layoutMulti(audits, parts, multiBadArch(m));
}

/** {arch, start, insns} per slice, or [] for a single-arch program. */
function slicesJson(prog: Insn[]): string {
  const layout = splitMulti(prog);
  if (layout == null) return '[]';
  const items = new Array<string>();
  for (let i = 0; i < layout.slices.length; i++) {
    const s = layout.slices[i];
    items.push(new JsonObject().str('arch', sliceArchName(s.auditArch)).int('start', s.start).int('insns', s.length).toString());
  }
  return jsonArray(items);
}

/**
 * Prove `prog` equal, for every input, to the request's policies: each listed arch's calls get
 * that arch's policy, every other arch the bad-arch action. A multi-arch program is proven
 * slice by slice (its header's shape checked exactly by splitMulti); any other program is
 * proven against each arch's policy as a whole.
 * JSON: the first report that is not proven (else the first), with `arch`, and `arches`:
 * every arch's report with its `arch`.
 */
function multiVerify(m: MultiFront, prog: Insn[]): MultiVerified {
  const layout = splitMulti(prog);
  const reports = new Array<JsonObject>();
  let worst = -1;
  let headerProblem = '';
  if (layout != null) {
    if (layout.badArchRet != multiBadArch(m)) headerProblem = 'an arch outside the list gets ' + actionName(layout.badArchRet) + ', not the bad-arch action ' + actionName(multiBadArch(m));
    for (let s = 0; s < layout.slices.length && headerProblem.length == 0; s++) {
      const audit = layout.slices[s].auditArch;
      if (frontFor(m, audit) == null) headerProblem = 'the program has a part for ' + sliceArchName(audit) + ', which the request does not name';
    }
  }
  for (let i = 0; i < m.fronts.length; i++) {
    const fe = m.fronts[i];
    const ir = fe.ir!;
    let part: Insn[] = prog;
    let missing = false;
    if (layout != null) {
      const sl = layout.sliceFor(ir.arch.auditArch);
      if (sl != null) part = prog.slice(sl.start, sl.start + sl.length);
      else missing = true;
    }
    let r: JsonObject;
    let proven = false;
    const problem = headerProblem.length > 0 ? headerProblem : missing ? 'the program has no part for ' + ir.arch.name : '';
    if (problem.length > 0) {
      r = new JsonObject().str('status', 'mismatch').int('paths', 0).int('regions', 0).str('reason', problem);
    } else {
      const v: VerifyResult = verifyProgram(ir, part);
      r = verifyReport(v, ir, fe.sources);
      proven = v.status == V_PROVEN;
    }
    if (!proven && worst < 0) worst = i;
    reports.push(r.str('arch', ir.arch.name));
  }
  const top = reports[worst < 0 ? 0 : worst];
  return new MultiVerified(top.raw('arches', jsonArray(written(reports))).toString(), worst < 0);
}

/** multiVerify's JSON report and whether every arch's part was proven. */
class MultiVerified {
  constructor(public json: string, public proven: bool) {}
}

function compileMulti(m: MultiFront): string {
  let program: Uint8Array | null = null;
  let insns = 0;
  let report = 'null';
  let slices = '[]';
  if (!multiHasErrors(m)) {
    const prog = multiProgram(m, multiPrograms(m));
    if (prog != null) {
      if (m.fronts[0].verify) {
        const v = multiVerify(m, prog);
        report = v.json;
        if (!v.proven) m.diags.error(Code.VerifyFailed, null, ['the program differs from the policy of one of its arches']);
      }
      if (!m.diags.hasErrors) {
        program = encode(prog);
        insns = prog.length;
        slices = slicesJson(prog);
      }
    }
  }
  const ok = program != null && !multiHasErrors(m);
  return new JsonObject()
    .bool('ok', ok)
    .str('arch', m.fronts.length > 0 ? multiArchName(m) : '')
    .raw('arches', slices)
    .raw('program', ok ? hexJson(program!) : '""')
    .int('insns', ok ? insns : 0)
    .raw('verify', report)
    .raw('diagnostics', multiDiagnosticsJson(m))
    .toString();
}

function verifyMulti(m: MultiFront, program: Uint8Array): string {
  let report = 'null';
  let insns = 0;
  if (!multiHasErrors(m)) {
    let prog: Insn[] | null = null;
    if (program.length == 0) prog = multiProgram(m, multiPrograms(m));
    else {
      prog = decode(program);
      if (prog == null) m.diags.error(Code.InvalidProgram, null, ['its length is not a multiple of 8 bytes']);
    }
    if (prog != null && !multiHasErrors(m)) {
      insns = prog.length;
      report = multiVerify(m, prog).json;
    }
  }
  return new JsonObject()
    .bool('ok', !multiHasErrors(m) && report != 'null')
    .raw('verify', report)
    .int('insns', insns)
    .raw('diagnostics', multiDiagnosticsJson(m))
    .toString();
}

function simulateMulti(m: MultiFront, data: Uint8Array): string {
  let res: SimResult | null = null;
  let rule = 'null';
  let archName = m.fronts.length > 0 ? multiArchName(m) : '';
  if (!multiHasErrors(m)) {
    if (data.length < 64) {
      m.diags.error(Code.InternalError, null, ['seccomp_data must be 64 bytes, got ' + data.length.toString()]);
    } else {
      const prog = multiProgram(m, multiPrograms(m));
      if (prog != null) {
        res = runProgram(prog, data);
        const audit = readU32(data, 4);
        let expected = multiBadArch(m);
        const fe = frontFor(m, audit);
        if (fe != null) {
          const ir = fe.ir!;
          archName = ir.arch.name;
          const v = decideData(ir, data);
          expected = v.action;
          rule = ruleJson(ir, v, fe.sources);
        }
        if (res.error.length > 0 || res.ret != expected) {
          m.diags.error(Code.InternalError, null, ['the program and the policy disagree on this call']);
          rule = 'null';
        }
      }
    }
  }
  const ok = res != null && !multiHasErrors(m);
  const o = new JsonObject().bool('ok', ok).str('arch', archName);
  if (ok) {
    const r = res!;
    o.int('ret', r.ret).str('action', actionName(r.ret)).int('data', r.ret & RET_DATA).int('insns', r.insns).raw('rule', rule);
  }
  return o.raw('diagnostics', multiDiagnosticsJson(m)).toString();
}
