// The core's whole export surface (see wasm/exports.txt, checked by test/wasm-exports.test.ts).
// Stateless request/response calls: strings and bytes in, JSON or bytes out; nothing to free.

import { SourceSet } from './span';
import { Diagnostics, Code, Severity, formatDiagnostic } from './diagnostics';
import { CompileOptions, FLAG_RETURN_ON_MATCH, FLAG_KILL_THREAD, FLAG_VERIFY } from './options';
import { RET_KILL_THREAD } from './actions';
import { findArch, allArches } from './tables/index';
import { buildIR, scanIncludePaths } from './resolve';
import { generate } from './codegen';
import { encode, decode } from './bpf/insn';
import { simulateProgram } from './bpf/simulate';
import { disassembleProgram } from './bpf/disasm';
import { JsonObject, jsonString, jsonArray, hexBytes } from './json';
import { irJson } from './irdump';

/** Paths named by `@include`/`@frequency` in one file, resolved against `path`'s directory; '\n'-separated. */
export function scanIncludes(path: string, text: string): string {
  return scanIncludePaths(path, text).join('\n');
}

/**
 * Compile a policy. `files` is `path\0text\0path\0text...`, the main policy first, then every
 * file its @include/@frequency lines name (absent = not found). Returns JSON:
 * {ok, arch, program (hex sock_filter bytes), insns, diagnostics[]}.
 */
export function compile(files: string, arch: string, flags: u32, defaultAction: string): string {
  const sources = new SourceSet();
  const parts = files.split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) sources.add(parts[i], parts[i + 1]);
  const diags = new Diagnostics();
  const a = findArch(arch);
  let program: Uint8Array | null = null;
  let insns = 0;
  if (a == null) {
    diags.error(Code.UnknownArch, null, [arch]);
  } else if (sources.paths.length == 0) {
    diags.error(Code.InternalError, null, ['no policy file given']);
  } else {
    const opts = new CompileOptions();
    opts.returnOnMatch = (flags & FLAG_RETURN_ON_MATCH) != 0;
    if ((flags & FLAG_KILL_THREAD) != 0) opts.killAction = RET_KILL_THREAD;
    opts.verify = (flags & FLAG_VERIFY) != 0;
    opts.defaultActionOverride = defaultAction;
    const ir = buildIR(sources, a, opts, diags);
    if (ir != null && !diags.hasErrors) {
      const prog = generate(ir, diags);
      if (prog != null && !diags.hasErrors) {
        program = encode(prog);
        insns = prog.length;
      }
    }
  }
  return new JsonObject()
    .bool('ok', program != null && !diags.hasErrors)
    .str('arch', a != null ? a.name : arch)
    .str('program', program != null ? hexBytes(program) : '')
    .int('insns', insns)
    .raw('diagnostics', diagnosticsJson(diags, sources))
    .toString();
}

/**
 * The front end's result without codegen: same arguments as compile. Returns JSON
 * {ok, ir (null on errors; shape in irdump.ts), diagnostics[] (as in compile)}. For front-end
 * tests and tools (diff, LSP) that need the meaning of a policy rather than its program.
 */
export function dumpIR(files: string, arch: string, flags: u32, defaultAction: string): string {
  const sources = new SourceSet();
  const parts = files.split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) sources.add(parts[i], parts[i + 1]);
  const diags = new Diagnostics();
  const a = findArch(arch);
  let ir: string = 'null';
  if (a == null) {
    diags.error(Code.UnknownArch, null, [arch]);
  } else if (sources.paths.length == 0) {
    diags.error(Code.InternalError, null, ['no policy file given']);
  } else {
    const opts = new CompileOptions();
    opts.returnOnMatch = (flags & FLAG_RETURN_ON_MATCH) != 0;
    if ((flags & FLAG_KILL_THREAD) != 0) opts.killAction = RET_KILL_THREAD;
    opts.defaultActionOverride = defaultAction;
    const built = buildIR(sources, a, opts, diags);
    if (built != null && !diags.hasErrors) ir = irJson(built, sources);
  }
  return new JsonObject()
    .bool('ok', !diags.hasErrors)
    .raw('ir', ir)
    .raw('diagnostics', diagnosticsJson(diags, sources))
    .toString();
}

function diagnosticsJson(diags: Diagnostics, sources: SourceSet): string {
  const items = new Array<string>();
  for (let i = 0; i < diags.list.length; i++) {
    const d = diags.list[i];
    const o = new JsonObject()
      .int('code', d.code)
      .str('severity', d.severity == Severity.Error ? 'error' : 'warning')
      .str('message', d.message);
    const s = d.span;
    if (s != null) {
      o.str('file', sources.paths[s.file])
        .int('start', s.start).int('end', s.end)
        .int('line', sources.line(s.file, s.start)).int('column', sources.column(s.file, s.start))
        .int('endLine', sources.line(s.file, s.end)).int('endColumn', sources.column(s.file, s.end));
    }
    const r = d.related;
    if (r != null) {
      o.raw('related', new JsonObject()
        .str('file', sources.paths[r.file]).int('start', r.start).int('end', r.end)
        .int('line', sources.line(r.file, r.start)).int('column', sources.column(r.file, r.start))
        .str('message', d.relatedMessage).toString());
    }
    o.str('formatted', formatDiagnostic(d, sources));
    items.push(o.toString());
  }
  return jsonArray(items);
}

/**
 * Run a program (sock_filter bytes) on one struct seccomp_data (64 bytes, little-endian).
 * Returns JSON {ok, ret, action, data, insns, error?}.
 */
export function simulate(program: Uint8Array, data: Uint8Array): string {
  return simulateProgram(program, data);
}

/** Readable listing of a program with labels and decoded constants; `arch` names syscalls. */
export function disassemble(program: Uint8Array, arch: string): string {
  return disassembleProgram(program, arch);
}

/** Supported arch names, '\n'-separated. */
export function archNames(): string {
  const l = allArches();
  const names = new Array<string>(l.length);
  for (let i = 0; i < l.length; i++) names[i] = l[i].name;
  return names.join('\n');
}

/** JSON {name: nr} of an arch's syscalls, or '' for an unknown arch. */
export function syscallTable(arch: string): string {
  const a = findArch(arch);
  if (a == null) return '';
  const m = a.syscalls;
  const keys = m.keys();
  const items = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) items[i] = jsonString(keys[i]) + ':' + m.get(keys[i]).toString();
  return '{' + items.join(',') + '}';
}

/** JSON {name: "0xhex"} of an arch's named constants, or '' for an unknown arch. */
export function constantTable(arch: string): string {
  const a = findArch(arch);
  if (a == null) return '';
  const m = a.constants;
  const keys = m.keys();
  const items = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) items[i] = jsonString(keys[i]) + ':"0x' + m.get(keys[i]).toString(16) + '"';
  return '{' + items.join(',') + '}';
}

// decode is re-exported for hosts that validate .bpf files before simulating them.
export function programLength(program: Uint8Array): i32 {
  const p = decode(program);
  return p == null ? -1 : p.length;
}
