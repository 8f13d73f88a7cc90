// Collects the complete file set of one compile (docs/cli.md, "Include collection": the host
// supplies @include files). The core names what each file needs (scanIncludes, paths already
// resolved against the including file); this layer fetches them from the caller's map or
// resolver. Missing files are simply left out: the core then reports them at the @include
// line, and it also reports cycles and the depth limit there, so nothing is decided here but
// what to fetch.

import { withCore } from './core';
import { Diagnostic, HostCode, hostDiagnostic } from './diagnostics';

/** Text of a path as named by @include/@frequency, or undefined/null when there is none. */
export type FileResolver = (path: string) => string | undefined | null | Promise<string | undefined | null>;

/** Where included files come from: a path -> text map, or a resolver function. */
export type FileSource = Record<string, string> | Map<string, string> | FileResolver;

/** Bound on the files one compile may pull in; real policies need a handful. */
export const MAX_POLICY_FILES = 256;

/** Files nested deeper than this are not scanned: the core's own limit (8) stops far sooner. */
const MAX_SCAN_DEPTH = 16;

export interface FileSet {
  /** [path, text], the main policy first. */
  files: Array<[string, string]>;
  /** Host-side problems (unreadable files, too many files). */
  diagnostics: Diagnostic[];
}

function lookup(source: FileSource | undefined, path: string): string | undefined | null | Promise<string | undefined | null> {
  if (source === undefined) return undefined;
  if (typeof source === 'function') return source(path);
  if (source instanceof Map) return source.get(path);
  return Object.prototype.hasOwnProperty.call(source, path) ? source[path] : undefined;
}

/** Why a text cannot go to the core, or undefined. NUL separates files in the compile request. */
export function unusableText(text: string): string | undefined {
  return text.includes('\0') ? 'it contains NUL bytes (not a policy text file)' : undefined;
}

export async function collectFiles(mainPath: string, mainText: string, source: FileSource | undefined): Promise<FileSet> {
  const files: Array<[string, string]> = [[mainPath, mainText]];
  const depth: number[] = [0];
  const seen = new Set<string>([mainPath]);
  const diagnostics: Diagnostic[] = [];
  for (let i = 0; i < files.length; i++) {
    if (depth[i] >= MAX_SCAN_DEPTH) continue;
    const [path, text] = files[i];
    const named = (await withCore((c) => c.scanIncludes(path, text))).split('\n').filter((p) => p !== '');
    for (const p of named) {
      if (seen.has(p)) continue;
      seen.add(p);
      if (files.length >= MAX_POLICY_FILES) {
        diagnostics.push(hostDiagnostic(HostCode.TooManyFiles, p, [String(MAX_POLICY_FILES)]));
        return { files, diagnostics };
      }
      let got: string | undefined | null;
      try {
        got = await lookup(source, p);
      } catch (e) {
        diagnostics.push(hostDiagnostic(HostCode.ReadFailed, p, [e instanceof Error ? e.message : String(e)]));
        continue;
      }
      if (got === undefined || got === null) continue;
      if (typeof got !== 'string') {
        diagnostics.push(hostDiagnostic(HostCode.ReadFailed, p, [`the file source returned ${typeof got}, not a string`]));
        continue;
      }
      const bad = unusableText(got);
      if (bad !== undefined) {
        diagnostics.push(hostDiagnostic(HostCode.ReadFailed, p, [bad]));
        continue;
      }
      files.push([p, got]);
      depth.push(depth[i] + 1);
    }
  }
  return { files, diagnostics };
}
