// The benchmark's policy set: the x86_64 corpus policies minijail's reference TSV measured,
// each with its complete compile request (main file + includes) ready for the core.
import { readFileSync } from 'fs';
import * as path from 'path';
import { collectFiles } from '../ts/policy/includes';
import { CorpusPolicy, corpusPolicies, includeEntries, mainPath, readCorpus, CORPUS } from '../test/helpers/corpus';
import { parseReferenceTsv, ReferenceRow } from './metric';

export const SHARED_BENCH = path.resolve(CORPUS, '../../bench');
export const REFERENCE_TSV = path.join(SHARED_BENCH, 'minijail-bst-x86_64.tsv');

/** What compile_seccomp_policy does: `; return N` returns on match (core flag 1); kill = kill-process. */
export const FLAG_RETURN_ON_MATCH = 1;
export const FLAG_VERIFY = 4;

export interface BenchPolicy {
  /** Corpus path, as in the reference TSV. */
  file: string;
  /** minijail's measured row. */
  ref: ReferenceRow;
  /** The core's request string: path\0text\0path\0text..., main policy first. */
  request: string;
  /** Bytes of policy text in the request (all files). */
  textBytes: number;
}

export interface BenchCorpus {
  policies: BenchPolicy[];
  /** Reference rows whose policy could not be found or read (listed in the results). */
  missing: string[];
}

/**
 * Include resolution for one policy: its own MANIFEST entries first, then those of the files it
 * has pulled in so far (nested includes), and only then any row's. Nested includes such as
 * crosvm's /usr/share/policy/crosvm/common_device.policy exist once per arch in the corpus; taking
 * the first row that names the path would mix arches.
 */
function resolverFor(p: CorpusPolicy, byFile: Map<string, CorpusPolicy>, all: CorpusPolicy[]): (resolved: string) => string | undefined {
  const preferred = includeEntries(p.includeTargets);
  const every = all.flatMap((r) => includeEntries(r.includeTargets));
  const lookup = (resolved: string, entries: Array<[string, string]>) => {
    for (const [written, target] of entries) {
      if (written === resolved) return target;
      if (written.startsWith('./') && resolved.endsWith(written.slice(1))) return target;
    }
    return undefined;
  };
  return (resolved) => {
    const t = lookup(resolved, preferred) ?? lookup(resolved, every);
    if (t === undefined) return undefined;
    const row = byFile.get(t);
    if (row) preferred.push(...includeEntries(row.includeTargets));
    return readCorpus(t);
  };
}

export async function loadBenchCorpus(): Promise<BenchCorpus> {
  const refs = parseReferenceTsv(readFileSync(REFERENCE_TSV, 'utf8'));
  const all = corpusPolicies();
  const byFile = new Map(all.map((p) => [p.file, p]));
  const policies: BenchPolicy[] = [];
  const missing: string[] = [];
  for (const ref of refs) {
    const p = byFile.get(ref.file);
    if (!p) {
      missing.push(ref.file);
      continue;
    }
    const set = await collectFiles(mainPath(p), readCorpus(p.file), resolverFor(p, byFile, all));
    if (set.diagnostics.length > 0) {
      missing.push(`${ref.file} (${set.diagnostics.map((d) => d.message).join('; ')})`);
      continue;
    }
    const request = set.files.map(([f, t]) => `${f}\0${t}`).join('\0');
    const textBytes = set.files.reduce((a, [, t]) => a + Buffer.byteLength(t), 0);
    policies.push({ file: ref.file, ref, request, textBytes });
  }
  return { policies, missing };
}

/** Short display name: the policy file without its repository prefix. */
export function shortName(file: string): string {
  const base = file.slice(file.indexOf('/') + 1);
  return base.length > 60 ? '…' + base.slice(base.length - 59) : base;
}
