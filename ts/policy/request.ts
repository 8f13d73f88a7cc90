// The one encoding of a request to the core (compile, verify, diff, analyze): the options are
// checked, the file set collected (includes.ts), and everything turned into the core's four
// arguments. The core's wire format lives here and nowhere else in ts/.

import { Flag } from './abi';
import { Diagnostic, DiagnosticCode, hostDiagnostic } from './diagnostics';
import { FileSource, collectFiles, unusableText } from './includes';
import { ArchName } from './tables';

/** The options every policy call shares (compilePolicy, verifyPolicy, diffPolicies, analyzePolicy). */
export interface PolicyOptions {
  /**
   * Target architecture: x86_64, aarch64, arm, i386, riscv64 (or an alias the core knows). For
   * compile, verify, simulatePolicy and diff also a comma-separated list (`x86_64,i386`) or
   * `all`: one multi-arch program dispatching on seccomp_data.arch.
   */
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
}

/** A complete file set given up front: [path, text] pairs, the main policy first (no include collection). */
export type PolicyFiles = ReadonlyArray<readonly [string, string]>;

/** The core's arguments for one policy. */
export interface CoreRequest {
  /** `path\0text\0path\0text...`, the main policy first. */
  files: string;
  arch: string;
  flags: number;
  defaultAction: string;
}

export interface PreparedRequest {
  /** Undefined when the input cannot go to the core (`diagnostics` says why). */
  core?: CoreRequest;
  /** Paths of the file set, the main policy first. */
  files: string[];
  /** Problems found on this side: unusable text, unreadable files, too many files. */
  diagnostics: Diagnostic[];
}

/** `path\0text\0...`: NUL cannot occur in either (unusableText refuses such texts). */
export function encodeFiles(files: PolicyFiles): string {
  return files.map(([p, t]) => `${p}\0${t}`).join('\0');
}

/** The core's flags for these options. */
export function requestFlags(options: Pick<PolicyOptions, 'returnOnMatch' | 'killAction'> & { verify?: boolean; checkOnly?: boolean }): number {
  return (options.returnOnMatch ? Flag.ReturnOnMatch : 0) |
    (options.killAction === 'kill-thread' ? Flag.KillThread : 0) |
    (options.verify ? Flag.Verify : 0) |
    (options.checkOnly ? Flag.CheckOnly : 0);
}

/** Programming errors (a wrong type, an unknown killAction) throw; a bad policy never does. */
function checkOptions(caller: string, options: PolicyOptions): void {
  if (!options || typeof options.arch !== 'string') throw new TypeError(`${caller}: options.arch must be a string`);
  if (options.killAction !== undefined && options.killAction !== 'kill-process' && options.killAction !== 'kill-thread') {
    throw new TypeError(`${caller}: options.killAction must be 'kill-process' or 'kill-thread', not ${JSON.stringify(options.killAction)}`);
  }
  if (options.defaultAction !== undefined && typeof options.defaultAction !== 'string') {
    throw new TypeError(`${caller}: options.defaultAction must be a string in policy syntax`);
  }
}

/**
 * Check the options, collect the file set (from `source`: the main policy's text, its includes
 * then come from options.files; or a complete PolicyFiles) and encode the request.
 */
export async function prepareRequest(caller: string, source: string | PolicyFiles, options: PolicyOptions,
  flags: number, mainPath = options.path ?? 'policy'): Promise<PreparedRequest> {
  checkOptions(caller, options);
  let files: Array<[string, string]>;
  const diagnostics: Diagnostic[] = [];
  if (typeof source === 'string') {
    const bad = unusableText(source) ?? (mainPath.includes('\0') ? 'the path contains NUL bytes' : undefined);
    if (bad !== undefined) {
      return { files: [mainPath], diagnostics: [hostDiagnostic(DiagnosticCode.ReadFailed, mainPath, [bad])] };
    }
    const set = await collectFiles(mainPath, source, options.files);
    files = set.files;
    diagnostics.push(...set.diagnostics);
  } else if (Array.isArray(source) && source.length > 0 && source.every((f) => Array.isArray(f) && typeof f[0] === 'string' && typeof f[1] === 'string')) {
    files = source.map(([p, t]) => [p, t]);
    for (const [p, t] of files) {
      const bad = unusableText(t) ?? (p.includes('\0') ? 'the path contains NUL bytes' : undefined);
      if (bad !== undefined) diagnostics.push(hostDiagnostic(DiagnosticCode.ReadFailed, p, [bad]));
    }
    if (diagnostics.length > 0) return { files: files.map(([p]) => p), diagnostics };
  } else {
    throw new TypeError(`${caller}: the policy must be its text (a string) or a non-empty list of [path, text] pairs`);
  }
  return {
    core: { files: encodeFiles(files), arch: options.arch, flags, defaultAction: options.defaultAction ?? '' },
    files: files.map(([p]) => p),
    diagnostics,
  };
}
