// compilePolicy: collect the file set, one stateless call into the core, typed result.

import { withCore } from './core';
import { Diagnostic, HostCode, PolicyError, hostDiagnostic } from './diagnostics';
import { FileSource, collectFiles, unusableText } from './includes';
import { ArchName } from './tables';

// Must match wasm/assembly/options.ts.
const FLAG_RETURN_ON_MATCH = 1;
const FLAG_KILL_THREAD = 2;
const FLAG_VERIFY = 4;

export interface CompileOptions {
  /** Target architecture: x86_64, aarch64, arm, i386, riscv64 (or an alias the core knows). */
  arch: ArchName | (string & {});
  /** Name of the policy in diagnostics, and the base that relative @include paths resolve against. */
  path?: string;
  /** Where @include/@frequency files come from: a map keyed by path as the core resolves it, or a resolver. */
  files?: FileSource;
  /**
   * `name: EXPR; return N`: false (default) = minijail0's meaning (allow when EXPR holds, else
   * errno N); true = compile_seccomp_policy's (errno N when EXPR holds, else the next rule).
   */
  returnOnMatch?: boolean;
  /** What `kill` and the implicit default mean (default kill-process). */
  killAction?: 'kill-process' | 'kill-thread';
  /** Replaces the policy's @default, in policy syntax: `log`, `return 1`, `kill-thread`, `trap`... */
  defaultAction?: string;
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
}

interface CoreCompileJson {
  ok: boolean;
  arch: string;
  program: string;
  insns: number;
  verify?: VerifyReport | null;
  diagnostics: Diagnostic[];
}

/** The core's option flags for these options (shared by compile, verify and diff). */
export function compileFlags(options: Pick<CompileOptions, 'returnOnMatch' | 'killAction' | 'verify'>): number {
  return (options.returnOnMatch ? FLAG_RETURN_ON_MATCH : 0) |
    (options.killAction === 'kill-thread' ? FLAG_KILL_THREAD : 0) |
    (options.verify ? FLAG_VERIFY : 0);
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** Compile policy text. Never throws on a bad policy: errors come back as diagnostics. */
export async function compilePolicy(text: string, options: CompileOptions): Promise<CompileResult> {
  if (typeof text !== 'string') throw new TypeError('compilePolicy: the policy text must be a string');
  if (!options || typeof options.arch !== 'string') throw new TypeError('compilePolicy: options.arch must be a string');
  const path = options.path ?? 'policy';
  const bad = unusableText(text);
  if (bad !== undefined || path.includes('\0')) {
    const d = hostDiagnostic(HostCode.ReadFailed, path, `cannot compile: ${bad ?? 'the path contains NUL bytes'}`);
    return { ok: false, arch: options.arch, program: new Uint8Array(0), insns: 0, diagnostics: [d], files: [path] };
  }
  const flags = compileFlags(options);
  if (options.killAction !== undefined && options.killAction !== 'kill-process' && options.killAction !== 'kill-thread') {
    throw new TypeError(`compilePolicy: options.killAction must be 'kill-process' or 'kill-thread', not ${JSON.stringify(options.killAction)}`);
  }
  const fileSet = await collectFiles(path, text, options.files);
  const request = fileSet.files.map(([p, t]) => `${p}\0${t}`).join('\0');
  const json = await withCore((core) => core.compile(request, options.arch, flags, options.defaultAction ?? ''));
  const r = JSON.parse(json) as CoreCompileJson;
  const diagnostics = [...fileSet.diagnostics, ...r.diagnostics];
  const ok = r.ok && !diagnostics.some((d) => d.severity === 'error');
  const program = ok ? hexToBytes(r.program) : new Uint8Array(0);
  return {
    ok, arch: r.arch || options.arch, program, insns: ok ? r.insns : 0, diagnostics, files: fileSet.files.map(([p]) => p),
    ...(r.verify ? { verify: r.verify } : {}),
  };
}

/** compilePolicy, but a policy with errors throws a PolicyError carrying every diagnostic. */
export async function compilePolicyOrThrow(text: string, options: CompileOptions): Promise<CompileResult> {
  const r = await compilePolicy(text, options);
  if (!r.ok) throw new PolicyError(r.diagnostics);
  return r;
}
