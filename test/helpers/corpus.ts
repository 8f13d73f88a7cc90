// The shared policy corpus (../shared/corpus/policies): which arch each policy compiles for,
// and its complete @include/@frequency file set, from MANIFEST.tsv.
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';

export const CORPUS = path.resolve(__dirname, '../../../shared/corpus/policies');

export interface CorpusPolicy {
  /** Path inside the corpus (owner__repo/flattened__path). */
  file: string;
  /** MANIFEST's arch column as written. */
  manifestArch: string;
  /** The arch tsjail compiles it for. */
  arch: string;
  includeTargets: string;
  notes: string;
}

export function corpusAvailable(): boolean {
  return existsSync(path.join(CORPUS, 'MANIFEST.tsv'));
}

/**
 * The arch a corpus policy is written for: MANIFEST's, with `unknown` = x86_64, and
 * Android files whose notes list 32-bit syscall names compiled for the 32-bit arch of
 * their family (x86 -> i386, arm -> arm), as the acceptance says.
 */
export function archFor(manifestArch: string, file: string, notes: string): string {
  if (/names not in crosvm's \S+ syscall table: .*(mmap2|fstat64|_llseek)/.test(notes) && file.includes('LineageOS')) {
    return manifestArch === 'x86_64' ? 'i386' : 'arm';
  }
  if (manifestArch === 'unknown') return 'x86_64';
  return manifestArch;
}

export function corpusPolicies(): CorpusPolicy[] {
  const lines = readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n').filter((l) => l !== '');
  const head = lines[0].split('\t');
  const col = (name: string) => head.indexOf(name);
  const [f, a, it, n] = [col('file'), col('arch'), col('include_targets'), col('notes')];
  return lines.slice(1).map((l) => {
    const c = l.split('\t');
    return { file: c[f], manifestArch: c[a], arch: archFor(c[a], c[f], c[n] ?? ''), includeTargets: c[it] ?? '', notes: c[n] ?? '' };
  }).filter((p) => p.file.endsWith('.policy'));
}

/** `@include W => T ...` entries of an include_targets cell: written path -> corpus file. */
export function includeEntries(cell: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of cell.split(' | ')) {
    const m = /^@(?:include|frequency)\s+(\S+)\s+=>\s+(\S+)/.exec(part.trim());
    if (m) out.push([m[1], m[2]]);
  }
  return out;
}

/** The path every corpus policy is compiled under (relative includes resolve against it). */
export function mainPath(p: CorpusPolicy): string {
  return '/corpus/' + p.file;
}

export function readCorpus(file: string): string {
  return readFileSync(path.join(CORPUS, file), 'utf8');
}

/**
 * A resolver for ts/policy's `files` option: an include path as the core resolved it -> the
 * corpus file it means (from this policy's include_targets, else any row's), or undefined.
 */
export function corpusResolver(p: CorpusPolicy, all: CorpusPolicy[]): (resolved: string) => string | undefined {
  const own = includeEntries(p.includeTargets);
  const every = all.flatMap((r) => includeEntries(r.includeTargets));
  const lookup = (resolved: string, entries: Array<[string, string]>) => {
    for (const [written, target] of entries) {
      if (written === resolved) return target;
      if (written.startsWith('./') && resolved.endsWith(written.slice(1))) return target;
    }
    return undefined;
  };
  return (resolved) => {
    const t = lookup(resolved, own) ?? lookup(resolved, every);
    return t === undefined ? undefined : readCorpus(t);
  };
}
