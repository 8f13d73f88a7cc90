// The benchmark's policy set: the x86_64 corpus policies minijail's reference TSV measured,
// each with its complete compile request (main file + includes) ready for the core.
import { readFileSync } from 'fs';
import * as path from 'path';
import { Flag } from '../ts/policy/abi';
import { collectFiles } from '../ts/policy/includes';
import { encodeFiles } from '../ts/policy/request';
import { corpusPolicies, corpusResolver, mainPath, readCorpus, CORPUS } from '../test/helpers/corpus';
import { parseReferenceTsv, ReferenceRow } from './metric';

export const SHARED_BENCH = path.resolve(CORPUS, '../../bench');
export const REFERENCE_TSV = path.join(SHARED_BENCH, 'minijail-bst-x86_64.tsv');

/** What compile_seccomp_policy does: `; return N` returns on match; kill = kill-process. */
export const FLAG_RETURN_ON_MATCH = Flag.ReturnOnMatch;
export const FLAG_VERIFY = Flag.Verify;

export interface BenchPolicy {
  /** Corpus path, as in the reference TSV. */
  file: string;
  /** minijail's measured row. */
  ref: ReferenceRow;
  /** The core's request string: path\0text\0path\0text..., main policy first. */
  request: string;
  /** Bytes of policy text in the request (all files). */
  textBytes: number;
  /** The files of the request: [path as included, text], main policy first. */
  files: Array<[string, string]>;
}

export interface BenchCorpus {
  policies: BenchPolicy[];
  /** Reference rows whose policy could not be found or read (listed in the results). */
  missing: string[];
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
    const set = await collectFiles(mainPath(p), readCorpus(p.file), corpusResolver(p, byFile));
    if (set.diagnostics.length > 0) {
      missing.push(`${ref.file} (${set.diagnostics.map((d) => d.message).join('; ')})`);
      continue;
    }
    const request = encodeFiles(set.files);
    const textBytes = set.files.reduce((a, [, t]) => a + Buffer.byteLength(t), 0);
    policies.push({ file: ref.file, ref, request, textBytes, files: set.files });
  }
  return { policies, missing };
}

/** Short display name: the policy file without its repository prefix. */
export function shortName(file: string): string {
  const base = file.slice(file.indexOf('/') + 1);
  return base.length > 60 ? '…' + base.slice(base.length - 59) : base;
}
