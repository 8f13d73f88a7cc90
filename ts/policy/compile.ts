// compilePolicy: collect the file set, one stateless call into the core, typed result.

import { withCore } from './core';
import { Diagnostic, PolicyError } from './diagnostics';
import { PolicyOptions, prepareRequest, requestFlags } from './request';

export interface CompileOptions extends PolicyOptions {
  /** Also check the emitted program with the core's verifier. */
  verify?: boolean;
}

/** What the core's verifier concluded about the emitted program (compile with `verify`). */
export interface VerifyReport {
  /** proven = the program gives the policy's outcome for every input; otherwise compile fails. */
  status: 'proven' | 'mismatch' | 'unproven';
  paths: number;
  regions: number;
  reason?: string;
  /** For a mismatch: the input (arch, nr, syscall, args, ip) and both outcomes. */
  counterexample?: Record<string, unknown>;
}

export interface CompileResult {
  /** True when there are no errors and `program` holds the filter. */
  ok: boolean;
  /** The arch compiled for (canonical name). */
  arch: string;
  /** struct sock_filter[] bytes, 8 per instruction, little-endian; empty when !ok. */
  program: Uint8Array;
  /** Instruction count (program.length / 8). */
  insns: number;
  /** Errors and warnings, in the order found. */
  diagnostics: Diagnostic[];
  /** Paths of every file the compile read, the main policy first. */
  files: string[];
  /** The verifier's report, when `verify` was asked for and codegen ran. */
  verify?: VerifyReport;
  /**
   * A multi-arch program (`arch: 'x86_64,i386'` or `'all'`; `arch` then lists the arches it
   * holds): each arch's part, its first instruction and length. Absent for a single arch.
   */
  arches?: ArchSlice[];
}

/** One arch's part of a multi-arch program (docs/codegen.md, "Multi-arch programs"). */
export interface ArchSlice {
  arch: string;
  /** Index of its first instruction. */
  start: number;
  insns: number;
}

interface CoreCompileJson {
  ok: boolean;
  arch: string;
  program: string;
  insns: number;
  verify?: VerifyReport | null;
  arches?: ArchSlice[];
  diagnostics: Diagnostic[];
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** A multi-arch request's diagnostic that only some arches report says which in `formatted`. */
export function archNoted(d: Diagnostic, arches: string): Diagnostic {
  if (d.arch === undefined || d.arch === arches) return d;
  const nl = d.formatted.indexOf('\n');
  const at = nl < 0 ? d.formatted.length : nl;
  return { ...d, formatted: `${d.formatted.slice(0, at)} (on ${d.arch})${d.formatted.slice(at)}` };
}

/** Compile policy text. Never throws on a bad policy: errors come back as diagnostics. */
export async function compilePolicy(text: string, options: CompileOptions): Promise<CompileResult> {
  if (typeof text !== 'string') throw new TypeError('compilePolicy: the policy text must be a string');
  const req = await prepareRequest('compilePolicy', text, options, requestFlags(options));
  const core = req.core;
  if (!core) return { ok: false, arch: options.arch, program: new Uint8Array(0), insns: 0, diagnostics: req.diagnostics, files: req.files };
  const json = await withCore((c) => c.compile(core.files, core.arch, core.flags, core.defaultAction));
  const r = JSON.parse(json) as CoreCompileJson;
  const diagnostics = [...req.diagnostics, ...r.diagnostics.map((d) => archNoted(d, r.arch))];
  const ok = r.ok && !diagnostics.some((d) => d.severity === 'error');
  const program = ok ? hexToBytes(r.program) : new Uint8Array(0);
  return {
    ok, arch: r.arch || options.arch, program, insns: ok ? r.insns : 0, diagnostics, files: req.files,
    ...(r.verify ? { verify: r.verify } : {}),
    ...(ok && r.arches && r.arches.length > 0 ? { arches: r.arches } : {}),
  };
}

/** compilePolicy, but a policy with errors throws a PolicyError carrying every diagnostic. */
export async function compilePolicyOrThrow(text: string, options: CompileOptions): Promise<CompileResult> {
  const r = await compilePolicy(text, options);
  if (!r.ok) throw new PolicyError(r.diagnostics);
  return r;
}
